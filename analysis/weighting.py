"""Weighting for non-representative response: raking to registry margins, and its diagnostics.

Methods produce weights; diagnostics (:func:`diagnostics`) describe them, kept apart as in
``balance``. Every failure a peer library passes over silently is an error here: a target
category without respondents, a respondent category without a target, a missing value in a
weighting variable, and non-convergence (judged on the achieved margins, not the step size).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import PipelineError


@dataclass(frozen=True)
class RakeResult:
    weights: np.ndarray
    iterations: int
    max_deviation: float
    """Largest relative deviation |achieved - target| / target over all margin categories."""


def _check_margins(data: pd.DataFrame, margins: dict[str, dict[str, float]]) -> None:
    for var, targets in margins.items():
        if var not in data.columns:
            raise PipelineError(f"weighting variable {var!r} is not in the respondents table.")
        n_missing = int(data[var].isna().sum())
        if n_missing:
            raise PipelineError(
                f"weighting variable {var!r} is missing for {n_missing} respondent(s); "
                "fix the frame link or drop the variable from weighting.margins in population.yaml."
            )
        present = set(data[var].astype(str))
        for cat, target in targets.items():
            if target > 0 and cat not in present:
                raise PipelineError(
                    f"margin {var!r} category {cat!r} has a population count of {target:g} but no respondents; "
                    "collapse it with a neighbouring category in population.yaml."
                )
        extra = present - set(targets)
        if extra:
            raise PipelineError(
                f"margin {var!r}: respondents have categories {sorted(extra)} without a population count in population.yaml."
            )


def rake(
    data: pd.DataFrame,
    margins: dict[str, dict[str, float]],
    *,
    base_weights: np.ndarray | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> RakeResult:
    """Raking (iterative proportional fitting) of weights to population margins.

    Starting from ``base_weights`` (default 1), each cycle multiplies the weights of every
    category of every margin in turn by ``target / current weighted total``. Iteration stops
    when the largest relative deviation of any achieved margin from its target is below
    ``tolerance``.

    Parameters
    ----------
    data : DataFrame with one column per margin variable.
    margins : {variable: {category: population count}}; every margin sums to the same total.
    base_weights : design weights before calibration.
    tolerance : largest allowed relative deviation |achieved - target| / target.
    max_iterations : cycles over all margins before giving up (an error).

    Returns
    -------
    RakeResult with the weights, the number of cycles and the achieved max deviation.

    Notes
    -----
    The converged raking weights are the calibration weights with the raking distance
    (Deville & Särndal 1992, case 2): the same as R ``survey::calibrate(design, ~a + b + …,
    population, calfun = "raking")`` and ``survey::rake``; tested against R survey 4.1 on the
    demo wave to 1e-6 relative.

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
    table when the expected marginal totals are known. Annals of Mathematical Statistics 11(4).
    Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling. JASA 87.

    Examples
    --------
    >>> df = pd.DataFrame({"a": ["x", "x", "y"], "b": ["u", "v", "v"]})
    >>> r = rake(df, {"a": {"x": 6, "y": 4}, "b": {"u": 5, "v": 5}})
    >>> r.weights.round(6).tolist()
    [5.0, 1.0, 4.0]
    """
    _check_margins(data, margins)
    n = len(data)
    w = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=float).copy()
    codes = {}
    for var, targets in margins.items():
        cats = list(targets)
        idx = pd.Categorical(data[var].astype(str), categories=cats).codes
        codes[var] = (idx, np.array([targets[c] for c in cats], dtype=float))

    def deviation() -> float:
        worst = 0.0
        for idx, target in codes.values():
            achieved = np.bincount(idx, weights=w, minlength=target.size)
            ok = target > 0
            worst = max(worst, float(np.max(np.abs(achieved[ok] - target[ok]) / target[ok])))
        return worst

    for iteration in range(1, max_iterations + 1):
        for idx, target in codes.values():
            achieved = np.bincount(idx, weights=w, minlength=target.size)
            factor = np.divide(target, achieved, out=np.zeros_like(target), where=achieved > 0)
            w *= factor[idx]
        dev = deviation()
        if dev < tolerance:
            return RakeResult(weights=w, iterations=iteration, max_deviation=dev)
    raise PipelineError(
        f"raking did not reach tolerance {tolerance:g} in {max_iterations} iterations "
        f"(largest margin deviation {dev:.3g}); raise weighting.max_iterations or collapse sparse categories."
    )


def kish_deff(weights: np.ndarray) -> float:
    """Design effect due to weighting (Kish 1965): n * sum(w^2) / (sum w)^2 = 1 + CV^2(w)."""
    w = np.asarray(weights, dtype=float)
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


def diagnostics(
    data: pd.DataFrame, weights: np.ndarray, margins: dict[str, dict[str, float]]
) -> dict:
    """Weight distribution, Kish design effect, effective n and margins achieved vs targets."""
    w = np.asarray(weights, dtype=float)
    deff = kish_deff(w)
    q = np.quantile(w, [0.0, 0.05, 0.5, 0.95, 1.0])
    rows = []
    for var, targets in margins.items():
        total = sum(targets.values())
        for cat, target in targets.items():
            mask = (data[var].astype(str) == cat).to_numpy()
            rows.append(
                {
                    "variable": var,
                    "category": cat,
                    "n": int(mask.sum()),
                    "sample_share": float(mask.mean()),
                    "weighted_share": float(w[mask].sum() / w.sum()),
                    "population_share": float(target / total),
                    "target": float(target),
                    "achieved": float(w[mask].sum()),
                }
            )
    return {
        "n": int(w.size),
        "sum_of_weights": float(w.sum()),
        "weights": {"min": q[0], "p05": q[1], "median": q[2], "p95": q[3], "max": q[4],
                    "mean": float(w.mean()), "cv": float(w.std() / w.mean())},
        "deff_kish": deff,
        "n_effective": float(w.size / deff),
        "margins": rows,
    }
