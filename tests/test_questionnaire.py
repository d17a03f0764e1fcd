"""The questionnaire specification: validation of every class of error, baseline comparison,
the .lss survey file (round trip, format of a real LimeSurvey 6 server), drift, codebook."""

from __future__ import annotations

import copy
import json
import re

import pandas as pd
import pytest
import yaml
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.codebook import codebook
from rapportage.questionnaire.lss import (
    drift,
    parse_lss,
    structure_from_spec,
    write_lss,
)
from rapportage.questionnaire.spec import Questionnaire, compare, problems
from rapportage.questionnaire.translations import status as translation_status
from rapportage.sources.snapshots import latest_snapshot
from typer.testing import CliRunner

from tests.conftest import REPO, limesurvey_file, seal_snapshot

DEMO_Q = Questionnaire.load(REPO / "surveys" / "demo-2025" / "questionnaire.yaml")
SPEC = DEMO_Q.model_dump(mode="json", by_alias=True)
"""The demo's questionnaire with every language's texts in it (as the pipeline holds it)."""


def dutch_only(data: dict) -> dict:
    """``data`` as questionnaire.yaml holds it: the base language's texts only."""
    data = copy.deepcopy(data)
    q = Questionnaire.model_validate(data)
    for _, text in q.texts():
        for lang in [c for c in text if c != q.base_language]:
            del text[lang]
    return q.model_dump(mode="json", by_alias=True)


def spec_problems(mutate) -> list[str]:
    data = copy.deepcopy(SPEC)
    mutate(data)
    return [f"{p.key}: {p.message}" for p in problems(Questionnaire.model_validate(data))]


