# Shared by the reference scripts: the demo respondents (read from `dir`) as R factors with the
# project's category order, their equal-probability design with finite population correction, and
# that design raked to the registry margins (cal).
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
# the registry margins of surveys/demo-2025/population.yaml
pop <- c(`(Intercept)` = 2623, statusgezin = 1246, genderman = 1180,
         `ageband27-40` = 1718, `ageband41+` = 223, routeZ = 407, routeonderwijs = 218)
cal <- calibrate(des, ~status + gender + ageband + route, population = pop,
                 calfun = "raking", epsilon = 1e-13, maxit = 500)
