"""The questionnaire as code: ``surveys/<wave>/questionnaire.yaml`` loaded and validated.

The specification holds the items (with their LimeSurvey codes, answer codes, numeric values and
missing-value codes), the derived scales with their scoring rules and the indicators that the
report publishes. Cleaning, scoring, estimation and the report all read it from here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from analysis.yaml_config import load_yaml_model

DOMAINS: dict[str, str] = {
    "werk": "Werk en dagbesteding",
    "taal": "Nederlandse taal",
    "gezondheid": "Gezondheid en welzijn",
    "financien": "Financiën",
    "sociale_verbinding": "Sociale verbinding",
    "thuis_voelen": "Thuis voelen in Utrecht",
}
"""The six domains of the report, in report order, with their Dutch titles."""

MissingKind = Literal["dont_know", "refused"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Language(_Strict):
    name: str = Field(description="Dutch name of the language, used in the report")
    native: str = Field(description="the language's own name, in its own script")
    status: Literal["professional", "draft", "missing"]


class Option(_Strict):
    code: str
    label: dict[str, str]
    value: float | None = None
    missing: MissingKind | None = None

    @model_validator(mode="after")
    def _value_or_missing(self) -> "Option":
        if (self.value is None) == (self.missing is None):
            raise ValueError(f"option {self.code!r} needs exactly one of 'value' or 'missing'")
        return self


class SubQuestion(_Strict):
    code: str
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: dict[str, str]


class Item(_Strict):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]*$", description="LimeSurvey question code")
    type: Literal["yesno", "single", "array", "numeric", "text"]
    text: dict[str, str]
    options: list[Option] = Field(default_factory=list)
    subquestions: list[SubQuestion] = Field(default_factory=list)
    range: tuple[float, float] | None = None
    hidden: bool = False

    @model_validator(mode="after")
    def _shape(self) -> "Item":
        needs_options = self.type in ("single", "array")
        if needs_options and not self.options:
            raise ValueError(f"type {self.type} needs 'options'")
        if not needs_options and self.options:
            raise ValueError(f"type {self.type} takes no 'options'")
        if (self.type == "array") != bool(self.subquestions):
            raise ValueError("'subquestions' belong to type array, and only there")
        if self.type == "numeric" and self.range is None:
            raise ValueError("type numeric needs 'range: [min, max]'")
        codes = [o.code for o in self.options]
        if len(set(codes)) != len(codes):
            raise ValueError("answer codes are not unique")
        return self


class ScoringGroup(_Strict):
    items: list[str] = Field(min_length=1)
    points: dict[str, float] = Field(min_length=2, description="answer code: points")


class Scale(_Strict):
    label: str
    source: str
    scoring: list[ScoringGroup] = Field(min_length=1)
    min_answered: int = Field(ge=1)
    multiply: float = 1.0

    @property
    def items(self) -> list[str]:
        return [i for g in self.scoring for i in g.items]

    @model_validator(mode="after")
    def _min_answered(self) -> "Scale":
        if self.min_answered > len(self.items):
            raise ValueError(f"min_answered {self.min_answered} exceeds the {len(self.items)} items")
        return self


class Condition(_Strict):
    in_: list[float] | None = Field(None, alias="in")
    below: float | None = None
    at_least: float | None = None

    @model_validator(mode="after")
    def _one(self) -> "Condition":
        if sum(x is not None for x in (self.in_, self.below, self.at_least)) != 1:
            raise ValueError("a condition has exactly one of 'in', 'below', 'at_least'")
        return self


class Indicator(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    domain: Literal[tuple(DOMAINS)]  # type: ignore[valid-type]
    label: str = Field(description="Dutch label used in the report")
    kind: Literal["proportion", "mean"]
    of: str = Field(description="item, sub-question or scale id")
    condition: Condition | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _condition(self) -> "Indicator":
        if (self.kind == "proportion") != (self.condition is not None):
            raise ValueError("a proportion needs a 'condition', a mean takes none")
        return self


class Questionnaire(_Strict):
    title: dict[str, str]
    base_language: str
    languages: dict[str, Language]
    items: dict[str, Item]
    scales: dict[str, Scale] = Field(default_factory=dict)
    indicators: list[Indicator] = Field(min_length=1)

    @classmethod
    def load(cls, path: Path) -> "Questionnaire":
        """Load ``questionnaire.yaml``; errors name the file and the key."""
        return load_yaml_model(path, cls)  # type: ignore[return-value]

    # ---------------------------------------------------------------- derived views
    def variables(self) -> dict[str, tuple[str, Item]]:
        """Analysis variable id -> (export column, item), one per answer column."""
        out: dict[str, tuple[str, Item]] = {}
        for item_id, item in self.items.items():
            if item.type == "array":
                for sq in item.subquestions:
                    out[sq.id] = (f"{item.code}[{sq.code}]", item)
            else:
                out[item_id] = (item.code, item)
        return out

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    @model_validator(mode="after")
    def _references(self) -> "Questionnaire":
        if self.base_language not in self.languages:
            raise ValueError(f"base_language {self.base_language!r} is not under 'languages'")
        for item_id, item in self.items.items():
            texts = [item.text] + [o.label for o in item.options] + [s.text for s in item.subquestions]
            if any(self.base_language not in t for t in texts):
                raise ValueError(f"item {item_id!r} lacks its {self.base_language!r} text")
        variables = self.variables()
        for scale_id, scale in self.scales.items():
            for v in scale.items:
                if v not in variables:
                    raise ValueError(f"scale {scale_id!r} names unknown item {v!r}")
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("indicator ids are not unique")
        for ind in self.indicators:
            if ind.of not in variables and ind.of not in self.scales:
                raise ValueError(f"indicator {ind.id!r} is 'of' unknown item or scale {ind.of!r}")
        return self

