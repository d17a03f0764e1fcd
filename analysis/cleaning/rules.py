"""Cleaning: from the raw export to one row per valid respondent.

The raw export holds LimeSurvey answer codes as strings. Cleaning keeps the valid respondents
(submitted, consent given, in the population frame, not a speeder, straight-liner or copy),
links each to the frame's registry characteristics through the personal link, has the answers
scored (:mod:`rapportage.scoring`), and replaces the token by a keyed pseudonym. Tokens, free
text, seeds and exact timestamps stay behind in ``data_raw/``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

import pandas as pd

from rapportage.config import CleaningConfig
from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import Questionnaire
from rapportage.scoring.items import REASON_SUFFIX, score_respondents


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
