# Reference for tests/test_representativeness.py: the R-indicator, its bias adjustment and standard
# error, and the unconditional and conditional partial R-indicators of the demo frame, computed one
# row per person from R's glm and the published formulas (Shlomo, Skinner & Schouten 2012;
# Schouten, Shlomo & Skinner 2011), everyone invited (no sampling term).
#   Rscript make_representativeness.R <dir with demo_response_cells.csv> <output dir>
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) >= 1) args[1] else "."
out <- if (length(args) >= 2) args[2] else dir
cells <- read.csv(file.path(dir, "demo_response_cells.csv"), stringsAsFactors = FALSE, colClasses = "character")
cells$persons <- as.integer(cells$persons)
cells$respondents <- as.integer(cells$respondents)
vars <- c("status", "gender", "ageband", "route")

# one row per person: respondents first in each cell
rows <- cells[rep(seq_len(nrow(cells)), cells$persons), vars]
rows$y <- unlist(lapply(seq_len(nrow(cells)), function(i)
  c(rep(1, cells$respondents[i]), rep(0, cells$persons[i] - cells$respondents[i]))))
for (v in vars) rows[[v]] <- factor(rows[[v]], levels = sort(unique(rows[[v]])))

fit_parts <- function(formula, data) {
  m <- glm(formula, family = binomial, data = data, control = glm.control(epsilon = 1e-14, maxit = 100))
  rho <- fitted(m)
  x <- model.matrix(m)
  list(rho = unname(rho), z = rho * (1 - rho) * x, sigma = vcov(m))
}
tr <- function(m) sum(diag(m))

p <- fit_parts(y ~ status + gender + ageband + route, rows)
rho <- p$rho; z <- p$z; sigma <- p$sigma
N <- length(rho)
rhobar <- mean(rho)
s2 <- sum((rho - rhobar)^2) / (N - 1)
s2_ml <- sum((rho - rhobar)^2) / N
bias <- sum(rowSums((z %*% sigma) * z)) / N
factor <- if (bias > s2) 0 else 1 - bias / s2
r_var <- function(rho, z, sigma) {
  zc <- sweep(z, 2, colMeans(z))
  a <- colSums((rho - mean(rho)) * zc) / length(rho)
  b <- crossprod(zc) / length(rho)
  (4 * t(a) %*% sigma %*% a + 2 * tr(b %*% sigma %*% b %*% sigma)) / (sum((rho - mean(rho))^2) / length(rho))
}
res <- data.frame(name = c("R", "R_unadjusted", "R_se", "bias", "mean_propensity"),
                  value = c(1 - 2 * sqrt(s2 * factor), 1 - 2 * sqrt(s2), sqrt(r_var(rho, z, sigma)), bias, rhobar))

for (v in vars) {
  others <- setdiff(vars, v)
  key <- interaction(rows[others], drop = TRUE)
  rho_l <- ave(rho, key)
  z_l <- apply(z, 2, function(col) ave(col, key))
  d_rho <- rho - rho_l
  d_z <- z - z_l
  alone <- fit_parts(as.formula(paste("y ~", v)), rows)
  pu2 <- 0
  a_all <- 0; b_all <- 0; ss_all <- 0
  for (k in levels(rows[[v]])) {
    in_k <- rows[[v]] == k
    nk <- sum(in_k)
    pu <- sqrt(nk / N) * (mean(rho[in_k]) - rhobar)
    g <- sqrt(nk / N) * (colMeans(z[in_k, , drop = FALSE]) - colMeans(z))
    a <- colSums(d_rho[in_k] * d_z[in_k, , drop = FALSE])
    b <- crossprod(d_z[in_k, , drop = FALSE])
    ss <- sum(d_rho[in_k]^2)
    pc_var <- 0.25 * (4 * t(a) %*% sigma %*% a + 2 * tr(b %*% sigma %*% b %*% sigma)) / (N * ss)
    pu2 <- pu2 + pu^2
    a_all <- a_all + a; b_all <- b_all + b; ss_all <- ss_all + ss
    res <- rbind(res, data.frame(name = paste0(v, "=", k, c(":Pu", ":Pu_se", ":Pc", ":Pc_se")),
                                 value = c(pu, sqrt(t(g) %*% sigma %*% g), sqrt(ss / N), sqrt(pc_var))))
  }
  pc_var <- 0.25 * (4 * t(a_all) %*% sigma %*% a_all + 2 * tr(b_all %*% sigma %*% b_all %*% sigma)) / (N * ss_all)
  res <- rbind(res, data.frame(name = paste0(v, c(":Pu", ":Pu_se", ":Pc", ":Pc_se")),
                               value = c(sqrt(pu2 * factor), 0.5 * sqrt(r_var(alone$rho, alone$z, alone$sigma)),
                                         sqrt(ss_all / N * factor), sqrt(pc_var))))
}
write.csv(transform(res, value = sprintf("%.17g", value)), file.path(out, "r_representativeness.csv"), row.names = FALSE)
