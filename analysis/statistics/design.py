"""The survey design object: weights, calibration, finite population correction, and its verbs.

Build it once, then ask it questions, as with R ``survey``::

    design = Design(respondents, population_size=2623)          # svydesign(ids = ~1, fpc = ~N)
    design = design.rake({"status": {"asiel": 1377, "gezin": 1246},
                          "gender": {"vrouw": 1443, "man": 1180}})  # calibrate(calfun = "raking")
    design.mean("ind_werk_betaald")                             # svymean / svyciprop
    design.mean("ind_werk_betaald", by="status")                # svyby(…, svymean)

``rake``, ``calibrate`` and ``trim`` return a new design, which remembers the margins it was
calibrated to. Variance is estimated by linearisation (Taylor series) for a single-stage sample
without replacement from a population of ``population_size``, with the influence values
replaced by their residuals on the calibration model, as R ``survey`` does for a design made by
``calibrate()``: standard errors reflect that the weights meet known margins. A design is only
calibrated when its weights meet those margins (a ``ValueError`` otherwise): variance for
calibrated weights, given weights that are not, would be too small.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import overload

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class Estimate:
    """One design-based estimate of a mean or proportion, in a domain or overall."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    """Unweighted number of respondents with a valid value in the domain."""
    weighted_n: float
    df: int
    deff: float
    """Design effect: variance relative to simple random sampling of the same n (with fpc)."""
    ci_method: str = "t"
    """How the interval was computed: ``logit`` (proportion), ``beta`` (Korn–Graubard, small
    domain), ``beta-n`` (Korn–Graubard with effective sample size n, because every answer is the
    same: a proportion of 0% or 100%), ``fixed`` (a share the calibration fixes exactly, such as
    that of a weighting category: no sampling error, a zero-width interval, as in R), ``t``
    (mean), ``none`` (no estimate: no answers in the domain)."""

    @property
    def ci(self) -> tuple[float, float]:
        """The confidence interval (``ci_low``, ``ci_high``)."""
        return (self.ci_low, self.ci_high)

    def to_frame(self) -> pd.DataFrame:
        """This estimate as a one-row DataFrame."""
        return pd.DataFrame([dataclasses.asdict(self)])


class DomainEstimates(dict):
    """Estimates per domain (category of ``by``), in the order of the categories: a dict of
    :class:`Estimate` with a :meth:`to_frame`."""

    def to_frame(self) -> pd.DataFrame:
        """One row per domain, indexed by the category."""
        return pd.DataFrame([dataclasses.asdict(e) for e in self.values()], index=pd.Index(list(self), name="category"))


@dataclass(frozen=True)
class ChisqTest:
    """Rao–Scott test of independence (R ``svychisq(statistic = "F")``)."""

    pearson: float
    F: float
    ndf: float
    ddf: float
    p_value: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([dataclasses.asdict(self)])


class Design:
    """A single-stage design, calibrated or not.

    Parameters
    ----------
    data : DataFrame of respondents.
    weights : the weights: a column of ``data``, an array with one per row, or ``None`` for an
        equal-probability sample (``population_size / n`` each, or 1 without a population size).
    calibration : the population margins the weights were calibrated to,
        ``{variable: {category: population count}}`` (``a*b`` for an interaction margin); their
        dummies (with an intercept) form the calibration model matrix. The weights must meet
        every margin within ``calibration_tolerance`` (relative), or the design is refused
        with a ValueError that names the margin missed most.
    design_weights : weights before calibration (default: ``population_size / n`` for every
        respondent, i.e. an equal-probability sample), used as the regression weights of the
        calibration residuals, as R ``calibrate`` does.
    population_size : N for the finite population correction 1 - n/N; ``None`` for none.
    calibration_tolerance : largest relative deviation |achieved - target| / target allowed.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        weights: np.ndarray | str | None = None,
        *,
        calibration: Mapping[str, Mapping[str, float]] | None = None,
        design_weights: np.ndarray | None = None,
        population_size: float | None = None,
        fpc: str = "uniform",
        calibration_tolerance: float = 1e-6,
    ) -> None:
        self.data = data.reset_index(drop=True)
        self.n = len(self.data)
        if weights is None:
            weights = np.full(self.n, (population_size or self.n) / self.n)
        elif isinstance(weights, str):
            if weights not in self.data.columns:
                raise ValueError(f"weights: {weights!r} is not a column of the data")
            weights = self.data[weights].to_numpy(dtype=float)
        self.weights = np.asarray(weights, dtype=float)
        if np.isnan(self.weights).any() or (self.weights < 0).any():
            raise ValueError("weights must be numbers of 0 or more, one per respondent")
        if self.weights.shape != (self.n,):
            raise ValueError("one weight per respondent is needed")
        self.population_size = population_size
        if fpc not in ("uniform", "unit"):
            raise ValueError("fpc is 'uniform' (1 - n/N) or 'unit' (1 - 1/w_i per respondent)")
        self.fpc = fpc
        if design_weights is None:
            design_weights = np.full(self.n, (population_size or self.n) / self.n)
        self.design_weights = np.asarray(design_weights, dtype=float)
        if calibration is not None and not isinstance(calibration, Mapping):
            raise ValueError("calibration is the population margins {variable: {category: count}}, not only their names")
        self.calibration = {str(m): {str(c): float(t) for c, t in cats.items()} for m, cats in (calibration or {}).items()}
        self.calibration_tolerance = calibration_tolerance
        self._check_calibration(calibration_tolerance)
        self._model = self._model_matrix()
        self._sqrt_d = np.sqrt(self.design_weights)
        if self._model is not None:
            q, r = np.linalg.qr(self._model * self._sqrt_d[:, None])
            keep = np.abs(np.diag(r)) > 1e-10 * np.abs(r).max()  # drop aliased columns, as qr.resid does
            self._q = q[:, keep]

    def _check_calibration(self, tolerance: float) -> None:
        """Refuse weights that do not meet the margins the design is said to be calibrated to."""
        from rapportage.statistics.weighting import margin_values

        worst, where = 0.0, ""
        for margin, targets in self.calibration.items():
            values = margin_values(self.data, margin)
            unknown = sorted(set(values.dropna()) - set(targets))
            if unknown or values.isna().any():
                found = f"categories {unknown}" if unknown else "missing values"
                raise ValueError(f"calibration margin {margin!r}: respondents have {found} that the margin does not count")
            total = sum(targets.values())
            for category, target in targets.items():
                achieved = float(self.weights[(values == category).to_numpy(dtype=bool)].sum())
                gap = abs(achieved - target) / (target if target > 0 else total)
                if gap > worst:
                    worst, where = gap, f"margin {margin!r} category {category!r}: weights sum to {achieved:.6g}, the population count is {target:g}"
        if worst > tolerance * (1 + 1e-9) + 1e-12:
            raise ValueError(
                f"the weights do not meet the calibration margins ({where}; relative deviation {worst:.3g} > "
                f"{tolerance:g}): give the margins the weights were calibrated to, or build the design without "
                "calibration so that its standard errors are those of the weights as given"
            )

    def _model_matrix(self) -> np.ndarray | None:
        if not self.calibration:
            return None
        from rapportage.statistics.weighting import (
            margin_values,  # 'a*b' margins are interactions
        )

        table = pd.DataFrame({m: margin_values(self.data, m) for m in self.calibration})
        dummies = pd.get_dummies(table.astype(str), drop_first=True, dtype=float)
        return np.column_stack([np.ones(self.n), dummies.to_numpy()])

    # ------------------------------------------------------------------ new designs
    def _with(self, weights: np.ndarray, calibration: Mapping | None, design_weights: np.ndarray,
              tolerance: float) -> Design:
        return Design(self.data, weights, calibration=calibration, design_weights=design_weights,
                      population_size=self.population_size, fpc=self.fpc, calibration_tolerance=tolerance)

    def rake(self, margins: Mapping[str, Mapping[object, float]], *, tolerance: float = 1e-10,
             max_iterations: int = 100) -> Design:
        """A new design whose weights are raked to population ``margins`` (iterative proportional
        fitting from this design's weights; see :func:`rapportage.statistics.weighting.rake`).

        The new design remembers the margins, so its standard errors are those of a calibrated
        design, as R ``calibrate(design, ~a + b, population, calfun = "raking")``.

        Examples
        --------
        >>> df = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"], "y": [1, 0, 1, 1]})
        >>> d = Design(df).rake({"a": {"x": 60, "y": 40}, "b": {"u": 50, "v": 50}})
        >>> d.weights.round(6).tolist()
        [30.0, 30.0, 20.0, 20.0]
        >>> round(d.mean("y").estimate, 6)  # R: svymean(~y, calibrate(svydesign(ids=~1, data=df), ~a+b, pop, calfun="raking"))
        0.7
        """
        from rapportage.statistics.weighting import rake

        result = rake(self.data, _text_keys(margins), base_weights=self.weights, tolerance=tolerance,
                      max_iterations=max_iterations)
        return self._with(result.weights, _text_keys(margins), self.weights, max(tolerance, 1e-9))

    def calibrate(self, margins: Mapping[str, Mapping[object, float]], *, method: str = "linear",
                  bounds: tuple[float, float] | None = None, tolerance: float = 1e-10,
                  max_iterations: int = 100) -> Design:
        """A new design calibrated to population ``margins`` with distance ``method`` (``linear``:
        GREG, ``raking``, ``logit``) and optional ``bounds`` on the g-weights, as R
        ``calibrate(design, ~a + b, population, calfun, bounds)``; see
        :func:`rapportage.statistics.weighting.calibrate`."""
        from rapportage.statistics.weighting import calibrate

        result = calibrate(self.data, _text_keys(margins), method=method, bounds=bounds, base_weights=self.weights,
                           tolerance=tolerance, max_iterations=max_iterations)
        return self._with(result.weights, _text_keys(margins), self.weights, max(tolerance, 1e-9))

    def trim(self, upper: float, *, lower: float = 0.0, strict: bool = True) -> Design:
        """A new design whose weights are capped to [``lower``, ``upper``], what was cut shared
        among the other weights (R ``trimWeights``; see :func:`rapportage.statistics.weighting.trim`).

        Trimmed weights no longer meet the margins of a calibrated design, so the new design is
        not calibrated: its standard errors are those of the weights as given. (R's
        ``trimWeights`` keeps the calibration for the variance, which then understates it.)
        Calibrate the trimmed design again to have both; the weight stage repeats the two until
        the cap holds.
        """
        from rapportage.statistics.weighting import trim

        trimmed, _ = trim(self.weights, upper=upper, lower=lower, strict=strict)
        if np.allclose(trimmed, self.weights, rtol=0, atol=0):
            return self
        return self._with(trimmed, None, self.design_weights, self.calibration_tolerance)

    # ------------------------------------------------------------------ variance machinery
    def _residualise(self, x: np.ndarray) -> np.ndarray:
        """Replace weighted influence values by their calibration residuals.

        For x_i = w_i z_i this returns w_i (z_i - m_i' b) with
        b = (M' D M)^-1 M' D z and D the design weights (R ``survey:::svyrecvar`` with a
        ``greg_calibration`` stage-0 object).
        """
        if self._model is None:
            return x
        w = self.weights if x.ndim == 1 else self.weights[:, None]
        sd = self._sqrt_d if x.ndim == 1 else self._sqrt_d[:, None]
        z = np.divide(x, w, out=np.zeros_like(x, dtype=float), where=w != 0)
        s = z * sd  # residual of sqrt(d) z on sqrt(d) M, by the orthonormal basis computed once
        resid = s - self._q @ (self._q.T @ s)
        return w * resid / sd

    def _variance_of_total(self, x: np.ndarray) -> float:
        """Var of sum(x) under SRS without replacement of n from N (``onestage`` in R survey)."""
        return float(self._vcov_of_totals(x[:, None])[0, 0])

    def _vcov_of_totals(self, x: np.ndarray) -> np.ndarray:
        """Covariance matrix of the column totals of ``x`` (n x k): fpc * n / (n - 1) * sum of
        outer products of the centred rows."""
        n = self.n
        centred = x - x.mean(axis=0)
        if self.fpc == "unit":
            # Poisson sampling with inclusion probability 1 / w_i: each unit its own fpc (Hajek)
            centred = centred * np.sqrt(np.clip(1 - 1 / self.weights, 0, 1))[:, None]
            return n / (n - 1) * centred.T @ centred
        fpc = 1.0 - n / self.population_size if self.population_size else 1.0
        return fpc * n / (n - 1) * centred.T @ centred

    def vcov(self, x: np.ndarray) -> np.ndarray:
        """Covariance of the totals of weighted influence values ``x`` (n x k), calibration-aware."""
        return self._vcov_of_totals(self._residualise(x))

    # ------------------------------------------------------------------ estimates
    @overload
    def mean(self, variable: str, *, by: None = None, confidence: float = 0.95,
             proportion: bool | None = None, small_n: int = 0) -> Estimate: ...

    @overload
    def mean(self, variable: str, *, by: str, confidence: float = 0.95,
             proportion: bool | None = None, small_n: int = 0) -> DomainEstimates: ...

    def mean(self, variable: str, *, by: str | None = None, confidence: float = 0.95,
             proportion: bool | None = None, small_n: int = 0) -> Estimate | DomainEstimates:
        """Weighted mean (or proportion, for a 0/1 variable) with linearisation SE and CI.

        The ratio estimator ybar = sum(w y) / sum(w) over respondents with a valid value in the
        domain; influence values z_i = 1_d(i) (y_i - ybar) / sum_d(w) are residualised on the
        calibration model and the variance of their weighted total is the variance of ybar.
        NA values are excluded as a domain, not by dropping rows (R ``na.rm = TRUE``).

        Confidence intervals: for a proportion the logit interval
        expit(logit(p) ± t * se / (p (1 - p))) (R ``svyciprop(method = "logit")``), for a mean
        the t interval ybar ± t * se, both with df = (respondents in the domain) - 1 as R
        ``degf`` gives for a domain. Proportions in domains with fewer than ``small_n`` valid
        answers get the Korn–Graubard (beta) interval instead (:func:`korn_graubard`), and so do
        proportions of 0% or 100%, whose estimated variance is 0, with the effective sample size
        set to the number of answers (never a zero-width interval). With
        ``by``, one estimate per category of ``by`` (domain estimation on the full design,
        R ``svyby``).

        Tested against R survey 4.1 (``calibrate``, ``svymean``, ``svyby``, ``svyciprop``)
        on the demo wave to 1e-6 relative.

        References
        ----------
        Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley, ch. 2, 3 and 7.
        Särndal, C.-E., Swensson, B., & Wretman, J. (1992). Model Assisted Survey Sampling, 6.6.
        """
        y = self.data[variable].to_numpy(dtype=float)
        if proportion is None:
            valid = y[~np.isnan(y)]
            proportion = bool(np.all((valid == 0) | (valid == 1)))
        if by is None:
            return self._domain_mean(y, np.ones(self.n, dtype=bool), confidence, proportion, small_n)
        groups = self.data[by]
        levels = groups.cat.categories if hasattr(groups, "cat") else sorted(groups.dropna().unique())
        return DomainEstimates(
            (str(level), self._domain_mean(y, (groups == level).to_numpy(), confidence, proportion, small_n))
            for level in levels
        )

    def _domain_mean(self, y: np.ndarray, domain: np.ndarray, confidence: float, proportion: bool,
                     small_n: int = 0) -> Estimate:
        valid = domain & ~np.isnan(y)
        n_valid = int(valid.sum())
        df = int(domain.sum()) - 1
        w = np.where(valid, self.weights, 0.0)
        total_w = w.sum()
        if n_valid == 0 or df < 1 or total_w <= 0:
            nan = float("nan")
            return Estimate(nan, nan, nan, nan, n_valid, float(total_w), max(df, 0), nan, "none")
        ybar = float(np.sum(w * np.nan_to_num(y)) / total_w)
        x = np.where(valid, w * (np.nan_to_num(y) - ybar) / total_w, 0.0)
        var = self._variance_of_total(self._residualise(x))
        se = float(np.sqrt(var))
        t = float(stats.t.ppf(0.5 + confidence / 2, df))
        method = "t"
        if proportion:
            constant = np.ptp(y[valid]) == 0  # 0% or 100%: rounding can leave 1 - 1e-16 and a variance of 1e-34
            if constant:
                se, var, ybar = 0.0, 0.0, float(y[valid][0])
            if not constant and se <= 1e-12:  # fixed by the calibration: known exactly
                se, var = 0.0, 0.0
                lo = hi = ybar
                method = "fixed"
            elif constant or n_valid < small_n:
                # R svyciprop(method = "beta") on the domain: nrow(design) is the whole sample for a
                # calibrated design (R keeps the rows, weight 0) and the domain's rows otherwise
                rows = self.n if self._model is not None else int(domain.sum())
                lo, hi = korn_graubard(ybar, var, confidence, rows - 1, df, n=n_valid)
                method = "beta-n" if constant else "beta"
            else:
                logit = np.log(ybar / (1 - ybar))
                half = t * se / (ybar * (1 - ybar))
                lo, hi = 1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))
                method = "logit"
        else:
            lo, hi = ybar - t * se, ybar + t * se
        # design effect: variance over that of an unweighted SRS mean of n_valid (with fpc)
        yv = y[valid]
        fpc = 1.0 - self.n / self.population_size if self.population_size else 1.0
        srs_var = fpc * np.var(yv, ddof=1) / n_valid if n_valid > 1 else float("nan")
        deff = float(var / srs_var) if srs_var and srs_var > 0 else float("nan")
        return Estimate(ybar, se, float(lo), float(hi), n_valid, float(total_w), df, deff, method)


    # ------------------------------------------------------------------ beyond means
    def total(self, variable: str, *, confidence: float = 0.95) -> Estimate:
        """Weighted total sum(w y) over respondents with a value, with its calibration-aware SE
        (influence values w_i y_i, as R ``svytotal(na.rm = TRUE)``) and a t interval with
        n - 1 degrees of freedom (R ``confint(…, df = degf(design))``)."""
        y = self.data[variable].to_numpy(dtype=float)
        valid = ~np.isnan(y)
        x = np.where(valid, self.weights * np.nan_to_num(y), 0.0)
        total, se = float(x.sum()), float(np.sqrt(self._variance_of_total(self._residualise(x))))
        t = float(stats.t.ppf(0.5 + confidence / 2, self.n - 1))
        return Estimate(total, se, total - t * se, total + t * se, int(valid.sum()),
                        float(self.weights[valid].sum()), self.n - 1, float("nan"), "t")

    def difference(self, variable: str, by: str, a: object, b: object, *, confidence: float = 0.95) -> Estimate:
        """Difference of the means of domains ``a`` and ``b`` of ``by``, with its standard error
        and t interval (n - 1 degrees of freedom), with the covariance between the two domain
        estimates (both from the full design): the influence values of the difference are
        those of a minus those of b (R ``svycontrast(svyby(…), c(1, -1))``)."""
        diff, se = self._difference(variable, by, str(a), str(b))
        t = float(stats.t.ppf(0.5 + confidence / 2, self.n - 1))
        groups = self.data[by].astype(str).to_numpy()
        y = self.data[variable].to_numpy(dtype=float)
        both = np.isin(groups, [str(a), str(b)]) & ~np.isnan(y)
        return Estimate(diff, se, diff - t * se, diff + t * se, int(both.sum()), float(self.weights[both].sum()),
                        self.n - 1, float("nan"), "t")

    def _difference(self, variable: str, by: str, a: str, b: str) -> tuple[float, float]:
        y = self.data[variable].to_numpy(dtype=float)
        groups = self.data[by].astype(str).to_numpy()
        xs, means = [], []
        for level in (a, b):
            valid = (groups == level) & ~np.isnan(y)
            w = np.where(valid, self.weights, 0.0)
            mean = float(np.sum(w * np.nan_to_num(y)) / w.sum())
            xs.append(np.where(valid, w * (np.nan_to_num(y) - mean) / w.sum(), 0.0))
            means.append(mean)
        return means[0] - means[1], float(np.sqrt(self._variance_of_total(self._residualise(xs[0] - xs[1]))))

    def chisq(self, row: str, col: str) -> ChisqTest:
        """Rao–Scott adjusted Pearson test of independence for a weighted two-way table.

        Pearson's X^2 of the weighted table scaled to n, divided by the mean generalised design
        effect tr(Delta); F with d0 = tr(Delta)^2 / tr(Delta^2) and d0 * (n - 1) degrees of
        freedom, as R ``svychisq(statistic = "F")``. Rows with a missing value in either
        variable are excluded as a domain. Tested against R survey 4.1 to 1e-6 relative.

        Reference: Rao, J. N. K., & Scott, A. J. (1984). On chi-squared tests for multiway
        contingency tables with cell proportions estimated from survey data. Ann. Statist. 12.
        """
        from scipy import stats as st

        r = self.data[row].astype("string")
        c = self.data[col].astype("string")
        valid = (r.notna() & c.notna()).to_numpy()
        rows, cols = sorted(r[valid].unique()), sorted(c[valid].unique())
        nr, nc = len(rows), len(cols)
        if nr < 2 or nc < 2:
            raise ValueError(f"chisq({row!r}, {col!r}): a test of independence needs at least two values of each "
                             f"variable; found {nr} and {nc}")
        ri = pd.Categorical(r, categories=rows).codes
        ci = pd.Categorical(c, categories=cols).codes
        cell = np.where(valid, ci * nr + ri, -1)  # rows vary fastest, as R's interaction()
        z = (cell[:, None] == np.arange(nr * nc)[None, :]).astype(float)
        w = np.where(valid, self.weights, 0.0)
        mean2 = (w[:, None] * z).sum(axis=0) / w.sum()
        x = np.where(valid[:, None], w[:, None] * (z - mean2) / w.sum(), 0.0)
        v = self.vcov(x)
        grid_r = np.tile(np.arange(nr), nc)
        grid_c = np.repeat(np.arange(nc), nr)
        x1 = np.column_stack([np.ones(nr * nc)] + [(grid_r == k).astype(float) for k in range(1, nr)]
                             + [(grid_c == k).astype(float) for k in range(1, nc)])
        inter = np.column_stack([((grid_r == i) & (grid_c == j)).astype(float) for j in range(1, nc) for i in range(1, nr)])
        q, _ = np.linalg.qr(x1)
        cmat = inter - q @ (q.T @ inter)
        n = self.n
        idmat = np.diag(np.where(mean2 == 0, 0, 1 / np.where(mean2 == 0, 1, mean2)))
        denom = cmat.T @ (idmat / n) @ cmat
        numr = cmat.T @ idmat @ v @ idmat @ cmat
        delta = np.linalg.solve(denom, numr)
        d0 = np.trace(delta) ** 2 / np.trace(delta @ delta)
        table = (mean2 * n).reshape(nc, nr).T
        expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
        pearson = float(np.sum((table - expected) ** 2 / expected))
        f = pearson / np.trace(delta)
        nu = n - 1
        return ChisqTest(pearson, float(f), float(d0), float(d0 * nu), float(st.f.sf(f, d0, d0 * nu)))

    def glm(self, outcome: str, predictors: list[str], *, family: str = "quasibinomial") -> pd.DataFrame:
        """Design-based logistic regression (R ``svyglm(family = quasibinomial)``), the one
        family supported; one row per coefficient with ``term``, ``estimate`` and ``se``.

        Coefficients by weighted maximum likelihood (statsmodels GLM with the weights as
        variance weights); standard errors from the sandwich: influence values of the
        coefficients A^-1 x_i w_i (y_i - mu_i), A = sum w_i mu_i (1 - mu_i) x_i x_i',
        residualised on the calibration model and with the finite population correction, as
        R ``svy.varcoef``. Rows with a missing value are excluded as a domain. Categorical
        predictors get treatment dummies (first category the reference). Tested against R
        survey 4.1 ``svyglm`` to 1e-6 relative.
        """
        import statsmodels.api as sm

        if family not in ("quasibinomial", "binomial"):
            raise ValueError(f"glm: family {family!r} is not supported; use quasibinomial (logistic regression)")
        frame = self.data[[outcome, *predictors]]
        valid = frame.notna().all(axis=1).to_numpy()
        parts = []
        for p in predictors:
            col = self.data[p]
            if not isinstance(col.dtype, pd.CategoricalDtype) and not pd.api.types.is_numeric_dtype(col):
                col = col.astype("string").astype("category")
            if isinstance(col.dtype, pd.CategoricalDtype):  # category order decides the reference
                parts.append(pd.get_dummies(col, prefix=p, prefix_sep="", drop_first=True, dtype=float))
            else:
                parts.append(col.astype(float).rename(p))
        x = pd.concat([pd.Series(1.0, index=self.data.index, name="(Intercept)"), *parts], axis=1)
        y = self.data[outcome].to_numpy(dtype=float)
        xv, yv, wv = x.to_numpy()[valid], y[valid], self.weights[valid]
        fit = sm.GLM(yv, xv, family=sm.families.Binomial(), var_weights=wv / wv.mean()).fit(tol=1e-12, maxiter=100)
        beta = fit.params
        mu = 1 / (1 + np.exp(-(xv @ beta)))
        a_inv = np.linalg.inv((xv * (wv * mu * (1 - mu))[:, None]).T @ xv)
        infl = np.zeros((self.n, xv.shape[1]))
        infl[valid] = (xv * (wv * (yv - mu))[:, None]) @ a_inv
        se = np.sqrt(np.diag(self.vcov(infl)))
        return pd.DataFrame({"term": x.columns, "estimate": beta, "se": se})


