"""LimeSurvey exports: their exact byte format, and importing them into a typed table.

The format is the one a LimeSurvey 6 server returns from RemoteControl 2 ``export_responses``
with ``sDocumentType="json"``, ``sHeadingType="code"``, ``sResponseType="short"`` (after base64
decoding), as recorded from a real server in ``shared/limesurvey/``:

- ``{"responses": [ {flat object}, … ]}``: a space after the top-level colon, no other
  whitespace, non-ASCII escaped as ``\\uXXXX`` and ``/`` escaped as ``\\/`` (PHP ``json_encode``);
- ``id`` is an integer, ``lastpage`` an integer or ``""`` when NULL, every other value a string;
  unanswered and not-shown questions are both ``""``;
- columns ``id, submitdate, lastpage, startlanguage, seed[, token], startdate, datestamp`` and
  then the question columns ``CODE`` / ``CODE[SQ]``; ``token`` only when the survey has a
  participant table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.errors import PipelineError

META_COLUMNS = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp"]
"""Columns LimeSurvey puts before the answers (``token`` only with a participant table)."""


def encode_json_export(responses: list[dict]) -> bytes:
    """Serialise response rows exactly as LimeSurvey's JSON export does (before base64).

    >>> encode_json_export([{"id": 1, "Q1": "N/A", "Q2": "é"}])
    b'{"responses": [{"id":1,"Q1":"N\\\\/A","Q2":"\\\\u00e9"}]}'
    """
    body = ",".join(json.dumps(r, separators=(",", ":"), ensure_ascii=True) for r in responses)
    return ('{"responses": [' + body.replace("/", "\\/") + "]}").encode("ascii")


def decode_json_export(data: bytes, source: str) -> list[dict]:
    """Parse a JSON response export; ``source`` names the file in error messages."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PipelineError(
            f"{source}: is not a LimeSurvey JSON response export ({exc.__class__.__name__}); "
            "export again with document type JSON."
        ) from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("responses"), list):
        raise PipelineError(f"{source}: has no 'responses' list; export again with document type JSON.")
    return parsed["responses"]


def read_responses(path: Path) -> pd.DataFrame:
    """Read one JSON response export into a table of strings, one row per response.

    ``id`` becomes an integer column; every other column stays the string LimeSurvey sent
    (``""`` for no answer), so no answer code is lost or reinterpreted before cleaning.
    """
    rows = decode_json_export(path.read_bytes(), str(path))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in META_COLUMNS}).assign(
            id=pd.Series(dtype="int64")
        )
    frame = pd.DataFrame.from_records(rows)
    missing = [c for c in ("id", "submitdate", "startlanguage") if c not in frame.columns]
    if missing:
        raise PipelineError(f"{path}: lacks the LimeSurvey column(s) {', '.join(missing)}; export all columns.")
    ids = pd.to_numeric(frame["id"], errors="coerce")
    if ids.isna().any():
        raise PipelineError(f"{path}: has a response without a numeric 'id'; the export is damaged.")
    if ids.duplicated().any():
        dup = int(ids[ids.duplicated()].iloc[0])
        raise PipelineError(f"{path}: response id {dup} occurs twice; the export is damaged.")
    out = frame.drop(columns=["id"]).fillna("").astype("string")
    out.insert(0, "id", ids.astype("int64"))
    return out
