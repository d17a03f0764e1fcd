"""The translation workflow (issue #17): export a spreadsheet for a translator, edit it as a
translator would (openpyxl), import it back; every refusal names the row and writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.translations import (
    COLUMNS,
    SHEET,
    export_sheet,
    import_sheet,
    placeholders,
    source_hash,
    status,
)
from typer.testing import CliRunner

DAY = dt.date(2026, 12, 1)
COL = {name: i + 1 for i, (name, _, _) in enumerate(COLUMNS)}


def sheet(project: Path, language: str, tmp_path: Path, name: str = "sheet.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(export_sheet(load_wave(project, "demo-2025").questionnaire, language, "demo-2025", DAY))
    return path


def edit(path: Path, changes: dict[str, dict[str, str | None]]) -> None:
    """Set cells of the rows of the given keys, as a translator would in a spreadsheet program."""
    wb = load_workbook(path)
    ws = wb[SHEET]
    rows = {ws.cell(r, COL["key"]).value: r for r in range(2, ws.max_row + 1)}
    for key, cells in changes.items():
        for column, value in cells.items():
            ws.cell(rows[key], COL[column]).value = value
    wb.save(path)


def merge(project: Path, path: Path):
    return import_sheet(load_wave(project, "demo-2025").questionnaire, path, today=DAY)


def test_export_has_a_row_per_text_with_source_pivot_and_what_to_keep(project, tmp_path):
    q = load_wave(project, "demo-2025").questionnaire
    wb = load_workbook(sheet(project, "fa", tmp_path))
    ws = wb[SHEET]
    rows = list(ws.iter_rows(values_only=True))
    assert [c for c in rows[0]] == [title for _, title, _ in COLUMNS]
    assert [r[0] for r in rows[1:]] == [key for key, _ in q.texts()]
    by_key = {r[0]: r for r in rows[1:]}
    row = by_key["items.werk_zoeken.text"]
    assert row[COL["source"] - 1] == "Heeft u in de afgelopen 4 weken gezocht naar betaald werk?"
    assert row[COL["pivot"] - 1] == q.items["werk_zoeken"].text["en"]
    assert row[COL["translation"] - 1] == q.items["werk_zoeken"].text["fa"] and row[COL["status"] - 1] == "draft"
    assert row[COL["keep"] - 1] == "4"
    assert by_key["items.gezondheid.options.3.label"][COL["context"] - 1] == "Answer option 3 of 5 of question G1 (one answer)"
    assert "5 answer options" in by_key["items.gezondheid.text"][COL["context"] - 1]
    # Farsi is right-to-left: the translation cells read right to left
    assert ws.cell(2, COL["translation"]).alignment.readingOrder == 2
    assert ws.cell(2, COL["source"]).alignment.readingOrder == 0
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True) if r[0]}
    assert about["language"] == "fa" and about["wave"] == "demo-2025" and about["exported"] == "2026-12-01"


def test_round_trip_gives_the_edited_texts_statuses_translator_and_date(project, tmp_path):
    path = sheet(project, "ti", tmp_path)
    q = load_wave(project, "demo-2025").questionnaire
    reviewed = "ብሓፈሻ ጥዕናኹም ከመይ ኢዩ?"
    edit(path, {
        "items.gezondheid.text": {"translation": reviewed, "status": "reviewed", "translator": "M. Tesfay",
                                  "back_translation": "How is your health in general?"},
        "groups.intro.text": {"status": "final", "translator": "A. Haile", "comment": "pretested with 5 respondents"},
    })
    result = CliRunner().invoke(app, ["translations", "import", str(path), "--demo", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert "surveys/demo-2025/translations/ti.yaml: 2 text(s) changed; now 102 draft, 1 reviewed, 1 final of 104." in result.output
    again = load_wave(project, "demo-2025").questionnaire
    assert again.items["gezondheid"].text["ti"] == reviewed
    entries = again.translation_files["ti"].texts
    health = entries["items.gezondheid.text"]
    assert (health.status, health.translator, health.date, health.back_translation) == \
        ("reviewed", "M. Tesfay", dt.date.today(), "How is your health in general?")
    assert health.source == source_hash(q.items["gezondheid"].text["nl"])
    assert entries["groups.intro.text"].status == "final" and entries["groups.intro.text"].comment == "pretested with 5 respondents"
    assert entries["groups.achtergrond.text"] == q.translation_files["ti"].texts["groups.achtergrond.text"]  # untouched
    st = status(again)["ti"]
    assert (len(st.draft), len(st.reviewed), len(st.final), st.level()) == (102, 1, 1, "draft")
    # the other languages and every text of the pipeline are as they were
    assert again.items["gezondheid"].text["fa"] == q.items["gezondheid"].text["fa"]


def test_an_unchanged_sheet_changes_nothing(project, tmp_path):
    before = (project / "surveys" / "demo-2025" / "translations" / "ar.yaml").read_bytes()
    result = merge(project, sheet(project, "ar", tmp_path))
    assert result.changed == 0 and result.by_status == {"draft": 104, "reviewed": 0, "final": 0}
    q = load_wave(project, "demo-2025").questionnaire
    from rapportage.questionnaire.translations import dump

    assert dump(q, result.file) == before


def test_a_missing_language_is_translated_from_an_empty_sheet(project, tmp_path):
    path = sheet(project, "so", tmp_path)
    assert all(r[COL["translation"] - 1] is None for r in list(load_workbook(path)[SHEET].iter_rows(values_only=True))[1:])
    edit(path, {"groups.intro.text": {"translation": "Soo dhawoow"}})
    result = merge(project, path)
    assert result.by_status["draft"] == 1 and result.file.texts["groups.intro.text"].date == DAY
    assert len(result.file.texts) == 1


REFUSALS = [
    ("unknown key", {"groups.intro.text": {"key": "groups.welkom.text"}},
     r"row 3 \(groups.welkom.text\): no such text in questionnaire.yaml"),
    ("lost number", {"items.werk_zoeken.text": {"translation": "ኣብ ዝሓለፉ ሰሙናት ስራሕ ደሊኹም ዶ?"}},
     r"row \d+ \(items.werk_zoeken.text\): the translation lacks '4' of the Dutch text"),
    ("unknown status", {"groups.intro.text": {"status": "approved"}},
     r"row 3 \(groups.intro.text\): status 'approved' is not one of draft, reviewed, final"),
    ("reviewed without a name", {"groups.intro.text": {"status": "reviewed", "translator": None}},
     r"row 3 \(groups.intro.text\): status 'reviewed' needs the name of who translated or reviewed it"),
    ("Dutch edited in the sheet", {"groups.intro.text": {"source": "Hallo"}},
     r"row 3 \(groups.intro.text\): the Dutch text changed since the export \(now 'Welkom'\)"),
]


@pytest.mark.parametrize(("case", "changes", "sentence"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_each_refusal_names_the_row_and_writes_nothing(project, tmp_path, case, changes, sentence):
    target = project / "surveys" / "demo-2025" / "translations" / "ti.yaml"
    before = target.read_bytes()
    path = sheet(project, "ti", tmp_path)
    edit(path, {"groups.achtergrond.text": {"translation": "ብዛዕባኹም (ሓድሽ)"}} | changes)  # one good row besides
    with pytest.raises(PipelineError, match=rf"sheet.xlsx: nothing was imported: {sentence}"):
        merge(project, path)
    result = CliRunner().invoke(app, ["translations", "import", str(path), "--demo", "--root", str(project)])
    assert result.exit_code == 1 and "nothing was imported" in result.output and "Traceback" not in result.output
    assert target.read_bytes() == before


def test_a_translation_made_before_the_dutch_changed_is_refused_as_stale(project, tmp_path):
    path = sheet(project, "ti", tmp_path)
    edit(path, {"items.gezondheid.text": {"translation": "ብሓፈሻ ጥዕናኹም ከመይ ኢዩ?", "status": "reviewed", "translator": "M. Tesfay"}})
    spec = project / "surveys" / "demo-2025" / "questionnaire.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("Hoe is over het algemeen uw gezondheid?",
                                                             "Hoe is in het algemeen uw gezondheid?"), encoding="utf-8")
    with pytest.raises(PipelineError, match=r"row \d+ \(items.gezondheid.text\): the Dutch text changed since the export "
                                            r"\(now 'Hoe is in het algemeen uw gezondheid\?'\); export again"):
        merge(project, path)
    # and validate counts the translations made from the old Dutch as stale in every language
    result = CliRunner().invoke(app, ["validate", "--demo", "--root", str(project)])
    assert "Farsi (fa): 0 missing, 104 draft, 0 reviewed, 0 final; 1 stale: items.gezondheid.text; offered" in result.output
    # a new export marks the row, and translating it anew clears it
    path = sheet(project, "ti", tmp_path, "again.xlsx")
    edit(path, {"items.gezondheid.text": {"translation": "ብሓፈሻ ጥዕናኹም ከመይ ኢዩ?"}})
    merged = merge(project, path)
    assert merged.file.texts["items.gezondheid.text"].comment == ""  # the export's STALE mark is not kept as a comment
    assert merged.file.texts["items.gezondheid.text"].source == source_hash("Hoe is in het algemeen uw gezondheid?")


def test_a_placeholder_of_the_expression_manager_must_be_kept(project, tmp_path):
    spec = project / "surveys" / "demo-2025" / "questionnaire.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace('nl: "Welkom"', 'nl: "Welkom {TOKEN:FIRSTNAME}"'), encoding="utf-8")
    path = sheet(project, "fa", tmp_path)
    assert load_workbook(path)[SHEET].cell(3, COL["keep"]).value == "{TOKEN:FIRSTNAME}"
    edit(path, {"groups.intro.text": {"translation": "خوش آمدید"}})
    with pytest.raises(PipelineError, match=r"row 3 \(groups.intro.text\): the translation lacks '\{TOKEN:FIRSTNAME\}'"):
        merge(project, path)
    edit(path, {"groups.intro.text": {"translation": "{TOKEN:FIRSTNAME}، خوش آمدید"}})
    assert merge(project, path).file.texts["groups.intro.text"].text == "{TOKEN:FIRSTNAME}، خوش آمدید"


def test_numbers_in_another_script_count_as_kept():
    assert placeholders("in de afgelopen 4 weken, 12 maanden") == ["4", "12"]
    assert placeholders("در ۴ هفتهٔ گذشته، ۱۲ ماه") == ["4", "12"]  # Persian digits
    assert placeholders("في الأسابيع ٤ الماضية") == ["4"]  # Arabic-Indic digits


def test_sheets_that_are_not_an_export_are_refused_in_one_sentence(project, tmp_path):
    runner = CliRunner()
    bad = tmp_path / "notes.xlsx"
    bad.write_text("not a workbook", encoding="utf-8")
    for args, sentence in [
        (["translations", "import", str(bad)], "notes.xlsx: is not an .xlsx spreadsheet"),
        (["translations", "import", str(tmp_path / "gone.xlsx")], "gone.xlsx: file not found"),
        (["translations", "export", "--language", "nl"], "'nl' is the base language"),
        (["translations", "export", "--language", "de"], "language 'de' is not declared under 'languages' in questionnaire.yaml"),
    ]:
        result = runner.invoke(app, [*args, "--demo", "--root", str(project)])
        assert result.exit_code == 1 and sentence in " ".join(result.output.split()), result.output
    path = sheet(project, "ti", tmp_path)
    wb = load_workbook(path)
    ws = wb[SHEET]
    ws.cell(4, COL["key"]).value = "groups.intro.text"  # the same key twice
    wb.save(path)
    with pytest.raises(PipelineError, match=r"row 4 \(groups.intro.text\): the key is also in row 3"):
        merge(project, path)


def test_export_command_writes_the_sheet(project, tmp_path):
    out = tmp_path / "ti.xlsx"
    result = CliRunner().invoke(app, ["translations", "export", "--demo", "--root", str(project), "--language", "ti", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out)[SHEET].max_row == 1 + len(load_wave(project, "demo-2025").questionnaire.texts())
