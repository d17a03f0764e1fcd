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


class WeightingError(ValueError):
    """Weights cannot be made from these data and margins (the message says why, in terms of the
    data; the pipeline's weight stage adds which configuration file to change). A ``ValueError``.

    Examples
    --------
    >>> rake(pd.DataFrame({"a": ["x", "y"]}), {"a": {"x": 5, "y": 4, "z": 1}})
    Traceback (most recent call last):
    rapportage.statistics.weighting.WeightingError: margin 'a' category 'z' has a population count of 1 but no respondents; ...
    """


@dataclass(frozen=True)
class RakeResult:
    """Weights made by :func:`rake` or :func:`calibrate`.

    Attributes
    ----------
    weights : ndarray
        One weight per row of the data, in its order.
    iterations : int
        Raking cycles, or Newton steps, used.
    max_deviation : float
        Largest relative deviation |achieved - target| / target over the margin categories
        with a target above 0.
    """

    weights: np.ndarray
    iterations: int
    max_deviation: float
    """Largest relative deviation |achieved - target| / target over all margin categories."""


def margin_values(data: pd.DataFrame, var: str) -> pd.Series:
    """The respondents' category of a margin; ``a*b`` is the interaction of columns a and b
    (categories written ``x*y``, e.g. ``status*route: {asiel*B1: 914, …}``)."""
    parts = var.split("*")
    for part in parts:
        if part not in data.columns:
            raise WeightingError(f"weighting variable {part!r} is not a column of the data")
    if len(parts) == 1:
        return data[var].astype("string")
    values = data[parts[0]].astype("string")
    for part in parts[1:]:
        values = values + "*" + data[part].astype("string")
    return values


@dataclass(frozen=True)
class _Cells:
    """Respondents collapsed to the cells of the cross-classification of the weighting
    variables: every calibration here gives the same g-weight to the respondents of one cell,
    so the work is done on a few dozen cells. Collapsing is one mixed-radix index and one
    ``bincount`` over the rows; expanding back is one gather."""

    flat: np.ndarray  # every respondent's cell, as an index into the full cross-classification
    used: np.ndarray  # the cells that hold respondents
    codes: dict[str, np.ndarray]  # per margin: the category (position in its targets) of each used cell
    base: np.ndarray  # sum of base weights per used cell

    def expand(self, g: np.ndarray) -> np.ndarray:
        full = np.zeros(int(self.flat.max()) + 1 if self.flat.size else 0)
        full[self.used] = g
        return full[self.flat]


def _column_codes(data: pd.DataFrame, column: str) -> tuple[np.ndarray, list[str]]:
    """Every respondent's category of ``column`` as an integer code (-1: missing), and the
    categories as text: a categorical column's own categories, otherwise the values as text,
    sorted. One hash pass over the rows (``factorize``); only the few distinct values are turned
    into text, so strings, integer codes (1 and "1" alike) and any other values cost the same."""
    if column not in data.columns:
        raise WeightingError(f"weighting variable {column!r} is not a column of the data")
    values = data[column]
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), [str(c) for c in values.cat.categories]
    codes, uniques = pd.factorize(values)
    if values.dtype == object and not all(isinstance(u, str) for u in uniques):
        # mixed values (1 and 1.0, True and 1): factorize would merge them before they are text;
        # turn each into text first, as margin_values does, so both name the same categories
        codes, uniques = pd.factorize(values.astype("string"))
    merged, names = pd.factorize(pd.Index(uniques).astype("string"), sort=True)  # values equal as text are one category
    return np.append(merged, -1)[codes], [str(c) for c in names]


