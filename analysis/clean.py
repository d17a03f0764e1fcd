"""Cleaning and scoring: from the raw export to one typed row per valid respondent.

The raw export holds LimeSurvey answer codes as strings. Cleaning keeps the valid respondents
(submitted, consent given, in the population frame), links each to the frame's registry
characteristics through the personal link, turns answer codes into numeric values with the
questionnaire specification (missing-value codes become NA with a reason), computes every scale
and indicator, and replaces the token by a keyed pseudonym. Tokens, free text, seeds and exact
timestamps stay behind in ``data_raw/``.
"""

from __future__ import annotations

import re

import hashlib
import hmac
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.config import CleaningConfig
from analysis.errors import PipelineError
from analysis.questionnaire import Condition, Indicator, Item, Questionnaire, Scale

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
        mapping = {o.code: (o.value if o.value is not None else o.missing) for o in item.options}  # type: ignore[misc]
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
    from analysis.reliability import item_points  # the same points as the reliability analysis

    table = item_points(values, scale)
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


def pseudonym(secret: str, survey_id: int, token: str) -> str:
    """Keyed pseudonym of a respondent: HMAC-SHA256(secret, "<survey id>:<token>"), 20 hex digits.

    Stable across runs (and across waves for the same token), not reversible without the secret.
    """
    msg = f"{survey_id}:{token}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:20]


@dataclass
class RuleOutcome:
    """What one cleaning rule did: the records it removed or flagged."""

    rule: str
    description: str
    action: str
    records: pd.DataFrame
    """The affected records: response ``id``, ``language`` and the frame variables."""

    @property
    def ids(self) -> list[int]:
        """Response ids (unique within one survey)."""
        return sorted(int(i) for i in self.records["id"])


@dataclass
class CleaningResult:
    respondents: pd.DataFrame
    outcomes: list[RuleOutcome]
    free_text: pd.DataFrame
    flow: dict[str, pd.DataFrame]
    """invited / started / submitted / valid: the records (or frame rows) at each step."""


RULES_NL = {
    "not_in_frame": "Persoonlijke link niet in het populatiebestand",
    "not_eligible": "Niet tot de doelgroep (leeftijd)",
    "incomplete": "Afgebroken met te weinig kernvragen beantwoord",
    "no_consent": "Geen toestemming",
    "duplicate_link": "Dezelfde persoon meer dan eens (link dubbel)",
    "identical_answers": "Identieke antwoorden onder een andere link (kopie)",
    "speeders": "Te snel ingevuld voor de taalversie",
    "straightlining": "Overal hetzelfde antwoord in de matrixvragen",
    "partial": "Afgebroken, maar genoeg kernvragen beantwoord (meegeteld)",
    "out_of_range": "Getal buiten het toegestane bereik (als ontbrekend behandeld)",
    "unreadable_date": "Begin- of verzenddatum onleesbaar (invulduur onbekend; zonder leesbare verzenddatum niet als verzonden geteld)",
}
LIMESURVEY_DATE = "%Y-%m-%d %H:%M:%S"


# Columns a LimeSurvey response export may carry besides the answers: response metadata, the
# participant table's fields, and timings (when "save timings" is on).
EXPORT_EXTRAS = re.compile(
    r"^(id|submitdate|lastpage|startlanguage|seed|token|startdate|datestamp|ipaddr|refurl"
    r"|firstname|lastname|email|emailstatus|language|usesleft|validfrom|validuntil|tid|participant_id"
    r"|sent|remindersent|remindercount|completed|blacklisted|mpid|attribute_\d+"
    r"|interviewtime|groupTime\d+|[A-Za-z][A-Za-z0-9_]*Time)$"  # timings: capital T, as LimeSurvey names them
)


def unknown_columns(columns, q: Questionnaire) -> list[str]:
    """Export columns that are neither an item of the questionnaire nor LimeSurvey metadata:
    questions added to the survey but not to questionnaire.yaml, whose answers would be lost."""
    known = {col for col, _ in q.variables().values()} | set(q.other_text_columns().values())
    return [c for c in columns if c not in known and not EXPORT_EXTRAS.match(str(c))]


def _answer_columns(q: Questionnaire) -> list[str]:
    """Export columns holding answers (not hidden items, not free text)."""
    return [col for var, (col, item) in q.variables().items() if item.type != "text" and not item.hidden]


