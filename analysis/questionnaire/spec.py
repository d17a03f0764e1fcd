"""The questionnaire as code: ``surveys/<wave>/questionnaire.yaml`` loaded and validated.

The specification is the single source of truth for the measurement: question groups and items
(LimeSurvey question codes, types, answer codes with numeric values, missing-value codes, filter
conditions, texts per language), derived scales with their scoring rules and sources, and the
indicators the report publishes (domain, definition, universe, grouping variables). Cleaning,
scoring, estimation, the ``.lss`` survey file, the codebook and the report all read it from here.

Validation has two layers: pydantic checks the shape of every entry (types, required keys, no
unknown keys), and :func:`problems` checks what spans entries (references, translations,
uniqueness). Every problem names the file, the item and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from rapportage.errors import PipelineError, shown
from rapportage.questionnaire.translations import TranslationFile, load_files
from rapportage.yaml_config import StrictModel, load_yaml_model

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
ItemType = Literal["yesno", "single", "multiple", "array", "numeric", "text", "date"]
LIMESURVEY_TYPE: dict[str, str] = {
    "yesno": "Y", "single": "L", "multiple": "M", "array": "F", "numeric": "N", "text": "T", "date": "D",
}
"""LimeSurvey question type letter of each item type."""
ID = r"^[a-z][a-z0-9_]*$"


class _Strict(StrictModel):
    pass


class Language(_Strict):
    """A language the questionnaire may be fielded in. Its texts other than the base language's
    are in ``translations/<code>.yaml``, each with its own status (rapportage.questionnaire.translations)."""

    name: str = Field(description="Dutch name of the language, used in the report")
    native: str = Field(description="the language's own name, in its own script")
    direction: Literal["ltr", "rtl"] = "ltr"


class Option(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9]{1,5}$")
    label: dict[str, str]
    value: float | None = None
    missing: MissingKind | None = None

    @model_validator(mode="after")
    def _value_or_missing(self) -> "Option":
        if (self.value is None) == (self.missing is None):
            raise ValueError(f"option {self.code!r} needs exactly one of 'value' or 'missing'")
        return self


class SubQuestion(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9]{1,20}$")
    id: str = Field(pattern=ID)
    text: dict[str, str]


class Filter(_Strict):
    """Who gets the question: respondents whose answer to ``item`` is one of ``codes``."""

    item: str
    codes: list[str] = Field(min_length=1)


class Group(_Strict):
    text: dict[str, str]


class Item(_Strict):
    code: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9]{0,19}$", description="LimeSurvey question code")
    type: ItemType
    group: str
    text: dict[str, str]
    source: str = Field("", description="where the wording comes from")
    options: list[Option] = Field(default_factory=list)
    subquestions: list[SubQuestion] = Field(default_factory=list)
    other: dict[str, str] | None = Field(None, description="label of an 'other, namely …' option per language")
    other_value: float | None = Field(None, description="value of the 'other' answer (single choice; LimeSurvey code -oth-)")
    range: tuple[float, float] | None = None
    hidden: bool = False
    mandatory: bool = False
    filter: list[Filter] = Field(default_factory=list, description="all must hold (AND)")

    @model_validator(mode="after")
    def _shape(self) -> "Item":
        needs_options = self.type in ("single", "array")
        if needs_options and not self.options:
            raise ValueError(f"type {self.type} needs 'options'")
        if not needs_options and self.options:
            raise ValueError(f"type {self.type} takes no 'options'")
        if (self.type in ("array", "multiple")) != bool(self.subquestions):
            raise ValueError("'subquestions' belong to types array and multiple, and only there")
        if self.type == "numeric" and self.range is None:
            raise ValueError("type numeric needs 'range: [min, max]'")
        if self.other is not None and self.type not in ("single", "multiple"):
            raise ValueError("'other' belongs to types single and multiple")
        if self.type == "single" and (self.other is None) != (self.other_value is None):
            raise ValueError("a single choice with 'other' needs 'other_value' (and only then)")
        return self


class ScoringGroup(_Strict):
    items: list[str] = Field(min_length=1)
    points: dict[float, float] = Field(min_length=2, description="item value: points")


class Scale(_Strict):
    label: str
    source: str
    scoring: list[ScoringGroup] = Field(min_length=1)
    min_answered: int = Field(ge=1, description="fewer answered items give NA; otherwise prorated")
    multiply: float = 1.0
    method: Literal["sum", "mean"] = "sum"
    reflective: bool = Field(True, description="items measure one construct (Cronbach's alpha applies); false for counts and indices")

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
    at_most: float | None = None

    @model_validator(mode="after")
    def _one(self) -> "Condition":
        if sum(x is not None for x in (self.in_, self.below, self.at_least, self.at_most)) != 1:
            raise ValueError("a condition has exactly one of 'in', 'below', 'at_least', 'at_most'")
        return self

    def describe(self) -> str:
        if self.in_ is not None:
            return "waarde " + " of ".join(f"{v:g}" for v in self.in_)
        if self.below is not None:
            return f"lager dan {self.below:g}"
        if self.at_least is not None:
            return f"{self.at_least:g} of hoger"
        return f"{self.at_most:g} of lager"


class Universe(Condition):
    """Who counts in the denominator: respondents whose ``of`` meets the condition."""

    of: str
    label: str = Field(description="Dutch description of the universe, for the report")


class Indicator(_Strict):
    id: str = Field(pattern=ID)
    domain: Literal[tuple(DOMAINS)]  # type: ignore[valid-type]
    label: str = Field(description="Dutch label used in the report")
    kind: Literal["proportion", "mean"]
    of: str = Field(description="item, sub-question or scale id")
    condition: Condition | None = None
    universe: Universe | None = None
    groups: list[str] | None = Field(None, description="grouping variables; default: wave.yaml estimation.groups")
    unit: str = ""
    source: str = ""

    @model_validator(mode="after")
    def _condition(self) -> "Indicator":
        if (self.kind == "proportion") != (self.condition is not None):
            raise ValueError("a proportion needs a 'condition', a mean takes none")
        return self


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a specification: the key path and what is wrong."""

    key: str
    message: str

    def sentence(self, path: Path | str) -> str:
        return f"{shown(path)}: key '{self.key}': {self.message}."


