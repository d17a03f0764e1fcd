"""Bad exports a researcher will meet: each gives one clear sentence and exit code 1, and the
data tree (earlier snapshots and outputs) is byte for byte what it was before."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from typer.testing import CliRunner

from analysis.cli import app
from analysis.limesurvey import encode_json_export

runner = CliRunner()


def tree_hash(root) -> dict[str, str]:
    out = {}
    for folder in ("data_raw", "data_clean", "reports/_output"):
        for p in sorted((root / folder).rglob("*")):
            if p.is_file() and p.name != ".lock":
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def mutate_rows(fn):
    def build(rows):
        rows = [dict(r) for r in rows]
        fn(rows)
        return encode_json_export(rows)
    return build


def first_valid(rows):
    return next(r for r in rows if r["submitdate"] and r["TOESTEM"] == "Y")


CASES = {
    "truncated file": (lambda rows: encode_json_export(rows)[:5000], r"is not a LimeSurvey JSON response export"),
    "latin-1 bytes": (lambda rows: encode_json_export(rows).replace(b"\\u00e9", b"\xe9") + b"\xe9",
                      r"is not a LimeSurvey JSON response export \(UnicodeDecodeError\)"),
    "not an export": (lambda rows: b'{"status": "No Data, survey table does not exist."}', r"has no 'responses' list"),
    "duplicate response ids": (mutate_rows(lambda rows: rows.append(dict(rows[-1]))), r"response id \d+ occurs twice"),
    "unknown answer code": (mutate_rows(lambda rows: first_valid(rows).update(G1="7")),
                            r"item gezondheid: answer code '7' is not in questionnaire.yaml"),
    "text in a numeric item": (mutate_rows(lambda rows: first_valid(rows).update(T1="zeven")),
                               r"item taalcijfer: answer 'zeven' is not a number"),
    "broken date": (mutate_rows(lambda rows: first_valid(rows).update(AANKOMST="15-01-2019")),
                    r"item aankomst: answer '15-01-2019' is not a LimeSurvey date"),
    "missing column": (mutate_rows(lambda rows: [r.pop("G1") for r in rows]), r"the export lacks column 'G1' of item gezondheid"),
    "no participant table": (mutate_rows(lambda rows: [r.pop("token") for r in rows]), r"the export has no 'token' column"),
    "unknown start language": (mutate_rows(lambda rows: first_valid(rows).update(startlanguage="zz")),
                               r"responses started in language\(s\) \['zz'\] that wave.yaml 'languages' does not list"),
    "zero responses": (lambda rows: encode_json_export([]), r"data_raw/demo/ holds no responses for any survey of wave 'demo'"),
    "missing id": (mutate_rows(lambda rows: rows[0].update(id="")), r"has a response without a numeric 'id'"),
}


@pytest.fixture(scope="module")
def finished(demo_run, tmp_path_factory):
    """A copy of the finished demo project, to corrupt one case at a time."""
    wave, _ = demo_run
    return wave.root


@pytest.mark.parametrize("case", list(CASES))
def test_bad_export_is_one_clear_sentence_and_changes_nothing(finished, tmp_path, case):
    root = tmp_path / "project"
    shutil.copytree(finished, root)
    snapshot = next((root / "data_raw" / "demo").glob("2025*"))
    rows = json.loads((snapshot / "responses_482025.json").read_bytes())["responses"]
    new = root / "data_raw" / "demo" / "20251201T000000Z"
    new.mkdir()
    build, message = CASES[case]
    (new / "responses_482025.json").write_bytes(build(rows))
    (new / "manifest.json").write_text("{}")
    # the newer snapshot replaces every response of the older one (a refetch of everything)
    shutil.rmtree(snapshot)
    before = tree_hash(root)
    result = runner.invoke(app, ["clean", "--demo", "--root", str(root)])
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert text.startswith("error: ") and "Traceback" not in text
    import re
    assert re.search(message, text), text
    assert tree_hash(root) == before  # nothing written, nothing lost
    leftovers = [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".incomplete")]
    assert leftovers == []
