"""Do the 95% intervals mean what they say? Repeated demo draws (fixed seeds): the share of
indicator x group cells whose interval covers the demo population value should be close to 95%."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis import pipeline
from analysis.config import load_wave

DRAWS = 8


@pytest.mark.slow
def test_confidence_intervals_cover_the_population_truth_about_95_percent_of_the_time(project):
    wave_yaml = project / "surveys" / "demo" / "wave.yaml"
    text = wave_yaml.read_text()
    covered, cells = 0, 0
    per_draw = []
    for draw in range(DRAWS):
        wave_yaml.write_text(text.replace("seed: 20251031", f"seed: {1000 + draw}"))
        wave = load_wave(project, "demo")
        for stage in ("fetch", "clean", "weight", "estimate"):
            pipeline.STAGES[stage](wave, True)
        truth = json.loads((wave.raw_dir / "population_truth.json").read_text())
        est = pd.read_parquet(wave.clean_dir / "estimates.parquet")
        est = est[~est.suppressed]
        values = np.array([truth[i]["value"] if g == "totaal" else truth[i]["groups"][g].get(c, np.nan)
                           for i, g, c in zip(est.indicator, est.group, est.category)])
        hit = (est.ci_low.to_numpy() <= values) & (values <= est.ci_high.to_numpy())
        covered += int(hit.sum())
        cells += len(est)
        per_draw.append(hit.mean())
    coverage = covered / cells
    assert cells > DRAWS * 300
    print(f"coverage {coverage:.3f} over {cells} cells; per draw {np.round(per_draw, 3).tolist()}")
    assert 0.90 <= coverage <= 0.985, (coverage, per_draw)
