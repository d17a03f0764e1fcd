"""Response propensities from the population frame: the response model, propensity weights and
representativeness (R-indicator and partial R-indicators).

Everyone in the frame was invited, so the frame gives the response behaviour of the whole
population. With categorical auxiliary variables the model is fitted on the cells of their
cross-classification (respondents out of persons per cell): the same maximum-likelihood fit as
on one row per person, and it needs no link between a respondent and a frame row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from rapportage.statistics.weighting import WeightingError


@dataclass(frozen=True)
class ResponseModel:
    cells: pd.DataFrame
    """One row per cell: the variables, ``persons``, ``respondents`` and fitted ``propensity``."""
    variables: list[str]

    def propensity_of(self, respondents: pd.DataFrame) -> np.ndarray:
        """The fitted propensity of each respondent (by its cell)."""
        keyed = self.cells.set_index(self.variables)["propensity"]
        index = pd.MultiIndex.from_frame(respondents[self.variables].astype(str))
        return keyed.reindex(index).to_numpy()


def response_cells(frame: pd.DataFrame, respondents: pd.DataFrame, variables: list[str]) -> pd.DataFrame:
    """Persons (frame) and valid respondents per cell of ``variables``."""
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

    logit(rho_c) = b0 + sum of category effects, fitted by maximum likelihood on the cells
    (binomial GLM with respondents out of persons; statsmodels). Checked against R
    ``glm(cbind(r, N - r) ~ …, family = binomial)`` to 1e-6 relative.
    """
    x = pd.get_dummies(cells[variables], drop_first=True, dtype=float)
    x.insert(0, "const", 1.0)
    y = np.column_stack([cells.respondents, cells.persons - cells.respondents])
    fit = sm.GLM(y, x, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    out = cells.copy()
    out["propensity"] = fit.predict(x)
    return ResponseModel(out, variables)


def r_indicator(model: ResponseModel) -> float:
    """R-indicator R = 1 - 2 S(rho): S the standard deviation of the response propensities over
    the population (divisor N - 1). R = 1 is fully representative response (Schouten, Cobben &
    Bethlehem 2009, Survey Methodology 35(1))."""
    rho, n = model.cells.propensity.to_numpy(), model.cells.persons.to_numpy()
    mean = np.sum(n * rho) / n.sum()
    return float(1 - 2 * np.sqrt(np.sum(n * (rho - mean) ** 2) / (n.sum() - 1)))


def partial_r_indicators(model: ResponseModel) -> list[dict]:
    """Unconditional partial R-indicators per variable and per category.

    P_u(Z) = sqrt(sum_k N_k / N (rho_k - rho)^2) and P_u(Z, k) = sqrt(N_k / N) (rho_k - rho),
    rho_k the mean propensity in category k (Schouten, Shlomo & Skinner 2011, J. Official
    Statistics 27(2)). A negative category value means under-representation.
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
    class) with classes of about equal population size (Little 1986)."""
    rho = model.propensity_of(respondents)
    if use == "inverse":
        return 1.0 / rho
    c = model.cells.sort_values("propensity", ignore_index=True)
    share = c.persons.cumsum() / c.persons.sum()
    c["class"] = np.minimum((share * classes - 1e-9).astype(int), classes - 1)
    rate = c.groupby("class").apply(lambda g: g.respondents.sum() / g.persons.sum(), include_groups=False)
    c["class_rate"] = c["class"].map(rate)
    keyed = c.set_index(model.variables)["class_rate"]
    return 1.0 / keyed.reindex(pd.MultiIndex.from_frame(respondents[model.variables].astype(str))).to_numpy()
