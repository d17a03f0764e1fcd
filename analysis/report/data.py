"""What the report reads: the wave's configuration and the pipeline's outputs in ``data_clean/<wave>/``,
loaded once (``load``) into a ``ReportData``. Nothing here computes a statistic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rapportage.config import Wave, load_wave
from rapportage.contracts import ESTIMATES, GROUP_TESTS, TREND, CleaningLog, WeightingReport, read_table

OVERALL = "totaal"
SUPPRESSED = "–"
NOT_BROKEN_DOWN = "·"


def level_text(confidence: float) -> str:
    """0.95 -> '95%', 0.995 -> '99,5%'."""
    return f"{100 * confidence:.10g}%".replace(".", ",")


@dataclass
class ReportData:
    wave: Wave
    estimates: pd.DataFrame
    weighting: WeightingReport
    cleaning: CleaningLog
    reliability: dict
    tests: pd.DataFrame
    baseline: Wave | None = None
    trend: pd.DataFrame | None = None
    """The series (``trend.parquet``): every indicator in every wave, with the rule's verdict per step."""

    @property
    def compared(self) -> bool:
        """Is there a baseline wave whose estimates were compared with these?"""
        return self.baseline is not None and "change" in self.estimates.columns

    @property
    def baseline_year(self) -> int:
        """The year of the baseline wave (only asked when ``compared``)."""
        if self.baseline is None:
            raise ValueError(f"wave {self.wave.id} has no baseline wave")
        return self.baseline.config.year

    def overall(self, indicator: str) -> pd.Series:
        """The estimate of an indicator for all inburgeraars (every indicator has one)."""
        row = self.cell(indicator)
        if row is None:
            raise ValueError(f"estimates.parquet has no overall estimate of {indicator!r}")
        return row

    @property
    def confidence(self) -> float:
        """The level of every interval, as the estimate stage computed them (``estimation.confidence``)."""
        return float(self.estimates["confidence"].iloc[0]) if len(self.estimates) else 0.95

    @property
    def level(self) -> str:
        """'95%', '90%', '99,5%': the confidence level as the report prints it."""
        return level_text(self.confidence)

    @property
    def alpha(self) -> float:
        """The significance level of the tests: 1 - confidence, so that a test and the interval
        of the same difference always agree."""
        return 1 - self.confidence

    def group_label(self, group: str) -> str:
        if group == "language":
            return "Taal van de vragenlijst"
        return self.wave.population.variables[group].label

    def category_label(self, group: str, category: str) -> str:
        if group == OVERALL:
            return "Alle inburgeraars"
        if group == "language":
            return self.wave.questionnaire.languages[category].name
        return self.wave.population.variables[group].categories[category]

    def plural(self, group: str, category: str) -> str:
        """Lower-case plural for running text ('asielstatushouders'), from population.yaml."""
        variable = self.wave.population.variables[group]
        return variable.plural.get(category, variable.categories[category].lower())

    def questionnaire_label(self, indicator: str) -> str:
        return next(i.label for i in self.wave.questionnaire.indicators if i.id == indicator)

    @property
    def series(self) -> list[Wave]:
        """The waves of the series, oldest first, this one last (each one's baseline_wave before it)."""
        from rapportage.stages.pipeline import series

        return series(self.wave)

    def benchmarks(self, indicator: str) -> list:
        """The reference figures of ``references.yaml`` for an indicator (often none)."""
        return [b for b in self.wave.references.benchmarks if b.indicator == indicator]

    def indicators(self, domain: str) -> list:
        return [i for i in self.wave.questionnaire.indicators if i.domain == domain]

    def cell(self, indicator: str, group: str = OVERALL, category: str = OVERALL) -> pd.Series | None:
        """The estimate of one cell; None when the indicator is not broken down by ``group``
        (an indicator's own ``groups:`` in questionnaire.yaml)."""
        e = self.estimates
        row = e[(e.indicator == indicator) & (e.group == group) & (e.category == category)]
        return row.iloc[0] if len(row) else None


def load(root: str, wave: str) -> ReportData:
    """Read the wave's configuration and pipeline outputs; set the figure style."""
    from rapportage.report.figures import set_style

    w = load_wave(Path(root), wave)
    set_style()
    return ReportData(
        wave=w,
        estimates=read_table(w.clean_dir / "estimates.parquet", ESTIMATES),
        weighting=WeightingReport.read(w.clean_dir / "weighting.json"),
        cleaning=CleaningLog.read(w.clean_dir / "cleaning_log.json"),
        reliability=json.loads((w.clean_dir / "reliability.json").read_text(encoding="utf-8")),
        tests=read_table(w.clean_dir / "group_tests.parquet", GROUP_TESTS),
        baseline=load_wave(Path(root), w.config.baseline_wave) if w.config.baseline_wave else None,
        trend=read_table(w.clean_dir / "trend.parquet", TREND) if (w.clean_dir / "trend.parquet").is_file() else None,
    )
