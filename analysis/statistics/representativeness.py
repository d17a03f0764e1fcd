"""Representativeness of response with its uncertainty: the R-indicator with standard error and
bias adjustment, unconditional and conditional partial R-indicators per variable and category,
the maximal absolute bias of a response mean, and what a reminder to one category would do to R.

The estimators are the sample-based ones of Shlomo, Schouten and Skinner (2012) and Schouten,
Shlomo and Skinner (2011) for the case this project has: everyone in the frame was invited, so
there is no sampling variance and the uncertainty is that of the estimated response model. Every
quantity is computed on the cells of the variables' cross-classification (the propensities are
constant within a cell), so a frame of 100,000 people costs as much as one of 1,000.

References
----------
Schouten, B., Cobben, F., & Bethlehem, J. (2009). Indicators for the representativeness of survey
response. Survey Methodology 35(1), 101–113.
Schouten, B., Shlomo, N., & Skinner, C. (2011). Indicators for monitoring and improving
representativeness of response. Journal of Official Statistics 27(2), 231–253.
Shlomo, N., Skinner, C., & Schouten, B. (2012). Estimation of an indicator of the representativeness
of survey response. Journal of Statistical Planning and Inference 142(1), 201–211.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rapportage.statistics.propensity import ResponseModel, fit_response_model


@dataclass(frozen=True)
class Representativeness:
    """The R-indicator of a response and its partial R-indicators (:func:`representativeness`).

    Attributes
    ----------
    r, r_unadjusted, se : float
        R = 1 - 2 S(rho) with the bias of the estimated S(rho)^2 removed, R without that
        adjustment, and the standard error of R.
    bias : float
        That bias of S(rho)^2.
    mean_propensity : float
        The mean response propensity (the response rate).
    persons, respondents : int
        Invited and responded.
    partials : DataFrame
        One row per variable (``category`` NA) and per category: ``variable``, ``category``,
        ``persons``, ``respondents``, ``response_rate``, ``unconditional`` (signed for a
        category: negative is under-represented) with ``unconditional_se``, and ``conditional``
        with ``conditional_se``; the variable rows carry the bias adjustment, the category rows
        are unadjusted, as in the references.
    model : ResponseModel
        The fitted response model.
    """

    r: float
    r_unadjusted: float
    se: float
    bias: float
    """The bias of the plug-in variance of the propensities, removed from it in ``r``."""
    mean_propensity: float
    persons: int
    respondents: int
    partials: pd.DataFrame
    model: ResponseModel

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Normal interval for R."""
        z = stats.norm.ppf(0.5 + level / 2)
        return self.r - z * self.se, self.r + z * self.se

    def max_bias(self, sd: float | np.ndarray) -> float | np.ndarray:
        """Maximal absolute bias of an unweighted response mean of a variable with population
        standard deviation ``sd``: B_m = (1 - R) S(y) / (2 rhobar) (Schouten et al. 2009)."""
        return (1 - self.r) * np.asarray(sd, dtype=float) / (2 * self.mean_propensity)


def _parts(model: ResponseModel) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: persons N_c, propensity rho_c, z_c = rho_c (1 - rho_c) x_c (the gradient of rho_c
    in the coefficients); and the coefficients' covariance."""
    c = model.cells
    n = c.persons.to_numpy(dtype=float)
    rho = c.propensity.to_numpy()
    assert model.design is not None and model.covariance is not None  # fit_response_model sets both
    z = (rho * (1 - rho))[:, None] * model.design
    return n, rho, z, model.covariance


def _r_parts(model: ResponseModel) -> tuple[float, float, float, float]:
    """(S^2 unbiased, bias of S^2, variance of R, mean propensity) of a fitted model."""
    n, rho, z, sigma = _parts(model)
    total = n.sum()
    mean = n @ rho / total
    var = n @ (rho - mean) ** 2 / (total - 1)
    var_ml = n @ (rho - mean) ** 2 / total
    # bias of the plug-in S^2: (1/N) sum_i z_i' Sigma z_i (no sampling term: everyone was invited)
    bias = float(np.einsum("ij,jk,ik,i->", z, sigma, z, n)) / total
    dz = z - n @ z / total
    a = (n * (rho - mean)) @ dz / total  # covariance of rho and z over the persons
    b = (dz * n[:, None]).T @ dz / total  # covariance matrix of z
    var_r = (4 * a @ sigma @ a + 2 * np.trace(b @ sigma @ b @ sigma)) / var_ml if var_ml > 0 else 0.0
    return float(var), bias, float(var_r), float(mean)


