"""The reviewer's bundle (``rapportage export --format bundle``): a respondent file with the weights
and exact calibration variables, the population totals, and R and SPSS scripts that reproduce the
key figures of ``estimates.parquet`` without the pipeline.

Where R with the ``survey`` package is installed, ``reproduceer.R`` is run on the demo bundle and
must reproduce every figure (overall, and by each calibration variable) to 1e-6; measured: about
5e-11 for the estimates, 3e-12 for the standard errors and 1.4e-9 for the interval limits (R fits
the logit interval iteratively). The other settings a wave can have (fpc unit or none, linear and
bounded logit calibration, an interaction margin, weights that are not calibrated, another
confidence level, the Korn–Graubard interval) are checked by running the same script with those
settings against :func:`rapportage.stages.estimates.estimate_indicators` on the bundle's own data.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

from rapportage.cli import app
from rapportage.stages.bundle import calibration_variables, pipeline_figures, population_table
from rapportage.stages.estimates import estimate_indicators
from rapportage.statistics.design import Design
from rapportage.statistics.weighting import trim
from tests.test_export import smallest_class

runner = CliRunner()
WAVE = "demo-2025"
FILES = {f"respondenten_{WAVE}.sav", f"respondenten_{WAVE}.csv", "populatie.csv", "indicatoren.csv",
         "kerncijfers_pipeline.csv", "codeboek.csv", "reproduceer.R", "reproduceer.sps", "LEESMIJ.md"}
EXACT = ["status", "gender", "ageband", "route"]
OTHERS = ["language", "kansrijke_start", "aankomst_jaar"]
TOLERANCE = 1e-6


def r_has(*packages: str) -> bool:
    if not shutil.which("Rscript"):
        return False
    code = "; ".join(f"library({p})" for p in packages)
    return subprocess.run(["Rscript", "-e", code], capture_output=True).returncode == 0


needs_survey = pytest.mark.skipif(not r_has("survey"), reason="R with the survey package is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def bundle(demo_run, tmp_path_factory) -> tuple:
    """The demo wave's bundle, written by the command a user types."""
    wave, _ = demo_run
    out = tmp_path_factory.mktemp("bundle") / "bundel"
    result = runner.invoke(app, ["export", "--demo", "--root", str(wave.root), "--format", "bundle", "--output", str(out)])
    assert result.exit_code == 0, result.output
    return wave, out, result.output


def read_csv(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / f"respondenten_{WAVE}.csv", dtype={v: str for v in EXACT + ["language", "kansrijke_start"]},
                       keep_default_na=False, na_values=[""])


def test_the_bundle_has_every_file_and_says_what_was_kept(bundle):
    wave, out, output = bundle
    assert {p.name for p in out.iterdir()} == FILES
    assert "kept exact for the calibration" in output and "values blanked" in output
    assert all(str(out / name) in output for name in FILES)
    readme = (out / "LEESMIJ.md").read_text(encoding="utf-8")
    for text in ("Rscript reproduceer.R", "reproduceer.sps", "exact", "k-anoniem", "Kerncijfers per domein",
                 "Heeft betaald werk", "user missing"):
        assert text in readme, text
    population = pd.read_csv(out / "populatie.csv", dtype=str, keep_default_na=False)
    assert population.iloc[0].tolist()[:3] == ["(totaal)", "", "2623"]
    for margin in EXACT:
        rows = population[population["variabele"] == margin]
        assert rows["aantal"].astype(int).sum() == 2623, margin


