# Reference numbers from R survey (Lumley) for the weighting and estimation tests.
#
#   Rscript tests/reference/make_reference.R tests/reference [output-dir]
#
# Reads demo_respondents.csv (see make_dataset.py) and writes r_weights.csv and
# r_estimates.csv: raking calibration of an equal-probability design with finite population
# correction to the registry margins, then svymean (SE), svyciprop(method = "logit") for
# proportions and confint(svymean, df = degf) for means, overall and per domain (subset of the
# calibrated design, as svyby does).
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "."
out <- if (length(args) >= 2) args[2] else dir

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
pop <- c(`(Intercept)` = 2623, statusgezin = 1246, genderman = 1180,
         `ageband27-40` = 1718, `ageband41+` = 223, routeZ = 407, routeonderwijs = 218)
cal <- calibrate(des, ~status + gender + ageband + route, population = pop,
                 calfun = "raking", epsilon = 1e-13, maxit = 500)

num <- function(x) sprintf("%.17g", x)
write.csv(data.frame(respondent_key = d$respondent_key, weight = num(weights(cal))),
          file.path(out, "r_weights.csv"), row.names = FALSE)

indicators <- grep("^ind_", names(d), value = TRUE)
one <- function(design, ind, group, category) {
  f <- as.formula(paste0("~", ind))
  m <- svymean(f, design, na.rm = TRUE)
  vals <- d[[ind]][!is.na(d[[ind]])]
  if (all(vals %in% c(0, 1))) {
    # summary.glm warns that zero-weight (out-of-domain) rows are not used for the dispersion:
    # expected for a domain of a calibrated design, and irrelevant to the sandwich SE
    ci <- attr(suppressWarnings(svyciprop(f, design, method = "logit", na.rm = TRUE)), "ci")
  } else {
    ci <- confint(m, df = degf(design))
  }
  data.frame(indicator = sub("^ind_", "", ind), group = group, category = category,
             estimate = num(coef(m)[[1]]), se = num(SE(m)[[1]]),
             ci_low = num(ci[[1]]), ci_high = num(ci[[2]]))
}
rows <- list()
for (ind in indicators) {
  rows[[length(rows) + 1]] <- one(cal, ind, "totaal", "totaal")
  for (g in c("status", "gender", "ageband", "route")) {
    for (lev in levels(d[[g]])) {
      sub <- cal[d[[g]] == lev, ]
      rows[[length(rows) + 1]] <- one(sub, ind, g, lev)
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "r_estimates.csv"), row.names = FALSE)
cat(sprintf("R %s, survey %s: %d respondents, %d indicators\n",
            getRversion(), packageVersion("survey"), n, length(indicators)))
