"""The waves of a measurement as a series: is a change between two waves comparable, by rule.

A wave's ``baseline_wave`` is the wave before it; following them gives the series
(:func:`rapportage.stages.pipeline.series`). For every indicator and every pair of consecutive
waves the rule below says ``vergelijkbaar``, ``vergelijkbaar met kanttekening`` or ``niet
vergelijkbaar``, with its reasons in Dutch (the report prints them), and the design-based test
of the change. Every pair is judged with the newest wave's confidence level and thresholds
(``comparability`` in its ``wave.yaml``), so one report applies one rule.

- **measurement**: the indicator's definition (kind, source, condition, universe), the scales
  behind it (scoring, minimum answered, multiplier, method) and every item behind it — code,
  type, answer codes and values, filter and the wording in the base language — unchanged:
  otherwise *niet vergelijkbaar*. The wording or an answer option changed in another language
  used in both waves: *met kanttekening* (only the respondents of that language are affected).
- **weighting**: the same auxiliary variables and categories, method, bounds, trimming and
  response model (:func:`rapportage.config.weighting_differences`): otherwise *niet vergelijkbaar*.
- **representativeness**: the maximal absolute bias of an unweighted response mean is
  ``B_max = (1 - R) * S(y) / (2 * rhobar) = S(rho / rhobar) * S(y)`` (Schouten, Cobben &
  Bethlehem 2009), with the response propensities rho of the wave's response model on the frame.
  The bias of a change is the difference of two such biases, ``Cov(rho_b / rhobar_b - rho_a /
  rhobar_a, y)``, so it is bounded by ``S(rho_b / rhobar_b - rho_a / rhobar_a) * S(y)`` when the
  two response models have the same variables and the population's make-up and answers per cell
  are alike in both years: equally selective response in the same direction cancels, response
  that became selective in another way does not. (Without a shared model the bound is
  ``B_max,a + B_max,b``.) The R-indicator is computed on the variables the weighting corrects for,
  so this measures how much the estimates lean on the weighting's assumption (that within the
  weighting cells respondents answer like non-respondents), not a bias that is left: a heuristic
  for the risk of bias, compared with the change's margin of error (``z * SE``): above
  ``bias_caveat`` margins *met kanttekening*, above ``bias_break`` *niet vergelijkbaar*, per
  indicator on its overall estimate.
- **mode**: the share of interviews (the newest wave's ``mode_item`` and ``interview_codes``,
  where the item exists; a wave without it was online only) among the respondents differs by
  more than ``mode_shift_points`` percentage points: *met kanttekening*.

A change is tested as the difference of two independent estimates: SE = sqrt(SE_a^2 + SE_b^2),
two-sided normal test. People who take part in two waves make the two estimates positively
correlated for most indicators, so this SE is then a little too large and the test conservative.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from rapportage.config import Comparability, Wave, weighting_differences
from rapportage.contracts import WeightingReport
from rapportage.questionnaire.spec import Item, Questionnaire, compare

COMPARABLE, CAVEAT, NOT_COMPARABLE = "vergelijkbaar", "vergelijkbaar met kanttekening", "niet vergelijkbaar"
LEVELS = [COMPARABLE, CAVEAT, NOT_COMPARABLE]


@dataclass(frozen=True)
class WaveFacts:
    """What the rule needs of one wave besides its estimates."""

    wave: Wave
    r_indicator: float | None
    response_rate: float | None
    """The mean response propensity (the logistic model with an intercept reproduces the rate)."""
    cells: pd.DataFrame | None = None
    """The response model's cells: one column per model variable, ``persons``, ``propensity``."""
    respondents: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def of(cls, wave: Wave, respondents: pd.DataFrame | None = None) -> "WaveFacts":
        rep = WeightingReport.read(wave.clean_dir / "weighting.json").representativeness
        if respondents is None:
            respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
        cells = None
        if rep is not None and rep.cells:
            cells = pd.DataFrame([{**c.categories, "persons": c.persons, "propensity": c.propensity} for c in rep.cells])
        return cls(wave, rep.r_indicator if rep else None, rep.response_rate if rep else None, cells, respondents)

    @property
    def model_variables(self) -> list[str]:
        return [] if self.cells is None else [c for c in self.cells.columns if c not in ("persons", "propensity")]

    def interview_share(self, rules: Comparability) -> float | None:
        """Share of respondents interviewed, by the newest wave's mode item and codes (0 when the
        wave's questionnaire has no such item: online only; None when nobody answered it)."""
        mode = rules.mode_item
        if mode is None:
            return None
        item = self.wave.questionnaire.items.get(mode)
        if item is None or mode not in self.respondents:
            return 0.0
        values = {o.value for o in item.options if o.code in rules.interview_codes}
        answered = self.respondents[mode].dropna()
        return float(answered.isin(values).mean()) if len(answered) else None

    def bias_bound(self, sd: pd.Series) -> pd.Series:
        """B_max of each estimate with population standard deviation ``sd`` (NaN without an R-indicator)."""
        if self.r_indicator is None or not self.response_rate:
            return pd.Series(np.nan, index=sd.index)
        return (1 - self.r_indicator) * sd / (2 * self.response_rate)


