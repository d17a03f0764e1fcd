"""The contracts between the stages: what ``cleaning_log.json``, ``weighting.json``,
``estimates.parquet`` and ``group_tests.parquet`` hold.

The stage that writes a file builds it from these models (or validates it against the schema),
and every reader (the estimate stage, the report) reads it through them: a field that one side
renames or drops fails at once, by name, instead of as a missing key in the middle of a render.
The models forbid unknown fields for the same reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
import pandera.pandas as pa
from pydantic import BaseModel, ConfigDict, ValidationError

from rapportage.errors import PipelineError, shown
from rapportage.manifest import json_bytes


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def read(cls, path: Path):
        """The file as this model; a file of another shape is one sentence: make it again."""
        try:
            return cls.model_validate_json(path.read_bytes())
        except FileNotFoundError:
            raise PipelineError(f"{shown(path)} does not exist; run the stage that writes it.") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise PipelineError(f"{shown(path)}: {where}: {first['msg']}; it was written by another version of "
                                "the pipeline: run the stages again (rapportage run --force).") from None

    def to_json_bytes(self) -> bytes:
        """The deterministic JSON of every diagnostics file (:func:`rapportage.manifest.json_bytes`)."""
        return json_bytes(self.model_dump())


# --------------------------------------------------------------------------- cleaning_log.json
class CleaningStep(_Contract):
    step: str
    kind: Literal["flow", "rule"]
    action: str = ""
    description: str
    count: int


class CleaningLog(_Contract):
    """``data_clean/<wave>/cleaning_log.json``: the response flow and what each rule did."""

    snapshot: str
    snapshots_combined: list[str]
    responses_changed_between_snapshots: dict[str, list[int]]
    respondents: int
    population: int
    invited: int
    respondents_by_language: dict[str, int]
    fielded_languages: list[str]
    """the languages of the survey(s) as fielded (the structure in the snapshots), base language first"""
    steps: list[CleaningStep]


# --------------------------------------------------------------------------- weighting.json
class PartialR(_Contract):
    """Unconditional partial R-indicator of a variable (``category`` None) or of one category."""

    variable: str
    category: str | None
    value: float
    response_rate: float | None = None


class ResponseCell(_Contract):
    """One cell of the response model: its categories, persons in the frame, fitted propensity."""

    categories: dict[str, str]
    persons: int
    propensity: float


class Representativeness(_Contract):
    model_variables: list[str]
    response_rate: float
    r_indicator: float
    partial_r_indicators: list[PartialR]
    cells: list[ResponseCell] = []


class PropensityReport(_Contract):
    use: Literal["inverse", "classes"]
    classes: int | None = None
    base_weight_sum: float


class TrimmingReport(_Contract):
    upper_relative_to_mean: float
    cap: float
    trimmed: int
    recalibrated: bool
    rounds: int
    max_relative_to_mean: float
    cap_met: bool
    lowest_possible_max_relative_to_mean: float | None = None
    g_range: tuple[float, float] | None = None


class WeightSummary(_Contract):
    min: float
    p05: float
    median: float
    p95: float
    max: float
    mean: float
    cv: float


class MarginDiagnostic(_Contract):
    variable: str
    category: str
    n: int
    sample_share: float
    weighted_share: float
    population_share: float
    target: float
    achieved: float
    std_diff_before: float | None = None
    std_diff_after: float | None = None


class Diagnostics(_Contract):
    n: int
    sum_of_weights: float
    weights: WeightSummary
    deff_kish: float
    n_effective: float
    margins: list[MarginDiagnostic]


class WeightingReport(_Contract):
    """``data_clean/<wave>/weighting.json``: how the weights were made and how they came out."""

    method: Literal["raking", "linear", "logit"]
    margins: list[str]
    bounds: tuple[float, float] | None
    tolerance: float
    population_total: int
    design_weight: float
    representativeness: Representativeness | None = None
    propensity: PropensityReport | None = None
    trimming: TrimmingReport | None = None
    calibrated: bool
    iterations: int
    max_margin_deviation: float
    diagnostics: Diagnostics


# --------------------------------------------------------------------------- estimates.parquet
CI_METHODS = ["logit", "beta", "beta-n", "t", "fixed", "none"]
COMPARABILITY = ["vergelijkbaar", "vergelijkbaar met kanttekening", "niet vergelijkbaar"]

ESTIMATES = pa.DataFrameSchema(
    {
        "indicator": pa.Column(str),
        "domain": pa.Column(str),
        "kind": pa.Column(str, pa.Check.isin(["proportion", "mean"])),
        "group": pa.Column(str),
        "category": pa.Column(str),
        "n": pa.Column(int, pa.Check.ge(0)),
        "weighted_n": pa.Column(float, pa.Check.ge(0)),
        "estimate": pa.Column(float, nullable=True),
        "se": pa.Column(float, nullable=True),
        "ci_low": pa.Column(float, nullable=True),
        "ci_high": pa.Column(float, nullable=True),
        "confidence": pa.Column(float, pa.Check.in_range(0.5, 1, include_min=False, include_max=False)),
        "df": pa.Column(float, nullable=True),
        "deff": pa.Column(float, nullable=True),
        "n_eff": pa.Column(float, nullable=True),
        "ci_method": pa.Column(str, pa.Check.isin(CI_METHODS)),
        "estimate_unweighted": pa.Column(float, nullable=True),
        "sd": pa.Column(float, nullable=True),
        "bias_bound": pa.Column(float, nullable=True, required=False),
        "suppressed": pa.Column(bool),
        "suppression": pa.Column("string", pa.Check.isin(["primary", "complementary"]), nullable=True),
        # with a baseline wave (rapportage.stages.series.compare_pair)
        "baseline_estimate": pa.Column(float, nullable=True, required=False),
        "change": pa.Column(float, nullable=True, required=False),
        "change_se": pa.Column(float, nullable=True, required=False),
        "change_ci_low": pa.Column(float, nullable=True, required=False),
        "change_ci_high": pa.Column(float, nullable=True, required=False),
        "change_p_value": pa.Column(float, pa.Check.in_range(0, 1), nullable=True, required=False),
        "comparability": pa.Column(str, pa.Check.isin(COMPARABILITY), required=False),
        "comparability_note": pa.Column(str, required=False),
        "comparable": pa.Column(bool, required=False),
    },
    strict=True, coerce=True, name="estimates.parquet",
)
"""One row per indicator x (overall + every category of every group); proportions as fractions."""

TREND = pa.DataFrameSchema(
    {
        "wave": pa.Column(str),
        "year": pa.Column(int),
        "indicator": pa.Column(str),
        "kind": pa.Column(str, pa.Check.isin(["proportion", "mean"])),
        "n": pa.Column(int, pa.Check.ge(0)),
        "estimate": pa.Column(float, nullable=True),
        "se": pa.Column(float, nullable=True),
        "ci_low": pa.Column(float, nullable=True),
        "ci_high": pa.Column(float, nullable=True),
        "suppressed": pa.Column(bool),
        "confidence": pa.Column(float, pa.Check.in_range(0.5, 1, include_min=False, include_max=False)),
        "bias_bound": pa.Column(float, nullable=True),
        "wave_earlier": pa.Column("string", nullable=True),
        "change": pa.Column(float, nullable=True),
        "change_se": pa.Column(float, nullable=True),
        "change_ci_low": pa.Column(float, nullable=True),
        "change_ci_high": pa.Column(float, nullable=True),
        "p_value": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "bias_ratio": pa.Column(float, nullable=True),
        "bias_bound_change": pa.Column(float, nullable=True),
        "comparability": pa.Column("string", pa.Check.isin(COMPARABILITY), nullable=True),
        "comparability_note": pa.Column("string", nullable=True),
        "significant": pa.Column(bool),
    },
    strict=True, coerce=True, name="trend.parquet",
)
"""The series: every indicator's overall estimate in every wave where it exists, with the change
from the wave before and the comparability rule's verdict (rapportage.stages.series)."""

