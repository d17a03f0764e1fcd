"""Raking + calibration-aware standard errors: this package vs R survey, on the same data.

Both sides rake the demo respondents (tests/reference/demo_respondents.csv) to the four registry
margins and estimate the 13 indicators with linearisation SEs, ``REPEAT`` times, timed inside
their own process (R start-up excluded). Prints the time per repetition and the ratio.

    .venv/bin/python benchmarks/bench_weighting.py
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

from tests.test_reference_r import MARGINS, N  # noqa: E402

REPEAT = 20
DATA = ROOT / "tests" / "reference" / "demo_respondents.csv"

R_CODE = f"""
suppressMessages(library(survey))
d <- read.csv("{DATA}")
d$status <- factor(d$status, levels = c("asiel", "gezin")); d$gender <- factor(d$gender, levels = c("vrouw", "man"))
d$ageband <- factor(d$ageband, levels = c("18-26", "27-40", "41+")); d$route <- factor(d$route, levels = c("B1", "Z", "onderwijs"))
d$w0 <- {N} / nrow(d); d$N <- {N}
pop <- c(`(Intercept)` = 2623, statusgezin = 1246, genderman = 1180, `ageband27-40` = 1718, `ageband41+` = 223, routeZ = 407, routeonderwijs = 218)
inds <- grep("^ind_", names(d), value = TRUE)
t <- system.time(for (i in 1:{REPEAT}) {{
  des <- svydesign(ids = ~1, weights = ~w0, fpc = ~N, data = d)
  cal <- calibrate(des, ~status + gender + ageband + route, population = pop, calfun = "raking", epsilon = 1e-10)
  for (v in inds) svymean(as.formula(paste0("~", v)), cal, na.rm = TRUE)
}})[["elapsed"]]
cat(t / {REPEAT}, "\\n")
"""


def python_once(data: pd.DataFrame) -> None:
    n = len(data)
    w = rake(data, MARGINS, base_weights=np.full(n, N / n), tolerance=1e-10, max_iterations=200).weights
    design = Design(data, w, calibration=MARGINS, population_size=N)
    for column in [c for c in data.columns if c.startswith("ind_")]:
        design.mean(column)


def main() -> None:
    data = pd.read_csv(DATA)
    python_once(data)  # warm-up
    start = time.perf_counter()
    for _ in range(REPEAT):
        python_once(data)
    py = (time.perf_counter() - start) / REPEAT
    with tempfile.NamedTemporaryFile("w", suffix=".R") as script:
        script.write(R_CODE)
        script.flush()
        r = float(subprocess.run(["Rscript", script.name], capture_output=True, text=True, check=True).stdout)
    print(f"respondents: {len(data)}, indicators: 13, repetitions: {REPEAT}")
    print(f"analysis (Python): {py * 1000:8.1f} ms per run")
    print(f"R survey 4.x     : {r * 1000:8.1f} ms per run")
    print(f"ratio Python / R : {py / r:8.2f}")


if __name__ == "__main__":
    main()