def _propensity_at(facts: WaveFacts, cells: pd.DataFrame) -> np.ndarray | None:
    """The wave's fitted response propensity for other cells (of another wave's frame): its model
    has main effects on the logit scale, so its coefficients follow exactly from its own cells'
    fitted values; None when ``cells`` has a category the wave's model has not seen."""
    assert facts.cells is not None
    variables = facts.model_variables
    own = pd.get_dummies(facts.cells[variables].astype(str), drop_first=False, dtype=float)
    other = pd.get_dummies(cells[variables].astype(str), drop_first=False, dtype=float)
    if set(other.columns) - set(own.columns):
        return None
    other = other.reindex(columns=own.columns, fill_value=0.0)
    design = np.column_stack([np.ones(len(own)), own.to_numpy()])
    logit = np.log(facts.cells["propensity"] / (1 - facts.cells["propensity"])).to_numpy()
    beta, *_ = np.linalg.lstsq(design, logit, rcond=None)
    fitted = np.column_stack([np.ones(len(other)), other.to_numpy()]) @ beta
    return 1 / (1 + np.exp(-fitted))


def relative_propensity_spread(a: WaveFacts, b: WaveFacts) -> float | None:
    """S(rho_b / rhobar_b - rho_a / rhobar_a) over the later wave's population cells, when both
    waves have a response model on the same variables (None otherwise). rhobar is each wave's
    mean propensity over its own population."""
    if a.cells is None or b.cells is None or sorted(a.model_variables) != sorted(b.model_variables):
        return None
    rho_a = _propensity_at(a, b.cells)
    if rho_a is None:
        return None
    n = b.cells["persons"].to_numpy(float)
    mean_b = np.sum(n * b.cells["propensity"]) / n.sum()
    mean_a = float(np.sum(a.cells["persons"] * a.cells["propensity"]) / a.cells["persons"].sum())
    d = b.cells["propensity"].to_numpy() / mean_b - rho_a / mean_a
    centre = np.sum(n * d) / n.sum()
    return float(np.sqrt(np.sum(n * (d - centre) ** 2) / (n.sum() - 1)))


def _wording(item: Item, language: str) -> tuple:
    return (item.text.get(language), [(o.code, o.label.get(language)) for o in item.options],
            [(s.code, s.text.get(language)) for s in item.subquestions], (item.other or {}).get(language))


def items_behind(q: Questionnaire, indicator_id: str) -> set[str]:
    """Item ids an indicator (its source and its universe) is made of."""
    ind = q.indicator(indicator_id)

    def of(name: str) -> set[str]:
        if name in q.scales:
            return {q.item_of(v)[0] for v in q.scales[name].items}
        return {q.item_of(name)[0]}

    return of(ind.of) | (of(ind.universe.of) if ind.universe else set())


DEFINITION = ("kind", "of", "condition", "universe")
"""What defines an indicator (its label, groups, unit, domain and source do not change what it measures)."""


def _scales_behind(q: Questionnaire, indicator_id: str) -> set[str]:
    ind = q.indicator(indicator_id)
    return {name for name in (ind.of, ind.universe.of if ind.universe else None) if name in q.scales}


def _scoring(q: Questionnaire, name: str) -> dict | None:
    scale = q.scales.get(name)
    return None if scale is None else scale.model_dump(exclude={"label", "source", "reflective"})


