"""Next year's wave from this year's (issue #16, item 1): `rapportage new-wave <id> --from <previous>`."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError

runner = CliRunner()


def test_a_new_wave_is_the_previous_one_with_placeholders_that_every_stage_refuses(project):
    result = runner.invoke(app, ["new-wave", "2026", "--from", "demo-2025", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert "1. surveys/2026/wave.yaml: fill in title, fieldwork.start" in result.output
    assert "rapportage validate --wave 2026" in result.output
    assert "surveys/2026/references.yaml: check that each reference figure is still the latest" in " ".join(result.output.split())
    new, old = project / "surveys" / "2026", project / "surveys" / "demo-2025"
    for name in ("questionnaire.yaml", "cleaning.yaml"):  # same items, same rules: the waves compare
        assert (new / name).read_bytes() == (old / name).read_bytes()
    for path in (old / "translations").glob("*.yaml"):  # the translations with their statuses and history
        assert (new / "translations" / path.name).read_bytes() == path.read_bytes()
    assert not (new / "tekst").exists()  # the researcher's texts describe one measurement
    references = (new / "references.yaml").read_text(encoding="utf-8")  # benchmarks as they were, registry dates to fill in
    assert references == (old / "references.yaml").read_text(encoding="utf-8").replace("date: 2025-02-01", "date: FILL IN")
    with pytest.raises(PipelineError, match=r"surveys/2026/wave.yaml: key 'title' \(and publication.date, fieldwork.start, "
                                            r"fieldwork.end, limesurvey.survey_ids.0\) is still 'FILL IN'"):
        load_wave(project, "2026")  # every stage and validate load the wave this way
    checked = runner.invoke(app, ["validate", "--wave", "2026", "--root", str(project)])
    assert checked.exit_code == 1
    assert "population.yaml: key 'reference_date' is still 'FILL IN'" in " ".join(checked.output.split())

    wave_yaml = (new / "wave.yaml").read_text(encoding="utf-8")
    assert "# fpc: uniform" not in wave_yaml and "# everyone is invited" in wave_yaml  # the comments stay
    wave_yaml = (wave_yaml.replace("title: FILL IN", "title: Rapportage Inburgering 2026")
                 .replace("{start: FILL IN, end: FILL IN}", "{start: 2026-10-01, end: 2026-10-31}")
                 .replace("[FILL IN]", "[482026]").replace("  date: FILL IN", "  date: 2027-03-01"))
    (new / "wave.yaml").write_text(wave_yaml, encoding="utf-8")
    population = (new / "population.yaml").read_text(encoding="utf-8").replace("reference_date: FILL IN", "reference_date: 2025-12-31")
    (new / "population.yaml").write_text(population, encoding="utf-8")
    with pytest.raises(PipelineError, match=r"surveys/2026/references.yaml: key 'registry.0.date' is still 'FILL IN'"):
        load_wave(project, "2026")  # last year's registry count does not pass for this year's
    (new / "references.yaml").write_text(references.replace("date: FILL IN", "date: 2026-02-01"), encoding="utf-8")
    wave = load_wave(project, "2026")
    assert (wave.config.id, wave.config.year, wave.config.baseline_wave, wave.config.synthetic) == ("2026", 2026, "demo-2025", None)
    assert wave.config.limesurvey.survey_ids == [482026] and str(wave.population.reference_date) == "2025-12-31"
    checked = runner.invoke(app, ["validate", "--wave", "2026", "--root", str(project)])
    assert checked.exit_code == 0 and "compared with baseline wave 'demo-2025': no differences" in checked.output


@pytest.mark.parametrize(("args", "message"), [
    (["new-wave", "demo-2025", "--from", "demo-2025"], "surveys/demo-2025/ exists already"),
    (["new-wave", "Wave 2026", "--from", "demo-2025"], "use lower-case letters, digits"),
    (["new-wave", "2026", "--from", "2019"], "surveys/2019/ does not exist"),
])
def test_a_new_wave_that_cannot_be_made_is_one_sentence_and_writes_nothing(project, args, message):
    before = sorted(p.name for p in (project / "surveys").iterdir())
    result = runner.invoke(app, [*args, "--root", str(project)])
    assert result.exit_code == 1 and message in " ".join(result.output.split())
    assert sorted(p.name for p in (project / "surveys").iterdir()) == before


def test_next_years_wave_filled_in_runs_from_limesurvey_to_its_report(project, monkeypatch):
    """The done criterion of issue #16: new-wave 2026 --from demo-2025, fill in what it asks, and
    'run --wave 2026' works with no code change: the responses come from a LimeSurvey server (the
    test server, holding the survey that 'rapportage lss' writes and responses made by the
    generator from 2026's own configuration), the frame is the researcher's, and the report shows
    the series 2023-2026 without calling 2026 synthetic."""
    import json
    import re
    import shutil
    from pathlib import Path

    from rapportage.questionnaire.lss import write_lss
    from rapportage.sources.synthetic import generate

    from tests.limesurvey_server import FakeLimeSurvey, LimeSurveyServer

    assert runner.invoke(app, ["new-wave", "2026", "--from", "demo-2025", "--root", str(project)]).exit_code == 0
    folder = project / "surveys" / "2026"
    wave_yaml = (folder / "wave.yaml").read_text(encoding="utf-8")
    wave_yaml = wave_yaml.replace("title: FILL IN", "title: Rapportage Inburgering 2026")
    wave_yaml = re.sub(r"fieldwork: \{start: FILL IN, end: FILL IN\}", "fieldwork: {start: 2026-10-01, end: 2026-10-31}", wave_yaml)
    wave_yaml = wave_yaml.replace("survey_ids: [FILL IN]", "survey_ids: [482026]").replace("  date: FILL IN", "  date: 2027-03-01")
    (folder / "wave.yaml").write_text(wave_yaml, encoding="utf-8")
    population = (folder / "population.yaml").read_text(encoding="utf-8")
    (folder / "population.yaml").write_text(population.replace("reference_date: FILL IN", "reference_date: 2025-12-31"), encoding="utf-8")
    references = (folder / "references.yaml").read_text(encoding="utf-8")
    (folder / "references.yaml").write_text(references.replace("date: FILL IN", "date: 2026-02-01"), encoding="utf-8")
    checked = runner.invoke(app, ["validate", "--wave", "2026", "--root", str(project)])
    assert checked.exit_code == 0, checked.output

    # the fieldwork, simulated: a synthetic twin of 2026 gives the frame and the responses
    twin = project / "surveys" / "twin"
    shutil.copytree(folder, twin)
    (twin / "wave.yaml").write_text(wave_yaml.replace('id: "2026"', "id: twin") + "synthetic: {seed: 2026}\n", encoding="utf-8")
    files = generate(load_wave(project, "twin"))
    shutil.rmtree(twin)
    (project / "data_raw" / "2026").mkdir(parents=True)
    (project / "data_raw" / "2026" / "frame.csv").write_bytes(files["frame.csv"])
    wave = load_wave(project, "2026")
    fake = FakeLimeSurvey(username="onderzoeker", password="wachtwoord-2026")
    fake.add_survey(482026, write_lss(wave.questionnaire, 482026))
    fake.add_responses(482026, json.loads(files["responses_482026.json"])["responses"])
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length-2026")
    with LimeSurveyServer(fake) as server:
        monkeypatch.setenv("LIMESURVEY_URL", server.url)
        monkeypatch.setenv("LIMESURVEY_USER", "onderzoeker")
        monkeypatch.setenv("LIMESURVEY_PASSWORD", "wachtwoord-2026")
        result = runner.invoke(app, ["run", "--wave", "2026", "--root", str(project)])
    assert result.exit_code == 0, result.output
    report = Path(result.output.strip().splitlines()[-1])
    assert report == project / "reports" / "_output" / "2026" / "rapportage-inburgering.html" and report.is_file()
    import pandas as pd

    trend = pd.read_parquet(project / "data_clean" / "2026" / "trend.parquet")
    assert sorted(trend["year"].unique()) == [2023, 2024, 2025, 2026]
    html = report.read_text(encoding="utf-8")
    assert "Ontwikkeling door de jaren" in html and "Synthetische gegevens" not in html  # a real wave
    # issue #19: its own title and year, publisher and date, and no demo wording of its own
    assert "<title>Rapportage Inburgering 2026</title>" in html and '<h1 class="title">Rapportage Inburgering 2026</h1>' in html
    assert "Uitgave van de gemeente Utrecht, 1 maart 2027." in html
    assert "make report" not in html and "demonstratiereeks" not in html
    assert "Let op: de cijfers van 2023, 2024 en 2025 zijn synthetisch" in html  # its series is the demo