def _prepare(data: pd.DataFrame, margins: dict[str, dict[str, float]], base_weights: np.ndarray | None):
    """Validate margins against the data and collapse the respondents to cells."""
    base = np.ones(len(data)) if base_weights is None else np.asarray(base_weights, dtype=float)
    if base.shape != (len(data),) or not np.all(base > 0):
        raise WeightingError("base weights must be positive, one per respondent")
    margins = {str(m): {str(c): t for c, t in cats.items()} for m, cats in margins.items()}  # 1 and "1" alike
    _check_margins(margins)
    columns = list(dict.fromkeys(part for var in margins for part in var.split("*")))
    raw = {c: _column_codes(data, c) for c in columns}
    absent = {c: raw[c][0] < 0 for c in columns}  # one pass over each column, not one per margin using it
    absent = {c: rows for c, rows in absent.items() if rows.any()}
    for var in margins:
        parts = [absent[part] for part in var.split("*") if part in absent]
        if parts:
            missing = np.logical_or.reduce(parts)
            raise WeightingError(
                f"weighting variable {var!r} is missing for {int(missing.sum())} respondent(s); give every "
                "respondent a category, or weight without this variable"
            )
    sizes = [len(raw[c][1]) for c in columns]
    flat = np.zeros(len(data), dtype=np.int64)
    for c, size in zip(columns, sizes):
        flat *= size
        flat += raw[c][0]
    counts = np.bincount(flat, minlength=int(np.prod(sizes)))
    used = np.flatnonzero(counts)
    cell_parts = dict(zip(columns, np.unravel_index(used, tuple(sizes))))
    codes, targets = {}, {}
    for var, wanted in margins.items():
        labels = [""] * used.size
        for part in var.split("*"):
            names = raw[part][1]
            labels = [f"{a}*{names[k]}" if a else names[k] for a, k in zip(labels, cell_parts[part])]
        present = set(labels)
        for cat, target in wanted.items():
            if target == 0 and cat in present:
                count = int(np.sum(counts[used][np.array(labels) == cat]))
                raise WeightingError(
                    f"margin {var!r} category {cat!r} has a population count of 0 but {count} respondent(s); "
                    "correct the count, or merge the category with a neighbouring one"
                )
            if target > 0 and cat not in present:
                raise WeightingError(
                    f"margin {var!r} category {cat!r} has a population count of {target:g} but no respondents; "
                    "merge it with a neighbouring category"
                )
        extra = present - set(wanted)
        if extra:
            raise WeightingError(
                f"margin {var!r}: respondents have categories {sorted(extra)} that have no population count"
            )
        position = {cat: i for i, cat in enumerate(wanted)}
        codes[var] = np.array([position[label] for label in labels], dtype=np.int64)
        targets[var] = np.array(list(wanted.values()), dtype=float)
    cell_base = np.bincount(flat, weights=base, minlength=counts.size)[used]
    return _Cells(flat, used, codes, cell_base), targets, base


def _check_margins(margins: dict[str, dict[str, float]]) -> None:
    """Every count is a finite number >= 0, and every margin counts the same population: margins
    with different totals cannot all be met, whatever the number of iterations."""
    if not margins:
        raise WeightingError("no margins to weight to; give at least one")
    totals = {}
    for var, wanted in margins.items():
        for cat, target in wanted.items():
            if not np.isfinite(target) or target < 0:
                raise WeightingError(f"margin {var!r} category {cat!r} has population count {target:g}; "
                                     "a count is a number of people, 0 or more")
        totals[var] = float(sum(wanted.values()))
    first = next(iter(totals))
    if totals[first] <= 0:
        raise WeightingError(f"margin {first!r} counts no one (its counts sum to 0)")
    differ = {var: total for var, total in totals.items() if abs(total - totals[first]) > 1e-9 * totals[first]}
    if differ:
        listed = ", ".join(f"{var!r} to {total:g}" for var, total in {first: totals[first], **differ}.items())
        raise WeightingError(f"the margins do not count the same population: their counts sum {listed}; "
                             "correct the counts so that every margin adds up to the same total")


def _worst_margin(cells: _Cells, w_cell: np.ndarray, targets: dict[str, np.ndarray],
                  margins: dict[str, dict[str, float]]) -> tuple[str, str]:
    """The margin and category whose achieved total is farthest (relatively) from its target."""
    worst, found = -1.0, ("?", "?")
    for var, target in targets.items():
        achieved = np.bincount(cells.codes[var], weights=w_cell, minlength=target.size)
        for k in np.flatnonzero(target > 0):
            gap = abs(achieved[k] - target[k]) / target[k]
            if gap > worst:
                worst, found = gap, (var, list(margins[var])[k])
    return found


