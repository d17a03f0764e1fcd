"""The fieldwork monitor (``rapportage monitor``): while the survey is in the field, how response
develops per frame category, how representative it is (R-indicator and partial R-indicators with
their standard errors), how far that could bias each indicator, where response will end, and
whom a reminder should reach first to make it more representative.

It works from the population frame and the responses so far (every snapshot of the wave), linked
by the invitation token, without the clean stage: a person counts as responded from the first
day one of their responses was submitted. Nothing it returns holds a token or any other
identifier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.scoring.items import INDICATOR_PREFIX, score_respondents
from rapportage.statistics import Representativeness, reminder_gains, representativeness, response_cells

INVITATION_LANGUAGE = "language"
"""A frame column with the language of the invitation: a monitor variable when the frame has it."""
PROJECTION_METHOD = (
    "het tempo van de laatste zeven dagen, dat elke volgende week afneemt zoals het van de week daarvoor "
    "naar de laatste week afnam (en niet toeneemt)"
)


@dataclass(frozen=True)
class Fieldwork:
    """What the monitor works from.

    Attributes
    ----------
    frame : DataFrame
        One row per invited person: ``key`` (the invitation token) and the monitor's variables.
    responses : DataFrame
        One row per response: ``key``, ``started`` and ``submitted`` (Timestamps, NaT when not
        submitted), and the answer columns of the export.
    start, end, today : date
        The fieldwork's first and last day, and the day the status is for.
    variables : list of str
        The frame variables the monitor breaks response down by.
    """

    frame: pd.DataFrame
    responses: pd.DataFrame
    start: date
    end: date
    today: date
    variables: list[str]


def monitor_variables(wave: Wave, frame_columns) -> list[str]:
    """The frame variables of cleaning.yaml, and the language of the invitation when the frame has it."""
    variables = list(wave.cleaning.frame_variables)
    if INVITATION_LANGUAGE in frame_columns and INVITATION_LANGUAGE not in variables:
        variables.append(INVITATION_LANGUAGE)
    return variables


def read_frame(wave: Wave) -> pd.DataFrame:
    """``data_raw/<wave>/frame.csv`` as the monitor needs it: ``key`` and the variables, as text."""
    path = wave.raw_dir / "frame.csv"
    if not path.is_file():
        raise PipelineError(f"data_raw/{wave.id}/frame.csv is missing: the monitor needs the population frame, one row per "
                            "invited person with the invitation token and the frame variables (README, 'The population frame').")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    key = wave.cleaning.frame_key
    if key not in frame.columns:
        raise PipelineError(f"data_raw/{wave.id}/frame.csv has no column {key!r} (cleaning.yaml 'frame_key'), so responses cannot "
                            "be linked to the invited persons; add the invitation token of each person in that column.")
    variables = monitor_variables(wave, frame.columns)
    missing = [v for v in variables if v not in frame.columns]
    if missing:
        raise PipelineError(f"data_raw/{wave.id}/frame.csv lacks the column(s) {', '.join(missing)} that cleaning.yaml "
                            "'frame_variables' names; add them (with the category codes of population.yaml).")
    out = frame[[key, *variables]].rename(columns={key: "key"})
    if out.key.eq("").any() or out.key.duplicated().any():
        raise PipelineError(f"data_raw/{wave.id}/frame.csv has an empty or repeated {key!r}: every invited person needs "
                            "their own invitation token.")
    return out


def _timestamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype("string").replace("", pd.NA), format="%Y-%m-%d %H:%M:%S", errors="coerce")


def from_snapshots(wave: Wave, today: date | None = None) -> Fieldwork:
    """The frame and every response in the wave's snapshots (the later snapshot wins per response),
    for the status on ``today`` (default: the real today; within the fieldwork)."""
    from rapportage.sources.limesurvey import responses_table
    from rapportage.sources.snapshots import combined_responses, snapshots

    frame = read_frame(wave)
    if not snapshots(wave):
        raise PipelineError(f"data_raw/{wave.id}/ holds no snapshot of the responses yet; run the monitor without --offline "
                            "(with the LimeSurvey credentials set, see the README) or 'rapportage fetch' first.")
    tables = []
    for survey_id in wave.config.limesurvey.survey_ids:
        rows = combined_responses(wave, survey_id).rows
        if rows:
            tables.append(responses_table(rows, f"survey {survey_id}"))
    responses = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame({"token": pd.Series(dtype=str)})
    if "token" not in responses.columns:
        raise PipelineError(f"the responses of wave {wave.id!r} have no token column: the survey has no participant table, so "
                            "nobody's response can be linked to the frame; field it with personal invitations (tokens).")
    responses = responses.assign(key=responses["token"].astype("string").fillna(""),
                                 started=_timestamps(responses.get("startdate", pd.Series("", index=responses.index))),
                                 submitted=_timestamps(responses.get("submitdate", pd.Series("", index=responses.index))))
    fw = wave.config.fieldwork
    today = min(max(today or date.today(), fw.start), fw.end)
    return Fieldwork(frame, responses, fw.start, fw.end, today, monitor_variables(wave, frame.columns))


@dataclass(frozen=True)
class Status:
    """The fieldwork on one day (:func:`fieldwork_status`); aggregates only."""

    day: int
    days: int
    today: date
    persons: int
    started: int
    submitted: int
    unlinked: int
    daily: pd.DataFrame
    """``day``, ``date``, ``started``, ``submitted`` (new that day), ``cumulative``, ``rate``."""
    by_category: pd.DataFrame
    """Cumulative response rate per ``variable``, ``category`` and ``day``."""
    categories: pd.DataFrame
    """Per ``variable`` and ``category``: ``persons``, ``submitted``, ``rate``, ``projected_rate``."""
    projected: float
    """Projected number of respondents at the end of the fieldwork."""
    representativeness: Representativeness | None
    why_no_r: str
    bias: pd.DataFrame
    """Per indicator: ``indicator``, ``kind``, ``n``, ``sd``, ``max_bias`` (NaN when hidden)."""
    recommendation: pd.DataFrame
    """From :func:`~rapportage.statistics.reminder_gains`, with ``rank`` for the categories worth reminding."""
    everyone: pd.Series | None
    """The gain of a reminder to everyone, for comparison."""


def project(daily_new: np.ndarray, remaining: int) -> float:
    """Respondents still to come in ``remaining`` days: the pace of the last seven days, falling
    each week by the ratio of the last week to the week before (at most 1).

    >>> project(np.array([10] * 7 + [5] * 7), 7)  # 5 a day, halving per week: 35 * (2^-1/7 + ... + 2^-7/7)
    24.0
    """
    last = daily_new[-7:].sum()
    before = daily_new[-14:-7].sum()
    ratio = min(1.0, last / before) if before > 0 else 1.0
    pace = last / min(7, len(daily_new)) if len(daily_new) else 0.0
    return round(float(sum(pace * ratio ** (j / 7) for j in range(1, remaining + 1))), 1)


def fieldwork_status(wave: Wave, fw: Fieldwork, effect: float) -> Status:
    """The status of the fieldwork on ``fw.today``."""
    days = (fw.end - fw.start).days + 1
    day = (fw.today - fw.start).days + 1
    r = fw.responses
    cutoff = pd.Timestamp(fw.today + timedelta(days=1))
    r = r.assign(started=r.started.fillna(r.submitted))
    r = r[r.started.notna() & (r.started < cutoff)]
    # each response's person: a row of the frame, -1 when its token is not in the frame (one hash look-up)
    person = pd.Index(fw.frame.key.astype(object)).get_indexer(r.key.astype(object))
    linked = r.assign(person=person)[person >= 0]
    day_of = lambda s: ((s.dt.normalize() - pd.Timestamp(fw.start)).dt.days + 1).clip(lower=1)  # noqa: E731
    start_day = day_of(linked.groupby("person").started.min())
    done = linked[linked.submitted.notna() & (linked.submitted < cutoff)]
    submit_day = day_of(done.groupby("person").submitted.min())
    persons = len(fw.frame)
    index = pd.RangeIndex(1, day + 1, name="day")
    daily = pd.DataFrame({
        "date": [fw.start + timedelta(days=d - 1) for d in index],
        "started": start_day.value_counts().reindex(index, fill_value=0).to_numpy(),
        "submitted": submit_day.value_counts().reindex(index, fill_value=0).to_numpy(),
    }, index=index)
    daily["cumulative"] = daily.submitted.cumsum()
    daily["rate"] = daily.cumulative / persons
    remaining = max(0, days - day)
    projected = float(daily.cumulative.iloc[-1] + project(daily.submitted.to_numpy(), remaining))

    rows, curves = [], []
    answered_on = submit_day.reindex(range(persons))  # each frame row's day of submitting (NaN: not yet)
    for var in fw.variables:
        sizes = fw.frame[var].value_counts().sort_index()
        counts = pd.crosstab(fw.frame[var].to_numpy(), answered_on.to_numpy()).reindex(index=sizes.index, columns=index, fill_value=0)
        for code, per_day in counts.iterrows():
            n, got = int(sizes[code]), int(per_day.sum())
            curves.append(pd.DataFrame({"variable": var, "category": str(code), "day": index, "rate": per_day.cumsum().to_numpy() / n}))
            rows.append({"variable": var, "category": str(code), "persons": n, "submitted": got, "rate": got / n,
                         "projected_rate": (got + project(per_day.to_numpy(), remaining)) / n})
    categories = pd.DataFrame(rows)
    by_category = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=["variable", "category", "day", "rate"])

    rep, why = None, ""
    respondents = fw.frame.iloc[submit_day.index.to_numpy()][fw.variables]
    try:
        rep = representativeness(response_cells(fw.frame, respondents, fw.variables), fw.variables)
    except ValueError as exc:
        why = str(exc)
    bias = _bias(wave, done, rep)
    recommendation, everyone = pd.DataFrame(), None
    if rep is not None:
        gains = reminder_gains(rep, effect)
        everyone = gains[gains.variable == "*"].iloc[0]
        recommendation = gains[(gains.variable != "*") & (gains.gain > 0)].reset_index(drop=True)
        recommendation.insert(0, "rank", range(1, len(recommendation) + 1))
    return Status(day, days, fw.today, persons, int(start_day.size), int(submit_day.size), int((person < 0).sum()),
                  daily.reset_index(), by_category, categories, projected, rep, why, bias, recommendation, everyone)


def _bias(wave: Wave, done: pd.DataFrame, rep: Representativeness | None) -> pd.DataFrame:
    """Per indicator, the standard deviation in the response so far and the maximal bias of an
    unweighted response mean at the current R (hidden below the disclosure minimum)."""
    columns = ["indicator", "kind", "n", "sd", "max_bias"]
    if done.empty:
        return pd.DataFrame(columns=columns)
    latest = done.sort_values("submitted").drop_duplicates("key", keep="last")
    answers = latest.drop(columns=["key", "started", "submitted", "person"], errors="ignore").rename(columns={"startlanguage": "language"})
    try:
        scored = score_respondents(answers.reset_index(drop=True), wave.questionnaire, out_of_range="set_missing")
    except PipelineError:
        return pd.DataFrame(columns=columns)
    minimum = wave.config.disclosure.min_n
    rows = []
    for ind in wave.questionnaire.indicators:
        values = scored[INDICATOR_PREFIX + ind.id].dropna().astype(float)
        sd = float(values.std(ddof=1)) if values.size >= max(2, minimum) else np.nan
        rows.append({"indicator": ind.id, "kind": ind.kind, "n": int(values.size), "sd": sd,
                     "max_bias": float(rep.max_bias(sd)) if rep is not None and not np.isnan(sd) else np.nan})
    return pd.DataFrame(rows, columns=columns)


DEMO_REMINDERS = (7.0,)
"""The demo fieldwork's reminders to everyone who has not responded (days after the invitation)."""


