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

import csv
import io
import json
from pathlib import Path

import pandas as pd

from rapportage.errors import PipelineError

META_COLUMNS = ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp"]
"""Columns LimeSurvey puts before the answers (``token`` only with a participant table)."""


def encode_json_export(responses: list[dict]) -> bytes:
    """Serialise response rows exactly as LimeSurvey's JSON export does (before base64).

    >>> encode_json_export([{"id": 1, "Q1": "N/A", "Q2": "é"}])
    b'{"responses": [{"id":1,"Q1":"N\\\\/A","Q2":"\\\\u00e9"}]}'
    """
    body = ",".join(json.dumps(r, separators=(",", ":"), ensure_ascii=True) for r in responses)
    return ('{"responses": [' + body.replace("/", "\\/") + "]}").encode("ascii")


class _RepeatedKey(ValueError):
    pass


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refused when a key repeats (``json`` would keep the last one silently)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _RepeatedKey(next(k for i, (k, _) in enumerate(pairs) if k in dict(pairs[:i])))
    return out


def decode_json_export(data: bytes, source: str) -> list[dict]:
    """Parse a JSON response export; ``source`` names the file in error messages."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"), object_pairs_hook=_no_repeated_keys)
    except _RepeatedKey as exc:
        raise PipelineError(f"{source}: a response has the field {exc.args[0]!r} twice; LimeSurvey writes each field "
                            "once, so the file was edited or damaged: export it again.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PipelineError(
            f"{source}: is not a LimeSurvey JSON response export ({exc.__class__.__name__}); "
            "export again with document type JSON."
        ) from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("responses"), list):
        raise PipelineError(f"{source}: has no 'responses' list; export again with document type JSON.")
    return parsed["responses"]


def encode_csv_export(rows: list[dict], columns: list[str] | None = None) -> bytes:
    """Serialise response rows exactly as LimeSurvey's CSV export (code headings, answer codes):
    UTF-8 with BOM, ``;``, every field quoted, CRLF between records, a blank line at the end."""
    columns = list(rows[0]) if columns is None and rows else (columns or [])
    quote = lambda v: '"' + str(v).replace('"', '""') + '"'  # noqa: E731
    lines = [";".join(quote(c) for c in columns)]
    lines += [";".join(quote(r.get(c, "")) for c in columns) for r in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def decode_csv_export(data: bytes, source: str) -> list[dict]:
    """Rows of a LimeSurvey CSV response export in the form of the JSON export.

    LimeSurvey writes CSV as UTF-8 with BOM, ``;`` separated, every field quoted, CRLF between
    records and raw newlines inside quoted values. Only exports with question codes as
    headings and answer codes as values can be analysed (admin page: "Question code" and
    "Answer codes"). ``id`` becomes an integer and ``lastpage`` an integer or ``""``, as in JSON.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PipelineError(f"{source}: is not UTF-8; export the responses again as CSV (UTF-8).") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    try:
        header = next(reader)
    except StopIteration:
        raise PipelineError(f"{source}: is empty; export the responses again.") from None
    if len(header) == 1:
        first = text.split("\n", 1)[0]
        sep = max([",", "\t", "|"], key=first.count)
        if first.count(sep):
            raise PipelineError(
                f"{source}: is separated by {sep!r}, not ';'; export the responses again as CSV with separator ';' "
                "(or save it with ';' as separator)."
            )
    if header[:1] != ["id"] or "startlanguage" not in header:
        raise PipelineError(
            f"{source}: its first column is {header[0][:40]!r}, not 'id': export with headings 'Question code' "
            "and responses 'Answer codes' (CSV, separator ';')."
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise PipelineError(
            f"{source}: the header has the column{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} more than once "
            "(only one would be read); LimeSurvey writes each column once, so the file was edited: export it again."
        )
    rows = []
    for n, record in enumerate(reader, start=2):
        if not record:
            continue
        if len(record) != len(header):
            raise PipelineError(f"{source}: record {n} has {len(record)} fields, the header {len(header)}; the file is damaged or truncated.")
        row: dict = dict(zip(header, record))
        for column in ("id", "lastpage"):
            value = row.get(column, "")
            if column == "id" or value != "":
                if not value.isascii() or not value.isdigit():
                    raise PipelineError(f"{source}: record {n} has {column} {value[:20]!r}, not a whole number; the "
                                        "export is damaged or was edited (export the responses again).")
                row[column] = int(value)
        rows.append(row)
    return rows


def read_responses(path: Path) -> pd.DataFrame:
    """Read one JSON response export into a table of strings (see :func:`responses_table`)."""
    return responses_table(decode_json_export(path.read_bytes(), str(path)), str(path))


def responses_table(rows: list[dict], source: str) -> pd.DataFrame:
    """Response rows as a table of strings, one row per response.

    ``id`` becomes an integer column; every other column stays the string LimeSurvey sent
    (``""`` for no answer), so no answer code is lost or reinterpreted before cleaning.
    """
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in META_COLUMNS}).assign(
            id=pd.Series(dtype="int64")
        )
    frame = pd.DataFrame.from_records(rows)
    missing = [c for c in ("id", "submitdate", "startlanguage") if c not in frame.columns]
    if missing:
        raise PipelineError(f"{source}: lacks the LimeSurvey column(s) {', '.join(missing)}; export all columns.")
    ids = pd.to_numeric(frame["id"], errors="coerce")
    if ids.isna().any():
        raise PipelineError(f"{source}: has a response without a numeric 'id'; the export is damaged.")
    if ids.duplicated().any():
        dup = int(ids[ids.duplicated()].iloc[0])
        raise PipelineError(f"{source}: response id {dup} occurs twice; the export is damaged.")
    out = frame.drop(columns=["id"]).fillna("").astype("string")
    out.insert(0, "id", ids.astype("int64"))
    return out
