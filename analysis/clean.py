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
from analysis.questionnaire import Indicator, Item, Questionnaire, Scale

MISSING_REASONS = ["dont_know", "refused", "not_answered"]
"""Why a value is NA: an explicit missing-value code, or no answer at all (``""``)."""

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


def score_scale(codes: pd.DataFrame, scale: Scale, variables: dict[str, str]) -> pd.Series:
    """Score a scale from answer codes, with its rule for partial item non-response.

    score = mean(points of answered items) * n_items * multiply, when at least
    ``min_answered`` items are answered; NA otherwise. With every item answered this is the
    plain sum of points times ``multiply`` (MHI-5: sum of 0–5 points times 4 gives 0–100).
    """
    points = []
    for group in scale.scoring:
        for item in group.items:
            mapped = codes[variables[item]].astype("string").map(group.points)
            points.append(pd.to_numeric(mapped, errors="coerce").rename(item))
    table = pd.concat(points, axis=1)
    answered = table.notna().sum(axis=1)
    score = table.mean(axis=1) * len(scale.items) * scale.multiply
    return score.where(answered >= scale.min_answered)


def indicator_value(source: pd.Series, indicator: Indicator) -> pd.Series:
    """The per-respondent value of an indicator: 0/1 for a proportion, the value for a mean."""
    if indicator.kind == "mean":
        return source.astype(float)
    cond = indicator.condition
    assert cond is not None
    if cond.in_ is not None:
        hit = source.isin(cond.in_)
    elif cond.below is not None:
        hit = source < cond.below
    else:
        hit = source >= cond.at_least
    return hit.astype(float).where(source.notna())


def score_respondents(answers: pd.DataFrame, questionnaire: Questionnaire) -> pd.DataFrame:
    """Item values, missing reasons, scales and indicators from a table of answer codes.

    ``answers`` has one column per export column (``CODE`` / ``CODE[SQ]``); free-text items
    are not carried over.
    """
    variables = questionnaire.variables()
    columns: dict[str, pd.Series] = {}
    for var, (col, item) in variables.items():
        if item.type == "text":
            continue
        if col not in answers.columns:
            raise PipelineError(f"the export lacks column {col!r} of item {var}; export all questions.")
        values, reasons = decode_item(answers[col], item, var)
        columns[var] = values
        if reasons.notna().any():
            columns[var + REASON_SUFFIX] = pd.Categorical(reasons, categories=MISSING_REASONS)
    export_columns = {var: col for var, (col, _) in variables.items()}
    for scale_id, scale in questionnaire.scales.items():
        columns[scale_id] = score_scale(answers, scale, export_columns)
    for ind in questionnaire.indicators:
        columns[INDICATOR_PREFIX + ind.id] = indicator_value(columns[ind.of], ind)
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
