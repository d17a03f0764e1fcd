"""Configuration errors name the file, the key and what was expected."""

from __future__ import annotations

import re

import pytest
from rapportage.config import load_wave
from rapportage.errors import PipelineError


def edit(project, name, old, new):
    path = project / "surveys" / "demo-2025" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_demo_configuration_loads(project):
    wave = load_wave(project, "demo-2025")
    assert wave.population.total == 2623
    assert len(wave.questionnaire.indicators) >= 12


def test_unknown_wave_lists_the_known_ones(project):
    # whatever waves the user has added besides the demo (issue #14, 20)
    known = ", ".join(sorted(p.name for p in (project / "surveys").iterdir() if p.is_dir()))
    assert "demo-2025" in known
    with pytest.raises(PipelineError, match=rf"surveys/2031/ does not exist .* known waves: {re.escape(known)}\."):
        load_wave(project, "2031")


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("population.yaml", "gezin: 1246}", "gezin: 1200}", r"population.yaml: key 'margins.status': counts sum to 2577, not total 2623; every margin must add up"),
        ("population.yaml", "max_iterations: 200", "max_iterations: many", r"population.yaml: key 'weighting.max_iterations'"),
        ("wave.yaml", "disclosure:", "disclosure_typo:", r"wave.yaml: unknown key 'disclosure_typo'; check its spelling"),
        ("wave.yaml", "id: demo-2025", "id: demo-2025: [", r"wave.yaml: is not valid YAML at line \d+"),
        ("cleaning.yaml", "consent_item: toestemming", "consent_item: instemming", r"cleaning.yaml: key 'consent_item' names 'instemming'"),
        ("questionnaire.yaml", "of: werk,", "of: werkk,", r"questionnaire.yaml: key 'indicators.0\(werk_betaald\).of': 'of' names unknown item or scale 'werkk'"),
        ("wave.yaml", "groups: [status,", "groups: [herkomst, status,", r"wave.yaml: key 'estimation.groups' names 'herkomst'"),
    ],
)
def test_configuration_errors_name_file_and_key(project, name, old, new, message):
    edit(project, name, old, new)
    with pytest.raises(PipelineError, match=message):
        load_wave(project, "demo-2025")


def test_validate_lists_the_problems_of_every_file_and_untranslated_languages(project):
    """Issue #14, 18: validate stopped at the first file with errors, YAML errors gave only a line,
    and languages offered without texts went unmentioned."""
    from rapportage.cli import app
    from typer.testing import CliRunner

    wave = project / "surveys" / "demo-2025"
    for name, old, new in (("wave.yaml", "year: 2025", "year: 2025\njaar: 2025"),
                           ("population.yaml", "  status: {asiel: 1377, gezin: 1246}", "  status: {asiel: 1377, gezin: 1000}"),
                           ("questionnaire.yaml", '      nl: "Doet u mee', '      xx: "Doet u mee')):
        path = wave / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--demo", "--root", str(project)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "surveys/demo-2025/wave.yaml: unknown key 'jaar'" in output
    assert "surveys/demo-2025/population.yaml: key 'margins.status': counts sum to 2377, not total 2623" in output
    assert "questionnaire.yaml" in output and output.count("error:") >= 3
    (wave / "wave.yaml").write_text("id: demo-2025\ntitle: [\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--demo", "--root", str(project)])
    assert re.search(r"wave.yaml: is not valid YAML at line \d+, column \d+ \(.+\); fix the syntax", " ".join(result.output.split()))


def test_validate_warns_about_languages_offered_without_texts(project):
    from rapportage.cli import app
    from typer.testing import CliRunner

    path = project / "surveys" / "demo-2025" / "wave.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("languages: [nl,", "languages: [nl, so,"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--demo", "--root", str(project)])
    assert result.exit_code == 0
    output = " ".join(result.output.split())
    assert ("warning: surveys/demo-2025/wave.yaml: key 'languages' offers 'so', but 104 of its 104 texts are not translated; "
            "people who need that language cannot take part until it is (rapportage lss refuses it).") in output
    assert output.count("warning: surveys/demo-2025/wave.yaml: key 'languages'") == 1  # the other six are complete


def test_weighting_changes_against_the_baseline_are_named(project):
    """Issue #14, 14: trimming configured still read as 'weging gelijk', and a margin dropped was no
    weighting change for validate."""
    from rapportage.config import Trimming, weighting_differences

    then = load_wave(project, "demo-2025").population
    assert weighting_differences(then, then) == []
    trimmed = then.model_copy(update={"weighting": then.weighting.model_copy(update={"trimming": Trimming(upper_relative_to_mean=3)})})
    assert weighting_differences(trimmed, then) == ["gewichten nu afgetopt"]
    fewer = then.model_copy(update={"weighting": then.weighting.model_copy(update={"margins": ["status", "gender", "ageband"]})})
    assert weighting_differences(fewer, then) == [
        "gewogen naar andere kenmerken (toen migratiestatus, geslacht, leeftijd en leerroute; nu migratiestatus, geslacht "
        "en leeftijd)"]
    linear = then.model_copy(update={"weighting": then.weighting.model_copy(update={"method": "linear", "bounds": (0.5, 3.0)})})
    assert weighting_differences(linear, then) == [
        "andere weegmethode (toen raking; nu lineaire kalibratie met gewichten tussen 0,5 en 3 keer het startgewicht)"]


@pytest.mark.parametrize(("value", "where"), [
    ({"bounds": [0.5, True]}, "item 2"),
    ({"bounds": [0.5, 3.0], "tolerance": False}, None),
])
def test_a_yes_no_value_is_no_number_inside_a_tuple_either(value, where):
    from pydantic import ValidationError
    from rapportage.config import Weighting

    base = {"method": "linear", "margins": ["status"], "tolerance": 1e-6, "max_iterations": 50}
    with pytest.raises(ValidationError, match=f"expected a number at {where}" if where else "not the yes/no value false"):
        Weighting.model_validate(base | value)


def test_a_yes_no_key_is_no_number_either():
    from pydantic import ValidationError
    from rapportage.questionnaire.spec import ScoringGroup

    with pytest.raises(ValidationError, match="expected a number at key true, not a yes/no value"):
        ScoringGroup.model_validate({"items": ["a"], "points": {True: 1, False: 0}})
    assert ScoringGroup.model_validate({"items": ["a"], "points": {1: 1, 0: 0}}).points == {1.0: 1.0, 0.0: 0.0}