def _max_deviation(cells: _Cells, w_cell: np.ndarray, targets: dict[str, np.ndarray]) -> float:
    worst = 0.0
    for var, target in targets.items():
        achieved = np.bincount(cells.codes[var], weights=w_cell, minlength=target.size)
        ok = target > 0
        worst = max(worst, float(np.max(np.abs(achieved[ok] - target[ok]) / target[ok])))
    return worst


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
    data : DataFrame
        One column per margin variable (``a*b`` margins: columns a and b); values are
        compared as text.
    margins : {variable: {category: population count}}
        Every margin sums to the same total.
    base_weights : array, optional
        Design weights before calibration, all positive (default 1).
    tolerance : float
        Largest allowed relative deviation |achieved - target| / target.
    max_iterations : int
        Cycles over all margins before giving up (an error).

    Returns
    -------
    RakeResult
        The weights, the number of cycles and the achieved max deviation.

    Raises
    ------
    WeightingError
        No margins, margins with different totals, a negative or non-finite count, a
        category with a count but no respondents (or respondents but a count of 0), a
        respondent category without a count, a missing value in a margin variable, a margin
        variable that is not a column, base weights that are not positive, or no convergence
        within ``max_iterations``.

    Notes
    -----
    The converged raking weights are the calibration weights with the raking distance,
    w_i = d_i exp(x_i' lambda) with sum_i w_i x_i = t_x (Deville & Särndal 1992, case 2): the
    same as R ``survey::calibrate(design, ~a + b + …, population, calfun = "raking")`` and
    ``survey::rake``; they agree with R survey 4.1.1 to 1e-10 relative (the tolerance) in the
    example, and to 1e-6 on the demo wave. The iteration runs on the cells of the
    cross-classification of the margins (one ``bincount`` to collapse, one gather to expand),
    so its cost hardly depends on the number of respondents.

    References
    ----------
    Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled frequency
    table when the expected marginal totals are known. Annals of Mathematical Statistics 11(4),
    427–444.
    Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling. Journal
    of the American Statistical Association 87(418), 376–382.

    Examples
    --------
    >>> df = pd.DataFrame({"a": ["x", "x", "y"], "b": ["u", "v", "v"]})
    >>> r = rake(df, {"a": {"x": 6, "y": 4}, "b": {"u": 5, "v": 5}})
    >>> r.weights.round(6).tolist()
    [5.0, 1.0, 4.0]

    24 respondents raked to a population of 600. In R, ``d`` the same data, ``des <- svydesign(ids = ~1, weights = ~1, data = d)`` and
    ``pop <- c(`(Intercept)` = 600, sexm = 290, agey = 270)``.

    >>> df = pd.DataFrame({"sex": list("mmmmmmmffffmmffmfmffmfff"), "age": list("oyoyyoooooooooyoyyoyooyy")})
    >>> margins = {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 270}}
    >>> r = rake(df, margins)
    >>> np.unique(r.weights.round(6)).tolist()  # R: weights(calibrate(des, ~sex + age, pop, calfun = "raking"))
    [21.585357, 22.473878, 29.329286, 30.536571]
    >>> r.max_deviation < 1e-10
    True
    >>> rake(df, {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 200}})
    Traceback (most recent call last):
    rapportage.statistics.weighting.WeightingError: the margins do not count the same population: ...
    """
    cells, targets, base = _prepare(data, margins, base_weights)
    w = cells.base.copy()
    dev = float("inf")
    for iteration in range(1, max_iterations + 1):
        for var, target in targets.items():
            achieved = np.bincount(cells.codes[var], weights=w, minlength=target.size)
            factor = np.divide(target, achieved, out=np.zeros_like(target), where=achieved > 0)
            w *= factor[cells.codes[var]]
        dev = _max_deviation(cells, w, targets)
        if dev < tolerance:
            g = w / cells.base
            return RakeResult(weights=base * cells.expand(g), iterations=iteration, max_deviation=dev)
    raise WeightingError(
        f"raking did not reach tolerance {tolerance:g} in {max_iterations} iterations "
        f"(largest margin deviation {dev:.3g}); allow more iterations or merge sparse categories"
    )


_CALFUN = {
    # F(u) - 1 and F'(u) of Deville & Särndal (1992), truncated to the g-weight bounds as R survey does
    "linear": (lambda u, lo, hi: np.clip(1 + u, lo, hi) - 1, lambda u, lo, hi: ((u < hi - 1) & (u > lo - 1)).astype(float)),
    "raking": (lambda u, lo, hi: np.clip(np.exp(u), lo, hi) - 1, lambda u, lo, hi: np.where((u < hi - 1) & (u > lo - 1), np.exp(u), 0.0)),
}


def _logit(lo: float, hi: float):
    """F(u) - 1 and F'(u) of the logit distance (Deville & Särndal 1992; R ``cal.logit``):
    F(u) = (L(U-1) + U(1-L) e^{Au}) / ((U-1) + (1-L) e^{Au}), A = (U-L) / ((U-1)(1-L)).
    Written with e^{-|Au|} so that no exponential overflows: F runs from L to U for any u (the
    plain formula gave inf/inf = nan for large u, and the Newton step a non-converging SVD)."""
    a = (hi - lo) / ((hi - 1) * (1 - lo))

    def fm1(u, *_):
        z = a * np.asarray(u, dtype=float)
        e = np.exp(-np.abs(z))  # in (0, 1]
        up = (lo * (hi - 1) * e + hi * (1 - lo)) / ((hi - 1) * e + (1 - lo))  # z > 0, multiplied by e^{-z}
        down = (lo * (hi - 1) + hi * (1 - lo) * e) / ((hi - 1) + (1 - lo) * e)
        return np.where(z > 0, up, down) - 1

    def df(u, *_):
        z = a * np.asarray(u, dtype=float)
        e = np.exp(-np.abs(z))
        den = np.where(z > 0, (hi - 1) * e + (1 - lo), (hi - 1) + (1 - lo) * e)
        return a * (hi - 1) * (1 - lo) * (hi - lo) * e / den**2

    return fm1, df


def calibrate(
    data: pd.DataFrame,
    margins: dict[str, dict[str, float]],
    *,
    method: str = "linear",
    bounds: tuple[float, float] | None = None,
    base_weights: np.ndarray | None = None,
    tolerance: float = 1e-10,
    max_iterations: int = 100,
) -> RakeResult:
    """Calibration to population margins (Deville & Särndal 1992) with distance ``method``.

    Parameters
    ----------
    data, margins, base_weights
        As for :func:`rake`.
    method : {"linear", "raking", "logit"}
        ``linear`` is the GREG estimator (F(u) = 1 + u), ``raking`` the exponential distance
        (F(u) = exp(u)), ``logit`` the bounded logit distance (needs ``bounds``).
    bounds : (lower, upper), optional
        Bounds on the g-weights w_i / d_i (truncation for linear and raking, as R survey
        does).
    tolerance : float
        Largest allowed relative margin deviation; Newton stops when every total is met to
        ``tolerance * 1e-3`` (relative to 1 + |t|).
    max_iterations : int
        Newton steps.

    Returns
    -------
    RakeResult
        The weights, the Newton steps used and the achieved max deviation.

    Raises
    ------
    WeightingError
        As for :func:`rake`; also an unknown ``method``, ``logit`` without finite bounds
        with lower < 1 < upper, and no positive weights within the bounds that meet every
        margin (infeasible bounds or margins end in an error, not in weights that miss a
        margin).

    Notes
    -----
    Finds g-weights g_i = F(x_i' lambda) with sum_i d_i g_i x_i = t_x by Newton's method, where
    x_i are the intercept and the dummy variables of the margins, d_i the base weights and t_x
    the population totals. Logit: F(u) = (L (U - 1) + U (1 - L) e^{Au}) / ((U - 1) + (1 - L) e^{Au}),
    A = (U - L) / ((U - 1) (1 - L)).

    Mirrors R ``survey::calibrate(design, ~a + b, population, calfun, bounds)`` (``grake``);
    agrees with R survey 4.1.1 to 1e-9 relative in the examples and to 1e-6 on the demo wave
    (linear, bounded linear, bounded raking, logit). R rescales ``bounds`` when the base
    weights do not sum to the population total (its warning "Bounds were set but will be
    interpreted after rescaling"); here they apply to g as given, so with bounds give base
    weights that sum to the population (as below) to match R.

    References
    ----------
    Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling. Journal
    of the American Statistical Association 87(418), 376–382.
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley, ch. 7.

    Examples
    --------
    In R, ``d`` the same data, ``des <- svydesign(ids = ~1, weights = ~1, data = d)`` and
    ``pop <- c(`(Intercept)` = 600, sexm = 290, agey = 270)``.
    With bounds, ``des25 <- svydesign(ids = ~1, weights = ~w, data = transform(d, w = 25))``.

    >>> df = pd.DataFrame({"sex": list("mmmmmmmffffmmffmfmffmfff"), "age": list("oyoyyoooooooooyoyyoyooyy")})
    >>> margins = {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 270}}
    >>> np.unique(calibrate(df, margins).weights.round(6)).tolist()  # R: weights(calibrate(des, ~sex + age, pop))
    [21.529851, 22.537313, 29.440299, 30.447761]
    >>> r = calibrate(df, margins, method="raking", bounds=(0.8, 1.2), base_weights=np.full(24, 25.0))
    >>> np.unique(r.weights.round(4)).tolist()  # R: calibrate(des25, ~sex + age, pop, calfun = "raking", bounds = c(0.8, 1.2))
    [21.25, 22.8571, 30.0]
    >>> r = calibrate(df, margins, method="logit", bounds=(0.5, 2), base_weights=np.full(24, 25.0))
    >>> np.unique(r.weights.round(6)).tolist()  # R: calibrate(des25, ~sex + age, pop, calfun = "logit", bounds = c(0.5, 2))
    [21.578979, 22.481166, 29.342041, 30.526367]
    """
    cells, targets, base = _prepare(data, margins, base_weights)
    lo, hi = bounds if bounds is not None else (-np.inf, np.inf)
    if method == "logit":
        if bounds is None or not (np.isfinite(lo) and np.isfinite(hi) and lo < 1 < hi):
            raise WeightingError("logit calibration needs finite bounds with lower < 1 < upper")
        fm1, df = _logit(lo, hi)
    elif method in _CALFUN:
        fm1, df = _CALFUN[method]
    else:
        raise WeightingError(f"calibration method {method!r} is unknown; use linear, raking or logit")
    columns = [np.ones(cells.base.size)]
    totals = [sum(next(iter(targets.values())))]
    for var, target in targets.items():
        for k in range(1, target.size):
            columns.append((cells.codes[var] == k).astype(float))
            totals.append(target[k])
    x = np.column_stack(columns)
    t = np.array(totals)
    d = cells.base
    lam = np.zeros(x.shape[1])
    for iteration in range(1, max_iterations + 1):  # noqa: B007 (returned: the iterations used)
        u = x @ lam
        misfit = t - x.T @ (d * (1 + fm1(u, lo, hi)))
        if np.all(np.abs(misfit) / (1 + np.abs(t)) < tolerance * 1e-3):
            break
        jac = (x * (d * df(u, lo, hi))[:, None]).T @ x
        step = np.linalg.pinv(jac, rcond=256 * np.finfo(float).eps) @ misfit
        lam = lam + step
        while not np.all(np.isfinite(1 + fm1(x @ lam, lo, hi))):
            step = step / 2
            lam = lam - step
    g = 1 + fm1(x @ lam, lo, hi)
    w = d * g
    dev = _max_deviation(cells, w, targets) if np.all(np.isfinite(w)) else np.inf
    if not dev < tolerance or not np.all(w > 0):
        where = f" within g-weight bounds [{lo:g}, {hi:g}]" if bounds is not None else ""
        var, category = _worst_margin(cells, w, targets, margins) if np.all(np.isfinite(w)) else ("?", "?")
        raise WeightingError(
            f"{method} calibration found no positive weights that meet every margin{where}: margin {var!r} "
            f"category {category!r} is missed most (largest relative deviation {dev:.3g}); widen the bounds "
            "or merge that margin's sparse categories"
        )
    return RakeResult(weights=base * cells.expand(g), iterations=iteration, max_deviation=dev)


def trim(weights: np.ndarray, *, upper: float = np.inf, lower: float = -np.inf, strict: bool = False) -> tuple[np.ndarray, int]:
    """Cap weights to [lower, upper] and share what was cut equally among the other weights,
    as R ``survey::trimWeights``.

    Parameters
    ----------
    weights : array
        The weights.
    upper, lower : float
        The bounds (default: none).
    strict : bool
        Repeat until no weight lies outside (R ``strict = TRUE``); otherwise one pass, after
        which a weight that received a share may exceed ``upper``.

    Returns
    -------
    (ndarray, int)
        The trimmed weights and the number of weights that were capped.

    Raises
    ------
    WeightingError
        The mean weight lies outside [lower, upper]: the sum of the weights is kept, so a cap
        below the mean weight (or a floor above it) cannot hold; R's strict trimming stops
        with "trimming failed" and the loop would never end.

    Notes
    -----
    One pass: w'_i = min(max(w_i, lower), upper), then sum_i (w_i - w'_i) / #{uncapped} is
    added to each weight that was inside the bounds; sum(w') = sum(w). Agrees with R survey
    4.1.1 ``trimWeights`` to 1e-12 relative in the example.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley; R survey,
    ``trimWeights``.

    Examples
    --------
    >>> w, n = trim(np.array([1.0, 1.0, 1.0, 9.0]), upper=4.0)
    >>> w.round(4).tolist(), n
    ([2.6667, 2.6667, 2.6667, 4.0], 1)

    The raked weights of :func:`rake`'s example (in R ``rk <- calibrate(des, ~sex + age, pop,
    calfun = "raking")``):

    >>> df = pd.DataFrame({"sex": list("mmmmmmmffffmmffmfmffmfff"), "age": list("oyoyyoooooooooyoyyoyooyy")})
    >>> margins = {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 270}}
    >>> w, n = trim(rake(df, margins).weights, upper=27)
    >>> np.unique(w.round(6)).tolist(), n  # R: weights(trimWeights(rk, upper = 27))
    ([23.385357, 24.273878, 27.0], 9)
    """
    w = np.asarray(weights, dtype=float).copy()
    mean = float(w.mean()) if w.size else 0.0
    if not lower <= mean <= upper:
        raise WeightingError(f"cannot trim to [{lower:g}, {upper:g}]: the mean weight {mean:.6g} lies outside, and "
                             "trimming keeps the sum of the weights; choose bounds around the mean")
    capped = np.zeros(w.size, dtype=bool)
    while True:
        outside = (w < lower) | (w > upper)
        if not outside.any() or outside.all():
            break
        capped |= outside
        new = np.clip(w, lower, upper)
        new[~outside] += (w - new).sum() / (~outside).sum()
        w = new
        if not strict:
            break
    return w, int(capped.sum())


def kish_deff(weights: np.ndarray) -> float:
    """Design effect due to weighting (Kish 1965): n sum(w^2) / (sum w)^2 = 1 + CV^2(w), CV
    with divisor n.

    Parameters
    ----------
    weights : array
        The weights.

    Returns
    -------
    float
        The design effect; n / deff is the effective sample size.

    Notes
    -----
    R survey has no function for it; the R expression ``length(w) * sum(w^2) / sum(w)^2``
    gives the same number.

    References
    ----------
    Kish, L. (1965). Survey Sampling. Wiley, 11.7.

    Examples
    --------
    In R, ``d`` the same data, ``des <- svydesign(ids = ~1, weights = ~1, data = d)`` and
    ``pop <- c(`(Intercept)` = 600, sexm = 290, agey = 270)``.

    >>> df = pd.DataFrame({"sex": list("mmmmmmmffffmmffmfmffmfff"), "age": list("oyoyyoooooooooyoyyoyooyy")})
    >>> margins = {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 270}}
    >>> round(kish_deff(rake(df, margins).weights), 6)  # R: w <- weights(calibrate(des, ~sex + age, pop, calfun = "raking"))
    1.024412
    >>> kish_deff(np.ones(5))
    1.0
    """
    w = np.asarray(weights, dtype=float)
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


def diagnostics(
    data: pd.DataFrame, weights: np.ndarray, margins: dict[str, dict[str, float]]
) -> dict:
    """Weight distribution, Kish design effect, effective n and margins achieved vs targets.

    Parameters
    ----------
    data : DataFrame
        The respondents, with the margin variables.
    weights : array
        One weight per row.
    margins : {variable: {category: population count}}
        The targets.

    Returns
    -------
    dict
        ``n``, ``sum_of_weights``, ``weights`` (``min``, ``p05``, ``median``, ``p95``,
        ``max``, ``mean``, ``cv`` with divisor n), ``deff_kish`` (:func:`kish_deff`),
        ``n_effective`` = n / deff, and ``margins``: one dict per category with ``variable``,
        ``category``, ``n``, ``sample_share``, ``weighted_share``, ``population_share``,
        ``target`` and ``achieved`` (sum of weights).

    Raises
    ------
    WeightingError
        A margin variable is not a column.

    Notes
    -----
    A description, no estimation: R survey has no single equivalent (``svytable`` and
    ``summary(weights(design))`` give parts).

    Examples
    --------
    >>> df = pd.DataFrame({"sex": list("mmmmmmmffffmmffmfmffmfff"), "age": list("oyoyyoooooooooyoyyoyooyy")})
    >>> margins = {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 270}}
    >>> dg = diagnostics(df, rake(df, margins).weights, margins)
    >>> round(dg["deff_kish"], 6), round(dg["n_effective"], 4), round(float(dg["weights"]["max"]), 4)
    (1.024412, 23.4281, 30.5366)
    >>> [(m["category"], m["n"], round(m["achieved"], 6)) for m in dg["margins"]]
    [('f', 12, 310.0), ('m', 12, 290.0), ('o', 15, 330.0), ('y', 9, 270.0)]
    """
    w = np.asarray(weights, dtype=float)
    deff = kish_deff(w)
    q = np.quantile(w, [0.0, 0.05, 0.5, 0.95, 1.0])
    rows = []
    for var, targets in margins.items():
        total = sum(targets.values())
        values = margin_values(data, var)
        for cat, target in targets.items():
            mask = (values == cat).to_numpy(dtype=bool)
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


def standardised_difference(share: float, population_share: float) -> float:
    """(sample share - population share) / sqrt(p (1 - p)), p the population share: the
    standardised difference of a category indicator, as used for balance diagnostics (ASMD)."""
    p = population_share
    return float((share - p) / np.sqrt(p * (1 - p))) if 0 < p < 1 else 0.0


def lowest_possible_maximum(data: pd.DataFrame, margins: dict[str, dict[str, float]]) -> float:
    """The smallest largest weight that any weights meeting every margin can have, relative to
    the mean weight: a cap below it cannot hold whatever the method.

    Parameters
    ----------
    data : DataFrame
        The respondents, with the margin variables.
    margins : {variable: {category: population count}}
        The targets.

    Returns
    -------
    float
        min over weights meeting the margins of max(w) / mean(w); ``inf`` when no
        non-negative weights meet them.

    Raises
    ------
    WeightingError
        As for :func:`rake`'s checks of data and margins.

    Notes
    -----
    A linear programme on the cells of the margins (giving every respondent of a cell the same
    weight loses nothing: the cell's mean weight meets the same margins and is no larger than
    its largest): minimise m subject to sum_c size_c w_c x_c = t_x and 0 <= w_c <= m (scipy
    ``linprog``, HiGHS). R survey has no equivalent.

    Examples
    --------
    >>> df = pd.DataFrame({"a": ["x", "x", "y"]})
    >>> round(lowest_possible_maximum(df, {"a": {"x": 2, "y": 4}}), 6)  # y's one respondent carries 4 of 6
    2.0

    With :func:`calibrate`'s example, whose bounded raking reaches that bound (30 = 1.2 * 25):

    >>> df = pd.DataFrame({"sex": list("mmmmmmmffffmmffmfmffmfff"), "age": list("oyoyyoooooooooyoyyoyooyy")})
    >>> margins = {"sex": {"f": 310, "m": 290}, "age": {"o": 330, "y": 270}}
    >>> round(lowest_possible_maximum(df, margins), 6)
    1.2
    """
    from scipy.optimize import linprog

    cells, targets, _ = _prepare(data, margins, None)
    size = np.bincount(cells.flat, minlength=int(cells.flat.max()) + 1)[cells.used].astype(float)
    rows, rhs = [], []
    for var, target in targets.items():
        for k, value in enumerate(target):
            rows.append(np.append(size * (cells.codes[var] == k), 0.0))
            rhs.append(value)
    k = size.size  # variables: the weight of each cell, then the largest weight
    cost = np.append(np.zeros(k), 1.0)
    a_ub = np.hstack([np.eye(k), -np.ones((k, 1))])
    result = linprog(cost, A_ub=a_ub, b_ub=np.zeros(k), A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None), method="highs")
    if not result.success:
        return float("inf")
    mean = float(sum(next(iter(targets.values())))) / len(data)
    return float(result.x[-1] / mean)


def max_margin_deviation(data: pd.DataFrame, weights: np.ndarray, margins: dict[str, dict[str, float]]) -> float:
    worst = 0.0
    for var, targets in margins.items():
        values = margin_values(data, var)
        for cat, target in targets.items():
            worst = max(worst, abs(weights[(values == cat).to_numpy(dtype=bool)].sum() - target) / target)
    return worst