def demo_fieldwork(wave: Wave, day: int, plan: list | None = None, seed: int = 30) -> tuple[Fieldwork, list]:
    """The demo wave's fieldwork simulated up to ``day``: its synthetic frame and answers (as the
    generator makes them), online response by the wave's ``synthetic.response`` model, spread over
    the fieldwork with the reminders of ``plan`` (default: one to everyone on day 7). Returns the
    fieldwork and the reminders sent by ``day``."""
    from rapportage.sources import synthetic
    from rapportage.sources.fieldwork import Reminder, response_days

    settings = wave.config.synthetic
    if settings is None:
        raise PipelineError(f"wave {wave.id!r} is not synthetic (wave.yaml has no key 'synthetic'): its fieldwork cannot be "
                            "simulated; run the monitor on its responses instead.")
    fw = wave.config.fieldwork
    days = (fw.end - fw.start).days + 1
    if not 1 <= day <= days:
        raise PipelineError(f"--day must be a day of the fieldwork of wave {wave.id!r}: 1 to {days}.")
    rng = np.random.default_rng(settings.seed)  # the same population and answers as the demo's generator
    people = synthetic.make_frame(wave, rng)
    answers = synthetic.simulate_answers(wave, people, rng)
    plan = [Reminder(d) for d in DEMO_REMINDERS] if plan is None else plan
    timing = np.random.default_rng([settings.seed, seed])
    when = response_days(people, synthetic.response_propensity(wave, people), days, plan, timing,
                         effect=fw.reminder_effect)
    # some who do not finish start anyway: a break-off on a day of the fieldwork
    broke_off = np.isnan(when) & (timing.random(len(people)) < 0.08)
    began = np.where(broke_off, timing.uniform(0, days, len(people)), when - 20 / (24 * 60))
    opened = pd.Timestamp(fw.start) + pd.Timedelta(hours=8)
    someone = ~np.isnan(began)
    responses = answers[someone].reset_index(drop=True).assign(
        key=people[wave.cleaning.frame_key].to_numpy()[someone],
        started=opened + pd.to_timedelta(np.clip(began[someone], 0, None), unit="D"),
        submitted=opened + pd.to_timedelta(when[someone], unit="D"),  # NaN days: NaT, not submitted
    )
    frame = people.rename(columns={wave.cleaning.frame_key: "key"})
    variables = monitor_variables(wave, frame.columns)
    today = fw.start + timedelta(days=day - 1)
    return Fieldwork(frame[["key", *variables]], responses, fw.start, fw.end, today, variables), [r for r in plan if r.day < day]