def _item_answered(codes: pd.DataFrame, q: Questionnaire, item_id: str) -> pd.Series:
    item = q.items[item_id]
    columns = [f"{item.code}[{s.code}]" for s in item.subquestions] or [item.code]
    return (codes[columns].fillna("") != "").any(axis=1)


def clean_responses(
    raw: pd.DataFrame,
    frame: pd.DataFrame,
    q: Questionnaire,
    rules: CleaningConfig,
    *,
    categories: dict[str, list[str]],
    languages: list[str],
    secret: str,
    frame_source: str = "frame.csv",
) -> CleaningResult:
    """Valid respondents as a typed, scored, pseudonymised table, with what every rule did.

    ``raw`` holds the records of every survey of the wave (column ``survey_id``): a person who
    answered two language versions, or a copy under another link, is found across surveys.

    Record-level rules, in this order (thresholds from ``cleaning.yaml``):

    1. ``not_in_frame``: the personal link is not in the population frame;
    2. ``not_eligible``: age (from the frame) below ``min_age``;
    3. ``incomplete``: not submitted, and (when partials are accepted) fewer than
       ``min_core_share`` of the core items answered; accepted partials are flagged ``partial``;
    4. ``no_consent``;
    5. ``duplicate_link``: several records with one link; ``keep_last_submitted`` keeps the
       last submitted (a submitted record before any partial), ``keep_most_complete`` the one
       with most answers (ties: the last);
    6. ``identical_answers``: records under different links with the same answer codes on at
       least ``identical_answers_min_items`` answered items; the first submitted is kept;
    7. ``speeders``: duration (submitdate - startdate) below ``factor`` times the median
       duration of submitted records of the same start language;
    8. ``straightlining``: the same answer on every row of at least ``min_grids`` grids with
       ``min_grid_items`` rows or more.

    Value-level rules: numeric answers outside their range (``out_of_range``) and the
    ``consistency`` rules (flag columns ``flag_<name>``).
    """
    key = rules.frame_key
    needed = [key, rules.age_variable, *rules.frame_variables]
    absent = [c for c in needed if c not in frame.columns]
    if absent:
        raise PipelineError(
            f"{frame_source}: lacks column(s) {', '.join(map(repr, absent))} named in cleaning.yaml "
            "(frame_key, age_variable, frame_variables); add them to the frame or correct cleaning.yaml."
        )
    blank = int((frame[key].fillna("") == "").sum())
    if blank:
        raise PipelineError(
            f"{frame_source}: {blank} row(s) have no personal link in column {key!r}; every invited person needs theirs."
        )
    twice = frame[key][frame[key].duplicated(keep=False)].nunique()
    if twice:
        raise PipelineError(
            f"{frame_source}: {twice} personal link(s) in column {key!r} occur more than once; each person "
            "must appear once in the population frame."
        )
    if key not in raw.columns:
        raise PipelineError(
            f"the export has no {key!r} column to link responses to the frame; "
            "export with the participant table, or change 'frame_key' in cleaning.yaml."
        )
    unknown = sorted(set(raw["startlanguage"]) - set(languages))
    if unknown:
        raise PipelineError(f"responses started in language(s) {unknown} that wave.yaml 'languages' does not list; add them.")
    variables = q.variables()
    keep_frame = [key, rules.age_variable, *rules.frame_variables]
    records = raw.merge(frame[keep_frame], on=key, how="left", validate="many_to_one", indicator="_linked")
    records = records.rename(columns={"startlanguage": "language"})
    # scored once for every record, also those a rule will drop: an unknown code anywhere means
    # the export and questionnaire.yaml disagree
    scored_all = score_respondents(records, q, rules.out_of_range)
    started = pd.to_datetime(records["startdate"], format=LIMESURVEY_DATE, errors="coerce")
    ended = pd.to_datetime(records["submitdate"], format=LIMESURVEY_DATE, errors="coerce")
    unreadable = ((records["startdate"].fillna("") != "") & started.isna()) | ((records["submitdate"].fillna("") != "") & ended.isna())
    _refuse_many_unreadable_dates(records, unreadable, rules.unreadable_dates_max_share)
    records["_submitted"] = ended.notna()  # a submit date no one can read does not prove the questionnaire was sent
    records["duration_seconds"] = (ended - started).dt.total_seconds()
    alive = pd.Series(True, index=records.index)
    describe = ["survey_id", "id", "language", *rules.frame_variables]
    outcomes = [RuleOutcome("unreadable_date", RULES_NL["unreadable_date"], "count", records.loc[unreadable, describe])]

    def apply(rule: str, hit: pd.Series, action: str = "drop") -> pd.Series:
        hit = hit.fillna(False).astype(bool) & alive
        outcomes.append(RuleOutcome(rule, RULES_NL[rule], action, records.loc[hit, describe]))
        return alive & ~hit if action == "drop" else alive

    alive = apply("not_in_frame", records["_linked"] != "both")
    age = pd.to_numeric(records[rules.age_variable], errors="coerce")
    alive = apply("not_eligible", age < rules.min_age)
    comp = rules.completeness
    core = pd.concat([_item_answered(records, q, i) for i in comp.core_items], axis=1).mean(axis=1)
    enough = core >= comp.min_core_share if comp.accept_partial else pd.Series(False, index=records.index)
    alive = apply("incomplete", ~records["_submitted"] & ~enough)
    consent_col = variables[rules.consent_item][0]
    alive = apply("no_consent", records[consent_col].fillna("") != rules.consent_value)

    columns = _answer_columns(q)
    answered = (records[columns].fillna("") != "").sum(axis=1)
    order = records.assign(_answered=answered, _sub=records["_submitted"].astype(int))
    if rules.duplicates.same_link == "keep_last_submitted":
        order = order.sort_values(["_sub", "submitdate", "survey_id", "id"])
    else:
        order = order.sort_values(["_answered", "_sub", "submitdate", "survey_id", "id"])
    order = order[alive[order.index]]
    alive = apply("duplicate_link", pd.Series(order[key].duplicated(keep="last"), index=order.index).reindex(records.index))

    vector = records[columns].fillna("").astype(str).agg("\x1f".join, axis=1)
    candidates = records[alive & (answered >= rules.duplicates.identical_answers_min_items)]
    candidates = candidates.assign(_v=vector[candidates.index]).sort_values(["submitdate", "survey_id", "id"])
    copies = candidates["_v"].duplicated(keep="first").reindex(records.index)
    alive = apply("identical_answers", copies)

    sp = rules.speeders
    judged = alive & records["_submitted"] & records["duration_seconds"].notna()
    median = records[judged].groupby("language", observed=True)["duration_seconds"].transform("median")
    alive = apply("speeders", records["duration_seconds"] < sp.factor_of_language_median * median.reindex(records.index), sp.action)

    st = rules.straightlining
    grids = [item for item in q.items.values() if item.type == "array" and len(item.subquestions) >= st.min_grid_items]
    flat = pd.Series(0, index=records.index)
    for g in grids:
        rows = records[[f"{g.code}[{s.code}]" for s in g.subquestions]].fillna("").astype(str)
        flat += ((rows.nunique(axis=1) == 1) & (rows.iloc[:, 0] != "")).astype(int)
    alive = apply("straightlining", flat >= st.min_grids, st.action)
    apply("partial", ~records["_submitted"], "flag")

    valid = records[alive].copy()
    scored = scored_all.loc[valid.index]
    reasons = [c for c in scored.columns if c.endswith(REASON_SUFFIX)]
    hit = (scored[reasons] == "out_of_range").any(axis=1) if reasons else pd.Series(False, index=valid.index)
    outcomes.append(RuleOutcome("out_of_range", RULES_NL["out_of_range"], "set_missing", valid.loc[hit, describe]))

    out = pd.DataFrame({"respondent_key": [pseudonym(secret, int(s), t) for s, t in zip(valid["survey_id"], valid[key])]},
                       index=valid.index)
    out["survey_id"] = valid["survey_id"].astype("int64")
    for var in rules.frame_variables:
        outside = ~valid[var].isin(categories[var])
        if outside.any():
            blank = int((valid.loc[outside, var].fillna("") == "").sum())
            if blank:
                raise PipelineError(
                    f"{frame_source}: column {var!r} is empty for {blank} of {len(valid)} respondents; fill it in "
                    f"from the registry, or remove {var!r} from cleaning.yaml 'frame_variables' and the weighting margins."
                )
            raise PipelineError(
                f"{frame_source}: column {var!r} has values {sorted(set(valid.loc[outside, var]))} that "
                f"population.yaml does not list under variables.{var}.categories; fix the frame or the categories."
            )
        out[var] = pd.Categorical(valid[var], categories=categories[var])
    out["language"] = pd.Categorical(valid["language"], categories=languages)
    out["duration_seconds"] = valid["duration_seconds"]
    for outcome in outcomes:
        if outcome.action == "flag":
            flagged = pd.MultiIndex.from_frame(outcome.records[["survey_id", "id"]])
            out[f"flag_{outcome.rule}"] = pd.MultiIndex.from_frame(valid[["survey_id", "id"]]).isin(flagged)
    for rule in rules.consistency:
        conflict = scored[rule.when.variable].isin(rule.when.in_) & scored[rule.conflicts.variable].isin(rule.conflicts.in_)
        out[f"flag_{rule.name}"] = conflict
        outcomes.append(RuleOutcome(rule.name, rule.description, "flag", valid.loc[conflict, describe]))
    out = pd.concat([out, scored], axis=1)

    texts = []
    text_columns = {var: col for var, (col, item) in variables.items() if item.type == "text"}
    text_columns |= {f"{item_id}[other]": col for item_id, col in q.other_text_columns().items()}
    for var, col in text_columns.items():
        if col in valid.columns:
            filled = valid[col].fillna("").astype(str).str.strip() != ""
            texts.append(pd.DataFrame({"respondent_key": out.loc[filled, "respondent_key"], "survey_id": valid.loc[filled, "survey_id"],
                                       "item": var, "language": valid.loc[filled, "language"], "text": valid.loc[filled, col]}))
    free_text = pd.concat(texts, ignore_index=True) if texts else pd.DataFrame(columns=["respondent_key", "survey_id", "item", "language", "text"])
    flow = {
        "started": records[describe],
        "submitted": records.loc[records["_submitted"], describe],
        "valid": valid[describe],
    }
    return CleaningResult(out.sort_values("respondent_key").reset_index(drop=True), outcomes, free_text, flow)


