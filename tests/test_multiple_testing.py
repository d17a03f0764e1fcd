"""Issue #19, 5: the ~120 group tests of one report, adjusted for their number (Benjamini–Hochberg),
checked against R ``p.adjust`` and used for the report's verdicts."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from rapportage.statistics import adjust_p


def test_benjamini_hochberg_by_hand_and_its_properties():
    # m = 4: sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.04*4/3 = 0.0533, 0.04*4/3 = 0.0533 (min over j >= i), 0.20
    assert adjust_p([0.01, 0.04, 0.03, 0.20]).tolist() == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20], abs=1e-15)
    rng = np.random.default_rng(19)
    p = np.concatenate([rng.uniform(size=100), rng.uniform(0, 1e-3, size=20), [np.nan] * 5])
    q = adjust_p(p)
    tested = ~np.isnan(p)
    assert np.isnan(q[~tested]).all()  # no test, no adjusted p; nor does it count among the m tests
    assert (q[tested] >= p[tested]).all() and (q[tested] <= 1).all()
    order = np.argsort(p[tested])
    assert (np.diff(q[tested][order]) >= -1e-15).all()  # the order of the p-values is kept
    assert adjust_p(p, "none")[tested].tolist() == p[tested].tolist()
    assert np.isnan(adjust_p([np.nan, np.nan])).all()


def test_benjamini_hochberg_equals_r_p_adjust():
    if not shutil.which("Rscript"):
        pytest.skip("R is not installed (apt-get install r-base-core)")
    rng = np.random.default_rng(2025)
    p = np.concatenate([rng.uniform(size=90), rng.beta(0.2, 5, size=30), [0.05, 0.05, 1.0, 0.0]])
    script = "p <- c(" + ",".join(f"{v:.17g}" for v in p) + "); cat(sprintf('%.17g', p.adjust(p, method = 'BH')), sep = '\\n')"
    r = np.array([float(v) for v in subprocess.run(["Rscript", "-e", script], check=True, capture_output=True,
                                                   text=True).stdout.split()])
    assert np.max(np.abs(adjust_p(p) - r)) <= 1e-15


def test_the_report_judges_group_differences_on_the_adjusted_p_values(demo_run):
    from rapportage import report

    wave, _ = demo_run
    tests = pd.read_parquet(wave.clean_dir / "group_tests.parquet")
    assert tests["p_adjusted"].tolist() == pytest.approx(adjust_p(tests["p_value"]).tolist(), nan_ok=True)
    tested = int(tests["p_value"].notna().sum())
    assert tested > 100 and (tests["p_adjusted"].dropna() >= tests["p_value"].dropna()).all()
    data = report.load(str(wave.root), wave.id)
    from rapportage.report.methods import _test_sentence

    sentence = _test_sentence(data)
    assert f"Dit rapport doet {tested} zulke toetsen" in sentence and "Benjamini en Hochberg (1995)" in sentence