def measurement_reasons(earlier: Wave, later: Wave) -> dict[str, list[tuple[str, str]]]:
    """Per indicator of ``later`` that ``earlier`` has too: (level, reason) of every measurement change."""
    qa, qb = earlier.questionnaire, later.questionnaire
    diff = compare(qa, qb)
    shared = [lang for lang in later.config.languages if lang in earlier.config.languages and lang != qb.base_language]
    out: dict[str, list[tuple[str, str]]] = {}
    old = {i.id: i for i in qa.indicators}
    for ind in qb.indicators:
        if ind.id not in old:
            continue
        reasons: list[tuple[str, str]] = []
        before, now = old[ind.id].model_dump(include=set(DEFINITION)), ind.model_dump(include=set(DEFINITION))
        scales = _scales_behind(qb, ind.id) | _scales_behind(qa, ind.id)
        if before != now or any(_scoring(qa, s) != _scoring(qb, s) for s in scales):
            reasons.append((NOT_COMPARABLE, "de indicator wordt anders berekend"))
        items = sorted(items_behind(qb, ind.id))
        changed = [i for i in items if i in diff.changed or i in diff.added]
        if changed:
            reasons.append((NOT_COMPARABLE, "de vraag is anders gesteld" if len(items) == 1 else
                            f"{len(changed)} van de {len(items)} vragen zijn anders gesteld"))
        else:
            for lang in shared:
                if any(i in qa.items and _wording(qa.items[i], lang) != _wording(qb.items[i], lang) for i in items):
                    name = qb.languages[lang].name if lang in qb.languages else lang
                    reasons.append((CAVEAT, f"de vertaling in het {name} is gewijzigd"))
        out[ind.id] = reasons
    return out


def compare_pair(earlier: Wave, later: Wave, est_a: pd.DataFrame, est_b: pd.DataFrame,
                 facts_a: WaveFacts, facts_b: WaveFacts, confidence: float,
                 rules: Comparability | None = None) -> pd.DataFrame:
    """Every cell published in both waves (by indicator, group and category), with the change,
    its test and the rule's verdict. ``est_a``/``est_b``: the waves' estimates tables;
    ``confidence`` and ``rules``: the newest wave's of the series (default: ``later``'s rules)."""
    rules = rules or later.config.comparability
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    key = ["indicator", "group", "category"]
    a = est_a[key + ["estimate", "se", "sd", "suppressed"]].assign(bias_bound=facts_a.bias_bound(est_a["sd"]))
    b = est_b[key + ["kind", "estimate", "se", "sd", "suppressed"]].assign(bias_bound=facts_b.bias_bound(est_b["sd"]))
    out = b.merge(a, on=key, how="inner", suffixes=("", "_earlier"))
    hidden = out["suppressed"] | out["suppressed_earlier"].astype(bool)
    # a suppressed cell is not published, in either wave: no estimate of the other wave, no change either
    out["estimate_earlier"] = out["estimate_earlier"].where(~out["suppressed_earlier"].astype(bool))
    out["change"] = (out["estimate"] - out["estimate_earlier"]).where(~hidden)
    out["change_se"] = np.sqrt(out["se"] ** 2 + out["se_earlier"] ** 2).where(~hidden)
    out["change_ci_low"] = out["change"] - z * out["change_se"]
    out["change_ci_high"] = out["change"] + z * out["change_se"]
    with np.errstate(divide="ignore", invalid="ignore"):
        zstat = out["change"] / out["change_se"]
    out["p_value"] = np.where(out["change_se"] > 0, 2 * stats.norm.sf(np.abs(zstat)), np.nan)
    out.loc[out["change"].isna(), "p_value"] = np.nan
    margin = z * out["change_se"]
    spread = relative_propensity_spread(facts_a, facts_b)
    if spread is not None:  # the bias of the change, bounded through the shared response model
        out["bias_bound_change"] = spread * np.sqrt((out["sd"] ** 2 + out["sd_earlier"] ** 2) / 2)
    else:  # no shared model: the bound of each wave, added
        out["bias_bound_change"] = out["bias_bound"] + out["bias_bound_earlier"]
    # B_max is a bound for the population mean: the indicator's verdict on representativeness is
    # that of its overall estimate, for every group too
    ratio = (out["bias_bound_change"] / margin).where(margin > 0)
    overall = out["group"] == "totaal"
    out["bias_ratio"] = out["indicator"].map(ratio[overall].set_axis(out.loc[overall, "indicator"]))

    measurement = measurement_reasons(earlier, later)
    weighting = weighting_differences(later.population, earlier.population)
    mode_a, mode_b = facts_a.interview_share(rules), facts_b.interview_share(rules)
    mode_reason = None
    if mode_a is not None and mode_b is not None and abs(mode_b - mode_a) * 100 > rules.mode_shift_points:
        mode_reason = (CAVEAT, f"het aandeel interviews in de eigen taal ging van {_pct(mode_a)} naar {_pct(mode_b)}")
    unknown_r = facts_a.r_indicator is None or facts_b.r_indicator is None
    levels, reasons = [], []
    for row in out.itertuples():
        found: list[tuple[str, str]] = list(measurement.get(row.indicator, []))
        found += [(NOT_COMPARABLE, f"anders gewogen: {w}") for w in weighting]
        if np.isnan(row.change):
            found.append((NOT_COMPARABLE, "te weinig respondenten in een van beide metingen"))
        elif unknown_r:
            found.append((CAVEAT, "de representativiteit van een van beide metingen is onbekend (geen steekproefkader)"))
        elif not np.isnan(row.bias_ratio) and row.bias_ratio > rules.bias_caveat:
            found.append((NOT_COMPARABLE if row.bias_ratio > rules.bias_break else CAVEAT,
                          f"de respons was in {earlier.config.year} en {later.config.year} op een andere manier selectief "
                          f"(R-indicator {_r(facts_a.r_indicator)} en {_r(facts_b.r_indicator)}; 1 is volledig "
                          f"representatief){'' if spread is not None else ' en de responsmodellen verschillen'}"
                          f"; de mogelijke vertekening van de verandering is {_times(row.bias_ratio)} de foutmarge"))
        if mode_reason:
            found.append(mode_reason)
        level = max((LEVELS.index(lv) for lv, _ in found), default=0)
        levels.append(LEVELS[level])
        reasons.append("; ".join(text for _, text in found))
    out["comparability"] = levels
    out["comparability_note"] = reasons
    out["comparable"] = out["comparability"] != NOT_COMPARABLE
    out.loc[~out["comparable"], ["change", "change_ci_low", "change_ci_high", "p_value"]] = np.nan
    out.insert(0, "wave_earlier", earlier.id)
    out.insert(1, "wave", later.id)
    out.insert(2, "year_earlier", earlier.config.year)
    out.insert(3, "year", later.config.year)
    return out.drop(columns=["suppressed", "suppressed_earlier", "sd", "sd_earlier"])