class Questionnaire(_Strict):
    title: dict[str, str]
    base_language: str
    languages: dict[str, Language]
    groups: dict[str, Group] = Field(min_length=1)
    items: dict[str, Item]
    scales: dict[str, Scale] = Field(default_factory=dict)
    indicators: list[Indicator] = Field(min_length=1)
    _translations: dict = PrivateAttr(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Questionnaire":
        """Load and validate ``questionnaire.yaml`` with its ``translations/*.yaml``; the first
        problem is raised, naming the key."""
        q, found = _read(path)
        if found:
            more = f" ({len(found) - 1} more: run 'rapportage validate')" if len(found) > 1 else ""
            raise PipelineError(found[0].rstrip(".") + more + ".")
        return q

    @property
    def translation_files(self) -> dict[str, TranslationFile]:
        """The translation file of each language that has one (texts, statuses, source hashes)."""
        return self._translations

    # ---------------------------------------------------------------- derived views
    def variables(self) -> dict[str, tuple[str, Item]]:
        """Analysis variable id -> (export column, item), one per answer column."""
        out: dict[str, tuple[str, Item]] = {}
        for item_id, item in self.items.items():
            if item.subquestions:
                for sq in item.subquestions:
                    out[sq.id] = (f"{item.code}[{sq.code}]", item)
                if item.other is not None:  # multiple choice: the 'other' box, ticked when text was given
                    out[f"{item_id}_anders"] = (f"{item.code}[other]", item)
            else:
                out[item_id] = (item.code, item)
        return out

    def other_text_columns(self) -> dict[str, str]:
        """Export columns holding 'other, namely …' texts: item id -> column. Never analysed."""
        return {item_id: f"{item.code}[other]" for item_id, item in self.items.items() if item.other is not None}

    def item_of(self, variable: str) -> tuple[str, Item]:
        """(item id, item) holding an analysis variable."""
        for item_id, item in self.items.items():
            if item_id == variable or variable == f"{item_id}_anders" or any(sq.id == variable for sq in item.subquestions):
                return item_id, item
        raise KeyError(variable)

    def complete_languages(self) -> list[str]:
        """Languages with a text for every entry (whatever its status), base language first."""
        rest = [c for c in self.languages if c != self.base_language and all(t.get(c) for _, t in self.texts())]
        return [self.base_language, *rest]

    def indicator(self, indicator_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == indicator_id:
                return ind
        raise KeyError(indicator_id)

    def texts(self) -> list[tuple[str, dict[str, str]]]:
        """Every translatable text with its key path."""
        out: list[tuple[str, dict[str, str]]] = [("title", self.title)]
        out += [(f"groups.{g}.text", grp.text) for g, grp in self.groups.items()]
        for item_id, item in self.items.items():
            out.append((f"items.{item_id}.text", item.text))
            if item.other is not None:
                out.append((f"items.{item_id}.other", item.other))
            out += [(f"items.{item_id}.options.{o.code}.label", o.label) for o in item.options]
            out += [(f"items.{item_id}.subquestions.{s.id}.text", s.text) for s in item.subquestions]
        return out


def _read(path: Path) -> tuple[Questionnaire, list[str]]:
    """The questionnaire with its translations merged in, and every problem as a sentence."""
    q = load_yaml_model(path, Questionnaire)
    found = [Problem(f"{key}.{lang}", f"a text in {lang!r} belongs in translations/{lang}.yaml, not in questionnaire.yaml, "
                                      "which holds the base language only (README, 'Translations')").sentence(path)
             for key, text in q.texts() for lang in sorted(set(text) - {q.base_language})]
    found += [p.sentence(path) for p in problems(q)]
    if not found:
        q._translations = load_files(path, list(q.languages))
        for key, text in q.texts():
            for code, tf in q._translations.items():
                entry = tf.texts.get(key)
                if entry is not None:
                    text[code] = entry.text
    return q, found


def problems(q: Questionnaire) -> list[Problem]:
    """Everything that spans entries of a specification: references, the Dutch texts, uniqueness.
    (Translations are checked by ``rapportage validate`` and ``rapportage lss``.)"""
    found: list[Problem] = []
    add = lambda key, msg: found.append(Problem(key, msg))  # noqa: E731
    if q.base_language not in q.languages:
        add("base_language", f"{q.base_language!r} is not declared under 'languages'")
    for key, text in q.texts():
        if not text.get(q.base_language, "").strip():
            add(f"{key}.{q.base_language}", f"no text in the base language {q.base_language!r}")
        for lang in set(text) - set(q.languages):
            add(f"{key}.{lang}", f"text in undeclared language {lang!r}")
    codes: dict[str, str] = {}
    variables = q.variables()
    for item_id, item in q.items.items():
        where = f"items.{item_id}"
        if item.code.lower() in codes:
            add(f"{where}.code", f"LimeSurvey code {item.code!r} is also used by item {codes[item.code.lower()]!r}")
        codes[item.code.lower()] = item_id
        if item.group not in q.groups:
            add(f"{where}.group", f"group {item.group!r} is not declared under 'groups'")
        for kind, seen in (("option code", [o.code for o in item.options]),
                           ("sub-question code", [s.code for s in item.subquestions])):
            dup = {c for c in seen if seen.count(c) > 1}
            if dup:
                add(where, f"{kind}s {sorted(dup)} occur more than once")
        for i, f in enumerate(item.filter):
            if f.item not in variables:
                add(f"{where}.filter.{i}.item", f"filter names unknown item {f.item!r}")
                continue
            _, target = q.item_of(f.item)
            allowed = _answer_codes(target)
            if allowed is not None and set(f.codes) - allowed:
                add(f"{where}.filter.{i}.codes", f"codes {sorted(set(f.codes) - allowed)} are not answer codes of {f.item!r}")
            if list(q.items).index(q.item_of(f.item)[0]) >= list(q.items).index(item_id):
                add(f"{where}.filter.{i}.item", f"filter item {f.item!r} is not asked before {item_id!r}")
    # the ids of array / multiple-choice items hold no value of their own: their sub-questions do
    names = [s.id for item in q.items.values() for s in item.subquestions]
    names += [k for k, item in q.items.items() if not item.subquestions] + list(q.scales)
    for name in sorted({n for n in names if names.count(n) > 1}):
        add("items", f"id {name!r} names more than one variable (items, sub-questions and scales share one namespace)")
    for scale_id, scale in q.scales.items():
        for g, group in enumerate(scale.scoring):
            for v in group.items:
                if v not in variables:
                    add(f"scales.{scale_id}.scoring.{g}.items", f"scale names unknown item {v!r}")
    ids = [i.id for i in q.indicators]
    for n, ind in enumerate(q.indicators):
        where = f"indicators.{n}({ind.id})"
        if ids.count(ind.id) > 1:
            add(f"{where}.id", f"indicator id {ind.id!r} occurs more than once")
        if ind.of not in set(variables) | set(q.scales):
            add(f"{where}.of", f"'of' names unknown item or scale {ind.of!r}")
        if ind.universe is not None and ind.universe.of not in set(variables) | set(q.scales):
            add(f"{where}.universe.of", f"universe names unknown item or scale {ind.universe.of!r}")
        for key, cond, of in (("condition", ind.condition, ind.of), ("universe", ind.universe, getattr(ind.universe, "of", None))):
            if cond is None or cond.in_ is None or of not in variables:
                continue
            values = _values(q.item_of(of)[1])
            unknown = sorted(set(cond.in_) - values) if values is not None else []
            if unknown:
                add(f"{where}.{key}.in", f"values {[f'{v:g}' for v in unknown]} are not values of {of!r} "
                                         f"(its values: {', '.join(f'{v:g}' for v in sorted(values or ()))})")
    for domain in DOMAINS:
        if not any(i.domain == domain for i in q.indicators):
            add("indicators", f"domain {domain!r} has no indicator")
    return found


def _values(item: Item) -> set[float] | None:
    """The values an item takes in the analysis (its options' ``value``, 1/0 for yes/no and a
    ticked box); None where any number in its range may occur."""
    if item.type in ("yesno", "multiple"):
        return {0.0, 1.0}
    if item.options:
        return {o.value for o in item.options if o.value is not None}
    return None


def _answer_codes(item: Item) -> set[str] | None:
    if item.type == "yesno":
        return {"Y", "N"}
    if item.type == "multiple":
        return {"Y"}
    if item.options:
        return {o.code for o in item.options}
    return None


def check_file(path: Path) -> tuple[Questionnaire | None, list[str]]:
    """Every problem of a questionnaire file (and its translation files) as a sentence (empty
    when it is valid)."""
    try:
        return _read(path)
    except PipelineError as exc:
        return None, [str(exc)]


@dataclass(frozen=True)
class Comparison:
    """How a wave's questionnaire differs from its baseline wave's (comparability)."""

    added: list[str]
    removed: list[str]
    changed: dict[str, list[str]]
    """item id -> what changed (keys such as 'text.nl', 'options', 'type')."""
    indicators_changed: dict[str, list[str]]

    def lines(self) -> list[str]:
        out = [f"added item {i!r}" for i in self.added] + [f"removed item {i!r}" for i in self.removed]
        out += [f"changed item {i!r} ({', '.join(keys)}): a changed item should get a new id" for i, keys in self.changed.items()]
        out += [f"changed indicator {i!r} ({', '.join(keys)})" for i, keys in self.indicators_changed.items()]
        return out


def _item_signature(item: Item, base: str) -> dict[str, object]:
    return {
        "code": item.code,
        "type": item.type,
        f"text.{base}": item.text.get(base),
        "options": [(o.code, o.value, o.missing, o.label.get(base)) for o in item.options],
        "subquestions": [(s.code, s.id, s.text.get(base)) for s in item.subquestions],
        "range": item.range,
        "filter": [(f.item, tuple(f.codes)) for f in item.filter],
    }


def compare(baseline: Questionnaire, current: Questionnaire) -> Comparison:
    """Items added, removed and changed (in the base-language wording, codes, values, filter)
    since the baseline wave, and indicators whose definition changed."""
    base = current.base_language
    changed: dict[str, list[str]] = {}
    for item_id in baseline.items.keys() & current.items.keys():
        old = _item_signature(baseline.items[item_id], base)
        new = _item_signature(current.items[item_id], base)
        keys = [k for k in new if old[k] != new[k]]
        if keys:
            changed[item_id] = keys
    old_ind = {i.id: i for i in baseline.indicators}
    ind_changed: dict[str, list[str]] = {}
    for ind in current.indicators:
        if ind.id in old_ind:
            a, b = old_ind[ind.id].model_dump(), ind.model_dump()
            keys = [k for k in b if k != "label" and a.get(k) != b[k]]
            if keys:
                ind_changed[ind.id] = keys
    return Comparison(
        added=[i for i in current.items if i not in baseline.items],
        removed=[i for i in baseline.items if i not in current.items],
        changed=changed,
        indicators_changed=ind_changed,
    )