def test_demo_specification_is_a_real_instrument():
    q = Questionnaire.model_validate(SPEC)
    assert problems(q) == []
    assert 15 <= len(q.indicators) <= 20
    assert {i.domain for i in q.indicators} == {"werk", "taal", "gezondheid", "financien", "sociale_verbinding", "thuis_voelen"}
    assert q.complete_languages() == ["nl", "en", "ar", "tr", "ti", "fa", "prs"]
    states = translation_status(DEMO_Q)
    assert states["so"].level() == "missing" and len(states["so"].missing) == len(q.texts())
    # written by this project, not reviewed: drafts, never presented as professional
    assert all(states[c].level() == "draft" and not states[c].stale for c in ("en", "ar", "tr", "ti", "fa", "prs"))
    assert [c for c, lang in q.languages.items() if lang.direction == "rtl"] == ["ar", "fa", "prs"]
    assert {item.type for item in q.items.values()} == {"yesno", "single", "multiple", "array", "numeric", "text", "date"}
    assert q.items["mhi5"].text["ar"] and q.items["werk_zoeken"].filter
    assert all(item.source for k, item in q.items.items() if k not in ("toestemming",))
    assert {"mhi5", "eenzaamheid", "eenzaamheid_emotioneel", "eenzaamheid_sociaal", "taalvaardigheid"} <= set(q.scales)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["items"]["werk"]["text"].pop("nl"), "items.werk.text.nl: no text in the base language 'nl'"),
        (lambda d: d["items"]["mhi5"]["subquestions"][0]["text"].update(xx="?"), "items.mhi5.subquestions.mhi5_zenuwachtig.text.xx: text in undeclared language 'xx'"),
        (lambda d: d["items"]["achterstand"].update(code="W1"), "items.achterstand.code: LimeSurvey code 'W1' is also used by item 'werk'"),
        (lambda d: d["items"]["gezondheid"]["options"].append(dict(d["items"]["gezondheid"]["options"][0])), "items.gezondheid: option codes ['1'] occur more than once"),
        (lambda d: d["items"]["taalvaardigheid"]["subquestions"][1].update(code="SQ001"), "items.taalvaardigheid: sub-question codes ['SQ001'] occur more than once"),
        (lambda d: d["items"]["taalvaardigheid"]["subquestions"][1].update(id="werk"), "items: id 'werk' names more than one variable"),
        (lambda d: d["items"]["werk_zoeken"]["filter"][0].update(item="baan"), "items.werk_zoeken.filter.0.item: filter names unknown item 'baan'"),
        (lambda d: d["items"]["werk_zoeken"]["filter"][0].update(codes=["X"]), "items.werk_zoeken.filter.0.codes: codes ['X'] are not answer codes of 'werk'"),
        (lambda d: d["items"]["werk"].update(filter=[{"item": "cijfer_leven", "codes": ["1"]}]), "items.werk.filter.0.item: filter item 'cijfer_leven' is not asked before 'werk'"),
        (lambda d: d["items"]["werk"].update(group="baan"), "items.werk.group: group 'baan' is not declared"),
        (lambda d: d["scales"]["mhi5"]["scoring"][0]["items"].append("mhi5_boos"), "scales.mhi5.scoring.0.items: scale names unknown item 'mhi5_boos'"),
        (lambda d: d["indicators"][0].update(of="baan"), "indicators.0(werk_betaald).of: 'of' names unknown item or scale 'baan'"),
        (lambda d: d["indicators"][3]["universe"].update(of="baan"), "indicators.3(werk_zoekend).universe.of: universe names unknown item or scale 'baan'"),
        (lambda d: d["indicators"][1].update(id="werk_betaald"), "indicators.1(werk_betaald).id: indicator id 'werk_betaald' occurs more than once"),
        # issue #14, 12: a value the item never takes was silently ignored ('in: [1, 7]' counted code 1 only)
        (lambda d: d["indicators"][8]["condition"].update({"in": [1, 7]}),
         "indicators.8(gez_goed).condition.in: values ['7'] are not values of 'gezondheid' (its values: 1, 2, 3, 4, 5)"),
        (lambda d: d["indicators"][3]["universe"].update({"in": [2]}),
         "indicators.3(werk_zoekend).universe.in: values ['2'] are not values of 'werk' (its values: 0, 1)"),
        (lambda d: d.update(indicators=[i for i in d["indicators"] if i["domain"] != "financien"]), "indicators: domain 'financien' has no indicator"),
    ],
)
def test_each_class_of_error_is_found_and_named(mutate, expected):
    found = spec_problems(mutate)
    assert any(p.startswith(expected) for p in found), found


def test_shape_errors_name_the_item_and_key(tmp_path):
    data = dutch_only(SPEC)
    data["items"]["gezondheid"]["type"] = "slider"
    path = tmp_path / "questionnaire.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PipelineError, match=r"questionnaire.yaml: key 'items.gezondheid.type': Input should be"):
        Questionnaire.load(path)
    data["items"]["gezondheid"]["type"] = "single"
    data["items"]["werk"]["text"]["tr"] = "Şu anda ücretli bir işiniz var mı?"  # a translation belongs in its own file
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PipelineError, match=r"key 'items.werk.text.tr': a text in 'tr' belongs in translations/tr.yaml"):
        Questionnaire.load(path)