def representativeness(cells: pd.DataFrame, variables: list[str]) -> Representativeness:
    """R-indicator, its standard error and the partial R-indicators of a response.

    Parameters
    ----------
    cells : DataFrame
        From :func:`~rapportage.statistics.response_cells`: ``persons`` and ``respondents`` per
        cell of ``variables``.
    variables : list of str
        Categorical variables of the logistic response model (main effects).

    Returns
    -------
    Representativeness

    Notes
    -----
    With rho_i the fitted propensities, Sigma the covariance of the model's coefficients and
    z_i = rho_i (1 - rho_i) x_i:

    - S^2 = sum_i (rho_i - rhobar)^2 / (N - 1); its bias (1/N) sum_i z_i' Sigma z_i is removed:
      R = 1 - 2 sqrt(S^2 (1 - bias / S^2)), or 1 when the bias exceeds S^2.
    - var(R) = (4 A' Sigma A + 2 tr(B Sigma B Sigma)) / S_ML^2, A the covariance of rho and z
      and B that of z over the persons (Shlomo et al. 2012, without the sampling term).
    - Unconditional partial R-indicator of category k of Z: sqrt(N_k / N) (rhobar_k - rhobar);
      of Z: the square root of the sum of their squares, times the bias factor. Its standard
      error: the delta method, gradient sqrt(N_k / N) (zbar_k - zbar); for Z, half the standard
      error of R of a model on Z alone (Schouten et al. 2011).
    - Conditional partial R-indicator of category k of Z: sqrt(sum_{i in k} (rho_i -
      rhobar_l(i))^2 / N), l(i) the cell of i on the other variables: the variation that Z adds
      given them. Its standard error: Schouten et al. (2011), without the sampling term; for Z the
      same over all categories.

    Agrees with R ``glm`` and the formulas written out in R to 1e-9 on the demo frame
    (``tests/test_representativeness.py``); the standard errors are checked by simulation there.

    Examples
    --------
    >>> from rapportage.statistics import response_cells
    >>> frame = pd.DataFrame({"sex": ["f"] * 200 + ["m"] * 200, "age": (["o"] * 120 + ["y"] * 80) + (["o"] * 100 + ["y"] * 100)})
    >>> resp = pd.DataFrame({"sex": ["f"] * 90 + ["m"] * 50, "age": ["o"] * 60 + ["y"] * 30 + ["o"] * 30 + ["y"] * 20})
    >>> rep = representativeness(response_cells(frame, resp, ["sex", "age"]), ["sex", "age"])
    >>> round(rep.r, 4), round(rep.r_unadjusted, 4), round(rep.se, 4)  # R: glm(y ~ sex + age, binomial), the formulas below
    (0.785, 0.7704, 0.0467)
    >>> rep.partials.query("category == 'm'")[["unconditional", "conditional"]].round(4).values.tolist()
    [[-0.0707, 0.0672]]
    """
    for var_name in variables:  # without respondents (or without non-respondents) in a category there is no fit
        per = cells.groupby(var_name)[["persons", "respondents"]].sum()
        for code, row in per.iterrows():
            if row.respondents == 0 or row.respondents == row.persons:
                what = "no respondents" if row.respondents == 0 else "only respondents"
                raise ValueError(f"{var_name} = {code} has {what} ({row.persons} persons): the response model cannot be "
                                 "fitted until it has both")
    model = fit_response_model(cells, variables)
    var, bias, var_r, mean = _r_parts(model)
    factor = 0.0 if bias > var else 1 - bias / var
    n, rho, z, sigma = _parts(model)
    total = n.sum()
    c = model.cells
    rows: list[dict] = []
    for var_name in variables:
        # the mean propensity (and z) within each cell of the other variables: what the variable adds beyond them
        others = [v for v in variables if v != var_name]
        keys = c.groupby(others, sort=False).ngroup().to_numpy() if others else np.zeros(len(c), dtype=int)
        weight = np.bincount(keys, weights=n)
        rho_l = (np.bincount(keys, weights=n * rho) / weight)[keys]
        z_l = np.column_stack([np.bincount(keys, weights=n * z[:, j]) / weight for j in range(z.shape[1])])[keys]
        d_rho, d_z = rho - rho_l, z - z_l
        # the variable on its own: for the standard error of its unconditional partial R-indicator
        alone = cells.groupby(var_name, as_index=False)[["persons", "respondents"]].sum()
        se_alone = np.sqrt(_r_parts(fit_response_model(alone, [var_name]))[2])
        categories: list[dict] = []
        unconditional_sq, cond_parts = 0.0, []
        zbar = n @ z / total
        for k, idx in c.groupby(var_name, sort=True).indices.items():
            nk = n[idx].sum()
            rho_k = n[idx] @ rho[idx] / nk
            pu = np.sqrt(nk / total) * (rho_k - mean)
            g = np.sqrt(nk / total) * (n[idx] @ z[idx] / nk - zbar)
            a = (n[idx] * d_rho[idx]) @ d_z[idx]
            b = (d_z[idx] * n[idx, None]).T @ d_z[idx]
            ss = n[idx] @ d_rho[idx] ** 2
            v = 4 * a @ sigma @ a + 2 * np.trace(b @ sigma @ b @ sigma)
            cond_parts.append((a, b, ss))
            unconditional_sq += pu**2
            responded = int(c.respondents.to_numpy()[idx].sum())
            categories.append({
                "variable": var_name, "category": str(k), "persons": int(nk), "respondents": responded,
                "response_rate": responded / nk, "unconditional": float(pu),
                "unconditional_se": float(np.sqrt(g @ sigma @ g)), "conditional": float(np.sqrt(ss / total)),
                "conditional_se": float(np.sqrt(v / (4 * total * ss))) if ss > 0 else np.nan,
            })
        a_all = sum(p[0] for p in cond_parts)
        b_all = sum(p[1] for p in cond_parts)
        ss_all = sum(p[2] for p in cond_parts)
        v_all = 4 * a_all @ sigma @ a_all + 2 * np.trace(b_all @ sigma @ b_all @ sigma)
        rows.append({
            "variable": var_name, "category": None, "persons": int(total), "respondents": int(c.respondents.sum()),
            "response_rate": float(c.respondents.sum() / total), "unconditional": float(np.sqrt(unconditional_sq * factor)),
            "unconditional_se": float(se_alone / 2), "conditional": float(np.sqrt(ss_all / total * factor)),
            "conditional_se": float(np.sqrt(v_all / (4 * total * ss_all))) if ss_all > 0 else np.nan,
        })
        rows += categories
    partials = pd.DataFrame(rows)
    partials["category"] = partials["category"].astype("string")
    return Representativeness(
        r=float(1 - 2 * np.sqrt(var * factor)), r_unadjusted=float(1 - 2 * np.sqrt(var)), se=float(np.sqrt(var_r)), bias=bias,
        mean_propensity=mean, persons=int(total), respondents=int(c.respondents.sum()), partials=partials, model=model,
    )


