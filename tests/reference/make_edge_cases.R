# Reference numbers from R survey for the statistical edge cases of issue #22.
#
#   Rscript tests/reference/make_edge_cases.R tests/reference [output-dir]
#
# Reads demo_respondents.csv and writes r_edge_cases.csv (name, value):
#   - beta_<ind>_<group>_<cat>_{low,high}: svyciprop(method = "beta") in every domain of the
#     UNcalibrated equal-probability design with fpc (R subsets the rows, so nrow(design) and
#     degf(design) are the domain's);
#   - binom_<ind>_<group>_<cat>_{n,low,high}: binom.test(x, n)$conf.int (Clopper-Pearson) for the
#     domains where the proportion is 0% or 100%, the interval the project gives when the
#     estimated variance is 0 (R's own svyciprop gives NaN or a zero-width interval there);
#   - trimmed_<ind>_{estimate,se}: svymean of a design whose weights are the raking weights
#     trimmed at 1.6 times their mean (trimWeights strict) and not calibrated again, built as
#     svydesign(weights = trimmed): the standard errors of the weights as given.
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "."
out <- if (length(args) >= 2) args[2] else dir

source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "demo_design.R"))

num <- function(x) sprintf("%.17g", x)
rows <- list()
add <- function(name, value) rows[[length(rows) + 1]] <<- data.frame(name = name, value = num(value))

for (ind in c("ind_werk_betaald", "ind_taal_voldoende", "ind_werk_participeert")) {
  for (group in c("route", "ageband")) {
    for (cat in levels(d[[group]])) {
      y <- d[[ind]][d[[group]] == cat & !is.na(d[[ind]])]
      tag <- paste(sub("^ind_", "", ind), group, cat, sep = "_")
      if (all(y == 0) || all(y == 1)) {
        ci <- binom.test(sum(y), length(y))$conf.int
        add(paste0("binom_", tag, "_n"), length(y))
        add(paste0("binom_", tag, "_low"), ci[[1]])
        add(paste0("binom_", tag, "_high"), ci[[2]])
      } else {
        sub_des <- des[d[[group]] == cat, ]
        f <- as.formula(paste0("~", ind))
        ci <- attr(svyciprop(f, sub_des, method = "beta", na.rm = TRUE), "ci")
        add(paste0("beta_", tag, "_low"), ci[[1]])
        add(paste0("beta_", tag, "_high"), ci[[2]])
      }
    }
  }
}

# a proportion of 0% and one of 100% over the whole sample: the exact binomial interval
n_all <- sum(!is.na(d$ind_werk_betaald))
for (x in c(0, n_all)) {
  ci <- binom.test(x, n_all)$conf.int
  add(paste0("binom_all_", x, "_low"), ci[[1]])
  add(paste0("binom_all_", x, "_high"), ci[[2]])
}
add("binom_all_n", n_all)

d$trimmed <- weights(trimWeights(cal, upper = 1.6 * mean(weights(cal)), strict = TRUE))
trimmed_des <- svydesign(ids = ~1, weights = ~trimmed, fpc = ~N, data = d)
for (ind in c("ind_werk_betaald", "ind_taal_cijfer")) {
  m <- svymean(as.formula(paste0("~", ind)), trimmed_des, na.rm = TRUE)
  add(paste0("trimmed_", sub("^ind_", "", ind), "_estimate"), coef(m)[[1]])
  add(paste0("trimmed_", sub("^ind_", "", ind), "_se"), SE(m)[[1]])
}

write.csv(do.call(rbind, rows), file.path(out, "r_edge_cases.csv"), row.names = FALSE)
