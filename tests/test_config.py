"""Configuration errors name the file, the key and what was expected."""

from __future__ import annotations

import re

import pytest

from analysis.config import load_wave
from analysis.errors import PipelineError


def edit(project, name, old, new):
    path = project / "surveys" / "demo" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_demo_configuration_loads(project):
    wave = load_wave(project, "demo")
    assert wave.population.total == 2623
    assert len(wave.questionnaire.indicators) >= 12


def test_unknown_wave_lists_the_known_ones(project):
    # whatever waves the user has added besides the demo (issue #14, 20)
    known = ", ".join(sorted(p.name for p in (project / "surveys").iterdir() if p.is_dir()))
    assert "demo" in known
    with pytest.raises(PipelineError, match=rf"surveys/2031/ does not exist .* known waves: {re.escape(known)}\."):
        load_wave(project, "2031")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("population.yaml", "gezin: 1246}", "gezin: 1200}", r"population.yaml: key 'margins.status': counts sum to 2577, not total 2623; every margin must add up"),
        ("population.yaml", "max_iterations: 200", "max_iterations: many", r"population.yaml: key 'weighting.max_iterations'"),
        ("wave.yaml", "disclosure:", "disclosure_typo:", r"wave.yaml: unknown key 'disclosure_typo'; check its spelling"),
        ("wave.yaml", "id: demo", "id: demo: [", r"wave.yaml: is not valid YAML at line \d+"),
        ("cleaning.yaml", "consent_item: toestemming", "consent_item: instemming", r"cleaning.yaml: key 'consent_item' names 'instemming'"),
        ("questionnaire.yaml", "of: werk,", "of: werkk,", r"questionnaire.yaml: key 'indicators.0\(werk_betaald\).of': 'of' names unknown item or scale 'werkk'"),
        ("wave.yaml", "groups: [status,", "groups: [herkomst, status,", r"wave.yaml: key 'estimation.groups' names 'herkomst'"),
    ],
)
def test_configuration_errors_name_file_and_key(project, name, old, new, message):
    edit(project, name, old, new)
    with pytest.raises(PipelineError, match=message):
        load_wave(project, "demo")
