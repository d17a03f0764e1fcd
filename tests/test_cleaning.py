"""Cleaning, scoring and pseudonymisation: planted problems found exactly, no identifier leaks,
hand-worked scale scores, the schema and the exports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from rapportage.cleaning import rules as clean
from rapportage.cleaning.schema import read_labels, validate_respondents
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import Scale
from rapportage.scoring.items import decode_item
from rapportage.scoring.scales import score_scale
from rapportage.sources.limesurvey import encode_json_export, responses_table
from rapportage.sources.snapshots import combined_responses, latest_snapshot
from rapportage.stages import pipeline
from typer.testing import CliRunner

from tests.conftest import run_earlier_waves, seal_snapshot

runner = CliRunner()


def clean_demo(wave, change=None, rules=None) -> clean.CleaningResult:
    frame = pd.read_csv(wave.raw_dir / "frame.csv", dtype=str, keep_default_na=False)
    raw = responses_table(combined_responses(wave, 482025).rows, "demo-2025").assign(survey_id=482025)
    if change:
        change(raw)
    categories = {v: list(wave.population.variables[v].categories) for v in wave.cleaning.frame_variables}
    return clean.clean_responses(raw, frame, wave.questionnaire, rules or wave.cleaning, categories=categories,
                                 languages=wave.config.languages, secret="x" * 20)


def test_unreadable_dates_are_counted_not_submitted_and_refused_in_bulk(demo_run):
    """Issue #21, 11: an unreadable startdate switched the speeder rule off silently; an
    unreadable submitdate still counted as submitted."""
    wave, _ = demo_run
    base = clean_demo(wave)
    submitted = base.flow["submitted"]
    target = submitted.iloc[0]["id"]

    def damage(raw):
        raw.loc[raw["id"] == target, "submitdate"] = "31-10-2025 12:00"
        raw.loc[raw["id"] == submitted.iloc[1]["id"], "startdate"] = "gisteren"

    result = clean_demo(wave, damage)
    unreadable = next(o for o in result.outcomes if o.rule == "unreadable_date")
    assert sorted(unreadable.records["id"]) == sorted([target, submitted.iloc[1]["id"]])
    assert target not in set(result.flow["submitted"]["id"]) and len(result.flow["submitted"]) == len(submitted) - 1
    log = clean.log_table(result, pd.read_csv(wave.raw_dir / "frame.csv", dtype=str), [], wave.config.languages)
    assert log.set_index("step").loc["unreadable_date", "count"] == 2

    def many(raw):
        raw.loc[raw.index[:12], "submitdate"] = "onbekend"

    with pytest.raises(PipelineError, match=r"12 of \d+ responses \(\d\.\d%\) have a startdate or submitdate that is not a "
                                            r"LimeSurvey date .* cleaning.yaml 'unreadable_dates_max_share' \(1\.0%\)"):
        clean_demo(wave, many)
    tolerated = clean_demo(wave, many, wave.cleaning.model_copy(update={"unreadable_dates_max_share": 0.05}))
    assert len(next(o for o in tolerated.outcomes if o.rule == "unreadable_date").records) == 12


def test_every_planted_problem_is_found_exactly(demo_run):
    wave, _ = demo_run
    planted = json.loads((wave.raw_dir / "planted.json").read_text())
    result = clean_demo(wave)
    found = {o.rule: o.ids for o in result.outcomes}
    assert set(planted) <= set(found)
    for rule, ids in planted.items():
        assert found[rule] == sorted(ids), rule
        assert ids, f"nothing planted for {rule}"
    assert found["not_in_frame"] == [] and found["not_eligible"] == []


def test_cleaning_log_has_the_flow_and_counts_per_language_and_group(demo_run):
    wave, _ = demo_run
    log = pd.read_csv(wave.clean_dir / "cleaning_log.csv").set_index("step")
    flow = log.loc[["invited", "started", "submitted", "valid"], "count"]
    assert flow["invited"] == 2623 and flow["invited"] > flow["started"] > flow["submitted"]
    dropped = log[(log.kind == "rule") & (log.action == "drop")]["count"].sum()
    assert flow["started"] - dropped == flow["valid"]
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    assert flow["valid"] == len(respondents)
    for lang in wave.config.languages:
        assert log.loc["valid", f"language:{lang}"] == (respondents.language == lang).sum()
    assert log.loc["invited", "status:asiel"] == 1377 and log.loc["valid", "route:Z"] == (respondents.route == "Z").sum()
    rules = log[log.kind == "rule"]
    assert (rules.filter(like="language:").sum(axis=1) == rules["count"]).all()
    assert respondents.flag_partial.sum() == log.loc["partial", "count"]
    assert respondents.flag_werk_tegenstrijdig.sum() == log.loc["werk_tegenstrijdig", "count"]
    assert (respondents.cijfer_leven__missing == "out_of_range").sum() == log.loc["out_of_range", "count"]


def test_clean_twice_gives_byte_identical_output(demo_run):
    wave, _ = demo_run
    files = ["respondents.parquet", "cleaning_log.csv", "cleaning_log.json", "codebook.csv"]
    before = {f: (wave.clean_dir / f).read_bytes() for f in files}
    quarantine = (wave.raw_dir / "quarantine" / "free_text.csv").read_bytes()
    assert pipeline.clean(wave, force=True).ran
    assert {f: (wave.clean_dir / f).read_bytes() for f in files} == before
    assert (wave.raw_dir / "quarantine" / "free_text.csv").read_bytes() == quarantine


CANARIES = {"token": "CANARYTOKEN77", "email": "canary.mail@example.invalid", "ipaddr": "203.0.113.77",
            "firstname": "Canaryfirst", "lastname": "Canarylast", "OPMERK": "kanarie-vrije-tekst-ٴ-ቋ",
            "W2[other]": "kanarie-anders-namelijk"}


@pytest.mark.slow
def test_canaries_in_identifiers_and_free_text_never_reach_clean_data_exports_or_report(project):
    wave = load_wave(project, "demo-2025")
    run_earlier_waves(wave)
    pipeline.fetch(wave)
    snapshot = latest_snapshot(wave)
    rows = json.loads((snapshot / "responses_482025.json").read_bytes())["responses"]
    frame = pd.read_csv(wave.raw_dir / "frame.csv", dtype=str, keep_default_na=False)
    planted = {i for ids in json.loads((wave.raw_dir / "planted.json").read_text()).values() for i in ids}
    tokens = [r["token"] for r in rows]
    target = next(r for r in rows if r["submitdate"] and r["TOESTEM"] == "Y" and r["id"] > 100
                  and r["id"] not in planted and tokens.count(r["token"]) == 1)  # a respondent that stays valid
    frame.loc[frame.token == target["token"], "token"] = CANARIES["token"]
    for r in rows:  # LimeSurvey adds these columns when IP addresses and participant data are kept
        r.update(email="", ipaddr="198.51.100.1", firstname="", lastname="")
        if r["token"] == target["token"]:
            r.update({k: v for k, v in CANARIES.items()})
    (wave.raw_dir / "frame.csv").write_text(frame.to_csv(index=False, lineterminator="\n"), encoding="utf-8")
    new = wave.raw_dir / "20251201T000000Z"
    new.mkdir()
    (new / "responses_482025.json").write_bytes(encode_json_export(rows))
    seal_snapshot(new)
    logs = [runner.invoke(app, [stage, "--demo", "--root", str(project), "--force"]) for stage in ("clean", "weight", "estimate", "render")]
    logs += [runner.invoke(app, ["export", "--demo", "--root", str(project), "--format", fmt]) for fmt in ("sav", "csv", "parquet")]
    assert all(r.exit_code == 0 for r in logs), [r.output for r in logs]
    assert not [c for c in CANARIES.values() for r in logs if c in r.output]  # nor in what the commands print
    published = [p for folder in (project / "data_clean", project / "reports" / "_output") for p in folder.rglob("*") if p.is_file()]
    assert len(published) >= 12
    for path in published:
        data = path.read_bytes()
        for name, canary in CANARIES.items():
            assert canary.encode("utf-8") not in data, (name, path)
            assert canary.encode("utf-16-le") not in data, (name, path)  # SPSS may store text as UTF-16
    quarantine = pd.read_csv(wave.raw_dir / "quarantine" / "free_text.csv")
    assert CANARIES["OPMERK"] in set(quarantine.text)  # kept aside for coding, with the pseudonym only
    assert CANARIES["W2[other]"] in set(quarantine[quarantine["item"] == "activiteiten[other]"].text)
    assert set(quarantine.columns) == {"respondent_key", "survey_id", "item", "language", "text"}


def test_schema_rejects_identifiers_and_impossible_values(demo_run):
    wave, _ = demo_run
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    validate_respondents(wave, respondents)
    with pytest.raises(PipelineError, match=r"would contain direct identifiers \['token'\]"):
        validate_respondents(wave, respondents.assign(token="abc"))
    with pytest.raises(PipelineError, match="breaks its schema"):
        validate_respondents(wave, respondents.assign(notes="free text"))
    bad = respondents.copy()
    bad.loc[0, "gezondheid"] = 7.0
    with pytest.raises(PipelineError, match="breaks its schema"):
        validate_respondents(wave, bad)


def test_parquet_carries_dutch_variable_and_value_labels(demo_run):
    wave, _ = demo_run
    labels = read_labels(wave.clean_dir / "respondents.parquet")
    assert labels["gezondheid"] == {"label": "Hoe is over het algemeen uw gezondheid?",
                                    "values": {"1": "zeer goed", "2": "goed", "3": "gaat wel", "4": "slecht", "5": "zeer slecht"}}
    assert labels["status"]["values"]["asiel"] == "Asielstatushouder"
    assert labels["ind_werk_betaald"]["label"] == "Heeft betaald werk"
    assert set(labels) == set(pd.read_parquet(wave.clean_dir / "respondents.parquet").columns)


def test_spss_export_keeps_labels_and_values(demo_run, tmp_path):
    wave, _ = demo_run
    result = runner.invoke(app, ["export", "--demo", "--root", str(wave.root), "--format", "sav", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data, meta = pyreadstat.read_sav(str(tmp_path / "respondenten_demo-2025.sav"))
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    assert len(data) == len(respondents)
    np.testing.assert_array_equal(np.sort(data["taalcijfer"].to_numpy()), np.sort(respondents["taalcijfer"].to_numpy()))
    assert meta.column_names_to_labels["mhi5_kalm"].endswith("Voelde u zich kalm en rustig?")
    assert meta.variable_value_labels["rondkomen"][4.0] == "ja, grote moeite"
    assert meta.variable_value_labels["language"]["ar"] == "Arabisch"
    csv = runner.invoke(app, ["export", "--demo", "--root", str(wave.root), "--format", "csv", "--output", str(tmp_path)])
    assert csv.exit_code == 0 and (tmp_path / "codeboek_demo-2025.csv").is_file()
    bad = runner.invoke(app, ["export", "--demo", "--root", str(wave.root), "--format", "xlsx"])
    assert bad.exit_code == 1 and "export format 'xlsx' is unknown" in bad.output


# ------------------------------------------------------------------ scoring, by hand
def scale(points_groups, min_answered, multiply=1.0, method="sum"):
    return Scale(label="t", source="t", min_answered=min_answered, multiply=multiply, method=method,
                 scoring=[{"items": items, "points": pts} for items, pts in points_groups])


EMOTIONAL = (["leegte", "mis", "steek"], {1: 1, 2: 1, 3: 0})  # ja / min of meer count
SOCIAL = (["terug", "vertrouw", "verbonden"], {1: 0, 2: 1, 3: 1})  # nee / min of meer count


def test_de_jong_gierveld_by_hand():
    # ja, ja, nee | nee, min of meer, ja  -> emotional 1+1+0 = 2, social 1+1+0 = 2, total 4
    answers = pd.DataFrame({"leegte": [1, 3, 1], "mis": [1, 3, None], "steek": [3, 3, 1],
                            "terug": [3, 1, 3], "vertrouw": [2, 1, 3], "verbonden": [1, 1, 3]})
    total = score_scale(answers, scale([EMOTIONAL, SOCIAL], min_answered=5))
    emotional = score_scale(answers, scale([EMOTIONAL], min_answered=3))
    social = score_scale(answers, scale([SOCIAL], min_answered=3))
    assert total.tolist() == [4.0, 0.0, 6.0]  # third row: 5 of 6 answered, 5 points prorated to 6
    assert emotional.tolist()[:2] == [2.0, 0.0] and np.isnan(emotional[2])  # subscale needs all three
    assert social.tolist() == [2.0, 0.0, 3.0]


def test_mhi5_reversed_items_and_prorating_by_hand():
    neg = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5}
    pos = {k: 5 - v for k, v in neg.items()}
    mhi5 = scale([(["nervous", "down", "blue"], neg), (["calm", "happy"], pos)], min_answered=4, multiply=4)
    answers = pd.DataFrame({"nervous": [6, 1, 4], "down": [6, 1, 4], "blue": [6, 1, None],
                            "calm": [1, 6, 2], "happy": [1, 6, 3]})
    # never nervous/down/blue and always calm/happy = 100; the opposite = 0;
    # third: (3 + 3 + 4 + 3) / 4 answered * 5 items * 4 = 65
    assert score_scale(answers, mhi5).tolist() == [100.0, 0.0, 65.0]


def test_mean_scale_and_indicator_universe(demo_run):
    wave, _ = demo_run
    taal = wave.questionnaire.scales["taalvaardigheid"]
    answers = pd.DataFrame({"taal_spreken": [1, 2, 5], "taal_verstaan": [2, 2, None], "taal_lezen": [3, 2, None],
                            "taal_schrijven": [None, 2, None]})
    assert score_scale(answers, taal).tolist()[:2] == [2.0, 2.0] and np.isnan(score_scale(answers, taal)[2])
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    working = respondents.werk == 1
    assert respondents.loc[working, "ind_werk_zoekend"].isna().all()  # outside the universe
    assert respondents.loc[respondents.werk == 0, "ind_werk_zoekend"].notna().mean() > 0.9
    skipped = respondents.loc[respondents.werk_zoeken__missing == "not_applicable", "werk"]
    assert ((skipped == 1) | skipped.isna()).all()  # filter W1 = N did not hold (or W1 unanswered)


def test_other_namely_single_choice_gets_its_value_and_the_text_is_kept_aside():
    from rapportage.questionnaire.spec import Item

    item = Item.model_validate({"code": "Q1", "type": "single", "group": "g", "text": {"nl": "?"},
                                "other": {"nl": "anders, namelijk"}, "other_value": 9,
                                "options": [{"code": "SY", "value": 1, "label": {"nl": "Syrië"}}]})
    values, _ = decode_item(pd.Series(["SY", "-oth-", ""]), item, "herkomst")
    assert values.tolist()[:2] == [1.0, 9.0] and np.isnan(values[2])


def test_unknown_codes_and_out_of_range_values():
    from rapportage.questionnaire.spec import Item

    item = Item.model_validate({"code": "G1", "type": "single", "group": "g", "text": {"nl": "?"},
                                "options": [{"code": "1", "value": 1, "label": {"nl": "a"}},
                                            {"code": "98", "missing": "dont_know", "label": {"nl": "w"}}]})
    values, reasons = decode_item(pd.Series(["1", "98", ""]), item, "gezondheid")
    assert values.tolist()[0] == 1.0 and reasons.tolist()[1:] == ["dont_know", "not_answered"]
    with pytest.raises(PipelineError, match="item gezondheid: answer code '7' is not in questionnaire.yaml"):
        decode_item(pd.Series(["1", "7"]), item, "gezondheid")
    number = Item.model_validate({"code": "H2", "type": "numeric", "group": "g", "text": {"nl": "?"}, "range": [1, 10]})
    with pytest.raises(PipelineError, match=r"item cijfer: value 12 lies outside its range \[1, 10\]"):
        decode_item(pd.Series(["12"]), number, "cijfer")
    values, reasons = decode_item(pd.Series(["12", "8"]), number, "cijfer", out_of_range="set_missing")
    assert np.isnan(values[0]) and reasons[0] == "out_of_range" and values[1] == 8.0
