"""Response propensities from the population frame: the response model, propensity weights and
representativeness (R-indicator and partial R-indicators).

Everyone in the frame was invited, so the frame gives the response behaviour of the whole
population. With categorical auxiliary variables the model is fitted on the cells of their
cross-classification (respondents out of persons per cell): the same maximum-likelihood fit as
on one row per person, and it needs no link between a respondent and a frame row.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from rapportage.statistics.weighting import WeightingError


@dataclass(frozen=True)
class ResponseModel:
    """A fitted response model (:func:`fit_response_model`).

    Attributes
    ----------
    cells : DataFrame
        One row per cell: the variables (as text), ``persons``, ``respondents`` and fitted
        ``propensity``.
    variables : list of str
        The auxiliary variables, in model order.

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 20, "age": ["o"] * 12 + ["y"] * 8 + ["o"] * 10 + ["y"] * 10})
    >>> respondents = pd.DataFrame({"sex": ["f"] * 9 + ["m"] * 5, "age": ["o"] * 6 + ["y"] * 3 + ["o"] * 3 + ["y"] * 2})
    >>> model = fit_response_model(response_cells(frame, respondents, ["sex", "age"]), ["sex", "age"])
    >>> model.propensity_of(respondents.iloc[[0, 13]]).round(6).tolist()  # cells (f, o) and (m, y)
    [0.501193, 0.201432]
    """

    cells: pd.DataFrame
    """One row per cell: the variables, ``persons``, ``respondents`` and fitted ``propensity``."""
    variables: list[str]
    design: np.ndarray | None = None
    """The model matrix, one row per cell (intercept, then the category dummies)."""
    covariance: np.ndarray | None = None
    """The estimated covariance matrix of the coefficients."""

    def propensity_of(self, respondents: pd.DataFrame) -> np.ndarray:
        """The fitted propensity of each respondent (by its cell; NaN for a cell the model
        does not have)."""
        keyed = self.cells.set_index(self.variables)["propensity"]
        index = pd.MultiIndex.from_frame(respondents[self.variables].astype(str))
        return keyed.reindex(index).to_numpy()


def response_cells(frame: pd.DataFrame, respondents: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Persons (frame) and valid respondents per cell of ``variables``.

    Parameters
    ----------
    frame : DataFrame
        The population frame: one row per invited person.
    respondents : DataFrame
        The valid respondents, with the same variables.
    variables : list of str
        Categorical auxiliary variables; values are compared as text.

    Returns
    -------
    DataFrame
        One row per cell that holds persons or respondents, sorted by the variables, with
        ``persons`` and ``respondents``.

    Raises
    ------
    WeightingError
        A variable is not a column of the frame, or a cell has more respondents than persons.
    KeyError
        A variable is not a column of the respondents.

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 20, "age": ["o"] * 12 + ["y"] * 8 + ["o"] * 10 + ["y"] * 10})
    >>> respondents = pd.DataFrame({"sex": ["f"] * 9 + ["m"] * 5, "age": ["o"] * 6 + ["y"] * 3 + ["o"] * 3 + ["y"] * 2})
    >>> print(response_cells(frame, respondents, ["sex", "age"]))
      sex age  persons  respondents
    0   f   o       12            6
    1   f   y        8            3
    2   m   o       10            3
    3   m   y       10            2
    """
    for var in variables:
        if var not in frame.columns:
            raise WeightingError(f"the population frame has no column {var!r} for the response model")
    persons = frame[variables].astype(str).value_counts().rename("persons")
    responded = respondents[variables].astype(str).value_counts().rename("respondents")
    cells = pd.concat([persons, responded], axis=1).fillna(0).astype(int).reset_index()
    orphans = cells[cells.persons < cells.respondents]
    if len(orphans):
        raise WeightingError(f"respondents in cell {orphans.iloc[0][variables].to_dict()} outnumber its persons in the "
                             "population frame; the frame does not match the respondents")
    return cells.sort_values(variables, ignore_index=True)


