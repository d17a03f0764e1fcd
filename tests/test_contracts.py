"""The contracts between the stages (issue #15, item 3): what one stage writes, the next reads
through the same model or schema, so a renamed or missing field fails by name, not as a KeyError
in the middle of a render."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rapportage.contracts import ESTIMATES, GROUP_TESTS, CleaningLog, WeightingReport, checked, read_table
from rapportage.errors import PipelineError


def test_the_demo_outputs_meet_their_contracts(demo_run):
    wave, _ = demo_run
    weighting = WeightingReport.read(wave.clean_dir / "weighting.json")
    assert weighting.calibrated and weighting.diagnostics.margins[0].variable == weighting.margins[0]
    assert weighting.representativeness is not None and 0 < weighting.representativeness.r_indicator <= 1
    log = CleaningLog.read(wave.clean_dir / "cleaning_log.json")
    assert log.respondents == sum(log.respondents_by_language.values()) and log.steps[0].step == "invited"
    # what the writer wrote is what the model writes: reading and writing again changes no byte
    assert weighting.to_json_bytes() == (wave.clean_dir / "weighting.json").read_bytes()
    assert log.to_json_bytes() == (wave.clean_dir / "cleaning_log.json").read_bytes()
    estimates = read_table(wave.clean_dir / "estimates.parquet", ESTIMATES)
    assert (estimates.confidence == wave.config.estimation.confidence).all()
    read_table(wave.clean_dir / "group_tests.parquet", GROUP_TESTS)


def test_a_file_of_another_shape_is_one_sentence(demo_run, tmp_path):
    wave, _ = demo_run
    report = json.loads((wave.clean_dir / "weighting.json").read_text())
    report["diagnostics"]["deff"] = report["diagnostics"].pop("deff_kish")  # a field renamed by one side only
    path = tmp_path / "weighting.json"
    path.write_text(json.dumps(report))
    with pytest.raises(PipelineError, match=r"weighting.json: diagnostics.deff_kish: Field required; .* run the stages again"):
        WeightingReport.read(path)
    with pytest.raises(PipelineError, match=r"cleaning_log.json does not exist; run the stage that writes it"):
        CleaningLog.read(tmp_path / "cleaning_log.json")
    table = pd.read_parquet(wave.clean_dir / "estimates.parquet")
    table.drop(columns=["ci_method"]).to_parquet(tmp_path / "estimates.parquet")
    with pytest.raises(PipelineError, match="estimates.parquet was written by another version of the pipeline"):
        read_table(tmp_path / "estimates.parquet", ESTIMATES)
    with pytest.raises(PipelineError, match=r"estimates.parquet does not meet its contract \(.*column_in_schema \(token\)"):
        checked(table.assign(token="abc"), ESTIMATES)
    with pytest.raises(PipelineError, match=r"ci_method: isin"):
        checked(table.assign(ci_method="wald"), ESTIMATES)
