"""Cleaning and scoring: from the raw export to one typed row per valid respondent.

The raw export holds LimeSurvey answer codes as strings. Cleaning keeps the valid respondents
(submitted, consent given, in the population frame), links each to the frame's registry
characteristics through the personal link, turns answer codes into numeric values with the
questionnaire specification (missing-value codes become NA with a reason), computes every scale
and indicator, and replaces the token by a keyed pseudonym. Tokens, free text, seeds and exact
timestamps stay behind in ``data_raw/``.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

from analysis.errors import PipelineError
from analysis.questionnaire import Condition, Indicator, Item, Questionnaire, Scale

MISSING_REASONS = ["dont_know", "refused", "not_applicable", "not_answered"]
"""Why a value is NA: an explicit missing-value code, not asked because of a filter, or no
answer at all (``""``: LimeSurvey exports "not shown" and "not answered" alike)."""

REASON_SUFFIX = "__missing"
INDICATOR_PREFIX = "ind_"


def decode_item(codes: pd.Series, item: Item, variable: str) -> tuple[pd.Series, pd.Series]:
    """Answer codes of one variable -> (numeric values, missing reasons).

    Unknown codes are an error naming the variable and the code, never silently dropped.
    """
    codes = codes.astype("string").fillna("")
    values = pd.Series(np.nan, index=codes.index, dtype="float64")
    reasons = pd.Series(pd.NA, index=codes.index, dtype="string")
    blank = codes == ""
    reasons[blank] = "not_answered"
    given = codes[~blank]
    if item.type == "yesno":
        mapping: dict[str, float | str] = {"Y": 1.0, "N": 0.0}
    elif item.type == "multiple":
        mapping = {"Y": 1.0}  # unchosen boxes are "", resolved per item in score_respondents
    elif item.type == "date":
        dates = pd.to_datetime(given, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        bad = given[dates.isna()]
        if len(bad):
            raise PipelineError(f"item {variable}: answer {bad.iloc[0]!r} is not a LimeSurvey date; check the export.")
        out = pd.Series(pd.NaT, index=codes.index, dtype="datetime64[ns]")
        out[dates.index] = dates
        return out, reasons
    elif item.type == "numeric":
        numbers = pd.to_numeric(given, errors="coerce")
        bad = given[numbers.isna()]
        if len(bad):
            raise PipelineError(f"item {variable}: answer {bad.iloc[0]!r} is not a number; check the export.")
        lo, hi = item.range  # type: ignore[misc]
        out_of_range = numbers[(numbers < lo) | (numbers > hi)]
        if len(out_of_range):
            raise PipelineError(
                f"item {variable}: value {out_of_range.iloc[0]:g} lies outside its range [{lo:g}, {hi:g}] "
                "in questionnaire.yaml; check the export or the range."
            )
        values[numbers.index] = numbers.astype(float)
        return values, reasons
    else:
        mapping = {o.code: (o.value if o.value is not None else o.missing) for o in item.options}  # type: ignore[misc]
    unknown = sorted(set(given) - set(mapping))
    if unknown:
        raise PipelineError(
            f"item {variable}: answer code {unknown[0]!r} is not in questionnaire.yaml; "
            "add it to the item's options or fix the export."
        )
    mapped = given.map(mapping)
    is_reason = mapped.map(lambda v: isinstance(v, str))
    values[mapped.index[~is_reason]] = mapped[~is_reason].astype(float)
    reasons[mapped.index[is_reason]] = mapped[is_reason].astype("string")
    return values, reasons


def score_scale(values: pd.DataFrame, scale: Scale) -> pd.Series:
    """Score a scale from item values, with its rule for partial item non-response.

    Each item value is turned into points by its scoring group. With ``method: sum`` the score
    is mean(points of answered items) * n_items * multiply, i.e. the sum of points prorated
    over unanswered items; with ``method: mean`` it is mean(points) * multiply. Respondents who
    answered fewer than ``min_answered`` items get NA.

    Examples
    --------
    MHI-5 (CBS scoring): a respondent who is 'soms' (4) nervous, 'nooit' (6) down, 'meestal'
    (2) calm, 'soms' (4) blue and 'vaak' (3) happy scores (3 + 5 + 4 + 3 + 3) * 4 = 72.

    >>> from analysis.questionnaire import Scale
    >>> neg = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5}
    >>> mhi5 = Scale(label="MHI-5", source="CBS", min_answered=4, multiply=4, scoring=[
    ...     {"items": ["nervous", "down", "blue"], "points": neg},
    ...     {"items": ["calm", "happy"], "points": {k: 5 - v for k, v in neg.items()}}])
    >>> answers = pd.DataFrame({"nervous": [4, 4], "down": [6, None], "calm": [2, 2],
    ...                         "blue": [4, None], "happy": [3, 3]})
    >>> score_scale(answers, mhi5).tolist()  # second row: only 3 of 5 answered
    [72.0, nan]
    """
    points = []
    for group in scale.scoring:
        for item in group.items:
            points.append(values[item].map(group.points).astype(float).rename(item))
    table = pd.concat(points, axis=1)
    answered = table.notna().sum(axis=1)
    score = table.mean(axis=1) * scale.multiply
    if scale.method == "sum":
        score = score * len(scale.items)
    return score.where(answered >= scale.min_answered)


def _condition_holds(source: pd.Series, cond: Condition) -> pd.Series:
    if cond.in_ is not None:
        return source.isin(cond.in_)
    if cond.below is not None:
        return source < cond.below
    if cond.at_least is not None:
        return source >= cond.at_least
    return source <= cond.at_most


def indicator_value(columns: dict[str, pd.Series], indicator: Indicator) -> pd.Series:
    """Per-respondent value of an indicator: 0/1 for a proportion, the value for a mean;
    NA outside the indicator's universe and where its source is NA."""
    source = columns[indicator.of].astype(float)
    if indicator.kind == "mean":
        value = source
    else:
        assert indicator.condition is not None
        value = _condition_holds(source, indicator.condition).astype(float).where(source.notna())
    if indicator.universe is not None:
        value = value.where(_condition_holds(columns[indicator.universe.of], indicator.universe))
    return value


