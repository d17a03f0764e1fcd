"""Reminders to the participants of chosen frame categories who have not responded
(``rapportage monitor --remind route=Z …``), through LimeSurvey's RemoteControl
``remind_participants`` with their token ids.

Who has responded comes from the responses' ``token`` column, never from the participant table's
``completed`` (which responses added through the API leave at "N"). Tokens and token ids stay in
memory: the participant table's names and e-mail addresses are dropped as they arrive, and the
log under ``data_raw/<wave>/reminders.jsonl`` records only the time, the categories and counts.
Without ``--send`` only ``list_participants`` is called: nothing changes on the server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from rapportage.config import Wave
from rapportage.errors import PipelineError

LOG_NAME = "reminders.jsonl"
PAGE = 1000
"""Participants per list_participants call."""
COLUMNS = {"sent": "N", "completed": "N", "remindersent": "N", "usesleft": "1", "emailstatus": "OK"}
"""The participant table's columns a reminder depends on, and their value when the server leaves one out."""


@dataclass(frozen=True)
class Plan:
    """Whom a reminder would reach: per category (``variable=code``) the number of invited
    participants without a response, and their token ids (kept in memory only)."""

    counts: dict[str, int]
    token_ids: list[int]


def parse_categories(wave: Wave, specs: list[str], frame: pd.DataFrame, variables: list[str]) -> list[tuple[str, str]]:
    """``route=Z`` → ("route", "Z"), checked against the frame's variables and values."""
    out = []
    for spec in specs:
        variable, sep, code = spec.partition("=")
        if not sep or variable not in variables:
            raise PipelineError(f"--remind {spec!r}: name a category as variable=code, with a variable of the frame "
                                f"({', '.join(variables)}), e.g. --remind {variables[-1]}={sorted(frame[variables[-1]].unique())[0]}.")
        known = sorted(frame[variable].unique())
        if code not in known:
            raise PipelineError(f"--remind {spec!r}: the frame of wave {wave.id!r} has no {variable} {code!r}; its codes are "
                                f"{', '.join(known)}.")
        out.append((variable, code))
    return out


def participants(rc, survey_id: int) -> pd.DataFrame:
    """The participant table: ``tid``, ``token`` and what decides whether LimeSurvey reminds
    someone (``sent``, ``completed``, ``remindersent``, ``usesleft``, ``emailstatus``); names and
    e-mail addresses are not kept."""
    rows: list[dict] = []
    start = 0
    while True:
        result = rc.raw("list_participants", survey_id, start, PAGE, False, list(COLUMNS))
        if isinstance(result, dict):
            status = str(result.get("status", ""))
            if "No survey participants table" in status:
                raise PipelineError(f"survey {survey_id} has no participant table in LimeSurvey, so nobody can be reminded "
                                    "personally; activate participants (tokens) for the survey and invite them first.")
            if status.startswith("No survey participants found"):
                break
            raise PipelineError(f"LimeSurvey refused to list the participants of survey {survey_id}: {status}.")
        rows += [{"tid": int(p["tid"]), "token": str(p.get("token", "")),
                  **{c: str(p.get(c, default)) for c, default in COLUMNS.items()}} for p in result]
        if len(result) < PAGE:
            break
        start += PAGE
    return pd.DataFrame(rows, columns=["tid", "token", *COLUMNS])


def plan(frame: pd.DataFrame, responded: set[str], table: pd.DataFrame, categories: list[tuple[str, str]],
         now: datetime | None = None) -> Plan:
    """Whom ``remind_participants`` (``min_days`` 1) would reach in ``categories``: invited, not
    completed, uses left, a working address, invited or last reminded more than a day ago, and
    without a submitted response (``responded``: tokens). ``frame`` has ``key`` (the token) and
    the variables."""
    day_ago = ((now or datetime.now()) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    last = table.remindersent.where(table.remindersent != "N", table.sent)
    candidates = table[(table.sent != "N") & (table.completed == "N") & (pd.to_numeric(table.usesleft, errors="coerce") >= 1)
                       & (table.emailstatus == "OK") & (last < day_ago) & ~table.token.isin(responded)]
    counts, ids = {}, set()
    for variable, code in categories:
        keys = frame.loc[frame[variable] == code, "key"]
        chosen = candidates[candidates.token.isin(keys)]
        counts[f"{variable}={code}"] = len(chosen)
        ids |= set(chosen.tid)
    return Plan(counts, sorted(ids))


def send(rc, survey_id: int, token_ids: list[int], tally: dict[str, int]) -> None:
    """Remind ``token_ids`` (``min_days`` 1: nobody twice in a day); LimeSurvey sends a batch per
    call ("N left to send"), so call again with the ids it has not handled. ``tally`` counts
    ``sent`` and ``failed`` as the batches go, so that a failure halfway still leaves the count of
    what went out. Never retried on a network failure: a reminder that may have gone out is not
    sent twice."""
    left = list(token_ids)
    while left:
        result = rc.raw("remind_participants", survey_id, 1, None, left, retry=False)
        status = str(result.get("status", "")) if isinstance(result, dict) else ""
        if status == "Error: No candidate tokens":
            return  # the rest was reminded within the last day (by someone else), or has completed meanwhile
        if not isinstance(result, dict) or status.startswith("Error") or not re.fullmatch(r"\d+ left to send", status):
            raise PipelineError(f"LimeSurvey refused to send the reminders of survey {survey_id}: {status or result}.")
        handled = {int(k) for k in result if k.isdigit()} & set(left)
        if not handled:
            raise PipelineError(f"LimeSurvey answered the reminders of survey {survey_id} without any of the participants "
                                "asked for; check the participant table before sending again.")
        tally["sent"] += sum(1 for k in handled if str(result[str(k)].get("status")) == "OK")
        tally["failed"] += sum(1 for k in handled if str(result[str(k)].get("status")) != "OK")
        left = [t for t in left if t not in handled]


def log(wave: Wave, survey_id: int, counts: dict[str, int], sent: int, failed: int) -> None:
    """One line in ``data_raw/<wave>/reminders.jsonl``: when (this computer's local time, with its
    offset), which categories, how many."""
    line = {"time": datetime.now().astimezone().isoformat(timespec="seconds"), "survey": survey_id, "categories": counts,
            "sent": sent, "failed": failed}
    with (wave.raw_dir / LOG_NAME).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, sort_keys=True) + "\n")


def logged(wave: Wave) -> list[dict]:
    """The reminders sent so far (empty without a log); a damaged line is named."""
    path = wave.raw_dir / LOG_NAME
    if not path.is_file():
        return []
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            datetime.fromisoformat(entry["time"])
            if not isinstance(entry["categories"], dict) or not isinstance(entry["sent"], int):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise PipelineError(f"data_raw/{wave.id}/{LOG_NAME}, line {number}, is not a reminder as the monitor logs it; "
                                "repair or remove that line (the reminders themselves were sent).") from None
        out.append(entry)
    return out