def _refuse_many_unreadable_dates(records: pd.DataFrame, unreadable: pd.Series, max_share: float) -> None:
    """More records with an unreadable start or submit date than ``max_share`` of those started:
    the export is damaged or was edited, and counting on would misstate the response."""
    if not unreadable.any() or unreadable.mean() <= max_share:
        return
    first = records[unreadable].iloc[0]
    raise PipelineError(
        f"{int(unreadable.sum())} of {len(records)} responses ({unreadable.mean():.1%}) have a startdate or submitdate that "
        f"is not a LimeSurvey date (e.g. response {first['id']} of survey {first['survey_id']}: "
        f"{first['startdate']!r}, {first['submitdate']!r}), more than cleaning.yaml 'unreadable_dates_max_share' "
        f"({max_share:.1%}) allows; export the responses again, or raise the share if these records are known."
    )


def log_table(result: CleaningResult, frame: pd.DataFrame, groups: list[str], languages: list[str]) -> pd.DataFrame:
    """``cleaning_log.csv``: the flow invited → started → submitted → valid, then one row per
    rule, each with its count overall, per language and per category of every group."""

    def counts(records: pd.DataFrame, with_language: bool = True) -> dict[str, object]:
        row: dict[str, object] = {"count": len(records)}
        for lang in languages:
            row[f"language:{lang}"] = int((records["language"] == lang).sum()) if with_language else ""
        for g in groups:
            for cat, n in records[g].value_counts(dropna=True).sort_index().items():
                row[f"{g}:{cat}"] = int(n)
        return row

    rows = [{"step": "invited", "kind": "flow", "action": "", "description": "Uitgenodigd (populatiebestand)",
             **counts(frame, with_language=False)}]
    for step, nl in (("started", "Begonnen"), ("submitted", "Verzonden"), ("valid", "Geldig")):
        part = result.flow[step]
        rows.append({"step": step, "kind": "flow", "action": "", "description": nl, **counts(part)})
    for o in result.outcomes:
        rows.append({"step": o.rule, "kind": "rule", "action": o.action, "description": o.description, **counts(o.records)})
    table = pd.DataFrame(rows)
    count_columns = [c for c in table.columns if ":" in c]
    table[count_columns] = table[count_columns].fillna(0)
    return table
