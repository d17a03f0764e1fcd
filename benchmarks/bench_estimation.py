"""Every indicator overall and by every group with linearisation SEs: 20 indicators x 8 grouping
variables on 100,000 synthetic respondents, this package vs R ``survey``, like for like.

Both sides start from the same CSV file (pandas ``read_csv``; R ``read.csv`` with
``stringsAsFactors = FALSE``, reading excluded on both sides) and do the same work, twice:

- calibrated: the design is raked to 4 margins and every estimate has calibration-aware SEs
  (``Design(frame).rake(margins)`` then ``.mean(y)`` and ``.mean(y, by=g)``; R: ``factor`` on the
  grouping columns, ``svydesign(ids = ~1, weights = ~one)``, ``calibrate(calfun = "raking",
  epsilon = 1e-10)``, then ``svymean`` and ``svyby(svymean)`` on the calibrated design);
- fixed weights: the same weights (ours, written to the file as column ``w``) taken as given,
  no calibration (``Design(frame, weights="w")``; R ``svydesign(ids = ~1, weights = ~w)``).

No finite population correction on either side; one BLAS thread for this package, as the
pipeline's stages run it (``threadpoolctl``; R's reference BLAS has one). The tools are timed
alternately, round after round, and the minimum of each is kept; R runs as one ``Rscript`` per
round, timed inside R with ``system.time``. The last column is the largest relative difference of R's estimates and
standard errors from ours over all cells.

    .venv/bin/python benchmarks/bench_estimation.py [--n 100000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

import rapportage as rp

GROUPS = {"status": 2, "gender": 2, "ageband": 3, "route": 3, "ks": 2, "language": 7, "mode": 2, "region": 4}
MARGINS = ["status", "gender", "ageband", "route"]
INDICATORS = [f"ind{i}" for i in range(20)]


def make(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    codes = {g: rng.integers(0, k, n) for g, k in GROUPS.items()}
    data = pd.DataFrame({g: np.array([f"{g}{i}" for i in range(GROUPS[g])], dtype=object)[c] for g, c in codes.items()})
    for name in INDICATORS:
        p = 1 / (1 + np.exp(-(rng.normal() + 0.5 * codes["status"] - 0.3 * codes["route"])))
        y = (rng.random(n) < p).astype(float)
        y[rng.random(n) < 0.03] = np.nan
        data[name] = y
    total = 3.0 * n
    margins = {m: {f"{m}{i}": total * s for i, s in enumerate(rng.dirichlet(np.full(GROUPS[m], 5.0)))} for m in MARGINS}
    return data, margins


def estimate_all(design: rp.Design) -> list[tuple[str, str, str, float, float]]:
    rows = []
    for y in INDICATORS:
        e = design.mean(y)
        rows.append((y, "", "", e.estimate, e.se))
        for g in GROUPS:
            rows += [(y, g, str(c), e.estimate, e.se) for c, e in design.mean(y, by=g).items()]
    return rows


def ours_calibrated(frame: pd.DataFrame, margins: dict) -> list:
    return estimate_all(rp.Design(frame).rake(margins, tolerance=1e-10))


def ours_fixed(frame: pd.DataFrame, margins: dict) -> list:
    return estimate_all(rp.Design(frame, weights="w"))


R_CODE = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d0 <- read.csv(args[1], stringsAsFactors = FALSE)
m <- read.csv(args[2], stringsAsFactors = FALSE)
groups <- strsplit(args[3], ",")[[1]]
margins <- unique(m$margin)
inds <- grep("^ind", names(d0), value = TRUE)
estimate_all <- function(des) {
  out <- list()
  for (v in inds) {
    f <- as.formula(paste0("~", v))
    e <- svymean(f, des, na.rm = TRUE)
    out[[length(out) + 1]] <- data.frame(y = v, group = "", category = "", estimate = as.numeric(coef(e)), se = as.numeric(SE(e)))
    for (g in groups) {
      b <- svyby(f, as.formula(paste0("~", g)), des, svymean, na.rm = TRUE)
      out[[length(out) + 1]] <- data.frame(y = v, group = g, category = as.character(b[[g]]), estimate = as.numeric(coef(b)), se = as.numeric(SE(b)))
    }
  }
  out
}
prepare <- function(d) { for (g in groups) d[[g]] <- factor(d[[g]]); d }
t_cal <- system.time({
  d <- prepare(d0)
  d$one <- 1
  des <- svydesign(ids = ~1, weights = ~one, data = d)
  pop <- c(`(Intercept)` = sum(m$target[m$margin == margins[1]]))
  for (v in margins) { lv <- levels(d[[v]])[-1]; x <- m[m$margin == v, ]; pop[paste0(v, lv)] <- x$target[match(lv, x$category)] }
  cal <- calibrate(des, as.formula(paste("~", paste(margins, collapse = " + "))), population = pop,
                   calfun = "raking", epsilon = 1e-10, maxit = 1000)
  r_cal <- estimate_all(cal)
})[["elapsed"]]
t_fix <- system.time({
  d <- prepare(d0)
  des <- svydesign(ids = ~1, weights = ~w, data = d)
  r_fix <- estimate_all(des)
})[["elapsed"]]
if (nchar(args[4]) > 0) {
  write.csv(do.call(rbind, r_cal), paste0(args[4], "_cal.csv"), row.names = FALSE)
  write.csv(do.call(rbind, r_fix), paste0(args[4], "_fix.csv"), row.names = FALSE)
}
cat(t_cal, t_fix, "\n")
"""