def run_monitor(wave: Wave, *, day: int | None = None, offline: bool = False, remind: list[str] | None = None,
                send: bool = False, say=print) -> list[str]:
    """``rapportage monitor``: the status (after an incremental fetch unless ``offline``, or the
    simulated demo fieldwork on ``day``), the page and the recommendation's CSV, and with
    ``remind`` the reminders' dry run (``send``: sent and logged). Returns the lines to print.
    A user error raises before anything is written."""
    from rapportage.csvfiles import csv_bytes
    from rapportage.manifest import atomic_write_all
    from rapportage.report.fieldwork import page, recommendation_frame
    from rapportage.sources import reminders
    from rapportage.stages import pipeline

    effect = wave.config.fieldwork.reminder_effect
    days = (wave.config.fieldwork.end - wave.config.fieldwork.start).days + 1
    if day is not None and not 1 <= day <= days:
        raise PipelineError(f"--day must be a day of the fieldwork of wave {wave.id!r}: 1 to {days}.")
    lines: list[str] = []
    with pipeline.wave_lock(wave) as removed:
        for note in removed:
            say(note)
        if wave.config.synthetic is not None:
            fw, plan = demo_fieldwork(wave, 14 if day is None else day)
            sent_so_far = [(int(r.day) + 1, "iedereen die nog niet had ingevuld") for r in plan]
            categories = reminders.parse_categories(wave, remind, fw.frame, fw.variables) if remind else []
        else:
            frame = read_frame(wave)  # a frame that cannot be linked, or a wrong category, is refused before any fetch
            categories = reminders.parse_categories(wave, remind, frame, monitor_variables(wave, frame.columns)) if remind else []
            if not offline and (wave.config.limesurvey.url or _server_in_environment()):
                pipeline.fetch_from_server(wave, incremental=True)
            fw = from_snapshots(wave, None if day is None else wave.config.fieldwork.start + timedelta(days=day - 1))
        status = fieldwork_status(wave, fw, effect)
        if categories:
            lines += _remind(wave, fw, categories, send)
        if wave.config.synthetic is None:  # the reminders logged up to the status's day, this run's too
            labels_of = _category_names(wave)
            sent_so_far = [(d, nl_list_plain([labels_of(c) for c in e["categories"]])) for e in reminders.logged(wave)
                           if 1 <= (d := (datetime.fromisoformat(e["time"].replace("Z", "+00:00")).date() - fw.start).days + 1) <= status.day]
        minimum = wave.config.disclosure.min_n
        out = wave.output_dir
        atomic_write_all({
            out / "veldwerk.html": page(wave, status, effect=effect, reminders=sent_so_far, synthetic=wave.config.synthetic is not None),
            out / "veldwerk_aanbeveling.csv": csv_bytes(recommendation_frame(status, wave, minimum)),
        })
    rate = status.submitted / status.persons
    head = [f"fieldwork day {status.day} of {status.days} ({status.today}): {status.submitted} of {status.persons} submitted "
            f"({100 * rate:.1f}%), {status.started} started; projected at the end: {status.projected:.0f} "
            f"({100 * status.projected / status.persons:.1f}%)"]
    rep = status.representativeness
    if rep is None:
        head.append(f"R-indicator: not yet ({status.why_no_r})")
    else:
        low, high = rep.interval()
        head.append(f"R-indicator {rep.r:.3f} (95% CI {low:.3f}-{high:.3f}); remind first:")
        for r in status.recommendation.head(5).itertuples():
            head.append(f"  {r.rank}. {r.variable}={r.category}: {r.not_responded} not yet submitted, R {rep.r_unadjusted:.3f} -> {r.r_after:.3f}")
    head += [str((out / name).relative_to(wave.root)) for name in ("veldwerk.html", "veldwerk_aanbeveling.csv")]
    return head + lines


