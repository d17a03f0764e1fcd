"""Multi-item scales: item points, scale scores with their rule for partial item non-response,
and the reliability (Cronbach's alpha) of every reflective scale."""

from __future__ import annotations

import pandas as pd

from rapportage.questionnaire.spec import Questionnaire, Scale
from rapportage.statistics.reliability import cronbach


def item_points(values: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """Item values turned into the scale's points (one column per item)."""
    return pd.concat([values[item].map(group.points).astype(float).rename(item)
                      for group in scale.scoring for item in group.items], axis=1)


def score_scale(values: pd.DataFrame, scale: Scale) -> pd.Series:
    """Score a scale from item values, with its rule for partial item non-response.

    Each item value is turned into points by its scoring group. With ``method: sum`` the score
    is mean(points of answered items) * n_items * multiply, i.e. the sum of points prorated
    over unanswered items; with ``method: mean`` it is mean(points) * multiply. Respondents who
    answered fewer than ``min_answered`` items get NA.

    Examples
    --------
    MHI-5 (CBS scoring): a respondent who is 'soms' (4) nervous, 'nooit' (6) down, 'meestal'
    (2) calm, 'soms' (4) blue and 'vaak' (3) happy scores (3 + 5 + 4 + 3 + 3) * 4 = 72.

    >>> from rapportage.questionnaire.spec import Scale
    >>> neg = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5}
    >>> mhi5 = Scale(label="MHI-5", source="CBS", min_answered=4, multiply=4, scoring=[
    ...     {"items": ["nervous", "down", "blue"], "points": neg},
    ...     {"items": ["calm", "happy"], "points": {k: 5 - v for k, v in neg.items()}}])
    >>> answers = pd.DataFrame({"nervous": [4, 4], "down": [6, None], "calm": [2, 2],
    ...                         "blue": [4, None], "happy": [3, 3]})
    >>> score_scale(answers, mhi5).tolist()  # second row: only 3 of 5 answered
    [72.0, nan]
    """
    table = item_points(values, scale)
    answered = table.notna().sum(axis=1)
    score = table.mean(axis=1) * scale.multiply
    if scale.method == "sum":
        score = score * len(scale.items)
    return score.where(answered >= scale.min_answered)


def scale_reliability(respondents: pd.DataFrame, questionnaire: Questionnaire, confidence: float = 0.95) -> dict[str, dict]:
    """Alpha of every reflective scale with at least three items."""
    out = {}
    for scale_id, scale in questionnaire.scales.items():
        if scale.reflective and len(scale.items) >= 3:
            out[scale_id] = {"label": scale.label, **cronbach(item_points(respondents, scale), confidence)}
    return out
