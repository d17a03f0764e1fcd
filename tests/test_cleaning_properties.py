"""Property tests (hypothesis) on cleaning: the result does not depend on the order of the
export's rows or of the frame's rows, and cleaning is idempotent: the valid records, cleaned
again, all stay valid with the same values (no rule depends on records that an earlier pass
removed)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapportage.cleaning import rules as cleaning
from rapportage.sources.limesurvey import responses_table
from rapportage.sources.snapshots import latest_snapshot


@pytest.fixture(scope="module")
def inputs(demo_run):
    wave, _ = demo_run
    rows = json.loads((latest_snapshot(wave) / "responses_482025.json").read_bytes())["responses"]
    raw = responses_table(rows, "demo-2025").assign(survey_id=482025)
    frame = pd.read_csv(wave.raw_dir / "frame.csv", dtype=str, keep_default_na=False)
    return wave, raw, frame


def run(wave, raw, frame):
    categories = {v: list(wave.population.variables[v].categories) for v in wave.cleaning.frame_variables}
    result = cleaning.clean_responses(raw, frame, wave.questionnaire, wave.cleaning, categories=categories,
                                      languages=wave.config.languages, secret=wave.config.synthetic.pseudonym_secret)
    table = result.respondents.sort_values("respondent_key").reset_index(drop=True)
    counts = {o.rule: (o.action, len(o.records)) for o in result.outcomes}
    return table, counts


@pytest.fixture(scope="module")
def reference(inputs):
    return run(*inputs)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_cleaning_ignores_the_order_of_export_and_frame_rows(inputs, reference, seed):
    wave, raw, frame = inputs
    rng = np.random.default_rng(seed)
    shuffled_raw = raw.iloc[rng.permutation(len(raw))].reset_index(drop=True)
    shuffled_frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    table, counts = run(wave, shuffled_raw, shuffled_frame)
    pd.testing.assert_frame_equal(table, reference[0])
    assert counts == reference[1]


def test_cleaning_is_idempotent(inputs, reference):
    wave, raw, frame = inputs
    table, counts = reference
    result = cleaning.clean_responses(raw, frame, wave.questionnaire, wave.cleaning,
                                      categories={v: list(wave.population.variables[v].categories) for v in wave.cleaning.frame_variables},
                                      languages=wave.config.languages, secret=wave.config.synthetic.pseudonym_secret)
    kept = raw.merge(result.flow["valid"][["survey_id", "id"]], on=["survey_id", "id"])
    again, again_counts = run(wave, kept, frame)
    pd.testing.assert_frame_equal(again, table)
    assert all(n == 0 for action, n in again_counts.values() if action == "drop"), again_counts  # nothing more to drop
    assert again_counts == {rule: (a, n if a != "drop" else 0) for rule, (a, n) in counts.items()}  # flags the same