def test_the_sav_has_weights_user_missing_codes_integer_formats_and_measure_levels(bundle):
    wave, out, _ = bundle
    data, meta = pyreadstat.read_sav(str(out / f"respondenten_{WAVE}.sav"), user_missing=True)
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    weights = pd.read_parquet(wave.clean_dir / "weights.parquet")
    assert len(data) == len(respondents) and "respondent_key" not in data.columns
    np.testing.assert_array_equal(np.sort(data["weight"].to_numpy()), np.sort(weights["weight"].to_numpy()))  # exact
    np.testing.assert_array_equal(np.sort(data["base_weight"].to_numpy()), np.sort(weights["base_weight"].to_numpy()))
    assert set(meta.readstat_variable_types.values()) == {"double"}  # no strings at all, so no long strings
    for ind in wave.questionnaire.indicators:
        assert "ind_" + ind.id in data.columns
    # 98 and 99 are the questionnaire's missing-value codes, declared user-missing, and answered
    assert meta.missing_ranges["rondkomen"] == [{"lo": 98.0, "hi": 98.0}, {"lo": 99.0, "hi": 99.0}]
    assert meta.missing_ranges["moeite_spreken"] == [{"lo": 98.0, "hi": 98.0}]
    reasons = respondents["rondkomen__missing"].astype("string")
    assert (data["rondkomen"] == 98).sum() == (reasons == "dont_know").sum() > 0
    assert (data["rondkomen"] == 99).sum() == (reasons == "refused").sum() > 0
    assert meta.variable_value_labels["rondkomen"][99.0] == "wil ik niet zeggen"
    assert "werk" not in meta.missing_ranges  # a yes/no question has no such codes
    plain, _ = pyreadstat.read_sav(str(out / f"respondenten_{WAVE}.sav"))
    assert plain["rondkomen"].isin([98, 99]).sum() == 0  # read without user_missing they are missing
    formats, measures = meta.original_variable_types, meta.variable_measure
    for name in ("status", "route", "rondkomen", "ind_werk_betaald", "aankomst_jaar", "volgnummer", "taalcijfer"):
        assert re.fullmatch(r"F\d+\.0", formats[name]), (name, formats[name])
    assert formats["weight"] == "F12.10"  # weights to 10 decimals
    assert measures["status"] == measures["ind_werk_betaald"] == measures["werk"] == "nominal"
    assert measures["rondkomen"] == measures["gezondheid"] == "ordinal"
    assert measures["weight"] == measures["taalcijfer"] == measures["mhi5"] == measures["ind_taal_cijfer"] == "scale"
    assert meta.variable_value_labels["status"] == {1.0: "asiel: Asielstatushouder", 2.0: "gezin: Gezins- of overige migrant"}
    assert any("kalibratievariabelen" in note.lower() for note in meta.notes)
    csv = read_csv(out)
    assert csv.columns.tolist() == data.columns.tolist()
    assert csv["status"].isin(["asiel", "gezin"]).all()  # codes as populatie.csv has them
    order = np.argsort(csv["volgnummer"].to_numpy())
    np.testing.assert_array_equal(csv["weight"].to_numpy()[order], data.sort_values("volgnummer")["weight"].to_numpy())


def test_calibration_variables_are_exact_and_the_other_quasi_identifiers_k_anonymous_within_them(bundle):
    wave, out, _ = bundle
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    csv = read_csv(out)
    for v in EXACT:  # nothing blanked: the same categories as often as in the clean data
        assert csv[v].value_counts().sort_index().equals(respondents[v].astype(str).value_counts().sort_index().rename(v)), v
    assert csv["aankomst_jaar"].dropna().between(1950, 2025).all() and "aankomst" not in csv.columns
    sizes = csv.groupby(EXACT).size()
    rare = csv.set_index(EXACT).index.isin(sizes[sizes < 5].index)
    assert rare.sum() == 14 and (sizes == 1).sum() == 1  # the demo has them: counted, kept, with nothing else shown
    assert csv.loc[rare, OTHERS].isna().all().all()
    assert smallest_class(csv.loc[~rare], EXACT + OTHERS) >= 5
    readme = (out / "LEESMIJ.md").read_text(encoding="utf-8")
    assert "**14 respondenten**" in readme and "1 van hen is de enige" in readme
    book = pd.read_csv(out / "codeboek.csv", dtype=str, keep_default_na=False).set_index("variabele")
    blanked = int((csv["language"].isna() & ~rare).sum() + rare.sum())
    assert book.loc["language", "bundel"].startswith(f"{blanked} waarden leeggemaakt")
    assert book.loc["status", "bundel"] == "exact: kalibratievariabele"


