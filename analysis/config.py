"""Loading and validating a wave's configuration (``surveys/<wave>/*.yaml``).

Every file is validated on load with pydantic; an error names the file, the key and what was
expected, as one sentence (:class:`rapportage.errors.PipelineError`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import Field, NonNegativeInt, model_validator

from rapportage.errors import PipelineError, shown
from rapportage.questionnaire.spec import DOMAINS, Questionnaire
from rapportage.report.markup import sanitise_markdown, unsafe_markup
from rapportage.yaml_config import StrictModel, load_yaml_model, read_yaml


class _Strict(StrictModel):
    pass


# --------------------------------------------------------------------------- wave.yaml
class Fieldwork(_Strict):
    start: date
    end: date
    reminder_effect: float = Field(0.5, gt=0, le=5, description=(
        "what a reminder adds to the response it reaches, relative to the invitation (0.5: half as much again); "
        "the fieldwork monitor's recommendation assumes it"))

    @model_validator(mode="after")
    def _ordered(self) -> "Fieldwork":
        if self.end < self.start:
            raise ValueError("fieldwork end lies before its start")
        return self


Day = date  # (a field named 'date' hides the type inside its class)


class Publication(_Strict):
    """Who publishes the report, when, and whom readers can ask: shown under the title."""

    publisher: str = Field(description="e.g. 'Gemeente Utrecht'")
    date: Day | None = Field(None, description="publication date of the report")
    contact: str = Field("", description="where readers can ask about the report (phone, e-mail or web address)")


class LimeSurveySource(_Strict):
    url: str | None = Field(None, description="RemoteControl 2 JSON-RPC endpoint")
    survey_ids: list[int] = Field(min_length=1)
    timeout_seconds: float = Field(60.0, gt=0, description="HTTP time-out of one call")
    retries: int = Field(3, ge=0, le=10, description="attempts after the first on a time-out, dropped connection or HTTP 5xx")
    backoff_seconds: float = Field(2.0, ge=0, description="wait before the first retry; doubles on each next one")
    page_size: int = Field(500, ge=1, description="responses asked for per export call")
    allow_http: bool = Field(False, description="accept a plain http:// URL for a server that is not on this computer "
                                                 "(the password then crosses the network unencrypted)")

    @model_validator(mode="after")
    def _no_credentials_in_url(self) -> "LimeSurveySource":
        if self.url and "@" in (urlsplit(self.url).netloc or ""):
            raise ValueError("limesurvey.url holds a user name or password; remove it and set LIMESURVEY_URL in the "
                             "environment (or the credentials file) instead, outside the repository")
        return self


class Response(_Strict):
    """Who responds online in a synthetic wave: propensity = base x exp(sum of the effects of a
    person's categories), at most 0.95 (main effects on the log scale)."""

    base: float = Field(0.3, gt=0, le=0.95, description="propensity of a person in no category with an effect")
    effects: dict[str, dict[str, float]] = Field(default_factory=dict, description="frame variable: {category: log effect}")


class Interviews(_Strict):
    """Interviews in the own language in a synthetic wave: they reach people who would not answer
    online, with probability share x exp(sum of effects), among those not answering in the base language."""

    share: float = Field(0.0, ge=0, le=0.9)
    effects: dict[str, dict[str, float]] = Field(default_factory=dict)


class SyntheticSettings(_Strict):
    """The wave's data are made by the generator (``rapportage simulate``), not fetched; only such a
    wave's report says its figures are synthetic."""

    seed: int
    response_seed: int | None = Field(None, description="another draw of who responds from the same population "
                                      "(default: drawn on from seed)")
    snapshot: str | None = Field(None, pattern=r"^\d{8}T\d{6}Z$", description="fixed UTC snapshot name (default: the day after fieldwork)")
    pseudonym_secret: str = Field("synthetic-data-only-never-for-real-data", min_length=16,
                                  description="public, fixed: synthetic data only")
    shift: float = Field(0.0, ge=-2, le=2, description="moves every answer's latent quantity (standard deviations; positive is better)")
    response: Response = Response()
    interviews: Interviews = Interviews()


class Comparability(_Strict):
    """When a change between two waves is reported (``rapportage.stages.series``)."""

    bias_caveat: float = Field(1.5, gt=0, description="bound of the bias of a change (rapportage.stages.series), as a multiple "
                               "of the change's margin of error, above which it is 'vergelijkbaar met kanttekening' (two draws "
                               "of the same design give about 0.7 to 1.0: the sampling noise of the two response models)")
    bias_break: float = Field(3.0, gt=0, description="... above which it is 'niet vergelijkbaar'")
    mode_item: str | None = Field(None, description="item that records how someone took part (online or interview)")
    interview_codes: list[str] = Field(default_factory=list, description="answer codes of mode_item that are interviews")
    mode_shift_points: float = Field(10.0, gt=0, description="difference in the share of interviews (percentage points) "
                                     "above which a change is 'vergelijkbaar met kanttekening'")

    @model_validator(mode="after")
    def _ordered(self) -> "Comparability":
        if self.bias_break < self.bias_caveat:
            raise ValueError("comparability.bias_break is below bias_caveat")
        if self.mode_item and not self.interview_codes:
            raise ValueError("comparability.mode_item needs interview_codes")
        return self


class Estimation(_Strict):
    confidence: float = Field(0.95, gt=0.5, lt=1)
    fpc: Literal["unit", "uniform", "none"] = Field(
        "uniform", description="finite population correction: per respondent 1 - 1/w_i (unit), 1 - n/N (uniform, as R survey's fpc), or none")
    groups: list[str] = Field(default_factory=list)
    small_domain_n: int = Field(50, ge=0, description="proportions on fewer valid answers get the Korn-Graubard interval")
    multiple_testing: Literal["benjamini-hochberg", "none"] = Field(
        "benjamini-hochberg", description="adjustment of the p-values of the group tests of one report for their number")


class ExportDisclosure(_Strict):
    """The exports for researchers (``rapportage export``) are k-anonymous on these variables."""

    k: int = Field(5, ge=2, description="every respondent shares the values of the quasi-identifiers with at least k - 1 others")
    quasi_identifiers: list[str] | None = Field(
        None, min_length=1, description="variables someone could know of a person; default: cleaning.yaml frame_variables, "
                          "language and every date question (exported as a year)")


class Disclosure(_Strict):
    """Lower bounds: a cell of fewer than 5 people can identify someone, whatever a wave wants."""

    min_n: int = Field(ge=5, description="unweighted base below which a cell is suppressed")
    min_n_percentage: int = Field(30, ge=5, description="unweighted base below which a percentage is suppressed")
    export: ExportDisclosure = ExportDisclosure()

    @model_validator(mode="after")
    def _percentage_at_least_mean(self) -> "Disclosure":
        if self.min_n_percentage < self.min_n:
            raise ValueError(f"min_n_percentage ({self.min_n_percentage}) is below min_n ({self.min_n}); a percentage "
                             "needs at least as many respondents as a mean")
        return self


class WaveConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    title: str
    year: int
    base_language: str
    languages: list[str] = Field(min_length=1)
    fieldwork: Fieldwork
    baseline_wave: str | None = None
    limesurvey: LimeSurveySource
    estimation: Estimation = Estimation()
    disclosure: Disclosure
    comparability: Comparability = Comparability()
    synthetic: SyntheticSettings | None = None
    publication: Publication | None = None
    allow_markup_in_texts: bool = Field(False, description="skip the check for markup in configuration texts "
                                        "(they are shown as plain text all the same)")

    @model_validator(mode="after")
    def _base_in_languages(self) -> "WaveConfig":
        if self.base_language not in self.languages:
            raise ValueError(f"base_language {self.base_language!r} is not in languages")
        return self

    def synthetic_snapshot(self) -> str:
        """Name of a synthetic wave's snapshot: ``synthetic.snapshot``, or the day after fieldwork."""
        assert self.synthetic is not None
        return self.synthetic.snapshot or f"{self.fieldwork.end + timedelta(days=1):%Y%m%d}T000000Z"


# --------------------------------------------------------------------------- population.yaml
class Variable(_Strict):
    label: str
    categories: dict[str, str] = Field(min_length=2, description="code: Dutch label")
    plural: dict[str, str] = Field(default_factory=dict, description="code: Dutch plural for running text")

    @model_validator(mode="after")
    def _plural_keys(self) -> "Variable":
        unknown = set(self.plural) - set(self.categories)
        if unknown:
            raise ValueError(f"plural names unknown categories {sorted(unknown)}")
        return self


class Trimming(_Strict):
    upper_relative_to_mean: float = Field(gt=1, description="cap weights at this multiple of the mean weight")
    strict: bool = Field(True, description="repeat until no weight exceeds the cap (R trimWeights strict)")
    recalibrate: bool = Field(True, description="calibrate again to the margins after trimming")
    max_rounds: int = Field(200, ge=1, le=10_000, description="trim and calibrate again at most this often until the cap holds")


class Propensity(_Strict):
    variables: list[str] = Field(min_length=1, description="frame variables of the logistic response model")
    use: Literal["inverse", "classes"] = Field(description="inverse propensities, or response rates within classes")
    classes: int = Field(5, ge=2, description="number of propensity classes (use: classes)")


class Weighting(_Strict):
    method: Literal["raking", "linear", "logit"] = "raking"
    margins: list[str] = Field(min_length=1, description="margin names; 'a*b' for an interaction margin")
    bounds: tuple[float, float] | None = Field(None, description="lower and upper bound of the g-weights")
    tolerance: float = Field(gt=0, lt=1, description="max relative margin deviation")
    max_iterations: int = Field(ge=1)
    trimming: Trimming | None = None
    propensity: Propensity | None = Field(None, description="start from inverse response propensities (needs frame.csv)")

    @model_validator(mode="after")
    def _bounds(self) -> "Weighting":
        if self.bounds is not None and not self.bounds[0] < 1 < self.bounds[1]:
            raise ValueError("bounds must be [lower, upper] with lower < 1 < upper")
        if self.method == "logit" and self.bounds is None:
            raise ValueError("method logit needs bounds")
        return self


class PopulationConfig(_Strict):
    reference_date: date
    source: str
    total: int = Field(gt=0)
    variables: dict[str, Variable]
    margins: dict[str, dict[str, NonNegativeInt]]
    weighting: Weighting

    @model_validator(mode="after")
    def _consistent(self) -> "PopulationConfig":
        for name, counts in self.margins.items():
            parts = name.split("*")
            for part in parts:
                if part not in self.variables:
                    raise ValueError(f"key 'margins.{name}': no variable {part!r} under 'variables'; declare it there")
            allowed = [""]
            for part in parts:
                allowed = [f"{a}*{c}" if a else c for a in allowed for c in self.variables[part].categories]
            unknown = set(counts) - set(allowed)
            if unknown:
                raise ValueError(f"key 'margins.{name}': categories {sorted(unknown)} are not declared under "
                                 f"'variables'; declare them or correct the spelling")
            if sum(counts.values()) != self.total:
                raise ValueError(
                    f"key 'margins.{name}': counts sum to {sum(counts.values())}, not total {self.total}; "
                    "every margin must add up to the population total"
                )
        for name in self.weighting.margins:
            if name not in self.margins:
                raise ValueError(f"key 'weighting.margins': {name!r} has no counts under 'margins'; add them or remove it")
        return self


# --------------------------------------------------------------------------- cleaning.yaml
Action = Literal["drop", "flag"]


class Completeness(_Strict):
    accept_partial: bool = Field(description="keep unsubmitted questionnaires with enough core items answered")
    core_items: list[str] = Field(min_length=1, description="item ids; an array counts as answered when any row is")
    min_core_share: float = Field(gt=0, le=1)


class Duplicates(_Strict):
    same_link: Literal["keep_last_submitted", "keep_most_complete"]
    identical_answers_min_items: int = Field(ge=2, description="answered items two records must share to be copies")


class Speeders(_Strict):
    factor_of_language_median: float = Field(gt=0, lt=1, description="duration below this share of the median of the same language")
    action: Action


class Straightlining(_Strict):
    min_grid_items: int = Field(ge=3, description="grids (arrays) with at least this many rows are checked")
    min_grids: int = Field(ge=1, description="same answer on every row of at least this many grids")
    action: Action


class ValueIs(_Strict):
    variable: str
    in_: list[float] = Field(alias="in", min_length=1)


class Consistency(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    when: ValueIs
    conflicts: ValueIs
    action: Literal["flag"] = "flag"


class CleaningConfig(_Strict):
    consent_item: str
    consent_value: str
    frame_key: str = Field("token", description="export column that links a response to the frame")
    frame_variables: list[str] = Field(min_length=1, description="frame columns kept for analysis")
    age_variable: str = Field(description="frame column with the age at the reference date")
    min_age: int = Field(ge=0)
    completeness: Completeness
    duplicates: Duplicates
    speeders: Speeders
    straightlining: Straightlining
    out_of_range: Literal["set_missing", "error"] = Field(description="numeric answers outside the item's range")
    unreadable_dates_max_share: float = Field(
        0.01, ge=0, le=1, description="share of responses whose startdate or submitdate may be unreadable (counted in the "
                                      "cleaning log, not counted as submitted); above it the clean stage refuses")
    consistency: list[Consistency] = Field(default_factory=list)


# --------------------------------------------------------------------------- references.yaml
class Benchmark(_Strict):
    """A published figure for another population with the same question (shown beside the
    inburgeraars' figure: a line in its figure, a column in the key figures)."""

    indicator: str
    value: float = Field(description="a proportion as a fraction (0.74), a mean in the indicator's unit")
    population: str = Field(min_length=1, description="who the figure is about, in Dutch ('Utrechters van 18 jaar en ouder')")
    source: str = Field(min_length=1, description="publisher and publication, in Dutch")
    year: int = Field(ge=1900, le=2100)
    note: str = ""


class RegistryFigure(_Strict):
    """A count of the municipality's registry for the same concept as an indicator (the registry
    check in the Verantwoording)."""

    indicator: str
    count: NonNegativeInt
    of: int = Field(gt=0, description="the base the count is out of")
    label: str = Field(min_length=1, description="what the registry counts, in Dutch")
    source: str = Field(min_length=1)
    date: date
    note: str = ""

    @model_validator(mode="after")
    def _count_within_base(self) -> "RegistryFigure":
        if self.count > self.of:
            raise ValueError(f"count {self.count} is more than its base 'of' ({self.of})")
        return self


class References(_Strict):
    benchmarks: list[Benchmark] = Field(default_factory=list)
    registry: list[RegistryFigure] = Field(default_factory=list)


# --------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class Wave:
    """A wave's configuration and where its data lives, relative to the project ``root``."""

    root: Path
    config: WaveConfig
    population: PopulationConfig
    cleaning: CleaningConfig
    questionnaire: Questionnaire
    references: References = References()
    """``references.yaml`` (optional): benchmarks and registry figures beside the survey's."""

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def config_dir(self) -> Path:
        return self.root / "surveys" / self.id

    @property
    def text_dir(self) -> Path:
        """The researcher's own texts for the report (``tekst/*.md``), published in a safe subset of Markdown."""
        return self.config_dir / "tekst"

    def texts(self) -> list[Path]:
        return sorted(self.text_dir.glob("*.md"))

    @property
    def raw_dir(self) -> Path:
        return self.root / "data_raw" / self.id

    @property
    def clean_dir(self) -> Path:
        return self.root / "data_clean" / self.id

    @property
    def output_dir(self) -> Path:
        return self.root / "reports" / "_output" / self.id

    def date_items(self) -> list[str]:
        """Date questions: exported as a year only (a date to the day nearly identifies a person)."""
        return [name for name, item in self.questionnaire.items.items() if item.type == "date"]

    def quasi_identifiers(self) -> list[str]:
        """The variables an export is made k-anonymous on (``disclosure.export``), in the order given."""
        given = self.config.disclosure.export.quasi_identifiers
        if given is not None:
            return list(given)
        return [*self.cleaning.frame_variables, "language", *self.date_items()]

    def config_files(self) -> list[Path]:
        """The wave's configuration: its *.yaml files and the translations of the questionnaire."""
        return sorted(self.config_dir.glob("*.yaml")) + sorted((self.config_dir / "translations").glob("*.yaml"))

    def config_sha256(self, ignore: Collection[str] = ()) -> str:
        """One hash over every configuration file of the wave (name and bytes).

        ``ignore`` lists keys of ``wave.yaml`` (``"estimation.confidence"``, ``"disclosure"``) that
        the caller does not read: ``wave.yaml`` then enters the hash as its content without them,
        so a stage is not redone for a change that cannot change its outputs."""
        h = hashlib.sha256()
        for path in self.config_files():
            content = path.read_bytes()
            if ignore and path.name == "wave.yaml":
                data = read_yaml(content.decode("utf-8"))
                for key in ignore:
                    *parents, last = key.split(".")
                    node = data
                    for part in parents:
                        node = node.get(part) if isinstance(node, dict) else None
                    if isinstance(node, dict):
                        node.pop(last, None)
                content = json.dumps(data, sort_keys=True, default=str).encode()
            h.update(path.relative_to(self.config_dir).as_posix().encode() + b"\0" + content + b"\0")
        return h.hexdigest()


def load_wave(root: Path, wave_id: str) -> Wave:
    """Load and validate ``surveys/<wave_id>/`` under ``root``."""
    folder = root / "surveys" / wave_id
    if not folder.is_dir():
        known = sorted(p.name for p in (root / "surveys").glob("*") if p.is_dir())
        raise PipelineError(
            f"surveys/{wave_id}/ does not exist under {root}; known waves: {', '.join(known) or 'none'}."
        )
    config = load_yaml_model(folder / "wave.yaml", WaveConfig)
    if config.id != wave_id:
        raise PipelineError(
            f"surveys/{wave_id}/wave.yaml: key 'id' is {config.id!r} but the folder is {wave_id!r}; make them equal."
        )
    questionnaire = Questionnaire.load(folder / "questionnaire.yaml")
    if not config.allow_markup_in_texts:
        problems = markup_in_texts(folder)
        if problems:
            more = f" ({len(problems) - 1} more; 'rapportage validate' lists them)" if len(problems) > 1 else ""
            raise PipelineError(problems[0].rstrip(".") + more + ".")
    wave = Wave(
        root=root,
        config=config,
        population=load_yaml_model(folder / "population.yaml", PopulationConfig),
        cleaning=load_yaml_model(folder / "cleaning.yaml", CleaningConfig),
        questionnaire=questionnaire,
        references=load_yaml_model(folder / "references.yaml", References) if (folder / "references.yaml").is_file() else References(),
    )
    _cross_check(wave)
    return wave


def weighting_differences(now: PopulationConfig, then: PopulationConfig) -> list[str]:
    """How the weighting of a wave differs from its baseline's, in Dutch for the report ([] when the
    same): the auxiliary variables and their categories, the method and bounds, trimming and the
    response model. Estimates weighted differently are not compared as a change."""
    def margins(pop: PopulationConfig) -> dict[str, list[str]]:
        return {m: sorted(pop.margins[m]) for m in pop.weighting.margins}

    a, b = now.weighting, then.weighting
    out = []
    if sorted(a.margins) != sorted(b.margins):
        out.append(f"gewogen naar andere kenmerken (toen {_labels(then, b.margins)}; nu {_labels(now, a.margins)})")
    else:
        changed = [m for m in a.margins if margins(now)[m] != margins(then)[m]]
        if changed:
            out.append(f"andere categorieën bij het wegen naar {_labels(now, changed)}")
    if (a.method, a.bounds) != (b.method, b.bounds):
        out.append(f"andere weegmethode (toen {_method(b)}; nu {_method(a)})")
    if a.trimming != b.trimming:
        out.append("gewichten " + ("nu afgetopt" if a.trimming and not b.trimming else
                                   "nu niet meer afgetopt" if b.trimming and not a.trimming else "anders afgetopt"))
    if a.propensity != b.propensity:
        out.append("ander responsmodel voor de startgewichten")
    return out


def _method(w) -> str:
    """'raking', 'lineaire kalibratie met gewichten tussen 0,5 en 3 keer het startgewicht'."""
    name = {"raking": "raking", "linear": "lineaire kalibratie", "logit": "logit-kalibratie"}.get(w.method, w.method)
    if not w.bounds:
        return name
    low, high = (f"{v:g}".replace(".", ",") for v in w.bounds)
    return f"{name} met gewichten tussen {low} en {high} keer het startgewicht"


def _labels(pop: PopulationConfig, margins: list[str]) -> str:
    """'migratiestatus, geslacht, leeftijd en leerroute': margins by their Dutch labels ('x × y' for x*y)."""
    names = [" × ".join(pop.variables[v].label.lower() if v in pop.variables else v for v in m.split("*")) for m in margins]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


FILE_MODELS = {"wave.yaml": WaveConfig, "population.yaml": PopulationConfig, "cleaning.yaml": CleaningConfig,
               "references.yaml": References}
"""The wave's configuration files other than questionnaire.yaml, each with its model."""

TEXT_KEYS = {"title", "label", "text", "name", "native", "plural", "categories", "help", "population", "note", "publisher",
             "contact"}


def markup_in_texts(folder: Path) -> list[str]:
    """Every configuration text that holds markup (HTML, a Markdown image, a raw block, a
    shortcode, a javascript: URL, a bidirectional override), as one sentence naming file and
    key. Texts are published as plain text (``rapportage.report.markup``), so such markup would show up as
    typed, or is an attempt to get code into the page."""
    problems = []
    translations = sorted(p.relative_to(folder).as_posix() for p in (folder / "translations").glob("*.yaml"))
    for name in ("wave.yaml", "population.yaml", "questionnaire.yaml", "references.yaml", *translations):
        if not (folder / name).is_file() and name == "references.yaml":
            continue
        try:
            data = read_yaml((folder / name).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # reported by the file's own validation
        for key, text in _texts(data, ()):
            found = unsafe_markup(text)
            if found:
                shown_text = text if len(text) <= 60 else text[:57] + "…"
                problems.append(
                    f"surveys/{folder.name}/{name}: key '{key}' holds {' and '.join(found)} ({shown_text!r}); texts are "
                    "published as plain text, so remove the markup (or set allow_markup_in_texts: true in wave.yaml "
                    "to have it shown as typed)."
                )
    return problems


def _texts(node, path: tuple[str, ...]):
    """(key, text) of every string under a text key (``title``, ``label``, ``text``, …)."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _texts(v, (*path, str(k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _texts(v, (*path[:-1], f"{path[-1]}[{i}]") if path else (f"[{i}]",))
    elif isinstance(node, str) and TEXT_KEYS & {p.split("[")[0] for p in path}:
        yield ".".join(path), node


RESEARCHER_TEXTS = ("inleiding", *DOMAINS, "conclusies", "hoofdstuk", "over-deze-meting")
"""The researcher's texts the report places (``surveys/<wave>/tekst/<name>.md``): the introduction
(in the Samenvatting), an interpretation per domain (after its generated text), conclusions and
an extra chapter of their own (before the Verantwoording), and a note about the measurement."""


def researcher_text_warnings(wave: Wave) -> list[str]:
    """What the report leaves out of the researcher's texts (``tekst/*.md``): one line per file."""
    lines = [f"{shown(path)}: not placed in the report: the names it places are "
             f"{', '.join(name + '.md' for name in RESEARCHER_TEXTS)}; rename the file."
             for path in wave.texts() if path.stem not in RESEARCHER_TEXTS]
    for path in wave.texts():
        _, removed = sanitise_markdown(path.read_text(encoding="utf-8"))
        if removed:
            lines.append(f"{shown(path)}: left out of the report: {', '.join(removed)}; the report publishes "
                         "paragraphs, headings, emphasis, lists and http(s) links only.")
    return lines


def _cross_check(wave: Wave) -> None:
    """Checks that span files: names used in one file must exist in another."""
    q = wave.questionnaire
    c = wave.cleaning
    variables = q.variables()
    names: list[tuple[str, str, Collection[str]]] = [("consent_item", c.consent_item, q.items)]
    names += [(f"completeness.core_items.{i}", item, q.items) for i, item in enumerate(c.completeness.core_items)]
    for n, rule in enumerate(c.consistency):
        names += [(f"consistency.{n}.when.variable", rule.when.variable, variables),
                  (f"consistency.{n}.conflicts.variable", rule.conflicts.variable, variables)]
    for key, name, known in names:
        if name not in known:
            raise PipelineError(
                f"surveys/{wave.id}/cleaning.yaml: key '{key}' names {name!r}, which is not an item of questionnaire.yaml."
            )
    known_groups = set(wave.cleaning.frame_variables) | {"language"}
    expected = ", ".join(sorted(known_groups))
    for g in wave.config.estimation.groups:
        if g not in known_groups:
            raise PipelineError(
                f"surveys/{wave.id}/wave.yaml: key 'estimation.groups' names {g!r}; expected one of {expected}."
            )
    for n, ind in enumerate(q.indicators):
        for g in ind.groups or []:
            if g not in known_groups:
                raise PipelineError(
                    f"surveys/{wave.id}/questionnaire.yaml: key 'indicators.{n}({ind.id}).groups' names {g!r}; "
                    f"expected one of {expected}."
                )
    exportable = known_groups | {name for name, (_, item) in variables.items() if item.type in ("single", "yesno", "date")}
    for name in wave.config.disclosure.export.quasi_identifiers or []:
        if name not in exportable:
            raise PipelineError(
                f"surveys/{wave.id}/wave.yaml: key 'disclosure.export.quasi_identifiers' names {name!r}; expected a "
                "frame variable, 'language' or a single-choice, yes/no or date question of questionnaire.yaml."
            )
    indicators = {i.id: i for i in q.indicators}
    named: list[tuple[str, Benchmark | RegistryFigure]] = [
        *((f"benchmarks.{n}", b) for n, b in enumerate(wave.references.benchmarks)),
        *((f"registry.{n}", r) for n, r in enumerate(wave.references.registry))]
    for key, figure in named:
        target = indicators.get(figure.indicator)
        if target is None:
            raise PipelineError(f"surveys/{wave.id}/references.yaml: key '{key}.indicator' names {figure.indicator!r}, "
                                "which is not an indicator of questionnaire.yaml.")
        if isinstance(figure, RegistryFigure) and target.kind != "proportion":
            raise PipelineError(f"surveys/{wave.id}/references.yaml: key '{key}' compares a count with "
                                f"{figure.indicator!r}, which is a mean; a registry count belongs beside a proportion.")
        if isinstance(figure, Benchmark) and target.kind == "proportion" and not 0 <= figure.value <= 1:
            raise PipelineError(f"surveys/{wave.id}/references.yaml: key '{key}.value' is {figure.value}; "
                                f"{figure.indicator!r} is a proportion, so give it as a fraction (0.74 for 74%).")
    mode = wave.config.comparability.mode_item
    if mode is not None and mode not in q.items:
        raise PipelineError(f"surveys/{wave.id}/wave.yaml: key 'comparability.mode_item' names {mode!r}, which is not an "
                            "item of questionnaire.yaml; name the question that records online or interview, or remove the key.")
    if mode is not None:
        codes = {o.code for o in q.items[mode].options}
        wrong = [c for c in wave.config.comparability.interview_codes if c not in codes]
        if wrong or not codes - set(wave.config.comparability.interview_codes):
            raise PipelineError(f"surveys/{wave.id}/wave.yaml: key 'comparability.interview_codes' must be answer codes of "
                                f"{mode!r} ({', '.join(sorted(codes))}) and leave at least one for taking part online.")
    unknown = sorted(set(wave.config.languages) - set(q.languages))
    if unknown:
        raise PipelineError(
            f"surveys/{wave.id}/wave.yaml: key 'languages' lists {unknown}, which questionnaire.yaml does not declare."
        )
    baseline = wave.config.baseline_wave
    if baseline is not None and (baseline == wave.id or not (wave.root / "surveys" / baseline / "wave.yaml").is_file()):
        earlier = sorted(p.name for p in (wave.root / "surveys").glob("*") if p.is_dir() and p.name != wave.id)
        raise PipelineError(
            f"surveys/{wave.id}/wave.yaml: key 'baseline_wave' names {baseline!r}, which is not an earlier wave under "
            f"surveys/ (known: {', '.join(earlier) or 'none'}); correct it or set it to null."
        )
    needed = {part for name in wave.population.weighting.margins for part in name.split("*")}
    if wave.population.weighting.propensity:
        needed |= set(wave.population.weighting.propensity.variables)
    for name in sorted(needed):
        if name not in wave.cleaning.frame_variables:
            raise PipelineError(
                f"surveys/{wave.id}/population.yaml: weighting margin {name!r} is not among "
                "cleaning.yaml 'frame_variables', so respondents do not carry it."
            )
