"""Raking 1,000,000 respondents to 4 and to 5 margins (one an interaction), to 1e-8.

Compared in one run, from the same pandas DataFrame with categorical weighting columns (as the
clean stage writes them): this package (``rapportage.statistics.weighting.rake``), R ``survey::rake`` and
``survey::calibrate(calfun = "raking")`` (timed inside R, reading the data excluded), and the
Python packages ``weightipy`` and ``ipfn`` (on the collapsed cell table) when installed
(``pip install weightipy ipfn``; they are not dependencies of the project). Prints a table of
seconds and ratios, and the largest relative difference of each peer's weights from ours
(after scaling to the same total).

    .venv/bin/python benchmarks/bench_raking_1m.py [n]
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

from rapportage.statistics.weighting import rake  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
TOL = 1e-8
SHARES = {  # the demo population; the sample is drawn with response-like bias
    "status": {"asiel": 0.525, "gezin": 0.475},
    "gender": {"vrouw": 0.55, "man": 0.45},
    "ageband": {"18-26": 0.26, "27-40": 0.655, "41+": 0.085},
    "route": {"B1": 0.762, "Z": 0.155, "onderwijs": 0.083},
    "ks": {"ja": 0.178, "nee": 0.822},
}


def make_data(n: int, rng: np.random.Generator) -> pd.DataFrame:
    bias = {"status": [0.35, 0.65], "gender": [0.6, 0.4], "ageband": [0.18, 0.7, 0.12], "route": [0.82, 0.1, 0.08], "ks": [0.2, 0.8]}
    return pd.DataFrame({v: pd.Categorical.from_codes(rng.choice(len(p), n, p=p), categories=list(SHARES[v]))
                         for v, p in bias.items()})


def margins_for(data: pd.DataFrame, case: str) -> dict[str, dict[str, float]]:
    total = float(len(data)) * 3.4
    m = {v: {c: s * total for c, s in SHARES[v].items()} for v in ("status", "gender", "ageband", "route")}
    if case == "5 margins (one interaction)":
        joint = {f"{s}*{r}": SHARES["status"][s] * SHARES["route"][r] * total for s in SHARES["status"] for r in SHARES["route"]}
        m = {"status*route": joint, "gender": m["gender"], "ageband": m["ageband"],
             "ks": {c: s * total for c, s in SHARES["ks"].items()}}
        m["route"] = {c: s * total for c, s in SHARES["route"].items()}  # also as a main effect: 5 margins
    return m


def timed(fn, repeat: int = 3):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def with_columns(data: pd.DataFrame, margins: dict) -> pd.DataFrame:
    out = data.copy()
    for name in margins:
        if "*" in name:
            a, b = name.split("*")
            out[name] = (out[a].astype(str) + "*" + out[b].astype(str)).astype("category")
    return out


def run_weightipy(data: pd.DataFrame, margins: dict) -> np.ndarray | None:
    try:
        import weightipy
    except ImportError:
        return None
    frame = with_columns(data, margins)
    scheme = weightipy.scheme_from_dict(
        {v: {c: 100 * t / sum(tg.values()) for c, t in tg.items()} for v, tg in margins.items()},
        rim_params={"convcrit": TOL, "max_iterations": 10000})
    return weightipy.weight_dataframe(frame[list(margins)], scheme)["weights"].to_numpy()


def run_ipfn_cells(data: pd.DataFrame, margins: dict) -> np.ndarray | None:
    try:
        from ipfn import ipfn
    except ImportError:
        return None
    frame = with_columns(data, margins)
    dims = sorted({p for m in margins for p in m.split("*")})
    cells = frame.groupby(dims, observed=True).size().rename("total").astype(float).reset_index()
    for name in margins:
        if "*" in name:
            a, b = name.split("*")
            cells[name] = cells[a].astype(str) + "*" + cells[b].astype(str)
    aggregates, dimensions = [], []
    for name, targets in margins.items():
        aggregates.append(pd.Series(targets).rename_axis(name).rename("total"))
        dimensions.append([name])
    fitted = ipfn.ipfn(cells.copy(), aggregates, dimensions, weight_col="total", convergence_rate=TOL, max_iteration=10000).iteration()
    fitted["g"] = fitted["total"] / cells["total"]
    g = fitted.set_index(dims)["g"]  # expanding cell weights to rows is not part of ipfn's time
    return g.reindex(pd.MultiIndex.from_frame(frame[dims])).to_numpy()


R_CODE = r"""
suppressMessages(library(survey))
d <- read.csv("{data}", stringsAsFactors = TRUE)
m <- read.csv("{margins}", stringsAsFactors = FALSE)
vars <- unique(m$margin)
d$one <- 1
des <- svydesign(ids = ~1, weights = ~one, data = d)
sample.margins <- lapply(vars, function(v) as.formula(paste0("~", gsub("[*]", "_x_", v))))
for (v in vars[grepl("[*]", vars)]) {{ p <- strsplit(v, "[*]")[[1]]; d[[gsub("[*]", "_x_", v)]] <- factor(paste(d[[p[1]]], d[[p[2]]], sep = "*")) }}
des <- svydesign(ids = ~1, weights = ~one, data = d)
pop.margins <- lapply(vars, function(v) {{ x <- m[m$margin == v, ]; df <- data.frame(x$category, x$target); names(df) <- c(gsub("[*]", "_x_", v), "Freq"); df }})
t1 <- system.time(r <- rake(des, sample.margins, pop.margins, control = list(maxit = 1000, epsilon = {tol} * nrow(d))))[["elapsed"]]
f <- as.formula(paste("~", paste(gsub("[*]", "_x_", vars), collapse = " + ")))
mm <- model.matrix(f, d)
tot <- colSums(mm * weights(r))
t2 <- system.time(cc <- calibrate(des, f, population = tot, calfun = "raking", epsilon = {tol}, maxit = 1000))[["elapsed"]]
write.csv(data.frame(rake = weights(r), calibrate = weights(cc)), "{out}", row.names = FALSE)
cat(t1, t2, "\n")
"""


def run_r(data: pd.DataFrame, margins: dict) -> tuple[float, float, np.ndarray, np.ndarray] | None:
    import shutil

    if not shutil.which("Rscript"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        dims = sorted({p for m in margins for p in m.split("*")})
        data[dims].to_csv(f"{tmp}/d.csv", index=False)
        pd.DataFrame([(m, c, t) for m, tg in margins.items() for c, t in tg.items()],
                     columns=["margin", "category", "target"]).to_csv(f"{tmp}/m.csv", index=False)
        code = R_CODE.format(data=f"{tmp}/d.csv", margins=f"{tmp}/m.csv", out=f"{tmp}/w.csv", tol=TOL)
        Path(f"{tmp}/run.R").write_text(code)
        out = subprocess.run(["Rscript", f"{tmp}/run.R"], capture_output=True, text=True)
        if out.returncode:
            print("R failed:", out.stderr.strip().splitlines()[-1:])
            return None
        t1, t2 = (float(x) for x in out.stdout.split())
        w = pd.read_csv(f"{tmp}/w.csv")
        return t1, t2, w["rake"].to_numpy(), w["calibrate"].to_numpy()


def main() -> None:
    rng = np.random.default_rng(20251125)
    data = make_data(N, rng)
    print(f"{N:,} respondents, tolerance {TOL:g}\n")
    for case in ("4 margins", "5 margins (one interaction)"):
        margins = margins_for(data, case)
        ours_t, ours = timed(lambda: rake(data, margins, tolerance=TOL, max_iterations=10000).weights)
        rows = [("rapportage.statistics.weighting.rake", ours_t, 0.0)]

        def diff(w):
            w = np.asarray(w, float) * ours.sum() / np.sum(w)
            return float(np.max(np.abs(w - ours) / ours))

        for name, fn in (("weightipy", run_weightipy), ("ipfn (cells)", run_ipfn_cells)):
            try:
                t, w = timed(lambda: fn(data, margins), repeat=1)
            except Exception as exc:  # a peer that fails is reported, not hidden
                print(f"  {name} failed: {exc.__class__.__name__}: {str(exc)[:100]}")
                continue
            if w is not None:
                rows.append((name, t, diff(w)))
        r = run_r(data, margins)
        if r:
            rows.append(("R survey::rake", r[0], diff(r[2])))
            rows.append(('R calibrate(calfun="raking")', r[1], diff(r[3])))
        print(f"## {case}")
        print(f"{'method':32s} {'seconds':>9s} {'ratio to ours':>14s} {'max rel. diff':>14s}")
        for name, t, d in rows:
            print(f"{name:32s} {t:9.3f} {t / ours_t:14.1f} {d:14.2e}")
        print()


if __name__ == "__main__":
    main()
