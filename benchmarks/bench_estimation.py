"""Every indicator by every group with linearisation SEs: 20 indicators x 8 grouping variables
on 100,000 synthetic respondents of a raked design, this package vs R ``svyby`` (+ ``svymean``)
on the same data in one run (R timed inside R, reading excluded).

    .venv/bin/python benchmarks/bench_estimation.py [n]
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

from rapportage.statistics.design import Design  # noqa: E402
from rapportage.statistics.weighting import rake  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
GROUPS = {"status": 2, "gender": 2, "ageband": 3, "route": 3, "ks": 2, "language": 7, "mode": 2, "region": 4}
MARGINS = ["status", "gender", "ageband", "route"]


def make(n: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    data = pd.DataFrame({g: pd.Categorical.from_codes(rng.integers(0, k, n), categories=[f"{g}{i}" for i in range(k)])
                         for g, k in GROUPS.items()})
    for i in range(20):
        p = 1 / (1 + np.exp(-(rng.normal() + 0.5 * data["status"].cat.codes - 0.3 * data["route"].cat.codes)))
        y = (rng.random(n) < p).astype(float)
        y[rng.random(n) < 0.03] = np.nan
        data[f"ind{i}"] = y
    total = 3.0 * n
    margins = {m: {c: total * s for c, s in zip(data[m].cat.categories, rng.dirichlet(np.full(GROUPS[m], 5.0)))} for m in MARGINS}
    return data, margins


R_CODE = r"""
suppressMessages(library(survey))
d <- read.csv("{data}", stringsAsFactors = TRUE)
m <- read.csv("{margins}", stringsAsFactors = FALSE)
d$w <- read.csv("{weights}")$w
des <- svydesign(ids = ~1, weights = ~w, data = d)
inds <- grep("^ind", names(d), value = TRUE)
groups <- c({groups})
t <- system.time(for (v in inds) {{
  f <- as.formula(paste0("~", v))
  svymean(f, des, na.rm = TRUE)
  for (g in groups) svyby(f, as.formula(paste0("~", g)), des, svymean, na.rm = TRUE)
}})[["elapsed"]]
cat(t, "\n")
"""


def main() -> None:
    rng = np.random.default_rng(1)
    data, margins = make(N, rng)
    w = rake(data, margins, tolerance=1e-10).weights
    start = time.perf_counter()
    design = Design(data, w, calibration=margins, population_size=None)
    cells = 0
    for i in range(20):
        design.mean(f"ind{i}")
        for g in GROUPS:
            cells += len(design.mean(f"ind{i}", by=g))
    ours = time.perf_counter() - start
    print(f"{N:,} respondents, 20 indicators x {len(GROUPS)} groups ({cells + 20} cells)")
    print(f"rapportage.statistics.design (calibration-aware SEs): {ours:7.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        data.to_csv(f"{tmp}/d.csv", index=False)
        pd.DataFrame({"w": w}).to_csv(f"{tmp}/w.csv", index=False)
        code = R_CODE.format(data=f"{tmp}/d.csv", margins=f"{tmp}/d.csv", weights=f"{tmp}/w.csv",
                             groups=", ".join(f'"{g}"' for g in GROUPS))
        Path(f"{tmp}/run.R").write_text(code)
        out = subprocess.run(["Rscript", f"{tmp}/run.R"], capture_output=True, text=True)
        if out.returncode == 0:
            r = float(out.stdout.split()[0])
            print(f"R svyby + svymean (fixed weights, no calibration residuals): {r:7.2f} s  (ratio {r / ours:.1f})")
        else:
            print("R failed:", out.stderr.strip().splitlines()[-1:])


if __name__ == "__main__":
    main()
