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

import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import statsmodels.api as sm

from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.scoring.items import INDICATOR_PREFIX, score_respondents
from rapportage.statistics import Representativeness, reminder_gains, representativeness, response_cells

INVITATION_LANGUAGE = "language"
"""A frame column with the language of the invitation: a monitor variable when the frame has it."""
PROJECTION_METHOD = (
    "hoe het aantal ingevulde vragenlijsten per dag daalt sinds de drukste dag van de laatste week (een "
    "loglineair Poissonmodel), doorgetrokken tot het eind, zonder nieuwe herinnering"
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
    if out.empty:
        raise PipelineError(f"data_raw/{wave.id}/frame.csv has no rows: the monitor needs one row per invited person.")
    if out.key.eq("").any() or out.key.duplicated().any():
        raise PipelineError(f"data_raw/{wave.id}/frame.csv has an empty or repeated {key!r}: every invited person needs "
                            "their own invitation token.")
    return out


def _timestamps(values: pd.Series, wave: Wave, column: str) -> pd.Series:
    """LimeSurvey's date column as Timestamps (NaT where empty). A date that cannot be read, or the
    1980 placeholder of a survey without date stamps, is refused: the monitor counts by day."""
    text = values.astype("string").fillna("")
    parsed = pd.to_datetime(text.replace("", pd.NA), format="%Y-%m-%d %H:%M:%S", errors="coerce")
    bad = text.ne("") & parsed.isna()
    if bad.any():
        raise PipelineError(f"wave {wave.id!r}: {int(bad.sum())} response(s) have a {column} that is not a date as LimeSurvey "
                            f"writes it (e.g. {text[bad].iloc[0]!r}); fetch again, or repair the export before monitoring.")
    if (parsed.dt.year < 2000).any():
        raise PipelineError(f"wave {wave.id!r}: the responses' {column} is LimeSurvey's placeholder date of a survey without "
                            "date stamps; switch on 'Date stamp' in the survey's settings to follow the fieldwork by day.")
    return parsed


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
    empty = pd.Series("", index=responses.index)
    responses = responses.assign(key=responses["token"].astype("string").fillna(""),
                                 started=_timestamps(responses.get("startdate", empty), wave, "startdate"),
                                 submitted=_timestamps(responses.get("submitdate", empty), wave, "submitdate"))
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
    projected: float | None
    """Projected number of respondents at the end of the fieldwork (None: too few days yet)."""
    representativeness: Representativeness | None
    why_no_r: str
    left_out: list[str]
    """Variables not in the response model yet: a category without respondents (or without non-respondents)."""
    bias: pd.DataFrame
    """Per indicator: ``indicator``, ``kind``, ``n``, ``sd``, ``max_bias`` (NaN when hidden)."""
    recommendation: pd.DataFrame
    """From :func:`~rapportage.statistics.reminder_gains`, with ``rank`` for the categories worth reminding."""
    everyone: pd.Series | None
    """The gain of a reminder to everyone, for comparison."""


def projection_window(daily_new: np.ndarray) -> int | None:
    """How many of the last days the projection fits: from the busiest day of the last week (the
    invitation's or a reminder's peak) up to today; None when that is fewer than three days."""
    last = daily_new[-7:]
    if len(last) < 3:
        return None
    days = len(last) - int(np.argmax(last))
    return days if days >= 3 else None


def project(daily_new: np.ndarray, remaining: int, limit: float, window: int | None) -> float | None:
    """Respondents still to come in ``remaining`` days without a new reminder: the daily counts of
    the last ``window`` days (from :func:`projection_window`) as a log-linear Poisson model,
    log E(n_t) = a + b t, continued to the end (b at most 0: a pace that rises is kept, not
    extrapolated), at most ``limit`` (who has not responded). None without a window.

    >>> round(project(np.array([80, 40, 20, 10]), 3, 1000, 4), 1)  # halving a day: 5 + 2.5 + 1.25
    8.8
    >>> project(np.array([7, 7, 7]), 10, 1000, 3), project(np.array([7, 7, 7]), 10, 50, 3)  # a steady pace; at most 50
    (70.0, 50.0)
    """
    if window is None:
        return None
    y = np.asarray(daily_new[-window:], dtype=float)
    if remaining <= 0 or y.sum() == 0:
        return 0.0
    t = np.arange(len(y), dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(y, sm.add_constant(t), family=sm.families.Poisson()).fit()
    a, b = fit.params
    if b >= 0:  # not falling: the mean pace of the window, kept
        level, ratio = y.mean(), 1.0
    else:
        level, ratio = float(np.exp(a + b * (len(y) - 1))), float(np.exp(b))
    coming = level * sum(ratio**j for j in range(1, remaining + 1))
    return round(float(min(limit, coming)), 1)


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
    window = projection_window(daily.submitted.to_numpy())
    still = project(daily.submitted.to_numpy(), remaining, persons - len(submit_day), window)
    projected = None if still is None else float(len(submit_day) + still)

    rows, curves = [], []
    answered_on = submit_day.reindex(range(persons))  # each frame row's day of submitting (NaN: not yet)
    for var in fw.variables:
        sizes = fw.frame[var].value_counts().sort_index()
        counts = pd.crosstab(fw.frame[var].to_numpy(), answered_on.to_numpy()).reindex(index=sizes.index, columns=index, fill_value=0)
        for code, per_day in counts.iterrows():
            n, got = int(sizes[code]), int(per_day.sum())
            curves.append(pd.DataFrame({"variable": var, "category": str(code), "day": index, "rate": per_day.cumsum().to_numpy() / n}))
            coming = project(per_day.to_numpy(), remaining, n - got, window)  # the window of everyone: no noise peaks
            rows.append({"variable": var, "category": str(code), "persons": n, "submitted": got, "rate": got / n,
                         "projected_rate": np.nan if coming is None else (got + coming) / n})
    categories = pd.DataFrame(rows)
    by_category = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame(columns=["variable", "category", "day", "rate"])

    rep, why = None, ""
    # a variable with a category where nobody (or everybody) responded cannot be in the response model yet
    per = categories.assign(blank=(categories.submitted == 0) | (categories.submitted == categories.persons))
    left_out = [v for v in fw.variables if per[per.variable == v].blank.any()]
    used = [v for v in fw.variables if v not in left_out]
    respondents = fw.frame.iloc[submit_day.index.to_numpy()][used]
    if used:
        rep = representativeness(response_cells(fw.frame, respondents, used), used)
    else:
        why = "in every variable a category has no respondents (or only respondents)"
    bias = _bias(wave, done, rep)
    recommendation, everyone = pd.DataFrame(), None
    if rep is not None:
        gains = reminder_gains(rep, effect)
        everyone = gains[gains.variable == "*"].iloc[0]
        recommendation = gains[(gains.variable != "*") & (gains.gain > 0)].reset_index(drop=True)
        recommendation.insert(0, "rank", range(1, len(recommendation) + 1))
    return Status(day, days, fw.today, persons, int(start_day.size), int(submit_day.size), int((person < 0).sum()),
                  daily.reset_index(), by_category, categories, projected, rep, why, left_out, bias, recommendation, everyone)


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
"""The demo fieldwork's reminders to everyone who has not responded, in days after the invitation
(7.0: a week after it, on the fieldwork's 8th day)."""


def demo_fieldwork(wave: Wave, day: int, plan: list | None = None, seed: int = 30) -> tuple[Fieldwork, list]:
    """The demo wave's fieldwork simulated up to ``day``: its synthetic frame and answers (as the
    generator makes them), online response by the wave's ``synthetic.response`` model, spread over
    the fieldwork with the reminders of ``plan`` (default: one to everyone a week after the
    invitation, on the fieldwork's 8th day). Returns the
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
    A user error raises before anything is written (a reminder that went out is logged first)."""
    from rapportage.csvfiles import csv_bytes
    from rapportage.manifest import atomic_write_all
    from rapportage.report.fieldwork import page, recommendation_frame
    from rapportage.sources import reminders
    from rapportage.sources.fetch import server_in_environment
    from rapportage.stages import pipeline

    effect = wave.config.fieldwork.reminder_effect
    days = (wave.config.fieldwork.end - wave.config.fieldwork.start).days + 1
    if day is not None and not 1 <= day <= days:
        raise PipelineError(f"--day must be a day of the fieldwork of wave {wave.id!r}: 1 to {days}.")
    if send and offline:
        raise PipelineError("--send reminds who has not responded, so it needs the newest responses: leave out --offline.")
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
            tables = _participant_tables(wave) if categories else {}  # no participant table: refused before any fetch
            if not offline and (wave.config.limesurvey.url or server_in_environment()):
                for warning in pipeline.fetch_from_server(wave, incremental=True).warnings:
                    say(f"warning: {warning}")
            fw = from_snapshots(wave, None if day is None else wave.config.fieldwork.start + timedelta(days=day - 1))
        status = fieldwork_status(wave, fw, effect)
        if categories:
            lines += _remind(wave, fw, categories, send, tables if wave.config.synthetic is None else {})
        if wave.config.synthetic is None:
            sent_so_far = _reminders_shown(wave, fw.start, status.day)
        minimum = wave.config.disclosure.min_n
        out = wave.output_dir
        atomic_write_all({
            out / "veldwerk.html": page(wave, status, effect=effect, reminders=sent_so_far, synthetic=wave.config.synthetic is not None),
            out / "veldwerk_aanbeveling.csv": csv_bytes(recommendation_frame(status, wave, minimum)),
        })
    rate = status.submitted / status.persons
    head = [f"fieldwork day {status.day} of {status.days} ({status.today}): {status.submitted} of {status.persons} submitted "
            f"({100 * rate:.1f}%), {status.started} started; " +
            ("no projection yet (it needs three days after the busiest day of the last week)" if status.projected is None else
             f"projected at the end: {status.projected:.0f} ({100 * status.projected / status.persons:.1f}%)")]
    rep = status.representativeness
    if rep is None:
        head.append(f"R-indicator: not yet ({status.why_no_r})")
    else:
        low, high = rep.interval()
        without = f" (without {', '.join(status.left_out)}: a category without respondents)" if status.left_out else ""
        head.append(f"R-indicator {rep.r:.3f} (95% CI {low:.3f}-{high:.3f}){without}; remind first:")
        from rapportage.report.fieldwork import small_categories

        hidden = small_categories(status, wave.config.disclosure.min_n)
        for r in status.recommendation.head(5).itertuples():
            count = "" if (r.variable, r.category) in hidden else f"{r.not_responded} not yet submitted, "
            head.append(f"  {r.rank}. {r.variable}={r.category}: {count}R {rep.r:.3f} -> {r.r_after:.3f}")
    head += [str((out / name).relative_to(wave.root)) for name in ("veldwerk.html", "veldwerk_aanbeveling.csv")]
    return head + lines


def _reminders_shown(wave: Wave, start: date, up_to: int) -> list[tuple[int, str]]:
    """The logged reminders that went out (sent > 0) by fieldwork day ``up_to``, one per day and
    categories (several surveys' sends of one reminder are one)."""
    from rapportage.report.fieldwork import Labels
    from rapportage.report.formatting import nl_list
    from rapportage.sources import reminders

    labels = Labels(wave)
    shown: list[tuple[int, str]] = []
    for entry in reminders.logged(wave):
        when = datetime.fromisoformat(entry["time"])
        d = (when.date() - start).days + 1
        whom = nl_list([f"{labels.variable(v).lower()} {labels.category(v, c)}"
                        for v, _, c in (spec.partition("=") for spec in entry["categories"])])
        if entry["sent"] > 0 and 1 <= d <= up_to and (d, whom) not in shown:
            shown.append((d, whom))
    return shown


def _participant_tables(wave: Wave) -> dict[int, pd.DataFrame]:
    from rapportage.sources import reminders
    from rapportage.sources.fetch import RemoteControl, credentials, fetch_settings

    with RemoteControl(credentials(wave), fetch_settings(wave)) as rc:
        return {sid: reminders.participants(rc, sid) for sid in wave.config.limesurvey.survey_ids}


def _remind(wave: Wave, fw: Fieldwork, categories: list[tuple[str, str]], send: bool,
            tables: dict[int, pd.DataFrame]) -> list[str]:
    """The reminders' dry run, or (``send``) the reminders sent and logged, survey by survey."""
    from rapportage.sources import reminders
    from rapportage.sources.fetch import RemoteControl, credentials, fetch_settings

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
    responded = set(fw.responses.loc[fw.responses.submitted.notna(), "key"])
    plans = {sid: reminders.plan(fw.frame, responded, table, categories) for sid, table in tables.items()}
    lines = []
    if not send:
        for sid, p in plans.items():
            counts = ", ".join(f"{k}: {n}" for k, n in p.counts.items())
            lines.append(f"dry run, survey {sid}: a reminder would reach {len(p.token_ids)} invited participants without a "
                         f"response ({counts}); nothing was sent, add --send to send it")
        return lines
    with RemoteControl(credentials(wave), fetch_settings(wave)) as rc:
        for sid, p in plans.items():
            counts = ", ".join(f"{k}: {n}" for k, n in p.counts.items())
            tally = {"sent": 0, "failed": 0}
            try:
                if p.token_ids:
                    reminders.send(rc, sid, p.token_ids, tally)
            except PipelineError as exc:
                if tally["sent"] or tally["failed"]:
                    reminders.log(wave, sid, p.counts, tally["sent"], tally["failed"])
                gone = [line for line in lines if line.startswith("survey ")]
                raise PipelineError(f"{exc} Before that, {tally['sent']} reminder(s) of survey {sid} went out"
                                    + (f" ({'; '.join(gone)})" if gone else "") + f"; all are logged in data_raw/{wave.id}/"
                                    f"{reminders.LOG_NAME}.") from None
            if not tally["sent"] and not tally["failed"]:
                lines.append(f"survey {sid}: nobody to remind ({counts}): all were reminded or invited within the last day, "
                             "or have responded")
                continue
            reminders.log(wave, sid, p.counts, tally["sent"], tally["failed"])
            lines.append(f"survey {sid}: reminded {tally['sent']} participants ({counts})"
                         + (f"; {tally['failed']} e-mails failed" if tally["failed"] else "")
                         + f"; logged in data_raw/{wave.id}/{reminders.LOG_NAME}")
    return lines