def fit_response_model(cells: pd.DataFrame, variables: list[str]) -> ResponseModel:
    """Logistic regression of response on the main effects of ``variables``.

    Parameters
    ----------
    cells : DataFrame
        From :func:`response_cells`.
    variables : list of str
        The variables to model (main effects, first category in sorted order the reference).

    Returns
    -------
    ResponseModel
        The cells with their fitted ``propensity``.

    Notes
    -----
    logit(rho_c) = b0 + sum of category effects, fitted by maximum likelihood on the cells
    (binomial GLM with respondents out of persons; statsmodels): the same fit as on one row
    per person. Agrees with R ``glm(cbind(r, N - r) ~ …, family = binomial)`` to 1e-9
    relative in the example, 1e-6 on the demo wave.

    References
    ----------
    Schouten, B., Cobben, F., & Bethlehem, J. (2009). Indicators for the representativeness of
    survey response. Survey Methodology 35(1), 101–113.

    Examples
    --------
    In R, ``cells`` the cell table of :func:`response_cells`' example and
    ``m <- glm(cbind(respondents, persons - respondents) ~ sex + age, family = binomial, data = cells)``.

    >>> frame = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 20, "age": ["o"] * 12 + ["y"] * 8 + ["o"] * 10 + ["y"] * 10})
    >>> respondents = pd.DataFrame({"sex": ["f"] * 9 + ["m"] * 5, "age": ["o"] * 6 + ["y"] * 3 + ["o"] * 3 + ["y"] * 2})
    >>> model = fit_response_model(response_cells(frame, respondents, ["sex", "age"]), ["sex", "age"])
    >>> model.cells.propensity.round(6).tolist()  # R: fitted(m)
    [0.501193, 0.37321, 0.298568, 0.201432]
    """
    x = pd.get_dummies(cells[variables], drop_first=True, dtype=float)
    x.insert(0, "const", 1.0)
    y = np.column_stack([cells.respondents, cells.persons - cells.respondents])
    with warnings.catch_warnings():  # a saturated model (one variable) fits every cell exactly: statsmodels warns of
        warnings.simplefilter("ignore", PerfectSeparationWarning)  # 'perfect prediction' and divides by 0 residual df
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    out = cells.copy()
    out["propensity"] = fit.predict(x)
    design = x.to_numpy()
    info = out.propensity.to_numpy() * (1 - out.propensity.to_numpy()) * cells.persons.to_numpy()
    # the inverse Fisher information at the fitted propensities (statsmodels' is that of the last iteration's weights)
    covariance = np.linalg.pinv(design.T @ (info[:, None] * design))
    return ResponseModel(out, variables, design, covariance)


def r_indicator(model: ResponseModel) -> float:
    """R-indicator R = 1 - 2 S(rho) of representativeness.

    Parameters
    ----------
    model : ResponseModel
        A fitted response model.

    Returns
    -------
    float
        R, from 1 - 2 * 0.5 = 0 up to 1 (fully representative response: equal propensities).

    Notes
    -----
    S(rho)^2 = sum_c N_c (rho_c - rhobar)^2 / (N - 1), the variance of the propensities over
    the population (N persons, rhobar = sum_c N_c rho_c / N). R has no function for it in
    survey; the R expression in the example, with ``rho <- fitted(m)`` and
    ``N <- cells$persons``, gives the same number (to 1e-12 relative).

    References
    ----------
    Schouten, B., Cobben, F., & Bethlehem, J. (2009). Indicators for the representativeness of
    survey response. Survey Methodology 35(1), 101–113.

    Examples
    --------
    In R, ``cells`` the cell table of :func:`response_cells`' example and
    ``m <- glm(cbind(respondents, persons - respondents) ~ sex + age, family = binomial, data = cells)``.

    >>> frame = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 20, "age": ["o"] * 12 + ["y"] * 8 + ["o"] * 10 + ["y"] * 10})
    >>> respondents = pd.DataFrame({"sex": ["f"] * 9 + ["m"] * 5, "age": ["o"] * 6 + ["y"] * 3 + ["o"] * 3 + ["y"] * 2})
    >>> model = fit_response_model(response_cells(frame, respondents, ["sex", "age"]), ["sex", "age"])
    >>> round(r_indicator(model), 6)  # R: 1 - 2 * sqrt(sum(N * (rho - sum(N * rho) / sum(N))^2) / (sum(N) - 1))
    0.767776
    """
    rho, n = model.cells.propensity.to_numpy(), model.cells.persons.to_numpy()
    mean = np.sum(n * rho) / n.sum()
    return float(1 - 2 * np.sqrt(np.sum(n * (rho - mean) ** 2) / (n.sum() - 1)))