def _server_in_environment() -> bool:
    import os

    return bool(os.environ.get("LIMESURVEY_URL") or os.environ.get("RAPPORTAGE_LIMESURVEY_CREDENTIALS"))


def _category_names(wave: Wave):
    from rapportage.report.fieldwork import Labels

    labels = Labels(wave)

    def name(spec: str) -> str:
        variable, _, code = spec.partition("=")
        return f"{labels.variable(variable).lower()} {labels.category(variable, code)}"
    return name


def nl_list_plain(parts: list[str]) -> str:
    from rapportage.report.formatting import nl_list

    return nl_list(parts) if parts else "niemand"


def _remind(wave: Wave, fw: Fieldwork, categories: list[tuple[str, str]], send: bool) -> list[str]:
    """The reminders' dry run, or (``send``) the reminders sent and logged."""
    from rapportage.sources import reminders
    from rapportage.sources.fetch import FetchSettings, RemoteControl, credentials

    responded = set(fw.responses.loc[fw.responses.submitted.notna(), "key"])
    if wave.config.synthetic is not None:
        if send:
            raise PipelineError(f"wave {wave.id!r} is a simulated fieldwork without a LimeSurvey server: there is nobody to "
                                "send a reminder to; leave out --send to see whom it would reach.")
        cutoff = pd.Timestamp(fw.today + timedelta(days=1))
        done = set(fw.responses.loc[fw.responses.submitted < cutoff, "key"])
        lines = [f"dry run (simulated fieldwork, day {(fw.today - fw.start).days + 1}): a reminder would reach"]
        for variable, code in categories:
            n = int((~fw.frame.loc[fw.frame[variable] == code, "key"].isin(done)).sum())
            lines.append(f"  {variable}={code}: {n} not yet submitted")
        return lines
    lines = []
    with RemoteControl(credentials(wave), FetchSettings()) as rc:
        plans = {sid: reminders.plan(fw.frame, responded, reminders.participants(rc, sid), categories)
                 for sid in wave.config.limesurvey.survey_ids}
        for sid, p in plans.items():
            counts = ", ".join(f"{k}: {n}" for k, n in p.counts.items())
            if not send:
                lines.append(f"dry run, survey {sid}: a reminder would reach {len(p.token_ids)} invited participants without a "
                             f"response ({counts}); nothing was sent, add --send to send it")
                continue
            if not p.token_ids:
                lines.append(f"survey {sid}: nobody to remind ({counts})")
                continue
            sent, failed = reminders.send(rc, sid, p.token_ids)
            reminders.log(wave, sid, p.counts, sent, failed)
            lines.append(f"survey {sid}: reminded {sent} participants ({counts})" + (f"; {failed} failed" if failed else "")
                         + f"; logged in data_raw/{wave.id}/{reminders.LOG_NAME}")
    return lines
