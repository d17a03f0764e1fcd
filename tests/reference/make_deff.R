# Design effects from R survey for the demo respondents (r_deff.csv: indicator, group, category, deff).
#
#   Rscript tests/reference/make_deff.R tests/reference [output-dir]
#
# deff(svymean(~y, design, na.rm = TRUE, deff = TRUE)) of the raked design of make_reference.R,
# overall and in the domains of status, ageband and route (a subset of the calibrated design, as
# svyby does): the variance over that of a simple random sample without replacement of the same
# size, whose variance R estimates with svyvar (weighted, n / (n - 1)).
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "."
out <- if (length(args) >= 2) args[2] else dir

source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(), value = TRUE))), "demo_design.R"))
rows <- list()
for (ind in c("ind_werk_betaald", "ind_taal_voldoende", "ind_gez_goed", "ind_thuis_cijfer_leven", "ind_werk_zoekend")) {
  f <- as.formula(paste0("~", ind))
  rows[[length(rows) + 1]] <- data.frame(indicator = ind, group = "totaal", category = "totaal",
                                         deff = sprintf("%.17g", deff(svymean(f, cal, na.rm = TRUE, deff = TRUE))))
  for (group in c("status", "ageband", "route")) {
    for (cat in levels(d[[group]])) {
      m <- svymean(f, cal[d[[group]] == cat, ], na.rm = TRUE, deff = TRUE)
      rows[[length(rows) + 1]] <- data.frame(indicator = ind, group = group, category = cat,
                                             deff = sprintf("%.17g", deff(m)))
    }
  }
}
write.csv(do.call(rbind, rows), file.path(out, "r_deff.csv"), row.names = FALSE)
