"""Raking 1,000,000 respondents to 4 and to 5 margins (one an interaction): strings in, weights out.

Every tool starts from the same input, the respondents' categories as text as read from one CSV
file, and ends with a weight per respondent:

- this package: ``rapportage.rake(frame, margins)`` on the pandas DataFrame (``read_csv`` with
  ``dtype=object``, or the Arrow-backed ``str`` columns pandas 3 reads by default with ``--arrow``);
- ``weightipy`` (rows): the interaction column is made from the strings, then
  ``weight_dataframe`` (which makes its own categoricals);
- ``ipfn`` (cells): the cell table is made from the strings (``groupby``), raked, and the cell
  weights are mapped back to the respondents (``ngroup``), all three timed;
- R ``survey::rake`` and ``calibrate(calfun = "raking")``: on the data.frame that ``read.csv``
  (``stringsAsFactors = FALSE``) reads from the same file, timed inside R with ``system.time``
  around the factor conversion R needs (``factor``, the interaction with ``paste``),
  ``svydesign``, the raking and ``weights()``; reading the file is excluded, as it is for pandas.

The tools are timed alternately, round after round on the same inputs, and the minimum of each
is kept; in each round the Python tools take turns ``--inner`` times, then R runs once (one
``Rscript``). Convergence: a largest relative deviation of any margin category from its target
below ``TOL`` for this package and ipfn (``convergence_rate``, ``rate_tolerance = 0``);
weightipy stops when the sum of weight changes no longer falls by a fraction ``TOL``
(stricter); R ``rake`` when no cell of the joint table changes by more than ``TOL`` times the
smallest margin target in a cycle; R ``calibrate`` when every total misses by less than ``TOL``
relative (``misfit / (1 + total)``). The last column is the largest relative difference of each tool's
weights from ours (scaled to the same total). Peers not installed are left out
(``pip install weightipy ipfn``; they are not dependencies of the project).

    .venv/bin/python benchmarks/bench_raking_1m.py [--n 1000000] [--repeat 3] [--inner 3] [--arrow] [--no-r]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import rapportage as rp

TOL = 1e-8
SHARES = {  # the demo population; the sample is drawn with response-like bias
    "status": {"asiel": 0.525, "gezin": 0.475},
    "gender": {"vrouw": 0.55, "man": 0.45},
    "ageband": {"18-26": 0.26, "27-40": 0.655, "41+": 0.085},
    "route": {"B1": 0.762, "Z": 0.155, "onderwijs": 0.083},
    "ks": {"ja": 0.178, "nee": 0.822},
}
CASES = ("4 margins", "5 margins (one interaction)")


def make_data(n: int, rng: np.random.Generator) -> pd.DataFrame:
    bias = {"status": [0.35, 0.65], "gender": [0.6, 0.4], "ageband": [0.18, 0.7, 0.12], "route": [0.82, 0.1, 0.08], "ks": [0.2, 0.8]}
    return pd.DataFrame({v: np.array(list(SHARES[v]), dtype=object)[rng.choice(len(p), n, p=p)] for v, p in bias.items()})


def margins_for(n: int, case: str) -> dict[str, dict[str, float]]:
    total = float(n) * 3.4
    m = {v: {c: s * total for c, s in SHARES[v].items()} for v in ("status", "gender", "ageband", "route")}
    if case == CASES[1]:
        joint = {f"{s}*{r}": SHARES["status"][s] * SHARES["route"][r] * total for s in SHARES["status"] for r in SHARES["route"]}
        m = {"status*route": joint, "gender": m["gender"], "ageband": m["ageband"],
             "ks": {c: s * total for c, s in SHARES["ks"].items()}, "route": m["route"]}  # route also alone: 5 margins
    return m


def dims_of(margins: dict) -> list[str]:
    return list(dict.fromkeys(p for m in margins for p in m.split("*")))


def run_ours(frame: pd.DataFrame, margins: dict) -> np.ndarray:
    return rp.rake(frame, margins, tolerance=TOL, max_iterations=10000).weights


def run_weightipy(frame: pd.DataFrame, margins: dict) -> np.ndarray:
    import weightipy

    frame = frame[dims_of(margins)].copy()
    for name in margins:
        if "*" in name:
            a, b = name.split("*")
            frame[name] = frame[a] + "*" + frame[b]
    scheme = weightipy.scheme_from_dict(
        {v: {c: 100 * t / sum(tg.values()) for c, t in tg.items()} for v, tg in margins.items()},
        rim_params={"convcrit": TOL, "max_iterations": 10000})
    return weightipy.weight_dataframe(frame[list(margins)], scheme)["weights"].to_numpy()


def run_ipfn_cells(frame: pd.DataFrame, margins: dict) -> np.ndarray:
    from ipfn import ipfn

    dims = dims_of(margins)
    grouped = frame.groupby(dims, sort=True, observed=True)
    cell_of_row = grouped.ngroup().to_numpy()
    cells = grouped.size().rename("total").astype(float).reset_index()
    for name in margins:
        if "*" in name:
            a, b = name.split("*")
            cells[name] = cells[a] + "*" + cells[b]
    aggregates = [pd.Series(targets).rename_axis(name).rename("total") for name, targets in margins.items()]
    fitted = ipfn.ipfn(cells.copy(), aggregates, [[name] for name in margins], weight_col="total",
                       convergence_rate=TOL, rate_tolerance=0.0, max_iteration=10000).iteration()
    fitted = fitted.set_index(dims)["total"].reindex(pd.MultiIndex.from_frame(cells[dims])).to_numpy()
    return (fitted / cells["total"].to_numpy())[cell_of_row]


R_CODE = r"""
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d0 <- read.csv(args[1], stringsAsFactors = FALSE)
m <- read.csv(args[2], stringsAsFactors = FALSE)
tol <- as.numeric(args[4])
vars <- unique(m$margin)
dims <- unique(unlist(strsplit(vars, "[*]")))
rname <- function(v) gsub("[*]", "_x_", v)
prepare <- function(d) {  # the factors R needs, from the strings
  for (v in dims) d[[v]] <- factor(d[[v]])
  for (v in vars[grepl("[*]", vars)]) { p <- strsplit(v, "[*]")[[1]]; d[[rname(v)]] <- factor(paste(d[[p[1]]], d[[p[2]]], sep = "*")) }
  d$one <- 1
  d
}
t1 <- system.time({
  d <- prepare(d0)
  des <- svydesign(ids = ~1, weights = ~one, data = d)
  pop.margins <- lapply(vars, function(v) { x <- m[m$margin == v, ]; df <- data.frame(x$category, x$target); names(df) <- c(rname(v), "Freq"); df })
  sample.margins <- lapply(vars, function(v) as.formula(paste0("~", rname(v))))
  # rake's epsilon below 1 is a fraction of the sum of the design weights (here n): the absolute
  # change of any cell in a cycle must stay below tol times the smallest margin target
  r <- rake(des, sample.margins, pop.margins, control = list(maxit = 1000, epsilon = tol * min(m$target) / nrow(d)))
  w1 <- weights(r)
})[["elapsed"]]
t2 <- system.time({
  d <- prepare(d0)
  des <- svydesign(ids = ~1, weights = ~one, data = d)
  f <- as.formula(paste("~", paste(rname(vars), collapse = " + ")))
  tot <- c(`(Intercept)` = sum(m$target[m$margin == vars[1]]))
  for (v in vars) { lv <- levels(d[[rname(v)]])[-1]; x <- m[m$margin == v, ]; tot[paste0(rname(v), lv)] <- x$target[match(lv, x$category)] }
  cc <- calibrate(des, f, population = tot, calfun = "raking", epsilon = tol, maxit = 1000)
  w2 <- weights(cc)
})[["elapsed"]]
if (nchar(args[3]) > 0) write.csv(data.frame(rake = w1, calibrate = w2), args[3], row.names = FALSE)
cat(t1, t2, "\n")
"""


def run_r(tmp: Path, margins: dict, out: str) -> tuple[float, float]:
    pd.DataFrame([(m, c, t) for m, tg in margins.items() for c, t in tg.items()],
                 columns=["margin", "category", "target"]).to_csv(tmp / "m.csv", index=False)
    done = subprocess.run(["Rscript", str(tmp / "run.R"), str(tmp / "d.csv"), str(tmp / "m.csv"), out, repr(TOL)],
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "Rscript failed")
    t1, t2 = (float(x) for x in done.stdout.split())
    return t1, t2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; R runs once per round")
    parser.add_argument("--inner", type=int, default=3, help="runs of each Python tool per round, alternating")
    parser.add_argument("--arrow", action="store_true", help="read the CSV into pandas 3's Arrow-backed str columns")
    parser.add_argument("--no-r", action="store_true")
    args = parser.parse_args()
    python_tools = {"rapportage.rake": run_ours}
    for name, module, fn in (("weightipy (rows)", "weightipy", run_weightipy), ("ipfn (cells)", "ipfn", run_ipfn_cells)):
        try:
            __import__(module)
            python_tools[name] = fn
        except ImportError:
            print(f"{module} is not installed: left out")
    use_r = not args.no_r and shutil.which("Rscript") is not None

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        make_data(args.n, np.random.default_rng(20251125)).to_csv(tmp / "d.csv", index=False)
        frame = pd.read_csv(tmp / "d.csv") if args.arrow else pd.read_csv(tmp / "d.csv", dtype=object)
        (tmp / "run.R").write_text(R_CODE)
        print(f"{args.n:,} respondents, strings in ({frame.dtypes.iloc[0]} columns), weights out; "
              f"tolerance {TOL:g}; minimum of {args.repeat} alternating rounds ({args.inner} runs of each Python tool per round)\n")
        for case in CASES:
            margins = margins_for(args.n, case)
            best: dict[str, float] = {}
            weights: dict[str, np.ndarray] = {}
            for round_ in range(args.repeat):
                for _ in range(args.inner):
                    for name, fn in python_tools.items():
                        start = time.perf_counter()
                        w = fn(frame, margins)
                        best[name] = min(best.get(name, np.inf), time.perf_counter() - start)
                        weights.setdefault(name, w)
                if use_r:
                    out = str(tmp / "w.csv") if round_ == 0 else ""
                    t1, t2 = run_r(tmp, margins, out)
                    best["R survey::rake"] = min(best.get("R survey::rake", np.inf), t1)
                    best['R calibrate(calfun="raking")'] = min(best.get('R calibrate(calfun="raking")', np.inf), t2)
                    if out:
                        r = pd.read_csv(out)
                        weights["R survey::rake"] = r["rake"].to_numpy()
                        weights['R calibrate(calfun="raking")'] = r["calibrate"].to_numpy()
            ours = weights["rapportage.rake"]
            fastest_peer = min((t, name) for name, t in best.items() if name != "rapportage.rake" and not name.startswith("R "))
            print(f"## {case}")
            print(f"{'method':30s} {'seconds':>8s} {'ratio to ours':>14s} {'max rel. diff':>14s}")
            for name, t in best.items():
                w = np.asarray(weights[name], float)
                w = w * ours.sum() / w.sum()
                print(f"{name:30s} {t:8.3f} {t / best['rapportage.rake']:14.1f} {np.max(np.abs(w - ours) / ours):14.2e}")
            print(f"fastest Python peer: {fastest_peer[1]} ({fastest_peer[0] / best['rapportage.rake']:.1f}x ours)\n")


if __name__ == "__main__":
    main()
