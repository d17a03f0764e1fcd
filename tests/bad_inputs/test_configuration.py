"""Bad configuration: every case is refused at the start of ``rapportage run`` with the file and
the key, before any stage reads or writes data."""

from __future__ import annotations

import pytest

from tests.bad_inputs.conftest import assert_refused, edit

W, Q, P, C = "wave.yaml", "questionnaire.yaml", "population.yaml", "cleaning.yaml"

CASES = {
    # malformed YAML
    "wave.yaml not YAML": (W, "id: demo-2025", "id: demo-2025: [", r"surveys/demo-2025/wave.yaml: is not valid YAML at line 4"),
    "tab in questionnaire.yaml": (Q, "  toestemming:\n    code: TOESTEM", "  toestemming:\n\tcode: TOESTEM",
                                  r"questionnaire.yaml: is not valid YAML at line \d+"),
    "empty population.yaml": (P, None, "", r"population.yaml: .*(empty|mapping)"),
    # unknown keys
    "unknown top-level key": (W, "disclosure:", "disclosure_typo:", r"wave.yaml: unknown key 'disclosure_typo'; check its spelling"),
    "unknown nested key": (P, "max_iterations: 200", "max_iteration: 200", r"population.yaml: unknown key 'weighting.max_iteration'"),
    "unknown cleaning rule key": (C, "min_age: 18", "min_age: 18\nmax_age: 67", r"cleaning.yaml: unknown key 'max_age'"),
    # wrong types and values
    "text where a number belongs": (P, "max_iterations: 200", "max_iterations: many", r"population.yaml: key 'weighting.max_iterations'"),
    "disclosure minimum as text": (W, "min_n: 10 ", "min_n: tien ", r"wave.yaml: key 'disclosure.min_n'"),
    "confidence above 1": (W, "confidence: 0.95", "confidence: 95", r"wave.yaml: key 'estimation.confidence'"),
    "unknown weighting method": (P, "method: raking", "method: rake", r"population.yaml: key 'weighting.method'"),
    "fieldwork ends before it starts": (W, "end: 2025-10-31", "end: 2025-09-30", r"wave.yaml: key 'fieldwork'.*end"),
    "no survey ids": (W, "survey_ids: [482025]", "survey_ids: []", r"wave.yaml: key 'limesurvey.survey_ids'"),
    # values YAML 1.1 would read other than meant (issue #21, 10)
    "a key given twice": (W, "  min_n_percentage: 30", "  min_n: 5\n  min_n_percentage: 30",
                          r"wave.yaml: at line \d+, key 'min_n' is given twice \(also at line \d+\); keep one"),
    "yes where a number belongs": (W, "min_n: 10 ", "min_n: yes ", r"wave.yaml: key 'disclosure.min_n': .*'yes'"),
    "true where a number belongs": (W, "min_n: 10 ", "min_n: true ",
                                    r"wave.yaml: key 'disclosure.min_n': expected a number, not the yes/no value true"),
    "yes where a margin count belongs": (P, "gezin: 1246}", "gezin: yes}", r"population.yaml: key 'margins.status.gezin'"),
    "true where a margin count belongs": (P, "gezin: 1246}", "gezin: true}",
                                         r"population.yaml: key 'margins': expected a number at status gezin, not a yes/no value"),
    "negative margin count": (P, "gezin: 1246}", "gezin: -1246}", r"population.yaml: key 'margins.status.gezin'.*greater than or equal to 0"),
    "true in the list of survey ids": (W, "survey_ids: [482025]", "survey_ids: [true]",
                                       r"wave.yaml: key 'limesurvey.survey_ids': expected a number at item 1, not a yes/no value"),
    "a number with a leading zero": (W, "min_n: 10 ", "min_n: 010 ",
                                     r"wave.yaml: at line \d+, 010 would be read as a number in another base"),
    "a number in base 60": (P, "max_iterations: 200", "max_iterations: 3:20", r"population.yaml: at line \d+, 3:20 would be read"),
    "disclosure minimum too low": (W, "min_n: 10 ", "min_n: 2 ", r"wave.yaml: key 'disclosure.min_n'.*greater than or equal to 5"),
    "percentage minimum below the mean minimum": (W, "min_n_percentage: 30", "min_n_percentage: 8",
                                                  r"wave.yaml: key 'disclosure': min_n_percentage \(8\) is below min_n \(10\)"),
    # translations and expressions
    "a translation in questionnaire.yaml": (
        Q, '  nl: "Vragenlijst inburgeraars Utrecht"\n', '  nl: "Vragenlijst inburgeraars Utrecht"\n  en: "Questionnaire"\n',
        r"questionnaire.yaml: key 'title.en': a text in 'en' belongs in translations/en.yaml"),
    "unknown translation status": ("translations/en.yaml", "status: draft", "status: approved",
                                   r"surveys/demo-2025/translations/en.yaml: key 'texts.title.status': Input should be 'draft', 'reviewed' or 'final'"),
    "translation of an undeclared language": ("translations/en.yaml", "language: en", "language: eng",
                                              r"translations/en.yaml: key 'language' is 'eng', but the file is named for 'en'"),
    "language not in questionnaire.yaml": (W, "languages: [nl, en,", "languages: [nl, pl, en,", r"wave.yaml: .*'pl'"),
    "indicator names an unknown item": (Q, "of: werk,", "of: werkk,", r"questionnaire.yaml: key 'indicators.0\(werk_betaald\).of': 'of' names unknown item or scale 'werkk'"),
    "filter names an unknown item": (Q, "      - {item: werk, codes: [\"N\"]}", "      - {item: werkk, codes: [\"N\"]}",
                                     r"questionnaire.yaml: .*werk_zoeken.*'werkk'"),
    "filter names an unknown answer code": (Q, "      - {item: werk, codes: [\"N\"]}", "      - {item: werk, codes: [\"X\"]}",
                                            r"questionnaire.yaml: .*werk_zoeken.*'X'"),
    # population and weighting
    "margins do not sum to the population": (P, "gezin: 1246}", "gezin: 1200}", r"population.yaml: key 'margins.status': counts sum to 2577, not total 2623; every margin must add up"),
    "margin category not a category of the variable": (P, "gender: {vrouw: 1443, man: 1180}", "gender: {vrouw: 1443, man: 1170, x: 10}",
                                                       r"population.yaml: .*margins.gender.*'x'"),
    "weighting margin without counts": (P, "margins: [status, gender, ageband, route]", "margins: [status, gender, ageband, route, herkomst]",
                                        r"population.yaml: .*'herkomst'"),
    "group that is no variable": (W, "groups: [status,", "groups: [herkomst, status,", r"wave.yaml: key 'estimation.groups' names 'herkomst'"),
    "consent item unknown": (C, "consent_item: toestemming", "consent_item: instemming", r"cleaning.yaml: key 'consent_item' names 'instemming'"),
    "core item unknown": (C, "core_items: [werk,", "core_items: [werkk,", r"cleaning.yaml: .*'werkk'"),
    "baseline wave that does not exist": (W, "baseline_wave: demo-2024", "baseline_wave: w2019", r"surveys/demo-2025/wave.yaml: key 'baseline_wave' names 'w2019', which is not an earlier wave"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_configuration_is_refused_with_file_and_key(finished, case):
    name, old, new, message = CASES[case]
    path = finished / "surveys" / "demo-2025" / name
    if old is None:
        path.write_text(new, encoding="utf-8")
    else:
        edit(path, old, new)
    assert_refused(finished, ["run", "--demo"], message)


def test_a_missing_configuration_file_and_an_unknown_wave(finished):
    (finished / "surveys" / "demo-2025" / "cleaning.yaml").unlink()
    assert_refused(finished, ["run", "--demo"], r"^surveys/demo-2025/cleaning.yaml: file not found")
    assert_refused(finished, ["run", "--wave", "2031"], r"surveys/2031/ does not exist .* known waves: demo")