def score_respondents(answers: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Item values, missing reasons, scales and indicators from a table of answer codes.

    ``answers`` has one column per export column (``CODE`` / ``CODE[SQ]``); free-text items
    are not carried over. Items whose filter did not hold are NA with reason
    ``not_applicable``; a multiple-choice item with no box ticked is NA (``not_answered``),
    otherwise its unticked boxes are 0.
    """
    variables = questionnaire.variables()
    values: dict[str, pd.Series] = {}
    reasons: dict[str, pd.Series] = {}
    for var, (col, item) in variables.items():
        if item.type == "text":
            continue
        if col not in answers.columns:
            raise PipelineError(f"the export lacks column {col!r} of item {var}; export all questions.")
        values[var], reasons[var] = decode_item(answers[col], item, var)
    for item_id, item in questionnaire.items.items():
        members = [s.id for s in item.subquestions] or [item_id]
        if item.type == "multiple":
            ticked = pd.concat([values[m] for m in members], axis=1).notna().any(axis=1)
            for m in members:
                values[m] = values[m].where(~ticked, values[m].fillna(0.0))
                reasons[m] = reasons[m].mask(ticked)
        if item.filter:
            shown = pd.Series(True, index=answers.index)
            for f in item.filter:
                shown &= answers[variables[f.item][0]].astype("string").isin(f.codes).fillna(False)
            for m in members:
                values[m] = values[m].where(shown)
                reasons[m] = reasons[m].where(shown, "not_applicable")
    columns: dict[str, pd.Series] = {}
    for var, value in values.items():
        columns[var] = value
        if reasons[var].notna().any():
            columns[var + REASON_SUFFIX] = pd.Series(
                pd.Categorical(reasons[var], categories=MISSING_REASONS), index=answers.index
            )
    frame = pd.DataFrame(values)
    for scale_id, scale in questionnaire.scales.items():
        columns[scale_id] = score_scale(frame, scale)
    for ind in questionnaire.indicators:
        columns[INDICATOR_PREFIX + ind.id] = indicator_value(columns, ind)
    return pd.DataFrame(columns, index=answers.index)


def pseudonym(secret: str, survey_id: int, token: str) -> str:
    """Keyed pseudonym of a respondent: HMAC-SHA256(secret, "<survey id>:<token>"), 20 hex digits.

    Stable across runs (and across waves for the same token), not reversible without the secret.
    """
    msg = f"{survey_id}:{token}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:20]


def clean_responses(
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    questionnaire: Questionnaire,
    *,
    survey_id: int,
    consent_column: str,
    consent_value: str,
    frame_key: str,
    frame_variables: list[str],
    categories: dict[str, list[str]],
    languages: list[str],
    secret: str,
    require_submitted: bool = True,
) -> tuple[pd.DataFrame, list[dict]]:
    """Valid respondents as a typed, scored, pseudonymised table, plus the cleaning log.

    Rules, in order (each a line of the log with the number of records it removed):
    1. submitted questionnaires only (``submitdate`` set), when ``require_submitted``;
    2. consent given;
    3. the personal link (``frame_key``) is in the population frame;
    4. one record per person: of several submitted records with the same link, the last
       submitted is kept.
    """
    log: list[dict] = [{"step": "records in export", "removed": 0, "remaining": len(raw)}]

    def step(name: str, keep: pd.Series) -> pd.DataFrame:
        kept = raw[keep]
        log.append({"step": name, "removed": int((~keep).sum()), "remaining": len(kept)})
        return kept

    if require_submitted:
        raw = step("not submitted (broken off)", raw["submitdate"].fillna("") != "")
    raw = step("no consent", raw[consent_column].fillna("") == consent_value)
    if frame_key not in raw.columns:
        raise PipelineError(
            f"the export has no {frame_key!r} column to link responses to the frame; "
            "export with the participant table, or change 'frame_key' in cleaning.yaml."
        )
    raw = step("not in population frame", raw[frame_key].isin(frame[frame_key]))
    raw = raw.sort_values(["submitdate", "id"])
    raw = step("duplicate link (earlier submission)", ~raw[frame_key].duplicated(keep="last"))

    linked = raw.merge(frame[[frame_key, *frame_variables]], on=frame_key, how="left", validate="many_to_one")
    scored = score_respondents(linked, questionnaire)
    out = pd.DataFrame(
        {"respondent_key": [pseudonym(secret, survey_id, t) for t in linked[frame_key]]}, index=linked.index
    )
    for var in frame_variables:
        out[var] = pd.Categorical(linked[var], categories=categories[var])
        if out[var].isna().any():
            raise PipelineError(
                f"frame variable {var!r} has values outside population.yaml categories "
                f"({sorted(set(linked[var].dropna()) - set(categories[var]))}); fix the frame or the categories."
            )
    unknown = sorted(set(linked["startlanguage"]) - set(languages))
    if unknown:
        raise PipelineError(
            f"responses started in language(s) {unknown} that wave.yaml 'languages' does not list; add them."
        )
    out["language"] = pd.Categorical(linked["startlanguage"], categories=languages)
    submitted = pd.to_datetime(linked["submitdate"], errors="coerce")
    started = pd.to_datetime(linked["startdate"], errors="coerce")
    out["duration_seconds"] = (submitted - started).dt.total_seconds()
    out = pd.concat([out, scored], axis=1)
    out = out.sort_values("respondent_key").reset_index(drop=True)
    log.append({"step": "valid respondents", "removed": 0, "remaining": len(out)})
    return out, log
