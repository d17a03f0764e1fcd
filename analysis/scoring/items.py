"""Scoring: from a table of LimeSurvey answer codes to item values with their missing reasons,
then scales and indicators (one row per respondent).

Answer codes become numeric values with the questionnaire specification; missing-value codes
become NA with a reason; filters make items not asked NA (``not_applicable``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import Item, Questionnaire
from rapportage.scoring.indicators import indicator_value
from rapportage.scoring.scales import score_scale

MISSING_REASONS = ["dont_know", "refused", "not_applicable", "out_of_range", "not_answered"]
"""Why a value is NA: an explicit missing-value code, not asked because of a filter, or no
answer at all (``""``: LimeSurvey exports "not shown" and "not answered" alike), or a numeric
answer outside the item's range set aside by the cleaning rule ``out_of_range``."""

REASON_SUFFIX = "__missing"
INDICATOR_PREFIX = "ind_"


def decode_item(codes: pd.Series, item: Item, variable: str, out_of_range: str = "error") -> tuple[pd.Series, pd.Series]:
    """Answer codes of one variable -> (numeric values, missing reasons).

    Unknown codes are an error naming the variable and the code, never silently dropped. A
    numeric answer outside the item's range is an error, or with ``out_of_range="set_missing"``
    NA with reason ``out_of_range``.
    """
    codes = codes.astype("string").fillna("")
    values = pd.Series(np.nan, index=codes.index, dtype="float64")
    reasons = pd.Series(pd.NA, index=codes.index, dtype="string")
    blank = codes == ""
    reasons[blank] = "not_answered"
    given = codes[~blank]
    if item.type == "yesno":
        mapping: dict[str, float | str | None] = {"Y": 1.0, "N": 0.0}
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
        outside = (numbers < lo) | (numbers > hi)
        if outside.any() and out_of_range == "error":
            raise PipelineError(
                f"item {variable}: value {numbers[outside].iloc[0]:g} lies outside its range [{lo:g}, {hi:g}] "
                "in questionnaire.yaml; check the export or the range."
            )
        values[numbers.index] = numbers.astype(float).where(~outside)
        reasons[numbers.index[outside]] = "out_of_range"
        return values, reasons
    else:
        mapping = {o.code: (o.value if o.value is not None else o.missing) for o in item.options}
        if item.other is not None:
            mapping["-oth-"] = item.other_value  # LimeSurvey's code for 'other, namely …'

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


def score_respondents(answers: pd.DataFrame, questionnaire: Questionnaire, out_of_range: str = "error") -> pd.DataFrame:
    """Item values, missing reasons, scales and indicators from a table of answer codes.

    ``answers`` has one column per export column (``CODE`` / ``CODE[SQ]``); free-text items
    are not carried over. Items whose filter did not hold are NA with reason
    ``not_applicable``; a multiple-choice item with no box ticked is NA (``not_answered``),
    otherwise its unticked boxes are 0.
    """
    variables = questionnaire.variables()
    answers = answers.copy()
    for column in questionnaire.other_text_columns().values():  # multiple choice 'other': text -> ticked
        if column in answers.columns and column in {c for c, item in variables.values() if item.type == "multiple"}:
            answers[column] = answers[column].astype("string").fillna("").map(lambda t: "Y" if t.strip() else "")
    values: dict[str, pd.Series] = {}
    reasons: dict[str, pd.Series] = {}
    for var, (col, item) in variables.items():
        if item.type == "text":
            continue
        if col not in answers.columns:
            raise PipelineError(f"the export lacks column {col!r} of item {var}; export all questions.")
        values[var], reasons[var] = decode_item(answers[col], item, var, out_of_range)
    for item_id, item in questionnaire.items.items():
        members = [s.id for s in item.subquestions] or [item_id]
        if item.type == "multiple" and item.other is not None:
            members.append(f"{item_id}_anders")
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
        columns[var] = value  # every item has its reason column, so the table's columns never depend on the data
        columns[var + REASON_SUFFIX] = pd.Series(pd.Categorical(reasons[var], categories=MISSING_REASONS), index=answers.index)
    frame = pd.DataFrame(values)
    for scale_id, scale in questionnaire.scales.items():
        columns[scale_id] = score_scale(frame, scale)
    for ind in questionnaire.indicators:
        columns[INDICATOR_PREFIX + ind.id] = indicator_value(columns, ind)
    return pd.DataFrame(columns, index=answers.index)
