"""The demo generator: registry margins, determinism, LimeSurvey export format, non-response."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from rapportage.config import load_wave
from rapportage.sources import demo
from rapportage.sources.limesurvey import decode_json_export, encode_json_export

from tests.conftest import REPO


@pytest.fixture(scope="module")
def generated():
    wave = load_wave(REPO, "demo")
    files = demo.generate(wave)
    frame = pd.read_csv(io.BytesIO(files["frame.csv"]), dtype={"token": str})
    export = next(v for k, v in files.items() if k.startswith("responses_"))
    return wave, files, frame, export


def test_frame_reproduces_the_registry_margins(generated):
    wave, _, frame, _ = generated
    assert len(frame) == 2623
    for var, counts in wave.population.margins.items():
        assert frame[var].value_counts().to_dict() == counts, var
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
    assert cells.min() < 0.15 and cells.max() > 0.35
    assert 0.2 < frame.responded.mean() < 0.4


def test_export_is_byte_identical_to_limesurvey_json(generated):
    _, _, frame, export = generated
    rows = decode_json_export(export, "demo")
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


def test_the_generator_refuses_a_wave_it_cannot_make(project):
    """Issue #14, 5: a wave copied from the demo with other margins or a new item crashed inside
    the generator (shape mismatch, KeyError 'S4')."""
    import shutil

    import pytest
    from rapportage.config import load_wave
    from rapportage.errors import PipelineError
    from rapportage.sources.demo import generate

    new = project / "surveys" / "nieuw"
    shutil.copytree(project / "surveys" / "demo", new)
    (new / "wave.yaml").write_text((new / "wave.yaml").read_text(encoding="utf-8").replace("id: demo", "id: nieuw"),
                                   encoding="utf-8")
    population = (new / "population.yaml").read_text(encoding="utf-8")
    (new / "population.yaml").write_text(population.replace("status: {asiel: 1377, gezin: 1246}", "status: {asiel: 1650, gezin: 973}"),
                                         encoding="utf-8")
    with pytest.raises(PipelineError, match=r"surveys/nieuw/wave.yaml: key 'demo' makes the demo's synthetic data, which fits "
                                            r"only the demo's population and questionnaire, and population.yaml has other "
                                            r"margins for status; remove the 'demo:' key"):
        generate(load_wave(project, "nieuw"))
    (new / "population.yaml").write_text(population, encoding="utf-8")
    questionnaire = (new / "questionnaire.yaml").read_text(encoding="utf-8")
    extra = ('  vervoer:\n    code: S4\n    type: yesno\n    group: sociaal\n    text: {nl: "Heeft u een fiets?", '
             'en: "Do you have a bicycle?", ar: "هل لديك دراجة؟", tr: "Bisikletiniz var mı?"}\n')
    (new / "questionnaire.yaml").write_text(questionnaire.replace("  opmerking:\n", extra + "  opmerking:\n", 1), encoding="utf-8")
    with pytest.raises(PipelineError, match=r"and it has no answers for question\(s\) S4; remove the 'demo:' key"):
        generate(load_wave(project, "nieuw"))
