"""The waves of a measurement as a series: is a change between two waves comparable, by rule.

A wave's ``baseline_wave`` is the wave before it; following them gives the series
(:func:`rapportage.stages.pipeline.series`). For every indicator and every pair of consecutive
waves the rule below says ``vergelijkbaar``, ``vergelijkbaar met kanttekening`` or ``niet
vergelijkbaar``, with its reasons in Dutch (the report prints them), and the design-based test
of the change.

The rule, with the thresholds of the later wave's ``wave.yaml`` (``comparability``):

- **measurement**: the indicator's definition, and every item behind it — code, type, answer
  codes and values, filter and the wording in the base language — unchanged: otherwise *niet
  vergelijkbaar*. The wording or an answer option changed in another language used in both
  waves: *met kanttekening* (only the respondents of that language are affected).
- **weighting**: the same auxiliary variables and categories, method, bounds, trimming and
  response model (:func:`rapportage.config.weighting_differences`): otherwise *niet vergelijkbaar*.
- **representativeness**: each wave's maximal absolute bias bound of the estimate,
  ``B_max = (1 - R) * S(y) / (2 * mean response propensity)`` (Schouten, Cobben & Bethlehem
  2009), from the R-indicator of the wave's response model on the frame. B_max bounds the bias
  of the unweighted response mean for the worst case; it is large for any survey with a response
  rate far below 100% and mostly cancels in a change when both waves responded alike. What does
  not cancel is a change in representativeness, so the rule compares ``|B_max,later -
  B_max,earlier|`` with the margin of error of the change (``z * SE``): above
  ``bias_caveat`` margins *met kanttekening*, above ``bias_break`` *niet vergelijkbaar*. (The
  sum of both bounds, the bound of the change's bias without that assumption, is written too.)
- **mode**: the share of interviews (``mode_item``, ``interview_codes``) among the respondents
  differs by more than ``mode_shift_points`` percentage points: *met kanttekening* (a wave
  without the mode item was online only).

A change is tested as the difference of two independent estimates: SE = sqrt(SE_a^2 + SE_b^2),
two-sided normal test. People who take part in two waves make the two estimates positively
correlated for most indicators, so this SE is then a little too large and the test conservative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from rapportage.config import Wave, weighting_differences
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
    interview_share: float | None
    """Share of respondents interviewed (0 for a wave without the mode item: online only)."""

    @classmethod
    def of(cls, wave: Wave, respondents: pd.DataFrame | None = None) -> "WaveFacts":
        report = WeightingReport.read(wave.clean_dir / "weighting.json")
        rep = report.representativeness
        if respondents is None:
            respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
        mode = wave.config.comparability.mode_item
        share: float | None = 0.0
        if mode is not None and mode in respondents:
            item = wave.questionnaire.items[mode]
            values = {o.value for o in item.options if o.code in wave.config.comparability.interview_codes}
            answered = respondents[mode].dropna()
            share = float(answered.isin(values).mean()) if len(answered) else None
        return cls(wave, rep.r_indicator if rep else None, rep.response_rate if rep else None, share)

    def bias_bound(self, sd: pd.Series) -> pd.Series:
        """B_max of each estimate with population standard deviation ``sd`` (NaN without an R-indicator)."""
        if self.r_indicator is None or not self.response_rate:
            return pd.Series(np.nan, index=sd.index)
        return (1 - self.r_indicator) * sd / (2 * self.response_rate)


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


def measurement_reasons(earlier: Wave, later: Wave) -> dict[str, list[tuple[str, str]]]:
    """Per indicator of ``later`` that ``earlier`` has too: (level, reason) of every measurement change."""
    qa, qb = earlier.questionnaire, later.questionnaire
    diff = compare(qa, qb)
    shared = [lang for lang in later.config.languages if lang in earlier.config.languages and lang != qb.base_language]
    out: dict[str, list[tuple[str, str]]] = {}
    old_ids = {i.id for i in qa.indicators}
    for ind in qb.indicators:
        if ind.id not in old_ids:
            continue
        reasons: list[tuple[str, str]] = []
        if ind.id in diff.indicators_changed:
            reasons.append((NOT_COMPARABLE, "de indicator is anders gedefinieerd"))
        items = sorted(items_behind(qb, ind.id))
        changed = [i for i in items if i in diff.changed or i in diff.added]
        if changed:
            reasons.append((NOT_COMPARABLE, "de vraag is anders gesteld (" + ", ".join(_question(qb, i) for i in changed) + ")"))
        else:
            for lang in shared:
                moved = [i for i in items if i in qa.items and _wording(qa.items[i], lang) != _wording(qb.items[i], lang)]
                if moved:
                    name = qb.languages[lang].name if lang in qb.languages else lang
                    reasons.append((CAVEAT, f"de vertaling in het {name} is gewijzigd ("
                                    + ", ".join(_question(qb, i) for i in moved) + ")"))
        out[ind.id] = reasons
    return out


def _question(q: Questionnaire, item_id: str) -> str:
    return f"vraag {q.items[item_id].code}"


def compare_pair(earlier: Wave, later: Wave, est_a: pd.DataFrame, est_b: pd.DataFrame,
                 facts_a: WaveFacts, facts_b: WaveFacts, confidence: float) -> pd.DataFrame:
    """Every cell published in both waves (by indicator, group and category), with the change,
    its test and the rule's verdict. ``est_a``/``est_b``: the waves' estimates tables."""
    rules = later.config.comparability
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    key = ["indicator", "group", "category"]
    a = est_a[key + ["estimate", "se", "sd", "suppressed"]].assign(bias_bound=facts_a.bias_bound(est_a["sd"]))
    b = est_b[key + ["kind", "estimate", "se", "sd", "suppressed"]].assign(bias_bound=facts_b.bias_bound(est_b["sd"]))
    out = b.merge(a, on=key, how="inner", suffixes=("", "_earlier"))
    hidden = out["suppressed"] | out["suppressed_earlier"].astype(bool)
    out["change"] = (out["estimate"] - out["estimate_earlier"]).where(~hidden)
    out["change_se"] = np.sqrt(out["se"] ** 2 + out["se_earlier"] ** 2)
    out["change_ci_low"] = out["change"] - z * out["change_se"]
    out["change_ci_high"] = out["change"] + z * out["change_se"]
    with np.errstate(divide="ignore", invalid="ignore"):
        zstat = out["change"] / out["change_se"]
    out["p_value"] = np.where(out["change_se"] > 0, 2 * stats.norm.sf(np.abs(zstat)), np.nan)
    out.loc[out["change"].isna(), "p_value"] = np.nan
    margin = z * out["change_se"]
    out["bias_difference"] = (out["bias_bound"] - out["bias_bound_earlier"]).abs()
    # B_max is a bound for the population mean: the indicator's verdict on representativeness is
    # that of its overall estimate, for every group too
    ratio = (out["bias_difference"] / margin).where(margin > 0)
    overall = ratio[out["group"] == "totaal"].set_axis(out.loc[out["group"] == "totaal", "indicator"])
    out["bias_ratio"] = out["indicator"].map(overall)
    out["bias_bound_change"] = out["bias_bound"] + out["bias_bound_earlier"]

    measurement = measurement_reasons(earlier, later)
    weighting = weighting_differences(later.population, earlier.population)
    mode_a, mode_b = facts_a.interview_share, facts_b.interview_share
    mode_reason = None
    if mode_a is not None and mode_b is not None and abs(mode_b - mode_a) * 100 > rules.mode_shift_points:
        mode_reason = (CAVEAT, f"het aandeel interviews in de eigen taal ging van {_pct(mode_a)} naar {_pct(mode_b)}")
    levels, reasons = [], []
    for row in out.itertuples():
        found: list[tuple[str, str]] = list(measurement.get(row.indicator, []))
        found += [(NOT_COMPARABLE, f"anders gewogen: {w}") for w in weighting]
        if np.isnan(row.change):
            found.append((NOT_COMPARABLE, "te weinig respondenten in een van beide metingen"))
        elif np.isnan(row.bias_ratio):
            found.append((CAVEAT, "de representativiteit van een van beide metingen is onbekend (geen R-indicator)"))
        elif row.bias_ratio > rules.bias_caveat:
            worse = later if (facts_b.r_indicator or 0) < (facts_a.r_indicator or 0) else earlier
            found.append((NOT_COMPARABLE if row.bias_ratio > rules.bias_break else CAVEAT,
                          f"de respons in {worse.config.year} was minder representatief (R-indicator {_r(facts_a.r_indicator)} in "
                          f"{earlier.config.year} en {_r(facts_b.r_indicator)} in {later.config.year}); het verschil in mogelijke "
                          f"vertekening is {_times(row.bias_ratio)} de foutmarge van de verandering"))
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
        overall.insert(0, "wave", wave.id)
        overall.insert(1, "year", wave.config.year)
        overall["bias_bound"] = facts[wave.id].bias_bound(est.loc[overall.index, "sd"])
        if i > 0:
            before = chain[i - 1]
            pair = compare_pair(before, wave, tables[before.id], est, facts[before.id], facts[wave.id],
                                wave.config.estimation.confidence)
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
