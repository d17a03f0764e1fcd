"""The fieldwork monitor on a frame of 100,000 people, and its R-indicator against R.

A frame of 100,000 invited people is drawn from the demo frame's categories (status, gender, age
band, route, Kansrijke Start), their fieldwork simulated over 31 days with the demo's response
model and a reminder on day 8; the monitor's whole status on day 14 (daily counts per category,
R-indicator with standard error, partial R-indicators, projection, recommendation) and its page
are timed. Like for like, the R-indicator with its standard error and the partial R-indicators
alone are timed against R, which fits the same logistic model with ``glm`` on one row per person
and evaluates the same formulas (``tests/reference/make_representativeness.R``'s), from the same
strings (a CSV of the frame with a response column). Minimum of ``ROUNDS`` rounds.

    .venv/bin/python benchmarks/bench_monitor.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapportage.config import load_wave  # noqa: E402
from rapportage.report.fieldwork import page  # noqa: E402
from rapportage.sources import synthetic  # noqa: E402
from rapportage.sources.fieldwork import Reminder, response_days  # noqa: E402
from rapportage.stages.monitor import Fieldwork, fieldwork_status  # noqa: E402
from rapportage.statistics import representativeness, response_cells  # noqa: E402

N = 100_000
ROUNDS = 3
VARIABLES = ["status", "gender", "ageband", "route", "kansrijke_start"]

R_CODE = """
d <- read.csv("{path}", colClasses = "character"); d$y <- as.integer(d$y)
vars <- c({vars})
t <- system.time({{
  for (v in vars) d[[v]] <- factor(d[[v]], levels = sort(unique(d[[v]])))
  m <- glm(as.formula(paste("y ~", paste(vars, collapse = " + "))), binomial, d, control = glm.control(epsilon = 1e-12))
  rho <- fitted(m); z <- rho * (1 - rho) * model.matrix(m); s <- vcov(m); n <- length(rho)
  s2 <- sum((rho - mean(rho))^2) / (n - 1); bias <- sum(rowSums((z %*% s) * z)) / n
  zc <- sweep(z, 2, colMeans(z)); a <- colSums((rho - mean(rho)) * zc) / n; b <- crossprod(zc) / n
  se <- sqrt((4 * t(a) %*% s %*% a + 2 * sum(diag(b %*% s %*% b %*% s))) / (sum((rho - mean(rho))^2) / n))
  r <- 1 - 2 * sqrt(s2 * (1 - bias / s2))
  for (v in vars) {{
    others <- setdiff(vars, v); key <- interaction(d[others], drop = TRUE)
    rho_l <- ave(rho, key); z_l <- apply(z, 2, function(col) ave(col, key))
    for (k in levels(d[[v]])) {{ ink <- d[[v]] == k
      pu <- sqrt(sum(ink) / n) * (mean(rho[ink]) - mean(rho)); g <- sqrt(sum(ink) / n) * (colMeans(z[ink, , drop = FALSE]) - colMeans(z))
      pu_se <- sqrt(t(g) %*% s %*% g); pc <- sqrt(sum((rho[ink] - rho_l[ink])^2) / n)
      dz <- z[ink, , drop = FALSE] - z_l[ink, , drop = FALSE]; aa <- colSums((rho[ink] - rho_l[ink]) * dz); bb <- crossprod(dz)
      pc_se <- sqrt(0.25 * (4 * t(aa) %*% s %*% aa + 2 * sum(diag(bb %*% s %*% bb %*% s))) / (n * sum((rho[ink] - rho_l[ink])^2))) }}
  }}
}})
cat(t[["elapsed"]], r, se, "\\n")
"""


def main() -> None:
    wave = load_wave(ROOT, "demo-2025")
    rng = np.random.default_rng(1)
    demo = synthetic.make_frame(wave, np.random.default_rng(wave.config.synthetic.seed))
    people = demo.iloc[rng.integers(0, len(demo), N)].reset_index(drop=True)
    people["token"] = [f"t{i:06d}" for i in range(N)]
    days = response_days(people, synthetic.response_propensity(wave, people), 31, [Reminder(7.0)], rng)
    opened = pd.Timestamp("2025-10-01 08:00")
    answered = ~np.isnan(days)
    responses = pd.DataFrame({"key": people.token[answered].to_numpy(),
                              "started": opened + pd.to_timedelta(days[answered] - 0.01, unit="D"),
                              "submitted": opened + pd.to_timedelta(days[answered], unit="D")})
    frame = people.rename(columns={"token": "key"})[["key", *VARIABLES]]
    fw = Fieldwork(frame, responses, wave.config.fieldwork.start, wave.config.fieldwork.end, pd.Timestamp("2025-10-14").date(),
                   VARIABLES)
    print(f"{N:,} invited, {answered.sum():,} respond by day 31; status on day 14")

    best_status = best_page = best_r = np.inf
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        status = fieldwork_status(wave, fw, 0.5)
        t1 = time.perf_counter()
        page(wave, status, effect=0.5, reminders=[(8, "iedereen")], synthetic=True)
        t2 = time.perf_counter()
        on_day = responses[responses.submitted < pd.Timestamp("2025-10-15")]
        rep = representativeness(response_cells(frame, frame[frame.key.isin(on_day.key)], VARIABLES), VARIABLES)
        t3 = time.perf_counter()
        best_status, best_page, best_r = min(best_status, t1 - t0), min(best_page, t2 - t1), min(best_r, t3 - t2)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frame.csv"
        frame.assign(y=frame.key.isin(on_day.key).astype(int)).drop(columns="key").to_csv(path, index=False)
        code = R_CODE.format(path=path, vars=", ".join(f'"{v}"' for v in VARIABLES))
        r_times = []
        for _ in range(ROUNDS):
            out = subprocess.run(["Rscript", "-e", code], capture_output=True, text=True, check=True).stdout.split()
            r_times.append(float(out[0]))
        r_value, r_se = float(out[1]), float(out[2])
    print(f"monitor status (everything on the page)  {best_status:7.3f} s")
    print(f"page with its figures                    {best_page:7.3f} s")
    print(f"R-indicator, SE and partials: ours       {best_r:7.3f} s   R {rep.r:.6f} se {rep.se:.6f}")
    print(f"                              R glm      {min(r_times):7.3f} s   R {r_value:.6f} se {r_se:.6f}")
    print(f"ratio R / ours: {min(r_times) / best_r:.0f}x")


if __name__ == "__main__":
    main()
