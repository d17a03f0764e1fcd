"""Bad exports and frames a researcher will meet: a newer snapshot (a refetch of everything)
replaces the good one, or the population frame is damaged, and ``rapportage run`` refuses with
one sentence while the earlier data and outputs stay byte for byte as they were. CSV exports go
through ``rapportage import`` of a real (non-demo) wave."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from rapportage.cli import app
from rapportage.questionnaire.lss import write_lss
from rapportage.sources.limesurvey import encode_csv_export, encode_json_export

from tests.bad_inputs.conftest import assert_refused, runner
from tests.conftest import demo_export_rows, make_real_wave, seal_snapshot


def mutate_rows(fn):
    def build(rows):
        rows = [dict(r) for r in rows]
        fn(rows)
        return encode_json_export(rows)
    return build


def first_valid(rows):
    return next(r for r in rows if r["submitdate"] and r["TOESTEM"] == "Y")


JSON_CASES = {
    "truncated file": (lambda rows: encode_json_export(rows)[:5000], r"responses_482025.json: is not a LimeSurvey JSON response export"),
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
    "extra question column": (mutate_rows(lambda rows: [r.update(Q99="1") for r in rows]),
                              r"survey 482025: the export has column\(s\) Q99 that questionnaire.yaml does not know"),
    "no participant table": (mutate_rows(lambda rows: [r.pop("token") for r in rows]), r"the export has no 'token' column"),
    "unknown start language": (mutate_rows(lambda rows: first_valid(rows).update(startlanguage="zz")),
                               r"responses started in language\(s\) \['zz'\] that wave.yaml 'languages' does not list"),
    "zero responses": (lambda rows: encode_json_export([]), r"data_raw/demo-2025/ holds no responses for any survey of wave 'demo-2025'"),
    "missing id": (mutate_rows(lambda rows: rows[0].update(id="")), r"has a response without a numeric 'id'"),
    "a field twice": (lambda rows: encode_json_export(rows).replace(b'"G1":', b'"G1": "5", "G1":', 1),
                      r"responses_482025.json: a response has the field 'G1' twice; .* export it again"),
    "a weighting cell with no respondents": (
        mutate_rows(lambda rows: rows.__setitem__(slice(None), [r for r in rows if r["token"] not in Z_ROUTE])),
        r"weighting wave demo-2025: margin 'route' category 'Z' has a population count of 407 but no respondents; "
        r"merge it with a neighbouring category; see surveys/demo-2025/population.yaml \(weighting\)"),
}
Z_ROUTE: set[str] = set()


@pytest.fixture
def replaced(finished):
    """The finished demo project with its snapshot replaced by a newer one built per case."""
    frame = pd.read_csv(finished / "data_raw" / "demo-2025" / "frame.csv", dtype=str)
    Z_ROUTE.clear()
    Z_ROUTE.update(frame.token[frame.route == "Z"])
    snapshot = next((finished / "data_raw" / "demo-2025").glob("2025*"))
    rows = json.loads((snapshot / "responses_482025.json").read_bytes())["responses"]

    def build(data: bytes) -> None:
        new = finished / "data_raw" / "demo-2025" / "20251201T000000Z"
        new.mkdir()
        (new / "responses_482025.json").write_bytes(data)
        seal_snapshot(new)
        shutil.rmtree(snapshot)

    return finished, rows, build


@pytest.mark.parametrize("case", list(JSON_CASES))
def test_bad_json_export(replaced, case):
    root, rows, build = replaced
    make, message = JSON_CASES[case]
    build(make(rows))
    if case == "a weighting cell with no respondents":  # cleaning has nothing against it; weighting has
        assert runner.invoke(app, ["clean", "--demo", "--root", str(root)]).exit_code == 0
        assert_refused(root, ["weight", "--demo"], message)
    else:
        assert_refused(root, ["clean", "--demo"], message)


FRAME_CASES = {
    "every respondent missing a weighting variable": (
        lambda f: f.assign(gender=""), r"data_raw/demo-2025/frame.csv: column 'gender' is empty for 724 of 724 respondents; fill it in from the registry"),
    "frame without the link column": (lambda f: f.drop(columns=["token"]), r"frame.csv.*'token'"),
    "frame category unknown to population.yaml": (lambda f: f.assign(route=f.route.replace({"Z": "Z-route"})),
                                                  r"frame.csv.*route.*'Z-route'"),
    "duplicate links in the frame": (lambda f: pd.concat([f, f.head(3)], ignore_index=True), r"frame.csv.*token.*(twice|more than once|duplicate)"),
}


@pytest.mark.parametrize("case", list(FRAME_CASES))
def test_bad_population_frame(finished, case):
    path = finished / "data_raw" / "demo-2025" / "frame.csv"
    change, message = FRAME_CASES[case]
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
    assert_refused(finished, ["clean", "--demo"], message)


def test_a_missing_frame(finished):
    (finished / "data_raw" / "demo-2025" / "frame.csv").unlink()
    assert_refused(finished, ["clean", "--demo"], r"data_raw/demo-2025/frame.csv is missing: the population frame .* give it the "
                   r"columns token \(the invitation token\), age \(age in years\) and status, gender, ageband, route, "
                   r"kansrijke_start")


# --------------------------------------------------------------------------- CSV import
def _csv(rows) -> bytes:
    return encode_csv_export(rows)


CSV_CASES = {
    "comma instead of semicolon": (lambda rows: _csv(rows).replace(b'";"', b'","'),
                                   r"export.csv: is separated by ',', not ';'; export the responses again as CSV with separator ';'"),
    "latin-1 instead of UTF-8": (lambda rows: _csv(rows).decode("utf-8").replace("\u00e9", "\u00e9").encode("utf-8") + "é".encode("latin-1"),
                                 r"export.csv: is not UTF-8; export the responses again as CSV \(UTF-8\)"),
    "truncated in the middle of a record": (lambda rows: _csv(rows)[: len(_csv(rows)) // 2],
                                            r"export.csv: record \d+ has \d+ fields, the header \d+; the file is damaged or truncated"),
    "empty file": (lambda rows: b"", r"export.csv: is empty; export the responses again"),
    "full question texts as headings": (lambda rows: _csv(rows).replace(b'"id";', b'"Antwoord ID";', 1),
                                        r"export.csv: its first column is 'Antwoord ID', not 'id': export with headings 'Question code'"),
    "duplicate response ids": (lambda rows: _csv(rows + rows[-1:]), r"response id \d+ occurs twice"),
    # issue #14, 13: was imported, and clean then called 'Ja' an unknown answer code
    "full answers instead of answer codes": (
        lambda rows: _csv([{**r, "W1": {"Y": "Ja", "N": "Nee"}.get(r["W1"], r["W1"])} for r in rows]),
        r"export.csv: column W1 holds the answer text '(Ja|Nee)' where LimeSurvey's answer code belongs: the responses were "
        r"exported as 'Full answers'; export them again with Responses: 'Answer codes'"),
    "an id that is not a number": (lambda rows: _csv([{**rows[0], "id": "abc"}, *rows[1:]]),
                                   r"export.csv: record 2 has id 'abc', not a whole number; the export is damaged or was edited"),
    "an id in scientific notation": (lambda rows: _csv([*rows[:3], {**rows[3], "id": "1e3"}, *rows[4:]]),
                                     r"export.csv: record 5 has id '1e3', not a whole number"),
    # issue #21, 9: the last G1 won, and 736 varied answers became all "5"
    "a column twice": (lambda rows: _with_column(_csv(rows), "G1", "5"),
                       r"export.csv: the header has the column G1 more than once \(only one would be read\)"),
}


def _with_column(data: bytes, heading: str, value: str) -> bytes:
    """A CSV export with one more column at the end, ``value`` in every record."""
    lines = data.split(b"\r\n")
    lines[0] += f';"{heading}"'.encode()
    return b"\r\n".join(line + f';"{value}"'.encode() if i and line else line for i, line in enumerate(lines))


@pytest.fixture
def offline(finished, monkeypatch):
    """A real wave 'w2025' with an imported snapshot from which everything has run."""
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    make_real_wave(finished)
    rows = demo_export_rows(finished)
    from rapportage.config import load_wave

    wave = load_wave(finished, "w2025")
    lss = finished / "survey.lss"
    lss.write_bytes(write_lss(wave.questionnaire, 482025))
    export = finished / "export.csv"
    export.write_bytes(_csv(rows))
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(finished), str(export), str(lss)])
    assert result.exit_code == 0, result.output
    return finished, rows, export, lss


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_bad_csv_export_on_import(offline, case):
    root, rows, export, lss = offline
    make, message = CSV_CASES[case]
    export.write_bytes(make(rows))
    assert_refused(root, ["import", "--wave", "w2025", str(export), str(lss)], message)


def _in_group_l10ns(data: bytes, old: bytes, new: bytes) -> bytes:
    start = data.index(b"<group_l10ns>")
    return data[:start] + data[start:].replace(old, new, 1)


LSS_CASES = {
    "not a structure file": (lambda data: b"<html><body>Login</body></html>",
                             r"survey.lss: is not a LimeSurvey survey structure \(.lss\) file"),
    # issue #14, 4: these were tracebacks
    "group_order not a number": (lambda data: data.replace(b"<group_order><![CDATA[1]]>", b"<group_order><![CDATA[een]]>", 1),
                                 r"survey.lss: a row of groups has group_order 'een', not a whole number; the file is damaged"),
    "question_order not a number": (lambda data: data.replace(b"<question_order><![CDATA[1]]>", b"<question_order><![CDATA[1.5]]>", 1),
                                    r"survey.lss: a row of questions has question_order '1.5', not a whole number"),
    "group_l10ns names an unknown group": (lambda data: _in_group_l10ns(data, b"<gid><![CDATA[10]]>", b"<gid><![CDATA[99]]>"),
                                           r"survey.lss: group_l10ns names group '99', which its groups do not have"),
    "a question without a code": (lambda data: data.replace(b"<title><![CDATA[TOESTEM]]>", b"<title><![CDATA[]]>", 1),
                                  r"survey.lss: a row of questions \(qid \d+\) has no question code \(title\)"),
}


@pytest.mark.parametrize("case", list(LSS_CASES))
def test_a_damaged_survey_structure_file_on_import(offline, case):
    root, rows, export, lss = offline
    make, message = LSS_CASES[case]
    lss.write_bytes(make(lss.read_bytes()))
    assert_refused(root, ["import", "--wave", "w2025", str(export), str(lss)], message)


# --------------------------------------------------------------------------- tolerated
def test_mixed_line_endings_in_a_csv_export_import_as_the_original(offline):
    """Not an error: line endings mixed by a copy between systems change no value."""
    root, rows, export, lss = offline
    data = _csv(rows)
    lines = data.split(b"\r\n")
    export.write_bytes(b"".join(line + (b"\n" if i % 2 else b"\r\n") for i, line in enumerate(lines[:-1])) + lines[-1])
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(root), str(export), str(lss)])
    assert result.exit_code == 0, result.output
    first, second = sorted((root / "data_raw" / "w2025").glob("2*"))
    assert (second / "responses_482025.json").read_bytes() == (first / "responses_482025.json").read_bytes()


def test_a_json_export_with_a_utf8_bom_cleans_as_the_original(replaced):
    """Not an error: a byte-order mark added by an editor changes no value."""
    root, rows, build = replaced
    before = (root / "data_clean" / "demo-2025" / "respondents.parquet").read_bytes()
    build(b"\xef\xbb\xbf" + encode_json_export(rows))
    result = runner.invoke(app, ["clean", "--demo", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / "data_clean" / "demo-2025" / "respondents.parquet").read_bytes() == before


# --------------------------------------------------------------------------- where outputs cannot go
def test_an_output_folder_that_cannot_be_written_is_one_sentence(offline, tmp_path):
    """Issue #14, 7 and 10: outputs on a read-only share, and an export to a path that cannot be
    written, ended in PermissionError / OSError tracebacks. (A file where a folder should be
    fails for root too, whom permissions do not stop.)"""
    root, rows, export, lss = offline
    result = runner.invoke(app, ["clean", "--wave", "w2025", "--root", str(root)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "nergens"
    target.write_text("a file, not a folder", encoding="utf-8")
    assert_refused(root, ["export", "--wave", "w2025", "--format", "csv", "-o", str(target / "sub")],
                   r"cannot write .*nergens/sub/\S+\.csv: not a directory; make .*nergens/sub/ writable .*nothing was changed")