@pytest.mark.skipif(not r_has("foreign"), reason="R with the foreign package is not installed")
def test_r_foreign_and_haven_read_the_value_labels_and_missing_codes(bundle, tmp_path):
    _, out, _ = bundle
    script = tmp_path / "read.R"
    script.write_text(f"""
suppressMessages(library(foreign))
x <- suppressWarnings(read.spss("{out / f'respondenten_{WAVE}.sav'}", to.data.frame = FALSE, use.value.labels = FALSE))
cat("labels", sum(sapply(x, function(v) length(attr(v, "value.labels")) > 0)), "\\n")
cat("status", paste(names(attr(x$status, "value.labels")), collapse = "|"), "\\n")
cat("missings", attr(x, "missings")$rondkomen$value, "\\n")
if (requireNamespace("haven", quietly = TRUE)) {{
  h <- haven::read_sav("{out / f'respondenten_{WAVE}.sav'}", user_na = TRUE)
  cat("haven", attr(h$rondkomen, "na_values"), attr(h$weight, "format.spss"), "\\n")
}}
""", encoding="utf-8")
    run = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True)
    lines = dict(line.split(" ", 1) for line in run.stdout.strip().splitlines())
    _, meta = pyreadstat.read_sav(str(out / f"respondenten_{WAVE}.sav"), metadataonly=True)
    assert int(lines["labels"]) == len(meta.variable_value_labels)  # foreign keeps every value label
    assert set(lines["status"].strip().split("|")) == {"asiel: Asielstatushouder", "gezin: Gezins- of overige migrant"}
    assert lines["missings"].split() == ["98", "99"]
    if "haven" in lines:
        assert lines["haven"].split() == ["98", "99", "F12.10"]


def run_r(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["Rscript", str(out / "reproduceer.R"), str(out)], capture_output=True, text=True)


@needs_survey
def test_the_r_script_reproduces_every_key_figure(bundle, tmp_path):
    wave, source, _ = bundle
    out = tmp_path / "b"
    shutil.copytree(source, out)
    run = run_r(out)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "in orde" in run.stdout
    mine = pd.read_csv(out / "kerncijfers_R.csv", dtype={"categorie": str}).rename(columns={
        "schatting": "r_estimate", "se": "r_se", "ci_laag": "r_ci_low", "ci_hoog": "r_ci_high", "n": "r_n"})
    est = pd.read_parquet(wave.clean_dir / "estimates.parquet")
    overall = est[est["group"] == "totaal"]
    both = overall.merge(mine, left_on=["indicator", "group", "category"], right_on=["indicator", "groep", "categorie"])
    assert len(both) == len(overall) == len(wave.questionnaire.indicators)  # every indicator overall
    assert (both["ci_method"] == both["ci_methode"]).all() and (both["n"] == both["r_n"]).all()
    largest = {}
    for ours in ("estimate", "se", "ci_low", "ci_high"):
        largest[ours] = float(np.max(np.abs(both[ours] - both["r_" + ours])))
        assert largest[ours] < TOLERANCE, (ours, largest[ours])
    assert largest["estimate"] < 1e-9 and largest["se"] < 1e-9  # measured: 5e-11 and 3e-12
    groups = est[est["group"].isin(EXACT)]
    by_group = groups.merge(mine, left_on=["indicator", "group", "category"], right_on=["indicator", "groep", "categorie"])
    assert len(by_group) == len(groups)  # and by every calibration variable
    for ours in ("estimate", "se", "ci_low", "ci_high"):
        assert np.max(np.abs(by_group[ours] - by_group["r_" + ours])) < TOLERANCE, ours
    assert (by_group["ci_method"] == by_group["ci_methode"]).all()
    assert set(by_group["ci_methode"]) >= {"logit", "beta", "t"}


def set_r(script: Path, **values: str) -> None:
    text = script.read_text(encoding="utf-8")
    for name, value in values.items():
        text, count = re.subn(rf"(?m)^{name} <- [^#\n]*", f"{name} <- {value}  ", text)
        assert count == 1, name
    script.write_text(text, encoding="utf-8")


VARIANTS = {
    # fpc per respondent, an interaction margin, linear calibration, Korn–Graubard below 500 answers
    "unit-linear-interaction": dict(fpc="unit", method="linear", bounds=None, calibrated=True, confidence=0.95, small_n=500,
                                    margins=["status*gender", "ageband", "route"]),
    # no fpc, bounded logit calibration, a 90% level
    "none-logit-bounds": dict(fpc="none", method="logit", bounds=(0.5, 2.5), calibrated=True, confidence=0.9, small_n=0,
                              margins=EXACT),
    # trimmed weights that were not calibrated again: used as given, no calibration in the variance
    "uncalibrated": dict(fpc="uniform", method="raking", bounds=None, calibrated=False, confidence=0.95, small_n=50,
                         margins=EXACT),
}


