"""Exports for researchers: dates only as a year, and k-anonymous on the quasi-identifiers.

k-anonymity is checked here by brute force, independently of :func:`k_anonymise`: a respondent's
class is everyone whose values equal theirs or are missing on every quasi-identifier (sdcMicro's
reading of a missing value), and it must hold at least k respondents.
"""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from rapportage.cli import app
from rapportage.statistics.disclosure import k_anonymise
from typer.testing import CliRunner

runner = CliRunner()
QUASI = ["language", "status", "gender", "ageband", "route", "kansrijke_start", "aankomst_jaar"]


def smallest_class(table: pd.DataFrame, columns: list[str]) -> int:
    values = [tuple(None if pd.isna(v) or v == "" else v for v in row) for row in table[columns].itertuples(index=False)]
    return min(sum(all(a is None or b is None or a == b for a, b in zip(mine, other)) for other in values) for mine in values)


def test_blanking_makes_every_class_k_large_and_keeps_the_first_listed_longest():
    rng = np.random.default_rng(3)
    table = pd.DataFrame({"a": rng.choice(list("xyz"), 200), "b": rng.choice(list("pqrstu"), 200),
                          "c": rng.integers(2015, 2025, 200).astype(float), "answer": rng.random(200)})
    table.loc[:4, "c"] = np.nan  # missing answers count as blanks already
    assert smallest_class(table, ["a", "b", "c"]) < 5  # the test has something to do
    result = k_anonymise(table, ["a", "b", "c"], 5)
    assert smallest_class(result.table, ["a", "b", "c"]) >= 5
    pd.testing.assert_series_equal(result.table["answer"], table["answer"])  # only quasi-identifiers change
    changed = result.table[["a", "b", "c"]].isna() & table[["a", "b", "c"]].notna()
    assert result.blanked == changed.sum().to_dict() and result.respondents_touched == changed.any(axis=1).sum()
    assert not (result.table.notna() & (result.table != table)).any().any()  # values are only blanked, never changed
    assert result.blanked == {"a": 0, "b": 0, "c": 60}  # the last listed goes first ...
    assert k_anonymise(table, ["c", "b", "a"], 5).blanked == {"c": 2, "b": 31, "a": 91}  # ... and is kept longest when first
    again = k_anonymise(table, ["a", "b", "c"], 5)
    pd.testing.assert_frame_equal(again.table, result.table)  # deterministic


def test_a_table_that_is_already_k_anonymous_is_left_alone():
    table = pd.DataFrame({"a": list("xxxxxyyyyy"), "b": [1.0] * 10})
    result = k_anonymise(table, ["a", "b"], 5)
    pd.testing.assert_frame_equal(result.table, table)
    assert sum(result.blanked.values()) == 0 and result.respondents_touched == 0


def test_one_blank_is_enough_when_it_suffices():
    # four respondents share (x, 1); one is (x, 2): blanking its b gives a class of five
    table = pd.DataFrame({"a": list("xxxxx") + list("yyyyy"), "b": [1.0, 1, 1, 1, 2, 3, 3, 3, 3, 3]})
    result = k_anonymise(table, ["a", "b"], 5)
    assert result.blanked == {"a": 0, "b": 1} and pd.isna(result.table.loc[4, "b"])


def test_exports_have_years_not_dates_and_are_k_anonymous(demo_run, tmp_path):
    wave, _ = demo_run
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    internal = respondents.assign(aankomst_jaar=respondents["aankomst"].dt.year)
    assert smallest_class(internal, QUASI) == 1  # the internal table is not safe to hand out as is
    for fmt in ("csv", "sav", "parquet"):
        result = runner.invoke(app, ["export", "--demo", "--root", str(wave.root), "--format", fmt, "--output", str(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "k-anonymous (k = 5)" in result.output and "values blanked" in result.output
    exported = {
        "csv": pd.read_csv(tmp_path / "respondenten_demo-2025.csv", dtype={"language": str}),
        "sav": pyreadstat.read_sav(str(tmp_path / "respondenten_demo-2025.sav"))[0],
        "parquet": pd.read_parquet(tmp_path / "respondenten_demo-2025.parquet"),
    }
    for fmt, table in exported.items():
        assert "aankomst" not in table.columns, fmt
        years = table["aankomst_jaar"].dropna()
        assert years.between(1950, 2025).all() and (years == years.round()).all(), fmt
        assert len(table) == len(respondents), fmt  # nobody is dropped
        assert smallest_class(table, QUASI) >= 5, fmt
        blanked = table["language"].isna() | (table["language"].astype(str) == "")
        assert 0 < blanked.sum() < len(table) / 4, fmt
        np.testing.assert_allclose(np.sort(table["taalcijfer"].to_numpy(dtype=float)),
                                   np.sort(respondents["taalcijfer"].to_numpy(dtype=float)))  # the same answers ...
        assert "respondent_key" not in table.columns and sorted(table["volgnummer"]) == list(range(1, len(table) + 1))
    # ... in another order each time, with no key to join two exports on
    assert not np.array_equal(exported["csv"]["taalcijfer"].to_numpy(dtype=float), respondents["taalcijfer"].to_numpy(dtype=float),
                              equal_nan=True)
    book = pd.read_csv(tmp_path / "codeboek_demo-2025.csv", dtype=str, keep_default_na=False)
    assert set(book["variable"]) - {"(export)"} == set(exported["csv"].columns)
    row = book.set_index("variable").loc["language", "export"]
    assert row == f"{blanked.sum()} waarden leeggemaakt voor k-anonimiteit (k = 5)"
    assert "k-anonimiteit (k = 5)" in book.set_index("variable").loc["(export)", "label_nl"]
    assert "k-anonimiteit" in " ".join(pyreadstat.read_sav(str(tmp_path / "respondenten_demo-2025.sav"), metadataonly=True)[1].notes)
    assert b"k-anonimiteit" in pq.read_schema(tmp_path / "respondenten_demo-2025.parquet").metadata[b"rapportage.export"]


@pytest.mark.parametrize(("setting", "message"), [
    ("    k: 1\n", "key 'disclosure.export.k'"),
    ("    quasi_identifiers: [language, geboortedatum]\n", "'disclosure.export.quasi_identifiers' names 'geboortedatum'"),
])
def test_export_settings_are_checked(project, setting, message):
    path = project / "surveys" / "demo-2025" / "wave.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  export:")
    end = text.index("\n", text.index("quasi_identifiers", start)) + 1
    path.write_text(text[:start] + "  export:\n" + setting + text[end:], encoding="utf-8")
    result = runner.invoke(app, ["validate", "--demo", "--root", str(project)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_too_few_respondents_for_k_is_one_sentence(demo_run, tmp_path):
    wave, _ = demo_run
    root = tmp_path / "p"
    shutil.copytree(wave.root, root, ignore=shutil.ignore_patterns("_output", ".venv"))
    path = root / "surveys" / "demo-2025" / "wave.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("    k: 5 ", "    k: 5000 "), encoding="utf-8")
    result = runner.invoke(app, ["export", "--demo", "--root", str(root), "--format", "csv"])
    assert result.exit_code == 1 and "fewer than disclosure.export.k = 5000" in result.output
    assert not (root / "data_clean" / "demo-2025" / "export").exists()


def test_every_pair_of_orders_gives_a_k_anonymous_table():
    rng = np.random.default_rng(11)
    table = pd.DataFrame({c: rng.choice(n, 60).astype(float) for c, n in zip("abcd", (2, 3, 5, 8))})
    for order in itertools.permutations("abcd", 2):
        assert smallest_class(k_anonymise(table, list(order), 3).table, list(order)) >= 3
