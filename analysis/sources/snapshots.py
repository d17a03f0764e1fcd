"""The raw snapshots of a wave (``data_raw/<wave>/<UTC timestamp>/``, with ``-2``, ``-3`` … added
when more than one is made in the same second) and reading them back.

A snapshot is complete when it holds ``manifest.json`` (a fetch writes it last and then renames
the folder into place). Responses of survey ``<sid>`` are in ``responses_<sid>.json`` or in
pages ``responses_<sid>_<from>-<to>.json`` (LimeSurvey JSON exports, bytes as received); its
structure in ``structure_<sid>.json`` (fetched through the API) or ``structure_<sid>.lss``.
Snapshots are never modified: combining them is the import stage's work.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.lss import Question, Structure, parse_lss
from rapportage.sources.limesurvey import decode_json_export

SNAPSHOT_PATTERN = re.compile(r"^\d{8}T\d{6}Z(?:-\d+)?$")  # -2, -3 … for more in one second


FUTURE_TOLERANCE = timedelta(hours=1)


def snapshots(wave: Wave, now: datetime | None = None) -> list[Path]:
    """Complete snapshots of the wave, oldest first: in the order they were made (the ``sequence``
    a fetch or import records in the snapshot's manifest), not by their time stamp, so that a
    snapshot stamped by a wrong clock does not win over later ones. Snapshots from before the
    sequence existed come first, by time stamp. A stamp in the future is refused."""
    found = [p for p in wave.raw_dir.glob("*") if SNAPSHOT_PATTERN.match(p.name) and (p / "manifest.json").is_file()]
    limit = ((now or datetime.now(timezone.utc)) + FUTURE_TOLERANCE).strftime("%Y%m%dT%H%M%SZ")
    for p in found:
        if p.name > limit:
            raise PipelineError(
                f"snapshot data_raw/{wave.id}/{p.name} is stamped in the future: the clock of the computer that made it "
                "was wrong. Check what it holds, then rename the folder to the real time of the fetch (or remove it)."
            )
    return sorted(found, key=lambda p: _order(p))


def _order(snapshot: Path) -> tuple[int, int, str]:
    import json

    try:
        sequence = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8")).get("sequence")
    except (OSError, ValueError, AttributeError):
        sequence = None
    return (1, int(sequence), snapshot.name) if isinstance(sequence, int) else (0, 0, snapshot.name)


def next_sequence(wave: Wave) -> int:
    """The sequence number of the next snapshot of the wave (1 for the first)."""
    return 1 + max((_order(p)[1] for p in snapshots(wave)), default=0)


def latest_snapshot(wave: Wave) -> Path:
    found = snapshots(wave)
    if not found:
        raise PipelineError(f"data_raw/{wave.id}/ holds no complete snapshot; run 'rapportage fetch --wave {wave.id}' first.")
    return found[-1]


def verify_snapshot(wave: Wave, snapshot: Path) -> None:
    """Every data file of the snapshot is the one its manifest recorded (sha256), and none is
    unlisted: a snapshot changed or damaged after it was made is refused before it is read."""
    import json

    from rapportage.manifest import sha256_file

    where = f"data_raw/{wave.id}/{snapshot.name}"
    try:
        record = json.loads((snapshot / "manifest.json").read_text(encoding="utf-8"))
        listed = record.get("files")
        if listed is None and isinstance(record.get("outputs"), dict):  # the demo's stage manifest
            listed = {Path(p).name: d for p, d in record["outputs"].items() if Path(p).parent.name == snapshot.name}
    except (OSError, ValueError, AttributeError):
        listed = None
    if not isinstance(listed, dict) or not listed:
        raise PipelineError(f"{where}/manifest.json does not record the snapshot's files and their sha256, so the snapshot "
                            "cannot be checked; remove the folder and fetch or import the data again.")
    data_files = {p.name for p in snapshot.iterdir() if p.is_file() and p.name != "manifest.json"}
    for name in sorted(data_files | set(listed)):
        if name not in listed or name not in data_files or sha256_file(snapshot / name) != listed[name]:
            state = "is not listed in" if name not in listed else "is missing, though listed in" if name not in data_files \
                else "differs from what was recorded in"
            raise PipelineError(f"{where}/{name} {state} the snapshot's manifest.json: the snapshot was changed after it "
                                "was made. Restore it from a backup, or remove the folder and fetch or import again.")


def response_files(snapshot: Path, survey_id: int) -> list[Path]:
    pattern = re.compile(rf"^responses_{survey_id}(_\d+-\d+)?\.json$")
    return sorted((p for p in snapshot.iterdir() if pattern.match(p.name)),
                  key=lambda p: int(re.findall(r"_(\d+)-", p.name)[0]) if "-" in p.name else 0)


def raw_files(wave: Wave) -> list[Path]:
    """Every response and structure file of every complete snapshot (inputs of the clean stage)."""
    out: list[Path] = []
    for snap in snapshots(wave):
        out += sorted(p for p in snap.iterdir() if re.match(r"^(responses|structure)_\d+", p.name) and ".raw." not in p.name)
    return out


@dataclass(frozen=True)
class Combined:
    rows: list[dict]
    """Responses of one survey over all snapshots, by response id; a later snapshot wins."""
    changed: list[int]
    """Response ids whose content differs between snapshots (e.g. a partial response completed)."""
    snapshots: list[str]


def combined_responses(wave: Wave, survey_id: int) -> Combined:
    """Combine the survey's responses from every snapshot, de-duplicating by response id."""
    by_id: dict[int, dict] = {}
    changed: set[int] = set()
    used = []
    for snap in snapshots(wave):
        files = response_files(snap, survey_id)
        if files:
            used.append(snap.name)
        for path in files:
            rows = decode_json_export(path.read_bytes(), str(path))
            given = [row.get("id") for row in rows]
            if not all(isinstance(i, int) or (isinstance(i, str) and i.isdigit()) for i in given):
                raise PipelineError(f"{path}: has a response without a numeric 'id'; the export is damaged, fetch it again.")
            ids = [int(typing.cast(int | str, i)) for i in given]
            if len(set(ids)) != len(ids):
                dup = next(i for i in ids if ids.count(i) > 1)
                raise PipelineError(f"{path}: response id {dup} occurs twice; the export is damaged, fetch it again.")
            for row in rows:
                rid = int(row["id"])
                if rid in by_id and by_id[rid] != row:
                    changed.add(rid)
                by_id[rid] = row
    return Combined([by_id[i] for i in sorted(by_id)], sorted(changed), used)


def structure_of(wave: Wave, survey_id: int) -> Structure | None:
    """The survey's structure from the newest snapshot that holds one."""
    for snap in reversed(snapshots(wave)):
        fetched = snap / f"structure_{survey_id}.json"
        if fetched.is_file():
            return structure_from_json(fetched.read_bytes())
        exported = snap / f"structure_{survey_id}.lss"
        if exported.is_file():
            return parse_lss(exported.read_bytes(), str(exported))
    return None


def structure_from_json(data: bytes) -> Structure:
    import json

    d = json.loads(data)
    questions = {code: Question(**{**q, "subquestions": [tuple(s) for s in q["subquestions"]],
                                   "answers": [tuple(a) for a in q["answers"]]}) for code, q in d["questions"].items()}
    return Structure(d["base_language"], d["languages"], d["groups"], questions)