def max_rel_diff(ours: list, r_csv: str) -> float:
    cols = ["y", "group", "category", "estimate", "se"]
    a = pd.DataFrame(ours, columns=cols).set_index(cols[:3])
    b = pd.read_csv(r_csv, keep_default_na=False, dtype={"group": str, "category": str}).set_index(cols[:3])
    b = b.reindex(a.index)
    if b.isna().any().any():
        return float("nan")
    return float(np.max(np.abs(b[["estimate", "se"]].to_numpy(float) - a[["estimate", "se"]].to_numpy()) /
                        np.abs(a[["estimate", "se"]].to_numpy())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data, margins = make(args.n, np.random.default_rng(1))
    data["w"] = rp.rake(data, margins, tolerance=1e-10).weights
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        data.to_csv(tmp / "d.csv", index=False)
        pd.DataFrame([(m, c, t) for m, tg in margins.items() for c, t in tg.items()],
                     columns=["margin", "category", "target"]).to_csv(tmp / "m.csv", index=False)
        (tmp / "run.R").write_text(R_CODE)
        frame = pd.read_csv(tmp / "d.csv")
        best = {"ours calibrated": np.inf, "ours fixed": np.inf, "R calibrated": np.inf, "R fixed": np.inf}
        results = {}
        for round_ in range(args.repeat):
            for name, fn in (("ours calibrated", ours_calibrated), ("ours fixed", ours_fixed)):
                with threadpool_limits(limits=1, user_api="blas"):  # as the pipeline's stages run; R's BLAS is single-threaded
                    start = time.perf_counter()
                    results[name] = fn(frame, margins)
                    best[name] = min(best[name], time.perf_counter() - start)
            out = str(tmp / "r") if round_ == 0 else ""
            done = subprocess.run(["Rscript", str(tmp / "run.R"), str(tmp / "d.csv"), str(tmp / "m.csv"),
                                   ",".join(GROUPS), out], capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"R failed: {done.stderr.strip().splitlines()[-3:]}")
            t_cal, t_fix = (float(x) for x in done.stdout.split())
            best["R calibrated"] = min(best["R calibrated"], t_cal)
            best["R fixed"] = min(best["R fixed"], t_fix)
        cells = len(results["ours calibrated"])
        print(f"{args.n:,} respondents, {len(INDICATORS)} indicators overall and by {len(GROUPS)} groups "
              f"({cells} estimates with SEs); minimum of {args.repeat} alternating rounds\n")
        print(f"{'design':36s} {'ours s':>8s} {'R s':>8s} {'R / ours':>9s} {'max rel. diff (est., SE)':>25s}")
        for label, key in (("calibrated (raked to 4 margins)", "calibrated"), ("fixed weights", "fixed")):
            diff = max_rel_diff(results[f"ours {key}"], str(tmp / f"r_{key[:3]}.csv"))
            ours, r = best[f"ours {key}"], best[f"R {key}"]
            print(f"{label:36s} {ours:8.2f} {r:8.2f} {r / ours:9.1f} {diff:25.2e}")


if __name__ == "__main__":
    main()