def _pct(x: float) -> str:
    return f"{round(100 * x):d}%"


def _r(x: float | None) -> str:
    return "onbekend" if x is None else f"{x:.2f}".replace(".", ",")


def _times(ratio: float) -> str:
    return f"{ratio:.1f} keer".replace(".", ",")


PAIR_COLUMNS = ["wave_earlier", "change", "change_se", "change_ci_low", "change_ci_high", "p_value", "bias_ratio",
                "bias_bound_change", "comparability", "comparability_note"]


def trend_table(chain: list[Wave], tables: dict[str, pd.DataFrame], facts: dict[str, WaveFacts]) -> pd.DataFrame:
    """The series of the overall estimates: one row per indicator and wave where it exists,
    with the comparison with the wave before (columns of :func:`compare_pair`, empty for the first)."""
    rows = []
    for i, wave in enumerate(chain):
        est = tables[wave.id]
        overall = est[est["group"] == "totaal"][["indicator", "kind", "n", "estimate", "se", "ci_low", "ci_high", "suppressed"]].copy()
        overall.loc[overall["suppressed"], ["estimate", "se", "ci_low", "ci_high"]] = np.nan  # never published
        overall.insert(0, "wave", wave.id)
        overall.insert(1, "year", wave.config.year)
        overall["confidence"] = est.loc[overall.index, "confidence"]
        overall["bias_bound"] = facts[wave.id].bias_bound(est.loc[overall.index, "sd"])
        if i > 0:
            before = chain[i - 1]
            pair = compare_pair(before, wave, tables[before.id], est, facts[before.id], facts[wave.id],
                                chain[-1].config.estimation.confidence, chain[-1].config.comparability)
            pair = pair[pair["group"] == "totaal"][["indicator", *PAIR_COLUMNS]]
            overall = overall.merge(pair, on="indicator", how="left")
        rows.append(overall)
    table = pd.concat(rows, ignore_index=True)
    for column in PAIR_COLUMNS:
        if column not in table:
            table[column] = np.nan
    for column in ("wave_earlier", "comparability", "comparability_note"):
        table[column] = table[column].astype("string")
    table["significant"] = table["p_value"] < (1 - chain[-1].config.estimation.confidence)
    return table