def test_validate_lists_every_problem_and_the_changes_since_the_baseline(project):
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", "--demo", "--root", str(project)])
    assert ok.exit_code == 0 and "valid: 20 items" in ok.output
    # a second wave whose baseline is the demo, with one item changed, one removed, one added
    new = project / "surveys" / "wave2"
    new.mkdir()
    for name in ("population.yaml", "cleaning.yaml"):
        text = (project / "surveys" / "demo-2025" / name).read_text(encoding="utf-8")
        (new / name).write_text(text.replace("achterstand,", "vervoer,"), encoding="utf-8")
    wave = (project / "surveys" / "demo-2025" / "wave.yaml").read_text(encoding="utf-8")
    wave = re.sub(r"(?m)^baseline_wave:.*$", "baseline_wave: demo-2025", wave)
    (new / "wave.yaml").write_text(wave.replace("id: demo-2025", "id: wave2"), encoding="utf-8")
    import shutil

    shutil.copytree(project / "surveys" / "demo-2025" / "translations", new / "translations")
    data = dutch_only(SPEC)
    data["items"]["gezondheid"]["text"]["nl"] = "Hoe gezond voelt u zich?"
    data["items"]["taalcijfer"] = data["items"].pop("taalcijfer") | {"code": "T1B"}
    data["items"]["vervoer"] = data["items"].pop("achterstand") | {"code": "F9"}
    data["indicators"] = [i | ({"of": "vervoer"} if i["of"] == "achterstand" else {}) for i in data["indicators"]]
    (new / "questionnaire.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--wave", "wave2", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert "compared with baseline wave 'demo-2025': 5 difference(s)" in result.output
    assert "added item 'vervoer'" in result.output and "removed item 'achterstand'" in result.output
    assert "changed item 'gezondheid' (text.nl)" in result.output and "changed item 'taalcijfer' (code)" in result.output
    assert "changed indicator 'fin_achterstand' (of)" in result.output
    # per language: the new item's texts are missing, the reworded one is stale, the removed one obsolete
    assert ("Tigrinya (ti): 1 missing, 103 draft, 0 reviewed, 0 final; 1 stale: items.gezondheid.text; "
            "1 no longer in the questionnaire: items.achterstand.text; offered") in result.output, result.output
    assert "Somalisch (so): 104 missing, 0 draft, 0 reviewed, 0 final; not offered" in result.output
    assert "wave.yaml: key 'languages' offers 'ti', but 1 of its 104 texts are not translated" in result.output
    # and a broken specification lists all its problems with exit code 1
    data["items"]["werk"]["text"].pop("nl")
    data["items"]["werk_zoeken"]["text"].pop("nl")
    (new / "questionnaire.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["validate", "--wave", "wave2", "--root", str(project)])
    assert result.exit_code == 1
    assert "key 'items.werk.text.nl'" in result.output and "key 'items.werk_zoeken.text.nl'" in result.output


def test_compare_of_identical_specifications_is_empty():
    q = Questionnaire.model_validate(SPEC)
    assert compare(q, q).lines() == []


# ------------------------------------------------------------------ .lss
@pytest.fixture(scope="module")
def demo_lss() -> tuple[Questionnaire, bytes]:
    q = Questionnaire.model_validate(SPEC)
    return q, write_lss(q, 482025)


def test_lss_round_trips_to_the_same_structure(demo_lss):
    q, data = demo_lss
    parsed = parse_lss(data)
    assert parsed == structure_from_spec(q)
    assert parsed.languages == ["nl", "en", "ar", "tr", "ti", "fa", "prs"]
    # issue #17: every question, sub-question and answer option has its text in every language
    for code, question in parsed.questions.items():
        for texts in [question.texts, *[t for _, t in question.subquestions], *[t for _, t in question.answers]]:
            assert all(texts.get(lang, "").strip() for lang in parsed.languages), (code, texts)
    assert [g["ti"] for g in parsed.groups] == [g.text["ti"] for g in q.groups.values()]
    assert parsed.questions["W3"].relevance == '((W1.NAOK == "N"))'
    assert parsed.questions["MODUS"].hidden and parsed.questions["TOESTEM"].mandatory
    assert parsed.questions["W2"].type == "M" and parsed.questions["MHI"].type == "F" and parsed.questions["AANKOMST"].type == "D"
    assert parsed.questions["W2"].other and not parsed.questions["G1"].other
    arabic = SPEC["items"]["mhi5"]["subquestions"][2]["text"]["ar"]
    assert arabic.encode("utf-8") in data  # right-to-left text byte for byte, not escaped


def test_lss_has_the_sections_and_fields_of_a_file_limesurvey_accepted(demo_lss):
    accepted = limesurvey_file("lss/accepted_by_import_survey_246810.lss")
    import xml.etree.ElementTree as ET

    def layout(data: bytes) -> list[tuple[str, list[str]]]:
        root = ET.fromstring(data)
        return [(sec.tag, [f.text for f in sec.findall("./fields/fieldname")]) for sec in root]

    assert layout(demo_lss[1]) == layout(accepted.read_bytes())


@pytest.mark.parametrize("name", ["limesurvey_survey_246810_exported.lss", "ls6_sample_survey_multilingual_fr_de_en_it_ru.lss"])
def test_parse_reads_files_exported_by_limesurvey(name):
    path = limesurvey_file(f"lss/{name}")
    s = parse_lss(path.read_bytes(), name)
    assert s.questions and all(q.texts for q in s.questions.values())
    if name.startswith("limesurvey_survey_246810"):
        assert s.questions["Q4"].subquestions[0][0] == "SQ001"
        assert s.questions["Q1"].answers[0] == ("SY", {"nl": "Syrië", "en": "Syria", "ar": "سوريا", "uk": "Сирія", "ti": "ሶርያ"})


def test_lss_keeps_geez_and_persian_scripts_byte_for_byte(demo_lss):
    q, data = demo_lss
    tigrinya, farsi, dari = (q.items["gezondheid"].text[c] for c in ("ti", "fa", "prs"))
    assert len({tigrinya, farsi, dari}) == 3  # Farsi and Dari are separate versions
    for text in (tigrinya, farsi, dari):
        assert text.encode("utf-8") in data
    assert parse_lss(data).questions["G1"].texts["ti"] == tigrinya


def test_lss_refuses_a_language_without_texts():
    q = Questionnaire.model_validate(SPEC)
    with pytest.raises(PipelineError, match=r"offers Somalisch \(so\), but 104 of its 104 texts are not translated \(title, "
                                            r"groups.intro.text, groups.achtergrond.text and 101 more\)"):
        write_lss(q, 1, languages=["nl", "so"])


def test_drift_lists_changed_codes_types_and_missing_questions(demo_lss):
    q, data = demo_lss
    spec = structure_from_spec(q)
    fielded = parse_lss(data)
    assert drift(spec, fielded) == []
    fielded.questions["G1"].answers.pop()  # answer 5 removed in the field
    fielded.questions["S3"].type = "Y"
    del fielded.questions["H2"]
    fielded.questions["EXTRA"] = fielded.questions["H1"]
    fielded.questions["T2"].answers[0][1].pop("ar")
    fielded.questions["W2"].other = False
    found = drift(spec, fielded)
    assert "question G1: answer codes ['1', '2', '3', '4'] in the survey, ['1', '2', '3', '4', '5'] in the specification" in found
    assert "question S3: type Y in the survey, L in the specification" in found
    assert "question H2: in the specification, not in the survey" in found
    assert "question EXTRA: in the survey, not in the specification" in found
    assert "question T2: answer 1 has no text in ar in the survey" in found
    assert "question W2: 'other' option off in the survey, on in the specification" in found


def test_drift_compares_the_labels_of_every_code_in_every_language(demo_lss, tmp_path, monkeypatch):
    """Issue #14, 11: swapping the Dutch labels of two codes on the server ('nooit' <-> 'altijd')
    passed fetch and clean, reversing every result built on the item."""
    import tempfile

    from rapportage.questionnaire.lss import summarise

    q, data = demo_lss
    spec = structure_from_spec(q)
    fielded = parse_lss(data)
    answers = fielded.questions["T2"].answers
    answers[0][1]["nl"], answers[3][1]["nl"] = answers[3][1]["nl"], answers[0][1]["nl"]
    fielded.questions["TAALV"].subquestions[1][1]["tr"] = "Yazmak"
    fielded.questions["G1"].answers[0][1]["nl"] = "<p>zeer  goed</p>"  # LimeSurvey's editor HTML: the same label
    found = drift(spec, fielded)
    assert found == ["question T2: answer 1 reads 'altijd' in the survey (nl), 'nooit' in the specification",
                     "question T2: answer 4 reads 'nooit' in the survey (nl), 'altijd' in the specification",
                     "question TAALV: sub-question SQ002 reads 'Yazmak' in the survey (tr), 'Dinleyip anlamak' in the "
                     "specification"]
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    many = [f"difference {i}" for i in range(29)]
    clause = summarise(many, name="drift-w2025-482025")
    listing = tmp_path / "rapportage-drift-w2025-482025.txt"
    assert clause.endswith(f"difference 4; and 24 more (all 29 in {listing})")
    assert listing.read_text(encoding="utf-8").splitlines() == many


def test_lss_command_writes_an_importable_file(project):
    result = CliRunner().invoke(app, ["lss", "--demo", "--root", str(project)])
    assert result.exit_code == 0, result.output
    path = project / "data_clean" / "demo-2025" / "survey_482025.lss"
    assert parse_lss(path.read_bytes()).questions["W1"].type == "Y"
    # issue #17: every language gets the questionnaire's translated title, not the report's Dutch title
    import xml.etree.ElementTree as ET

    titles = {row.findtext("surveyls_language"): row.findtext("surveyls_title")
              for row in ET.fromstring(path.read_bytes()).iter("row") if row.find("surveyls_title") is not None}
    q = load_wave(project, "demo-2025").questionnaire
    assert titles == {lang: q.title[lang] for lang in ["nl", "en", "ar", "ti", "tr", "fa", "prs"]}
    assert titles["ar"] == "استبيان للمشاركين في برنامج الاندماج في أوتريخت"
    assert "warning: Tigrinya (ti): 104 of 104 texts are drafts" in result.output


def test_lss_command_refuses_an_offered_language_without_texts(project):
    wave_yaml = project / "surveys" / "demo-2025" / "wave.yaml"
    wave_yaml.write_text(wave_yaml.read_text(encoding="utf-8").replace("languages: [nl,", "languages: [nl, so,"), encoding="utf-8")
    result = CliRunner().invoke(app, ["lss", "--demo", "--root", str(project)])
    assert result.exit_code == 1
    assert ("surveys/demo-2025/wave.yaml offers Somalisch (so), but 104 of its 104 texts are not translated (title, "
            "groups.intro.text, groups.achtergrond.text and 101 more); have them translated (rapportage translations export "
            "--language so) or remove 'so' from 'languages' in surveys/demo-2025/wave.yaml.") in " ".join(result.output.split())
    assert not (project / "data_clean" / "demo-2025" / "survey_482025.lss").exists()


# ------------------------------------------------------------------ codebook
def test_codebook_lists_every_variable_of_the_clean_data(demo_run):
    wave, _ = demo_run
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    book = pd.read_csv(wave.clean_dir / "codebook.csv", dtype=str, keep_default_na=False)
    assert set(respondents.columns) <= set(book.variable)
    listed = [v for v in book.variable if not v.endswith("__missing")]
    assert set(listed) <= set(respondents.columns)
    row = book.set_index("variable").loc["mhi5_kalm"]
    assert row.text_ar and row.text_tr and "6 = 6 (nooit)" in row["values"] and "schaal mhi5" in row.used_by
    assert "98 = weet ik niet" in book.set_index("variable").loc["moeite_spreken"].missing_codes
    assert "werk in N" == book.set_index("variable").loc["werk_zoeken"]["filter"]
    assert (wave.clean_dir / "codebook.md").read_text(encoding="utf-8").count("\n## `") == len(listed)
    # issue #17: the question texts in exactly the languages of the fielded survey, and its language codes
    fielded = json.loads((wave.clean_dir / "cleaning_log.json").read_text(encoding="utf-8"))["fielded_languages"]
    assert [c.removeprefix("text_") for c in book.columns if c.startswith("text_")] == fielded
    assert book.set_index("variable").loc["language"]["values"].split("; ") == \
        [f"{c} = {wave.questionnaire.languages[c].name}" for c in fielded]
    assert book.set_index("variable").loc["gezondheid"].text_prs == wave.questionnaire.items["gezondheid"].text["prs"]


def test_codebook_table_matches_specification():
    wave = load_wave(REPO, "demo-2025")
    book = codebook(wave)
    assert book.variable.is_unique
    assert {f"ind_{i.id}" for i in wave.questionnaire.indicators} <= set(book.variable)


# ------------------------------------------------------------------ drift check and harmonisation in the pipeline
def _new_snapshot(wave, name: str, files: dict[str, bytes]) -> None:
    folder = wave.raw_dir / name
    folder.mkdir()
    for file_name, data in files.items():
        (folder / file_name).write_bytes(data)
    seal_snapshot(folder)


def test_clean_stops_when_the_fielded_survey_drifted_from_the_specification(project):
    from rapportage.stages import pipeline

    wave = load_wave(project, "demo-2025")
    pipeline.fetch(wave)
    snapshot = latest_snapshot(wave)
    lss = (snapshot / "structure_482025.lss").read_bytes().replace(b"<![CDATA[T2]]>", b"<![CDATA[T2X]]>")
    _new_snapshot(wave, "20251201T000000Z", {"responses_482025.json": (snapshot / "responses_482025.json").read_bytes(),
                                              "structure_482025.lss": lss})
    with pytest.raises(PipelineError, match=r"survey 482025 in snapshot 20251201T000000Z does not match .*question T2: in the specification, not in the survey"):
        pipeline.clean(wave)


def test_several_surveys_harmonise_into_one_table_with_a_language_column(project):
    """One survey per language group (as some waves field them) gives the same respondents."""
    import json

    from rapportage.sources.limesurvey import encode_json_export
    from rapportage.stages import pipeline

    wave = load_wave(project, "demo-2025")
    pipeline.fetch(wave)
    pipeline.clean(wave)
    single = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    snapshot = latest_snapshot(wave)
    rows = json.loads((snapshot / "responses_482025.json").read_bytes())["responses"]
    dutch = [r for r in rows if r["startlanguage"] in ("nl", "en")]
    other = [r for r in rows if r["startlanguage"] not in ("nl", "en")]
    for part in (dutch, other):  # each survey numbers its responses from 1
        for i, r in enumerate(part, start=1):
            r["id"] = i
    structure = (snapshot / "structure_482025.lss").read_bytes()
    import shutil

    shutil.rmtree(snapshot)  # this project starts over with one snapshot fielded as two surveys
    _new_snapshot(wave, "20251201T000000Z", {
        "responses_482025.json": encode_json_export(dutch), "structure_482025.lss": structure,
        "responses_482026.json": encode_json_export(other),
        "structure_482026.lss": structure.replace(b"482025", b"482026"),
    })
    wave_yaml = project / "surveys" / "demo-2025" / "wave.yaml"
    wave_yaml.write_text(wave_yaml.read_text().replace("survey_ids: [482025]", "survey_ids: [482025, 482026]"))
    wave = load_wave(project, "demo-2025")
    pipeline.clean(wave)
    combined = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    assert len(combined) == len(single)
    assert set(combined.survey_id) == {482025, 482026}
    assert (combined[combined.survey_id == 482026].language.isin(["nl", "en"])).sum() == 0
    pd.testing.assert_series_equal(combined.language.value_counts().sort_index(), single.language.value_counts().sort_index())
    key = ["language", "status", "gender", "ageband", "route", "taalcijfer", "mhi5", "ind_werk_betaald"]
    a = combined[key].sort_values(key, ignore_index=True)
    b = single[key].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b)
