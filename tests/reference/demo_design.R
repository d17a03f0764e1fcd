# Shared by the reference scripts: the demo respondents (read from `dir`) as R factors with the
# project's category order, and their equal-probability design with finite population correction.
d <- read.csv(file.path(dir, "demo_respondents.csv"), stringsAsFactors = FALSE)
d$status <- factor(d$status, levels = c("asiel", "gezin"))
d$gender <- factor(d$gender, levels = c("vrouw", "man"))
d$ageband <- factor(d$ageband, levels = c("18-26", "27-40", "41+"))
d$route <- factor(d$route, levels = c("B1", "Z", "onderwijs"))
N <- 2623
n <- nrow(d)
d$w0 <- N / n
d$N <- N
des <- svydesign(ids = ~1, weights = ~w0, fpc = ~N, data = d)