GROUP_TESTS = pa.DataFrameSchema(
    {
        "indicator": pa.Column(str),
        "group": pa.Column(str),
        "test": pa.Column("string", pa.Check.isin(["rao-scott", "difference"]), nullable=True),
        "pearson": pa.Column(float, nullable=True),
        "F": pa.Column(float, nullable=True),
        "ndf": pa.Column(float, nullable=True),
        "ddf": pa.Column(float, nullable=True),
        "category_a": pa.Column("string", nullable=True),
        "category_b": pa.Column("string", nullable=True),
        "difference": pa.Column(float, nullable=True),
        "se": pa.Column(float, nullable=True),
        "df": pa.Column(float, nullable=True),
        "p_value": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "p_adjusted": pa.Column(float, pa.Check.in_range(0, 1), nullable=True),
        "not_tested": pa.Column("string", nullable=True),
    },
    strict=True, coerce=True, name="group_tests.parquet",
)
"""One design-based test per indicator x group (rapportage.stages.estimates.group_tests)."""


def checked(table: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """``table`` validated against ``schema`` (every failure listed), as the writer stores it."""
    try:
        return schema.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.astype(str).drop_duplicates(["column", "check"]).head(5)
        found = "; ".join(f"{c.column}: {c.check} ({c.failure_case})" for c in cases.itertuples())
        raise PipelineError(f"{schema.name} does not meet its contract ({found}); this is a defect of the pipeline, "
                            "please report it.") from None


def read_table(path: Path, schema: pa.DataFrameSchema, rerun: str = "rapportage run --force") -> pd.DataFrame:
    """A parquet file of the pipeline, validated against its contract; ``rerun`` is the command
    that writes it anew."""
    if not path.is_file():
        raise PipelineError(f"{shown(path)} does not exist; run the stage that writes it.")
    try:
        return schema.validate(pd.read_parquet(path), lazy=True)
    except pa.errors.SchemaErrors:
        raise PipelineError(f"{shown(path)} was written by another version of the pipeline; run the stages again "
                            f"({rerun}).") from None
