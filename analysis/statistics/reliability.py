"""Reliability of a multi-item scale: Cronbach's alpha with its confidence interval.

Computed on item points (reversed items already turned around), for respondents who answered
every item (listwise), unweighted: alpha is a property of the instrument in this sample, not a
population estimate. :func:`rapportage.scoring.scales.scale_reliability` applies it to the
questionnaire's scales.
"""

from __future__ import annotations

import pandas as pd
import pingouin


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