def korn_graubard(p: float, variance: float, confidence: float, n_minus_1: int, df: int,
                  n: int | None = None) -> tuple[float, float]:
    """Korn–Graubard (beta) interval for a proportion from a complex sample.

    Effective n = p (1 - p) / var, adjusted by (t_{n-1} / t_df)^2, and Clopper–Pearson limits
    qbeta(a/2, n_eff p, n_eff (1 - p) + 1), qbeta(1 - a/2, n_eff p + 1, n_eff (1 - p)), as R
    ``svyciprop(method = "beta")``; ``n_minus_1`` is R's ``nrow(design) - 1`` and ``df`` its
    ``degf(design)``.

    When the estimated variance is 0 (every answer the same: 0% or 100%), R's effective n is
    0/0 and its interval NaN; here the effective n is then ``n``, the number of answers, which
    gives the exact binomial (Clopper–Pearson) interval of R ``binom.test(0, n)``: for n = 38 and
    0%, 0 to 1 - 0.025^(1/38) = 9.25%. Without ``n`` that case is an error.

    Reference: Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions with
    small expected number of positive counts estimated from survey data. Survey Methodology 24.
    """
    alpha = 1 - confidence
    if variance > 0:
        n_eff = p * (1 - p) / variance * (stats.t.ppf(alpha / 2, n_minus_1) / stats.t.ppf(alpha / 2, df)) ** 2
    elif n:
        n_eff = float(n)
    else:
        raise ValueError("a proportion with variance 0 needs the number of answers n for its interval")
    lo = stats.beta.ppf(alpha / 2, n_eff * p, n_eff * (1 - p) + 1) if p > 0 else 0.0
    hi = stats.beta.ppf(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)) if p < 1 else 1.0
    return (float(lo), float(hi))


def _text_keys(margins: Mapping[str, Mapping[object, float]]) -> dict[str, dict[str, float]]:
    """Margins with their categories as text, as the data's categories are compared: integer
    codes (``{1: 500, 2: 300}``) work as well as labels."""
    return {str(m): {str(c): float(t) for c, t in cats.items()} for m, cats in margins.items()}
