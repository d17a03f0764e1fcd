"""Reliability of the multi-item scales: Cronbach's alpha with its confidence interval.

Computed on the item *points* of each scale (reversed items already turned around, as the
scale is scored), for respondents who answered every item (listwise), unweighted: alpha is a
property of the instrument in this sample, not a population estimate.
"""

from __future__ import annotations

import pandas as pd
import pingouin

from analysis.questionnaire import Questionnaire, Scale


def item_points(values: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """Item values turned into the scale's points (one column per item)."""
    return pd.concat([values[item].map(group.points).astype(float).rename(item)
                      for group in scale.scoring for item in group.items], axis=1)


def cronbach(points: pd.DataFrame, confidence: float = 0.95) -> dict[str, float]:
    """Cronbach's alpha = k / (k - 1) * (1 - sum of item variances / variance of the sum score),
    with the Feldt confidence interval, via ``pingouin.cronbach_alpha`` (listwise).

    Checked against R ``psych::alpha`` (raw_alpha) to 1e-6 relative.

    Reference: Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    Psychometrika 16(3). Feldt, L. S. (1965). Psychometrika 30.
    """
    complete = points.dropna()
    alpha, (lo, hi) = pingouin.cronbach_alpha(data=complete, nan_policy="listwise", ci=confidence)
    return {"alpha": float(alpha), "ci_low": float(lo), "ci_high": float(hi), "n": int(len(complete)), "items": points.shape[1]}


def scale_reliability(respondents: pd.DataFrame, questionnaire: Questionnaire, confidence: float = 0.95) -> dict[str, dict]:
    """Alpha of every reflective scale with at least three items."""
    out = {}
    for scale_id, scale in questionnaire.scales.items():
        if scale.reflective and len(scale.items) >= 3:
            out[scale_id] = {"label": scale.label, **cronbach(item_points(respondents, scale), confidence)}
    return out
