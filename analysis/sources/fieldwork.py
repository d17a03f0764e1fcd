"""A simulated fieldwork: who responds on which day, and what reminders do.

Each person has a final response propensity rho (without reminders). Responding is a waiting time
with cumulative hazard H F(t): F the distribution of an exponential waiting time (mean ``pace``
days) and H = -log(1 - rho) / F(days), so that by the end of the fieldwork exactly a share rho
has responded. A reminder on day d adds ``effect`` H G(t - d) for the persons it reaches, G
exponential with half the mean: the reminded respond sooner, and more of them respond. Reminded
early, a person's final propensity becomes 1 - (1 - rho)^(1 + effect), the model the fieldwork
monitor uses for its recommendation (:func:`rapportage.statistics.reminder_gains`).

The demo's fieldwork monitor (``rapportage monitor --demo``) and the test that compares reminder
policies draw from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Reminder:
    """A reminder on ``day`` (days after the invitation, which is day 0) to the persons in any of
    ``categories`` ((variable, code) pairs; none: everyone)."""

    day: float
    categories: tuple[tuple[str, str], ...] = ()

    def reaches(self, frame: pd.DataFrame) -> np.ndarray:
        if not self.categories:
            return np.ones(len(frame), dtype=bool)
        hit = np.zeros(len(frame), dtype=bool)
        for variable, code in self.categories:
            hit |= (frame[variable].astype(str) == code).to_numpy()
        return hit


def response_days(frame: pd.DataFrame, propensity: np.ndarray, days: float, reminders: list[Reminder],
                  rng: np.random.Generator, *, effect: float = 0.5, pace: float = 4.0) -> np.ndarray:
    """The day (since the invitation, a float) on which each person submits, NaN for who does not
    respond within ``days``.

    Parameters
    ----------
    frame : DataFrame
        The persons, with the variables the reminders name.
    propensity : ndarray
        Each person's final response propensity without reminders (below 1).
    days : float
        Length of the fieldwork.
    reminders : list of Reminder
        Each goes to who has not responded by its day.
    rng : Generator
        Draws one exponential threshold per person: the same ``rng`` state gives the same persons
        the same thresholds under any reminder plan, so plans can be compared person by person.
    effect, pace : float
        What a reminder adds, relative to the invitation, and the mean waiting time in days.
    """
    rho = np.clip(np.asarray(propensity, dtype=float), 0.0, 0.999999)
    hazard = -np.log1p(-rho) / _waiting(days, pace)
    threshold = rng.exponential(1.0, len(rho))
    grid = np.linspace(0, days, int(round(days * 24)) + 1)  # hourly
    plan = sorted(reminders, key=lambda r: r.day)
    reached = [r.reaches(frame) for r in plan]
    out = np.full(len(rho), np.nan)
    for start in range(0, len(rho), 20_000):  # persons in chunks: the hourly grid stays small
        part = slice(start, start + 20_000)
        h, e = hazard[part, None], threshold[part, None]
        cumulative = h * _waiting(grid, pace)[None, :]
        for reminder, hit in zip(plan, reached):
            at = np.searchsorted(grid, reminder.day)
            not_yet = cumulative[:, min(at, len(grid) - 1)] < e[:, 0]  # only who has not responded is reminded
            cumulative += np.where((hit[part] & not_yet)[:, None], effect * h * _waiting(grid - reminder.day, pace / 2)[None, :], 0.0)
        crossed = cumulative >= e
        out[part] = np.where(crossed.any(axis=1), grid[crossed.argmax(axis=1)], np.nan)
    return out


def _waiting(t: np.ndarray | float, mean: float) -> np.ndarray:
    """Distribution function of an exponential waiting time (0 before it starts)."""
    return 1 - np.exp(-np.clip(t, 0, None) / mean)
