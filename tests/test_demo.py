"""The synthetic-wave generator: registry margins, determinism, LimeSurvey export format,
non-response, and any wave's own configuration (issue #16, item 6)."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.sources import synthetic as demo
from rapportage.sources.limesurvey import decode_json_export, encode_json_export

from tests.conftest import REPO


@pytest.fixture(scope="module")
def generated():
    wave = load_wave(REPO, "demo-2025")
    files = demo.generate(wave)
    frame = pd.read_csv(io.BytesIO(files["frame.csv"]), dtype={"token": str})
    export = next(v for k, v in files.items() if k.startswith("responses_"))
    return wave, files, frame, export


def test_frame_reproduces_the_registry_margins(generated):
    wave, _, frame, _ = generated
    assert len(frame) == 2623
    for var, counts in wave.population.margins.items():
        column = frame[var.split("*")].astype(str).agg("*".join, axis=1)  # a cross-table too
        assert column.value_counts().to_dict() == {k: v for k, v in counts.items() if v}, var
    counts = frame.groupby("status").size()
    assert counts.to_dict() == {"asiel": 1377, "gezin": 1246}
    assert (frame.gender == "vrouw").mean() == pytest.approx(0.55, abs=0.001)
    shares = frame.ageband.value_counts(normalize=True)
    assert shares["18-26"] == pytest.approx(0.26, abs=0.001)
    assert shares["27-40"] == pytest.approx(0.655, abs=0.001)
    route = frame.groupby("status").route.value_counts(normalize=True)
    # 67 / 18 / 16 % of statushouders (sums to 101% in the brief, normalised) and 87 / 13 %
    assert route["asiel", "B1"] == pytest.approx(0.67 / 1.01, abs=0.002)
    assert route["asiel", "Z"] == pytest.approx(0.18 / 1.01, abs=0.002)
    assert route["asiel", "onderwijs"] == pytest.approx(0.16 / 1.01, abs=0.002)
    assert route["gezin", "B1"] == pytest.approx(0.87, abs=0.001)
    assert route["gezin", "Z"] == pytest.approx(0.13, abs=0.001)
    assert (frame.kansrijke_start == "ja").sum() == 466
    assert frame.token.is_unique


def test_generator_is_deterministic(generated):
    wave, files, _, _ = generated
    assert demo.generate(wave) == files


def test_non_response_depends_on_the_registry_characteristics(generated):
    _, _, frame, _ = generated
    rates = [frame.groupby(v).responded.mean() for v in ("status", "gender", "ageband", "route")]
    for r in rates:
        assert r.max() - r.min() > 0.05  # response differs by every weighting variable
    cells = frame.groupby(["status", "route"]).responded.mean()
    assert cells.min() < 0.25 and cells.max() > 0.35  # 2025: interviews in the own language narrowed the gap
    assert 0.2 < frame.responded.mean() < 0.4


def test_export_is_byte_identical_to_limesurvey_json(generated):
    _, _, frame, export = generated
    rows = decode_json_export(export, "demo-2025")
    assert encode_json_export(rows) == export
    first = rows[0]
    assert list(first)[:8] == ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp"]
    assert all(isinstance(r["id"], int) for r in rows)
    assert all(isinstance(r["lastpage"], int) or r["lastpage"] == "" for r in rows)
    assert all(isinstance(v, str) for r in rows for k, v in r.items() if k not in ("id", "lastpage"))
    assert [r["id"] for r in rows] == list(range(1, len(rows) + 1))
    assert b"\\u" in export and export.isascii()  # non-ASCII escaped as PHP json_encode does
    texts = {r["OPMERK"] for r in rows}
    assert "السكن بعيد عن المدرسة" in texts and "ቋንቋ ምምሃር ከቢድ እዩ" in texts
    submitted = {r["token"] for r in rows if r["submitdate"]}
    assert submitted == set(frame.token[frame.responded == 1])
    incomplete = [r for r in rows if not r["submitdate"]]
    assert incomplete and all(r["lastpage"] < 3 for r in incomplete)
    languages = {r["startlanguage"] for r in rows}
    assert languages == {"nl", "en", "ar", "ti", "tr", "fa", "prs"}
    modes = {r["MODUS"] for r in rows if r["submitdate"] and r["TOESTEM"] == "Y"}
    assert modes == {"1", "2"}


def test_population_truth_covers_every_indicator(generated):
    wave, files, _, _ = generated
    truth = json.loads(files["population_truth.json"])
    assert set(truth) == {i.id for i in wave.questionnaire.indicators}
    for ind in wave.questionnaire.indicators:
        value = truth[ind.id]["value"]
        assert np.isfinite(value)
        # the whole population minus missing-value codes, or the indicator's universe
        assert truth[ind.id]["n"] > (1000 if ind.universe else 2400)
        if ind.kind == "proportion":
            assert 0.03 < value < 0.97


def test_the_generator_makes_any_waves_configuration(project):
    """Issue #16, 6 (was #14, 5): a wave copied from the demo with other margins and a new item
    gets a synthetic snapshot from its own configuration: the frame has its margins, the new item
    plausible answers, and the response depends on the frame."""
    import shutil

    from rapportage.config import load_wave

    new = project / "surveys" / "nieuw"
    shutil.copytree(project / "surveys" / "demo-2025", new)
    (new / "wave.yaml").write_text((new / "wave.yaml").read_text(encoding="utf-8").replace("id: demo-2025", "id: nieuw"),
                                   encoding="utf-8")
    population = (new / "population.yaml").read_text(encoding="utf-8")
    population = population.replace("status: {asiel: 1377, gezin: 1246}", "status: {asiel: 1650, gezin: 973}")
    population = population.split("  # cross-tables")[0] + "weighting:" + population.split("\nweighting:")[1]
    population = population.replace("kansrijke_start:\n    label: Kansrijke Start\n    categories: {ja: In Kansrijke Start, nee: Niet in Kansrijke Start}",
                                    "kansrijke_start:\n    label: Kansrijke Start\n    categories: {ja: In Kansrijke Start, nee: Niet in Kansrijke Start, onbekend: Onbekend}")
    population = population.replace("kansrijke_start: {ja: 466, nee: 2157}", "kansrijke_start: {ja: 466, nee: 2000, onbekend: 157}")
    (new / "population.yaml").write_text(population, encoding="utf-8")
    questionnaire = (new / "questionnaire.yaml").read_text(encoding="utf-8")
    extra = ('  vervoer:\n    code: S4\n    type: single\n    group: sociaal\n    text: {nl: "Hoe vaak fietst u?"}\n'
             '    options:\n'
             '      - {code: "1", value: 1, label: {nl: "vaak"}}\n'
             '      - {code: "2", value: 2, label: {nl: "soms"}}\n'
             '      - {code: "3", value: 3, label: {nl: "nooit"}}\n'
             '      - {code: "98", missing: dont_know, label: {nl: "weet ik niet"}}\n')
    (new / "questionnaire.yaml").write_text(questionnaire.replace("  opmerking:\n", extra + "  opmerking:\n", 1), encoding="utf-8")
    # issue #17, 4: the new question is in Dutch only, so the survey cannot be fielded in the other six languages
    with pytest.raises(PipelineError, match=r"surveys/nieuw/wave.yaml offers Engels \(en\), but 5 of its 109 texts are not "
                                            r"translated \(items.vervoer.text, items.vervoer.options.1.label"):
        demo.generate(load_wave(project, "nieuw"))
    wave_yaml = (new / "wave.yaml").read_text(encoding="utf-8")
    (new / "wave.yaml").write_text(re.sub(r"(?m)^languages: \[.*\]", "languages: [nl]", wave_yaml), encoding="utf-8")
    wave = load_wave(project, "nieuw")
    files = demo.generate(wave)
    frame = pd.read_csv(io.BytesIO(files["frame.csv"]), dtype={"token": str})
    assert frame.status.value_counts().to_dict() == {"asiel": 1650, "gezin": 973}
    assert frame.kansrijke_start.value_counts().to_dict() == {"nee": 2000, "ja": 466, "onbekend": 157}
    rows = decode_json_export(next(v for k, v in files.items() if k.startswith("responses_")), "nieuw")
    answers = pd.Series([r["S4"] for r in rows if r["submitdate"] and r["TOESTEM"] == "Y"])
    assert set(answers) <= {"1", "2", "3", "98", ""} and answers.isin(["1", "2", "3"]).mean() > 0.9
    assert answers[answers.isin(["1", "2", "3"])].value_counts(normalize=True).min() > 0.05  # every option is used
    rates = frame.groupby("ageband").responded.mean()
    assert rates["18-26"] < rates["41+"] - 0.05  # the wave's own response model: the young stay behind
    assert demo.generate(load_wave(project, "nieuw")) == files
    assert {r["startlanguage"] for r in rows} == {"nl"}  # only the language the survey was fielded in


def test_simulate_refuses_a_real_wave_and_clean_refuses_synthetic_data_in_one(project):
    """A wave is synthetic only when its wave.yaml says so: simulate names the key to add, and a
    real wave whose data_raw/ holds a simulated snapshot is not analysed as real."""
    import shutil

    from rapportage.config import load_wave
    from rapportage.errors import PipelineError
    from rapportage.stages import pipeline

    new = project / "surveys" / "echt"
    shutil.copytree(project / "surveys" / "demo-2025", new)
    text = (new / "wave.yaml").read_text(encoding="utf-8").replace("id: demo-2025", "id: echt")
    (new / "wave.yaml").write_text(text, encoding="utf-8")
    pipeline.simulate(load_wave(project, "echt"))  # a dry run while it says synthetic
    (new / "wave.yaml").write_text(text.split("\nsynthetic:")[0] + "\n", encoding="utf-8")
    real = load_wave(project, "echt")
    with pytest.raises(PipelineError, match=r"^surveys/echt/wave.yaml has no key 'synthetic', so wave 'echt' is a real "
                                            r"measurement whose data come from LimeSurvey; to dry-run it, add"):
        pipeline.simulate(real)
    with pytest.raises(PipelineError, match=r"^data_raw/echt/\d{8}T\d{6}Z holds synthetic data \(rapportage simulate\), "
                                            r"but surveys/echt/wave.yaml has no key 'synthetic'; remove that folder"):
        pipeline.clean(real)
