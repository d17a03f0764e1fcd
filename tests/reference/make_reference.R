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

source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "demo_design.R"))

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

# --- other calibration distances, bounds and trimming (r_calibration.csv) -------------------
f <- ~status + gender + ageband + route
cal_with <- function(calfun, bounds = c(-Inf, Inf)) {
  weights(calibrate(des, f, population = pop, calfun = calfun, bounds = bounds,
                    epsilon = 1e-13, maxit = 500))
}
raked <- weights(cal)
cut <- 3.5 * mean(raked)
w <- data.frame(
  respondent_key = d$respondent_key,
  linear = num(cal_with("linear")),
  linear_bounded = num(cal_with("linear", c(0.3, 3.5))),
  raking_bounded = num(cal_with("raking", c(0.3, 3.5))),
  logit = num(cal_with("logit", c(0.3, 4))),
  trimmed = num(weights(trimWeights(cal, upper = cut))),
  trimmed_strict = num(weights(trimWeights(cal, upper = cut, strict = TRUE)))
)
write.csv(w, file.path(out, "r_calibration.csv"), row.names = FALSE)

# --- response model and R-indicator (r_propensity.csv, r_indicator.csv) ----------------------
cells <- read.csv(file.path(dir, "demo_response_cells.csv"), stringsAsFactors = FALSE)
cells$status <- factor(cells$status, levels = c("asiel", "gezin"))
cells$gender <- factor(cells$gender, levels = c("man", "vrouw"))
cells$ageband <- factor(cells$ageband, levels = c("18-26", "27-40", "41+"))
cells$route <- factor(cells$route, levels = c("B1", "Z", "onderwijs"))
model <- glm(cbind(respondents, persons - respondents) ~ status + gender + ageband + route,
             family = binomial, data = cells, control = glm.control(epsilon = 1e-14, maxit = 100))
cells$propensity <- fitted(model)
write.csv(data.frame(status = cells$status, gender = cells$gender, ageband = cells$ageband, route = cells$route,
                     propensity = num(cells$propensity)), file.path(out, "r_propensity.csv"), row.names = FALSE)
N_all <- sum(cells$persons)
rho_bar <- sum(cells$persons * cells$propensity) / N_all
R <- 1 - 2 * sqrt(sum(cells$persons * (cells$propensity - rho_bar)^2) / (N_all - 1))
partial <- sapply(c("status", "gender", "ageband", "route"), function(v) {
  n_k <- tapply(cells$persons, cells[[v]], sum)
  rho_k <- tapply(cells$persons * cells$propensity, cells[[v]], sum) / n_k
  sqrt(sum(n_k / N_all * (rho_k - rho_bar)^2))
})
write.csv(data.frame(name = c("R", names(partial)), value = num(c(R, partial))),
          file.path(out, "r_indicator.csv"), row.names = FALSE)

# --- tests, regression, small-domain intervals, differences (r_models.csv) --------------------
res <- list()
add <- function(name, value) res[[length(res) + 1]] <<- data.frame(name = name, value = num(value))
for (pair in list(c("status", "route"), c("gender", "ageband"), c("ind_werk_betaald", "status"))) {
  t <- svychisq(as.formula(paste0("~", pair[1], "+", pair[2])), cal, statistic = "F")
  tag <- paste(pair, collapse = "_x_")
  add(paste0("chisq_", tag, "_F"), t$statistic)
  add(paste0("chisq_", tag, "_ndf"), t$parameter[["ndf"]])
  add(paste0("chisq_", tag, "_ddf"), t$parameter[["ddf"]])
  add(paste0("chisq_", tag, "_p"), t$p.value)
}
m <- svyglm(ind_werk_betaald ~ status + gender + ageband + route + ind_taal_voldoende, design = cal,
            family = quasibinomial, control = glm.control(epsilon = 1e-14, maxit = 100))
for (k in names(coef(m))) {
  add(paste0("glm_", k, "_estimate"), coef(m)[[k]])
  add(paste0("glm_", k, "_se"), SE(m)[[k]])
}
small <- cal[d$route == "onderwijs", ]
ci <- attr(suppressWarnings(svyciprop(~ind_werk_betaald, small, method = "beta", na.rm = TRUE)), "ci")
add("beta_onderwijs_werk_low", ci[[1]])
add("beta_onderwijs_werk_high", ci[[2]])
# svyby(covmat = TRUE) fails on this calibrated design, so the same linearisation by hand:
cal <- update(cal, ya = ind_werk_participeert * (status == "asiel"), a = as.numeric(status == "asiel"),
              yb = ind_werk_participeert * (status == "gezin"), b = as.numeric(status == "gezin"))
tot <- svytotal(~ya + a + yb + b, cal)
dif <- svycontrast(tot, quote(ya / a - yb / b))
add("diff_werk_asiel_gezin", coef(dif)[[1]])
add("diff_werk_asiel_gezin_se", SE(dif)[[1]])
write.csv(do.call(rbind, res), file.path(out, "r_models.csv"), row.names = FALSE)

# --- Cronbach's alpha of the scales (r_alpha.csv); needs psych (Debian r-cran-psych) -----------
if (requireNamespace("psych", quietly = TRUE)) {
  pts <- read.csv(file.path(dir, "demo_scale_points.csv"), check.names = FALSE)
  scales <- unique(sub("[.].*$", "", names(pts)))
  alphas <- sapply(scales, function(s) {
    items <- na.omit(pts[, startsWith(names(pts), paste0(s, "."))])
    suppressWarnings(psych::alpha(items, check.keys = FALSE, warnings = FALSE)$total$raw_alpha)
  })
  write.csv(data.frame(scale = scales, alpha = num(alphas)), file.path(out, "r_alpha.csv"), row.names = FALSE)
}
tot <- svytotal(~ind_werk_betaald, cal, na.rm = TRUE)
res <- list()
add("total_werk_betaald", coef(tot)[[1]])
add("total_werk_betaald_se", SE(tot)[[1]])
write.csv(do.call(rbind, res), file.path(out, "r_totals.csv"), row.names = FALSE)