def reminder_gains(rep: Representativeness, effect: float) -> pd.DataFrame:
    """What a reminder to each category would do to R, computed on the fitted propensities.

    Parameters
    ----------
    rep : Representativeness
        The response so far.
    effect : float
        A reminder multiplies the cumulative chance of still responding by ``1 + effect``: a
        person's propensity rho becomes 1 - (1 - rho)^(1 + effect). With 0.5, a reminder brings
        half as many again as the invitation did (for small rho, rho becomes about 1.5 rho).

    Returns
    -------
    DataFrame
        One row per category: ``variable``, ``category``, ``persons``, ``not_responded``,
        ``extra_respondents`` (expected), ``r_after`` (R after the reminder, with the same bias
        adjustment as ``rep.r``) and ``gain`` (``r_after`` minus ``rep.r``), sorted by gain,
        largest first; variable ``*`` is a reminder to everyone.

    Examples
    --------
    >>> from rapportage.statistics import response_cells
    >>> frame = pd.DataFrame({"sex": ["f"] * 200 + ["m"] * 200})
    >>> resp = pd.DataFrame({"sex": ["f"] * 90 + ["m"] * 50})
    >>> rep = representativeness(response_cells(frame, resp, ["sex"]), ["sex"])
    >>> reminder_gains(rep, 0.5)[["category", "not_responded", "gain"]].round(4).values.tolist()
    [['m', 150, 0.1144], ['*', 260, -0.0437], ['f', 110, -0.1471]]
    """
    c = rep.model.cells
    n = c.persons.to_numpy(dtype=float)
    rho = c.propensity.to_numpy()
    responded = c.respondents.to_numpy()

    def r_of(p: np.ndarray) -> float:  # on the scale of rep.r: the variance less the bias of estimating it
        mean = n @ p / n.sum()
        return float(1 - 2 * np.sqrt(max(0.0, n @ (p - mean) ** 2 / (n.sum() - 1) - rep.bias)))

    def after(mask: np.ndarray) -> dict:
        p = np.where(mask, 1 - (1 - rho) ** (1 + effect), rho)
        return {"persons": int(n[mask].sum()), "not_responded": int((n - responded)[mask].sum()),
                "extra_respondents": float(n @ (p - rho)), "r_after": r_of(p), "gain": r_of(p) - rep.r}

    rows = [{"variable": var, "category": str(k), **after((c[var] == k).to_numpy())}
            for var in rep.model.variables for k in sorted(c[var].unique())]
    rows.append({"variable": "*", "category": "*", **after(np.ones(len(c), dtype=bool))})
    return pd.DataFrame(rows).sort_values("gain", ascending=False, ignore_index=True, kind="stable")