@needs_survey
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_the_r_script_follows_the_wave_s_design_settings(bundle, tmp_path, variant):
    """The script with another wave's settings against the pipeline's own estimation on the same data."""
    wave, source, _ = bundle
    v = VARIANTS[variant]
    out = tmp_path / "b"
    shutil.copytree(source, out)
    data = read_csv(out)
    pop = wave.population
    margins = {m: {c: float(n) for c, n in pop.margins[m].items()} for m in v["margins"]}
    n_pop = pop.total if v["fpc"] == "uniform" or v["fpc"] == "unit" else None
    fpc = "unit" if v["fpc"] == "unit" else "uniform"
    start = Design(data, data["base_weight"].to_numpy(), population_size=n_pop, fpc=fpc)
    if v["calibrated"]:
        design = start.calibrate(margins, method=v["method"], bounds=v["bounds"], tolerance=1e-12, max_iterations=500)
    else:
        weights, _ = trim(data["weight"].to_numpy(), upper=2.0 * data["weight"].mean())
        design = Design(data, weights, population_size=n_pop, fpc=fpc)
    data["weight"] = design.weights
    data.to_csv(out / f"respondenten_{WAVE}.csv", index=False)
    table = population_table(wave)
    rows = [table.iloc[:1]] + [pd.DataFrame({"variabele": m, "categorie": list(c), "aantal": list(c.values()), "label": ""})
                               for m, c in pop.margins.items() if m in v["margins"]]
    pd.concat(rows, ignore_index=True).to_csv(out / "populatie.csv", index=False)
    disclosure = wave.config.disclosure
    expected = estimate_indicators(design, wave.questionnaire, groups=calibration_variables(wave), confidence=v["confidence"],
                                   min_n=disclosure.min_n, min_n_percentage=disclosure.min_n_percentage,
                                   small_domain_n=v["small_n"])
    pipeline_figures(wave, expected, EXACT).to_csv(out / "kerncijfers_pipeline.csv", index=False)
    lower, upper = v["bounds"] or ("-Inf", "Inf")
    set_r(out / "reproduceer.R", FPC=f'"{v["fpc"]}"', METHODE=f'"{v["method"]}"', GRENZEN=f"c({lower}, {upper})",
          GEKALIBREERD="TRUE" if v["calibrated"] else "FALSE", BETROUWBAARHEID=str(v["confidence"]),
          KLEIN_DOMEIN=str(v["small_n"]))
    run = run_r(out)
    assert run.returncode == 0, run.stdout + run.stderr  # the script itself compares to 1e-6 and fails otherwise
    assert "in orde" in run.stdout
    mine = pd.read_csv(out / "kerncijfers_R.csv")
    methods = set(mine["ci_methode"])
    assert methods >= ({"beta", "t"} if v["small_n"] else {"logit", "t"}), methods
    assert len(mine) == len(pd.read_csv(out / "kerncijfers_pipeline.csv"))


@pytest.mark.parametrize(("change", "message"), [
    ("weights", "data_clean/demo-2025/weights.parquet is missing, and a bundle needs the weights and the key figures it "
                "reproduces; run 'rapportage weight --wave demo-2025' first."),
    ("confidence", "data_clean/demo-2025/estimates.parquet was made before the latest change of surveys/demo-2025/, so a "
                   "bundle would not reproduce it; run 'rapportage estimate --wave demo-2025' first."),
])
def test_a_bundle_before_its_stages_ran_is_one_sentence_and_writes_nothing(demo_run, tmp_path, change, message):
    wave, _ = demo_run
    root = tmp_path / "p"
    shutil.copytree(wave.root, root, ignore=shutil.ignore_patterns("_output", ".venv", "export"))
    if change == "weights":
        (root / "data_clean" / WAVE / "weights.parquet").unlink()
    else:  # the estimates were made at another confidence level than wave.yaml now asks for
        path = root / "surveys" / WAVE / "wave.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("confidence: 0.95", "confidence: 0.9"), encoding="utf-8")
    result = runner.invoke(app, ["export", "--demo", "--root", str(root), "--format", "bundle"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert " ".join(result.output.split()) == f"error: {message}"
    assert not (root / "data_clean" / WAVE / "export").exists()