def partial_r_indicators(model: ResponseModel) -> list[dict]:
    """Unconditional partial R-indicators per variable and per category.

    Parameters
    ----------
    model : ResponseModel
        A fitted response model.

    Returns
    -------
    list of dict
        Per variable a row ``{"variable", "category": None, "value": P_u(Z)}``, followed by
        one row per category ``{"variable", "category", "value": P_u(Z, k),
        "response_rate": rho_k}``.

    Notes
    -----
    P_u(Z) = sqrt(sum_k N_k / N (rho_k - rho)^2) and P_u(Z, k) = sqrt(N_k / N) (rho_k - rho),
    rho_k the mean propensity in category k and rho the overall mean. A negative category
    value means under-representation. With the main-effects model of
    :func:`fit_response_model`, rho_k equals the category's observed response rate. R has no
    function for it in survey; computed in R from ``fitted(m)`` as in the formulas, the values
    agree to 1e-10 relative.

    References
    ----------
    Schouten, B., Shlomo, N., & Skinner, C. (2011). Indicators for monitoring and improving
    representativeness of response. Journal of Official Statistics 27(2), 231–253.

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 20, "age": ["o"] * 12 + ["y"] * 8 + ["o"] * 10 + ["y"] * 10})
    >>> respondents = pd.DataFrame({"sex": ["f"] * 9 + ["m"] * 5, "age": ["o"] * 6 + ["y"] * 3 + ["o"] * 3 + ["y"] * 2})
    >>> model = fit_response_model(response_cells(frame, respondents, ["sex", "age"]), ["sex", "age"])
    >>> for row in partial_r_indicators(model):
    ...     print(row["variable"], row["category"], round(row["value"], 6), round(row.get("response_rate", 0), 6))
    sex None 0.1 0
    sex f 0.070711 0.45
    sex m -0.070711 0.25
    age None 0.065327 0
    age o 0.043823 0.409091
    age y -0.048448 0.277778
    """
    c = model.cells
    n_total = c.persons.sum()
    overall = np.sum(c.persons * c.propensity) / n_total
    rows = []
    for var in model.variables:
        grouped = c.groupby(var)
        n_k = grouped.persons.sum()
        rho_k = grouped.apply(lambda g: np.sum(g.persons * g.propensity) / g.persons.sum(), include_groups=False)
        per_cat = np.sqrt(n_k / n_total) * (rho_k - overall)
        rows.append({"variable": var, "category": None, "value": float(np.sqrt(np.sum(per_cat**2)))})
        rows += [{"variable": var, "category": str(k), "value": float(v), "response_rate": float(rho_k[k])} for k, v in per_cat.items()]
    return rows


def propensity_weights(model: ResponseModel, respondents: pd.DataFrame, use: str, classes: int) -> np.ndarray:
    """Base weights from the response model: 1 / rho, or 1 / (response rate of the propensity
    class).

    Parameters
    ----------
    model : ResponseModel
        A fitted response model.
    respondents : DataFrame
        The respondents, with the model's variables.
    use : str
        ``"inverse"``: 1 / rho of the respondent's cell; ``"classes"``: propensity classes.
    classes : int
        Number of classes of about equal population size, cells sorted by propensity (a cell
        is not split); ignored for ``"inverse"``.

    Returns
    -------
    ndarray
        One weight per respondent.

    Raises
    ------
    ValueError
        Another ``use``, or a respondent in a cell the model does not have.

    Notes
    -----
    Class c's weight is sum persons / sum respondents over its cells (Little 1986). No R
    survey equivalent; the inverse weights are ``1 / fitted(m)`` of :func:`fit_response_model`'s
    R model.

    References
    ----------
    Little, R. J. A. (1986). Survey nonresponse adjustments for estimates of means.
    International Statistical Review 54(2), 139–157.

    Examples
    --------
    >>> frame = pd.DataFrame({"sex": ["f"] * 20 + ["m"] * 20, "age": ["o"] * 12 + ["y"] * 8 + ["o"] * 10 + ["y"] * 10})
    >>> respondents = pd.DataFrame({"sex": ["f"] * 9 + ["m"] * 5, "age": ["o"] * 6 + ["y"] * 3 + ["o"] * 3 + ["y"] * 2})
    >>> model = fit_response_model(response_cells(frame, respondents, ["sex", "age"]), ["sex", "age"])
    >>> np.unique(propensity_weights(model, respondents, "inverse", 0).round(6)).tolist()  # R: 1 / fitted(m)
    [1.995238, 2.679456, 3.34932, 4.964457]
    >>> np.unique(propensity_weights(model, respondents, "classes", 2).round(6)).tolist()  # men 20 / 5, women 20 / 9
    [2.222222, 4.0]
    """
    if use not in ("inverse", "classes"):
        raise ValueError(f"propensity weights: use must be 'inverse' or 'classes', not {use!r}")
    rho = model.propensity_of(respondents)
    if np.isnan(rho).any():
        first = respondents[model.variables][np.isnan(rho)].iloc[0].to_dict()
        raise ValueError(f"propensity weights: {int(np.isnan(rho).sum())} respondent(s) are in a cell the response "
                         f"model does not have, e.g. {first}; fit the model on the same respondents")
    if use == "inverse":
        return 1.0 / rho
    c = model.cells.sort_values("propensity", ignore_index=True)
    share = c.persons.cumsum() / c.persons.sum()
    c["class"] = np.minimum((share * classes - 1e-9).astype(int), classes - 1)
    rate = c.groupby("class").apply(lambda g: g.respondents.sum() / g.persons.sum(), include_groups=False)
    c["class_rate"] = c["class"].map(rate)
    keyed = c.set_index(model.variables)["class_rate"]
    return 1.0 / keyed.reindex(pd.MultiIndex.from_frame(respondents[model.variables].astype(str))).to_numpy()
