"""The reviewer's bundle (``rapportage export --format bundle``): a folder with which someone outside
the project reproduces every key figure of the report in R or SPSS, without the pipeline.

What it holds (``data_clean/<wave>/export/bundle/`` or ``--output``):

- ``respondenten_<wave>.sav`` and ``.csv``: one row per respondent with the final weight
  (``weight``), the weight the calibration starts from (``base_weight``), the calibration
  variables (``weighting.margins`` of population.yaml), the other quasi-identifiers, every item,
  scale and indicator (``ind_*``). In the .sav: no string variables at all (text categories are
  numbered 1..k with value labels ``code: label``, so R ``foreign`` keeps every value label), codes
  with format F*.0, measure levels, and the missing-value codes of questionnaire.yaml (98 weet ik
  niet, 99 wil ik niet zeggen) as SPSS user-missing values.
- ``populatie.csv``: the registry totals the weights are calibrated to.
- ``indicatoren.csv``: every indicator, its kind and where the report shows it.
- ``kerncijfers_pipeline.csv``: the pipeline's figures (``estimates.parquet``), overall and by the
  groups the bundle holds exactly, to compare with.
- ``reproduceer.R``: R ``survey`` only: svydesign → calibrate → svymean/svyciprop, written to
  ``kerncijfers_R.csv`` and compared with ``kerncijfers_pipeline.csv`` (to 1e-6).
- ``reproduceer.sps``: CSPLAN + CSDESCRIPTIVES (SPSS cannot calibrate: same estimates, larger SEs).
- ``codeboek.csv`` and ``LEESMIJ.md`` (Dutch): what is where, how to run it, what was blanked.

Disclosure: dates are a year and the rows are in a random order without respondent key, as in the
other exports. The calibration variables are kept exact (a blanked category cannot be calibrated,
so the weights and every standard error could not be reproduced); the other quasi-identifiers are
made k-anonymous *within* each combination of the calibration variables, which is k-anonymity on
all of them wherever that combination is shared by at least k respondents. Respondents whose
combination is rarer keep it (the calibration needs it) and lose every other quasi-identifier; the
LEESMIJ says how many there are. Nobody is dropped.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from rapportage import manifest
from rapportage.cleaning.schema import read_labels
from rapportage.config import Wave
from rapportage.contracts import WeightingReport
from rapportage.csvfiles import csv_bytes
from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import DOMAINS
from rapportage.scoring.items import INDICATOR_PREFIX, REASON_SUFFIX
from rapportage.stages.export import enough_for_k
from rapportage.statistics.disclosure import OVERALL, Anonymised, k_anonymise

YEAR_SUFFIX = "_jaar"
SCRIPT_OUTPUTS = ("kerncijfers_R.csv", "reproduceer.csaplan")
"""What reproduceer.R and reproduceer.sps write into the bundle's folder."""
TOTAL_ROW = "(totaal)"
"""``variabele`` of the row of ``populatie.csv`` that holds the population total N."""
MEASURES = ("nominal", "ordinal", "scale")
SAV_LABEL_BYTES = 255  # SPSS: variable labels of at most 255 bytes (UTF-8)
SAV_VALUE_LABEL_BYTES = 120  # SPSS: value labels of at most 120 bytes
WEIGHT_LABELS = {
    "weight": "Eindgewicht: het basisgewicht gekalibreerd op de registertotalen van populatie.csv",
    "base_weight": "Basisgewicht waarvan de kalibratie uitgaat (ontwerpgewicht)",
}


@dataclass(frozen=True)
class BundleAnonymised(Anonymised):
    """What was blanked in the bundle: :class:`Anonymised` over the quasi-identifiers other than
    the calibration variables (k-anonymous within each combination of those), plus what could
    not be protected without blanking a calibration variable."""

    exact: tuple[str, ...]
    """The calibration variables, kept exact."""
    rare_respondents: int
    """Respondents whose combination of the calibration variables fewer than k share."""
    unique_respondents: int
    """Of those, respondents who are the only one with their combination."""
    rare_combinations: int


@dataclass(frozen=True)
class _Column:
    """One variable of the respondent file and how the .sav declares it."""

    name: str
    label: str
    measure: str
    values: dict[float, str]
    """Value labels of the numeric codes (text categories: their numbers 1..k)."""
    missing: dict[float, str]
    """Missing-value codes (user-missing in SPSS) with their labels."""
    categories: list[str] | None = None
    """Text categories, in the order of their numbers in the .sav (None: a numeric variable)."""
    note: str = ""


def write_bundle(wave: Wave, target_dir: Path | None = None) -> tuple[list[Path], BundleAnonymised]:
    """Write the bundle; returns its files and what was blanked. Everything is checked before
    the first file is written, and the files are written together (atomically)."""
    clean = wave.clean_dir
    respondents_path, weights_path = clean / "respondents.parquet", clean / "weights.parquet"
    for path, stage in ((respondents_path, "clean"), (weights_path, "weight"), (clean / "weighting.json", "weight"),
                        (clean / "estimates.parquet", "estimate")):
        if not path.is_file():
            raise PipelineError(f"data_clean/{wave.id}/{path.name} is missing, and a bundle needs the weights and the key "
                                f"figures it reproduces; run 'rapportage {stage} --wave {wave.id}' first.")
    _check_current(wave)
    from rapportage.stages.pipeline import design_for

    design = design_for(wave)  # refuses weights that do not belong to the respondents or miss the margins
    report = WeightingReport.read(clean / "weighting.json")
    respondents = pd.read_parquet(respondents_path)
    weights = pd.read_parquet(weights_path)
    labels = read_labels(respondents_path)
    table, columns, anonymised = bundle_table(wave, respondents, weights, labels)
    estimates = pd.read_parquet(clean / "estimates.parquet")
    groups = reproducible_groups(wave, anonymised)
    out = target_dir or clean / "export" / "bundle"
    name = f"respondenten_{wave.id}"
    files = {
        out / f"{name}.sav": _sav_bytes(table, columns, _notes(wave, anonymised)),
        out / f"{name}.csv": csv_bytes(_csv_table(table, columns)),
        out / "populatie.csv": csv_bytes(population_table(wave)),
        out / "indicatoren.csv": csv_bytes(indicator_table(wave, groups)),
        out / "kerncijfers_pipeline.csv": csv_bytes(pipeline_figures(wave, estimates, groups)),
        out / "codeboek.csv": csv_bytes(_codebook(columns)),
        out / "reproduceer.R": r_script(wave, report, groups).encode("utf-8"),
        out / "reproduceer.sps": spss_syntax(wave, groups, [c.name for c in columns]).encode("utf-8"),
        out / "LEESMIJ.md": readme(wave, report, anonymised, groups, design.n, columns).encode("utf-8"),
    }
    manifest.remove_stale_temporaries(list(files))
    manifest.atomic_write_all(files)
    for made in SCRIPT_OUTPUTS:  # what the scripts wrote from an earlier bundle no longer belongs to this one
        (out / made).unlink(missing_ok=True)
    return list(files), anonymised


def _check_current(wave: Wave) -> None:
    """The bundle reproduces ``estimates.parquet``, so it must have been made from the
    respondents, weights and configuration there now (the estimate stage's manifest)."""
    from rapportage.stages.pipeline import _check_upstream

    clean = wave.clean_dir
    inputs = [clean / "respondents.parquet", clean / "weights.parquet", clean / "weighting.json"]
    _check_upstream(wave, [*inputs, clean / "estimates.parquet"])
    path = clean / "estimate.manifest.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        raise PipelineError(f"data_clean/{wave.id}/estimate.manifest.json is missing or unreadable, so it is unknown what "
                            f"estimates.parquet was made from; run 'rapportage estimate --wave {wave.id}' first.") from None
    stale = [p.name for p in inputs if (record.get("inputs") or {}).get(manifest.project_path(p, wave.root))
             != manifest.sha256_file(p)]
    if record.get("config_sha256") != wave.config_sha256():
        stale.append(f"surveys/{wave.id}/")
    if stale:
        raise PipelineError(f"data_clean/{wave.id}/estimates.parquet was made before the latest change of {' and '.join(stale)}, "
                            f"so a bundle would not reproduce it; run 'rapportage estimate --wave {wave.id}' first.")


# --------------------------------------------------------------------------- the respondent file
def calibration_variables(wave: Wave) -> list[str]:
    """The variables of ``weighting.margins`` (both parts of an ``a*b`` margin), in order."""
    return list(dict.fromkeys(part for margin in wave.population.weighting.margins for part in margin.split("*")))


def bundle_table(wave: Wave, respondents: pd.DataFrame, weights: pd.DataFrame,
                 labels: dict[str, dict]) -> tuple[pd.DataFrame, list[_Column], BundleAnonymised]:
    """The respondent file (text categories as text, codes as numbers, 98/99 where the
    questionnaire's missing-value codes were answered), its variables, and what was blanked."""
    q = wave.questionnaire
    table = respondents.merge(weights[["respondent_key", "weight", "base_weight"]], on="respondent_key", how="inner",
                              validate="one_to_one")
    table = table.sort_values("respondent_key").reset_index(drop=True)  # the same data is blanked the same way
    exact = calibration_variables(wave)
    dates = {}
    for name in wave.date_items():
        if name in table.columns:
            table[name + YEAR_SUFFIX] = table[name].dt.year.astype("Int64")
            dates[name] = name + YEAR_SUFFIX
    identifiers = [dates.get(v, v) for v in wave.quasi_identifiers()]
    unknown = [v for v in identifiers + exact if v not in table.columns]
    if unknown:
        raise PipelineError(
            f"surveys/{wave.id}: 'disclosure.export.quasi_identifiers' (wave.yaml) or 'weighting.margins' (population.yaml) "
            f"name {', '.join(dict.fromkeys(unknown))}, which data_clean/{wave.id}/respondents.parquet does not have; rerun "
            f"'rapportage clean --wave {wave.id}' or correct the list."
        )
    k = enough_for_k(wave, table)
    for v in exact:  # compared as text, as the calibration does (rapportage.statistics.weighting.margin_values)
        table[v] = table[v].astype("string")
    others = [v for v in identifiers if v not in exact]
    anonymised = anonymise_within(table, exact, others, k)
    table = anonymised.table.copy()

    columns: list[_Column] = [_Column("volgnummer", "Volgnummer in deze bundel (willekeurige volgorde, niet te koppelen)",
                                      "nominal", {}, {})]
    columns += [_Column(w, WEIGHT_LABELS[w], "scale", {}, {}) for w in ("weight", "base_weight")]
    for v in exact:
        columns.append(_text_column(wave, v, labels, table[v], note="exact: kalibratievariabele"))
    for v in others:
        count = anonymised.blanked.get(v, 0)
        note = f"{count} waarden leeggemaakt (k-anonimiteit binnen de kalibratiecellen)"
        if v in dates.values():
            original = next(d for d, y in dates.items() if y == v)
            label = f"Jaar: {labels.get(original, {}).get('label', original)}"
            columns.append(_Column(v, label, "scale", {}, {}, note=f"datum afgerond op het jaar; {note}"))
        elif _is_text(table[v]):
            columns.append(_text_column(wave, v, labels, table[v], note=note))
        else:
            columns.append(_number_column(wave, v, labels, note=note))
    placed = {c.name for c in columns}
    for var, (_, item) in q.variables().items():
        if item.type in ("text", "date") or var in placed or var not in table.columns:
            continue
        codes = _missing_codes(item, q.base_language)
        reasons = table.get(var + REASON_SUFFIX)
        if reasons is not None:
            for reason, (code, _) in codes.items():
                table[var] = table[var].mask((reasons == reason).fillna(False).to_numpy(), float(code))
        columns.append(_number_column(wave, var, labels, item=item, missing={c: lab for c, lab in codes.values()}))
    columns += [_number_column(wave, s, labels, measure="scale") for s in q.scales if s not in placed]
    for ind in q.indicators:
        columns.append(_number_column(wave, INDICATOR_PREFIX + ind.id, labels,
                                      measure="nominal" if ind.kind == "proportion" else "scale"))
    # no respondent_key, and a fresh random order: two bundles (or a bundle and an export) cannot be
    # joined to read a value blanked in one from the other
    order = np.random.default_rng().permutation(len(table))
    safe = table.iloc[order].reset_index(drop=True)
    safe.insert(0, "volgnummer", np.arange(1, len(safe) + 1))
    safe = safe[[c.name for c in columns]]
    return safe, columns, dataclasses.replace(anonymised, table=safe)


def anonymise_within(table: pd.DataFrame, exact: list[str], others: list[str], k: int) -> BundleAnonymised:
    """Blank values of ``others`` (never of ``exact``) so that every respondent shares the values
    of all quasi-identifiers with at least k - 1 others, a blank matching any value: the greedy
    method of :func:`k_anonymise` applied within each combination of the ``exact`` variables
    (which are never blank, so classes never cross two combinations). A combination of fewer
    than k respondents cannot be protected without blanking an exact variable: its respondents
    lose every value of ``others``, and are counted."""
    blank = pd.DataFrame(False, index=table.index, columns=others)
    rare = unique = combinations = 0
    if others:
        for _, rows in table.groupby(exact, sort=True, observed=True, dropna=False).groups.items():
            part = table.loc[rows]
            if len(part) < k:
                rare, unique, combinations = rare + len(part), unique + (len(part) == 1), combinations + 1
                blank.loc[rows] = part[others].notna().to_numpy()
            else:
                result = k_anonymise(part, others, k)
                blank.loc[rows] = (result.table[others].isna() & part[others].notna()).to_numpy()
    else:
        sizes = table.groupby(exact, sort=True, observed=True, dropna=False).size()
        rare, unique, combinations = int(sizes[sizes < k].sum()), int((sizes == 1).sum()), int((sizes < k).sum())
    out = table.copy()
    for q in others:
        if blank[q].any():
            out.loc[blank[q], q] = None
    return BundleAnonymised(out, k, tuple(others), {q: int(blank[q].sum()) for q in others}, int(blank.any(axis=1).sum()),
                            tuple(exact), rare, unique, combinations)


def _is_text(series: pd.Series) -> bool:
    return isinstance(series.dtype, (pd.CategoricalDtype, pd.StringDtype)) or series.dtype == object


def _category_order(wave: Wave, name: str, values: pd.Series) -> list[str]:
    present = sorted(set(values.dropna().astype(str)))
    if name in wave.population.variables:
        declared = list(wave.population.variables[name].categories)
    elif name == "language":
        declared = [c for c in wave.config.languages] + [c for c in wave.questionnaire.languages if c not in wave.config.languages]
    else:
        declared = []
    return declared + [c for c in present if c not in declared]


def _category_label(wave: Wave, name: str, code: str, labels: dict[str, dict]) -> str:
    if name in wave.population.variables and code in wave.population.variables[name].categories:
        return wave.population.variables[name].categories[code]
    if name == "language" and code in wave.questionnaire.languages:
        return wave.questionnaire.languages[code].name
    return str((labels.get(name, {}).get("values") or {}).get(code, code))


def _text_column(wave: Wave, name: str, labels: dict[str, dict], values: pd.Series, note: str = "") -> _Column:
    cats = _category_order(wave, name, values)
    return _Column(name, labels.get(name, {}).get("label", name), "nominal",
                   {float(i): f"{c}: {_category_label(wave, name, c, labels)}" for i, c in enumerate(cats, start=1)}, {},
                   categories=cats, note=note)


def _missing_codes(item, base_language: str) -> dict[str, tuple[int, str]]:
    """The item's missing-value options as numeric codes: {reason: (code, label)}; a code that is
    not a number, or that equals an answer's value, is left out (its answers stay blank)."""
    values = {o.value for o in item.options if o.value is not None}
    out = {}
    for o in item.options:
        if o.missing is not None and o.code.isdigit() and float(o.code) not in values:
            out[o.missing] = (int(o.code), o.label.get(base_language) or o.missing)
    return out


def _number_column(wave: Wave, name: str, labels: dict[str, dict], *, item=None, missing: dict | None = None,
                   measure: str | None = None, note: str = "") -> _Column:
    meta = labels.get(name, {})
    values = {float(code): text for code, text in (meta.get("values") or {}).items()}
    if item is not None and item.options:
        base = wave.questionnaire.base_language
        for o in item.options:
            if o.value is not None and o.label.get(base):
                values[float(o.value)] = o.label[base]
    missing = missing or {}
    if measure is None:
        if item is None or item.type == "numeric":
            measure = "scale" if not values else "nominal"
        elif item.type in ("single", "array") and sum(o.value is not None for o in item.options) > 2:
            measure = "ordinal"  # answer scales (zeer goed … zeer slecht, nooit … altijd)
        else:
            measure = "nominal"  # ja/nee, aangekruist, two options
    return _Column(name, meta.get("label", name), measure, values, {float(c): lab for c, lab in missing.items()}, note=note)


# --------------------------------------------------------------------------- files
def _fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary, with … when cut."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", errors="ignore") + "…"


def _format(series: pd.Series, name: str) -> str:
    """SPSS format: F<w>.0 for whole numbers (codes, counts, years), decimals otherwise."""
    values = series.dropna().to_numpy(dtype=float)
    if values.size == 0:
        return "F8.2"
    digits = max(1, len(str(int(np.abs(values).max()))) + bool((values < 0).any()))
    if name in WEIGHT_LABELS:  # shown to 10 decimals; the file holds the full double either way
        return f"F{min(digits + 11, 40)}.10"
    if np.all(values == np.round(values)):
        return f"F{digits}.0"
    return f"F{digits + 5}.4"


def _numeric(table: pd.DataFrame, columns: list[_Column]) -> pd.DataFrame:
    """The table with text categories as their numbers 1..k (blank stays blank)."""
    data = {}
    for c in columns:
        col = table[c.name]
        if c.categories is not None:
            data[c.name] = col.astype("string").map({cat: float(i) for i, cat in enumerate(c.categories, start=1)}).astype(float)
        elif col.dtype == bool:
            data[c.name] = col.astype(float)
        else:
            data[c.name] = pd.to_numeric(col, errors="raise").astype(float)
    return pd.DataFrame(data)


def _sav_bytes(table: pd.DataFrame, columns: list[_Column], notes: list[str]) -> bytes:
    """The .sav: numbers only (no strings, so no long strings whose value labels R foreign drops),
    F*.0 for codes, measure levels, value labels and user-missing 98/99."""
    data = _numeric(table, columns)
    unknown = [c.name for c in columns if c.categories is not None and (table[c.name].notna() & data[c.name].isna()).any()]
    if unknown:
        raise PipelineError(f"the categories of {', '.join(unknown)} in the clean data are not those of the wave's "
                            "configuration; rerun 'rapportage clean' for this wave.")
    missing: dict[str, list] = {c.name: sorted(c.missing) for c in columns if c.missing}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.sav"
        pyreadstat.write_sav(
            data, str(path),
            column_labels=[_fit(c.label, SAV_LABEL_BYTES) for c in columns],
            variable_value_labels={c.name: {v: _fit(t, SAV_VALUE_LABEL_BYTES) for v, t in {**c.values, **c.missing}.items()}
                                   for c in columns if c.values or c.missing},
            missing_ranges=missing,
            variable_measure={c.name: c.measure for c in columns},
            variable_format={c.name: _format(data[c.name], c.name) for c in columns},
            note=[line for note in notes for line in textwrap.wrap(note, 80)],  # SPSS keeps notes as lines of 80 bytes
        )
        return path.read_bytes()


def _csv_table(table: pd.DataFrame, columns: list[_Column]) -> pd.DataFrame:
    """The CSV: text categories as their codes (as populatie.csv has them), whole numbers without
    decimals, other numbers to full precision; blank is missing."""
    out = {}
    for c in columns:
        col = table[c.name]
        if c.categories is not None:
            out[c.name] = col.astype("string")
        else:
            number = pd.to_numeric(col.astype(float) if col.dtype == bool else col)
            whole = number.dropna()
            out[c.name] = number.astype("Int64") if c.name not in WEIGHT_LABELS and (whole == whole.round()).all() else number
    return pd.DataFrame(out)


def _codebook(columns: list[_Column]) -> pd.DataFrame:
    def fmt(values: dict[float, str]) -> str:
        return "; ".join(f"{v:g} = {t}" for v, t in values.items())

    return pd.DataFrame([{"variabele": c.name, "label": c.label, "meetniveau": c.measure,
                          "csv": "tekst (code)" if c.categories is not None else "getal",
                          "waarden_sav": fmt(c.values), "ontbrekend_sav": fmt(c.missing), "bundel": c.note} for c in columns])


def _notes(wave: Wave, a: BundleAnonymised) -> list[str]:
    return [f"Reproductiebundel Rapportage Inburgering, meting {wave.id}: zie LEESMIJ.md.",
            f"Kalibratievariabelen exact: {', '.join(a.exact)}; gewichten: weight (eind), base_weight (basis).",
            _blanking_sentence(a)]


def _blanking_sentence(a: BundleAnonymised) -> str:
    done = ", ".join(f"{c} {n}" for c, n in a.blanked.items() if n) or "geen"
    return (f"k-anonimiteit (k = {a.k}) over {', '.join(a.quasi_identifiers) or '(geen)'} binnen elke combinatie van "
            f"{', '.join(a.exact)}: leeggemaakt {done}, bij {a.respondents_touched} respondenten; {a.rare_respondents} "
            f"respondenten delen hun combinatie van de kalibratievariabelen met minder dan {a.k - 1} anderen "
            f"({a.unique_respondents} uniek).")


def population_table(wave: Wave) -> pd.DataFrame:
    """populatie.csv: the total, then every category of every calibration margin with its count."""
    pop = wave.population
    rows = [{"variabele": TOTAL_ROW, "categorie": "", "aantal": pop.total, "label": "Populatie (N)"}]
    for margin in pop.weighting.margins:
        parts = margin.split("*")
        for category, count in pop.margins[margin].items():
            label = " × ".join(pop.variables[p].categories.get(c, c) for p, c in zip(parts, category.split("*")))
            rows.append({"variabele": margin, "categorie": category, "aantal": count, "label": label})
    return pd.DataFrame(rows)


def reproducible_groups(wave: Wave, a: BundleAnonymised) -> list[str]:
    """Groups of the report the bundle holds exactly: the calibration variables, and a text
    quasi-identifier of the report's groups of which nothing was blanked."""
    groups = list(dict.fromkeys([*wave.config.estimation.groups, *[g for i in wave.questionnaire.indicators for g in i.groups or []]]))
    return [g for g in groups if g in a.exact or (g in a.blanked and a.blanked[g] == 0
                                                  and (g in wave.population.variables or g == "language"))]


def _groups_of(wave: Wave, ind, groups: list[str]) -> list[str]:
    own = ind.groups if ind.groups is not None else wave.config.estimation.groups
    return [g for g in own if g in groups]


def _group_label(wave: Wave, group: str) -> str:
    if group == "language":
        return "Taal van de vragenlijst"
    return wave.population.variables[group].label


def _where(wave: Wave, ind, group: str, category: str) -> str:
    """Where the report prints this figure (proportions as percentages)."""
    title = DOMAINS[ind.domain]
    if group == OVERALL:
        return (f"Samenvatting, tabel 'Kerncijfers per domein, alle inburgeraars', rij '{ind.label}'; hoofdstuk '{title}', "
                f"tabel '{title}: uitkomsten naar groep', rij Totaal; Bijlage, tabblad '{title}'")
    return (f"Hoofdstuk '{title}', tabel '{title}: uitkomsten naar groep', kolom '{ind.label}', rij "
            f"'{_group_label(wave, group)}: {_category_label(wave, group, category, {})}'; Bijlage, tabblad '{title}'")


def indicator_table(wave: Wave, groups: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{"indicator": ind.id, "variabele": INDICATOR_PREFIX + ind.id, "soort": ind.kind,
                          "domein": ind.domain, "label": ind.label,
                          "universum": ind.universe.label if ind.universe is not None else "",
                          "groepen": ";".join(_groups_of(wave, ind, groups)),
                          "rapport": _where(wave, ind, OVERALL, OVERALL)} for ind in wave.questionnaire.indicators])


def pipeline_figures(wave: Wave, estimates: pd.DataFrame, groups: list[str]) -> pd.DataFrame:
    """The rows of estimates.parquet the R script reproduces: every indicator overall and by the
    groups the bundle holds exactly."""
    rows = []
    for ind in wave.questionnaire.indicators:
        own = [OVERALL, *_groups_of(wave, ind, groups)]
        part = estimates[(estimates["indicator"] == ind.id) & estimates["group"].isin(own)]
        for r in part.itertuples(index=False):
            if not math.isfinite(r.estimate):
                continue
            rows.append({"indicator": ind.id, "groep": r.group, "categorie": r.category, "n": int(r.n),
                         "schatting": r.estimate, "se": r.se, "ci_laag": r.ci_low, "ci_hoog": r.ci_high,
                         "ci_methode": r.ci_method, "betrouwbaarheid": r.confidence, "onderdrukt": bool(r.suppressed),
                         "rapport": _where(wave, ind, r.group, r.category)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- the scripts
def _r_string(text: str) -> str:
    """``text`` as an R string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _cell(text: str) -> str:
    """``text`` as one cell of a Markdown table (a | would end the cell, a line break the row)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _r_number(x: float) -> str:
    return "-Inf" if x == -math.inf else "Inf" if x == math.inf else repr(float(x))


def r_script(wave: Wave, report: WeightingReport, groups: list[str]) -> str:
    est, weighting = wave.config.estimation, wave.population.weighting
    bounds = weighting.bounds or (-math.inf, math.inf)
    settings = {
        "@@WAVE@@": wave.id,
        "@@FPC@@": est.fpc,
        "@@METHOD@@": weighting.method,
        "@@LOWER@@": _r_number(bounds[0]),
        "@@UPPER@@": _r_number(bounds[1]),
        "@@CALIBRATED@@": "TRUE" if report.calibrated else "FALSE",
        "@@CONFIDENCE@@": repr(float(est.confidence)),
        "@@SMALL_N@@": str(int(est.small_domain_n)),
        "@@GROUPS@@": ", ".join(_r_string(g) for g in groups),
    }
    text = R_TEMPLATE
    for key, value in settings.items():
        text = text.replace(key, value)
    return text


R_TEMPLATE = r'''# reproduceer.R: herberekent de kerncijfers van de Rapportage Inburgering, meting @@WAVE@@, met R en
# alleen het pakket survey (Lumley), zonder de Python-pijplijn van het rapport.
#
#   Rscript reproduceer.R                 # in de map van deze bundel
#   Rscript reproduceer.R pad/naar/bundel
#
# Leest respondenten_@@WAVE@@.csv, populatie.csv en indicatoren.csv; schrijft kerncijfers_R.csv en
# vergelijkt die met kerncijfers_pipeline.csv (de cijfers van het rapport). Eindigt met status 1
# als een schatting, standaardfout of intervalgrens meer dan 1e-6 afwijkt.
#
# Wat de pijplijn doet (rapportage.statistics.design.Design, rapportage.stages.pipeline.design_for):
#  1. ontwerp: een steekproef in een stap, svydesign(ids = ~1) met het basisgewicht (base_weight)
#     en de eindige-populatiecorrectie van estimation.fpc in wave.yaml;
#  2. kalibratie op de registertotalen van populatie.csv (population.yaml, weighting.margins) met
#     de methode van weighting.method (calibrate(calfun = ...)); het resultaat zijn de gewichten in
#     de kolom weight. De standaardfouten gebruiken de residuen op het kalibratiemodel
#     (linearisatie, zoals calibrate() in survey);
#  3. per indicator het gewogen gemiddelde (een percentage is het gemiddelde van een 0/1-variabele):
#     svymean, met een logit-interval (svyciprop, method = "logit"), het Korn-Graubard-interval
#     (svyciprop, method = "beta") bij minder dan KLEIN_DOMEIN geldige antwoorden, het exacte
#     binomiale interval bij 0% of 100% (binom.test; svyciprop geeft dan NaN) en een t-interval
#     voor een gemiddelde (confint(..., df = degf(...))). De vrijheidsgraden zijn die van het
#     domein: respondenten in de groep min 1, voor het totaal alle respondenten min 1.
#  Wie buiten het universum van een indicator valt (bijvoorbeeld 'werk zoeken' alleen voor wie
#  geen betaald werk heeft) heeft een lege ind_-waarde: na.rm = TRUE op het gekalibreerde ontwerp
#  is een domeinschatting (survey houdt de andere rijen met gewicht 0, dus het kalibratiemodel en
#  de fpc zijn die van de hele steekproef), gelijk aan subset(ontwerp, !is.na(y)).
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
map <- if (length(args) >= 1) args[1] else "."

# --- de instellingen van deze meting (surveys/@@WAVE@@/wave.yaml, population.yaml, weighting.json) ---
FPC <- "@@FPC@@"                 # "uniform": 1 - n/N (fpc in svydesign); "unit": 1 - 1/w per respondent; "none"
METHODE <- "@@METHOD@@"          # weighting.method: raking, linear of logit
GRENZEN <- c(@@LOWER@@, @@UPPER@@)     # weighting.bounds op de g-gewichten (-Inf, Inf: geen)
GEKALIBREERD <- @@CALIBRATED@@        # FALSE: getrimde gewichten zonder nieuwe kalibratie (zoals gegeven gebruikt)
BETROUWBAARHEID <- @@CONFIDENCE@@    # estimation.confidence
KLEIN_DOMEIN <- @@SMALL_N@@          # estimation.small_domain_n
GROEPEN <- c(@@GROUPS@@)  # groepen die deze bundel exact bevat
TOLERANTIE <- 1e-6

lees <- function(naam, ...) read.csv(file.path(map, naam), fileEncoding = "UTF-8", check.names = FALSE,
                                     stringsAsFactors = FALSE, ...)
pop <- lees("populatie.csv", colClasses = "character")
pop$aantal <- as.numeric(pop$aantal)
N <- pop$aantal[pop$variabele == "(totaal)"]
pop <- pop[pop$variabele != "(totaal)", ]
marges <- unique(pop$variabele)
kalvars <- unique(unlist(strsplit(marges, "*", fixed = TRUE)))
tekst <- unique(c(kalvars, GROEPEN))
ind <- lees("indicatoren.csv", colClasses = "character")
d <- lees("respondenten_@@WAVE@@.csv", colClasses = setNames(rep("character", length(tekst)), tekst), na.strings = "")

# --- de kalibratie: een factor per marge, de totalen in de volgorde van model.matrix ---
termen <- character(0)
totalen <- c(`(Intercept)` = N)
for (i in seq_along(marges)) {
  m <- marges[i]
  delen <- strsplit(m, "*", fixed = TRUE)[[1]]
  naam <- gsub("*", "_x_", m, fixed = TRUE)
  if (make.names(naam) != naam || naam %in% names(d)[!names(d) %in% delen]) naam <- paste0("marge_", i)
  waarde <- do.call(paste, c(unname(as.list(d[delen])), sep = "*"))
  rijen <- pop[pop$variabele == m, ]
  vreemd <- setdiff(unique(waarde), rijen$categorie)
  if (length(vreemd)) stop("marge ", m, ": categorie ", vreemd[1], " staat niet in populatie.csv")
  leeg <- rijen[!rijen$categorie %in% waarde, ]
  if (any(leeg$aantal > 0)) stop("marge ", m, ": categorie ", leeg$categorie[leeg$aantal > 0][1], " heeft geen respondenten")
  rijen <- rijen[rijen$categorie %in% waarde, ]  # een categorie met 0 in de populatie en zonder respondenten valt weg
  d[[naam]] <- factor(waarde, levels = rijen$categorie)
  termen <- c(termen, naam)
  if (nrow(rijen) > 1) totalen <- c(totalen, setNames(rijen$aantal[-1], paste0(naam, rijen$categorie[-1])))
}
formule <- as.formula(paste("~", paste(termen, collapse = " + ")))
d$populatie <- N
ontwerp <- function(gewicht) {
  if (FPC == "uniform") svydesign(ids = ~1, weights = gewicht, fpc = ~populatie, data = d)
  else svydesign(ids = ~1, weights = gewicht, data = d)
}
if (GEKALIBREERD) {
  # epsilon 1e-13: nauwkeuriger dan de pijplijn (weighting.tolerance in population.yaml), dus R's gewichten liggen
  # binnen die tolerantie van de kolom weight; dat wordt hieronder gecontroleerd
  des <- calibrate(ontwerp(~base_weight), formule, population = totalen, calfun = METHODE, bounds = GRENZEN,
                   epsilon = 1e-13, maxit = 500)
} else {
  des <- ontwerp(~weight)
}
afwijking_gewicht <- max(abs(weights(des) / d$weight - 1))

# fpc "unit" (1 - 1/w_i per respondent, Poisson-steekproef): survey kent die voor dit ontwerp niet, dus de
# variantie van het totaal van de (op het kalibratiemodel gecorrigeerde) invloedswaarden met de hand
se_per_eenheid <- function(y, domein) {
  w <- weights(des)
  geldig <- domein & !is.na(y)
  tw <- sum(w[geldig])
  p <- sum(w[geldig] * y[geldig]) / tw
  x <- ifelse(geldig, w * (y - p) / tw, 0)
  if (GEKALIBREERD) {
    wd <- sqrt(d$base_weight)
    mm <- model.matrix(formule, d)
    x <- w * qr.resid(qr(mm * wd), x / w * wd) / wd
  }
  n <- length(x)
  u <- (x - mean(x)) * sqrt(pmin(pmax(1 - 1 / w, 0), 1))
  sqrt(n / (n - 1) * sum(u^2))
}

alpha <- 1 - BETROUWBAARHEID
expit <- function(x) 1 / (1 + exp(-x))
schat <- function(var, soort, domein) {
  y <- d[[var]]
  geldig <- domein & !is.na(y)
  n <- sum(geldig)
  if (n == 0 || sum(domein) < 2) return(NULL)
  sub <- if (all(domein)) des else des[domein, ]
  f <- as.formula(paste0("~", var))
  m <- svymean(f, sub, na.rm = TRUE)
  p <- coef(m)[[1]]
  se <- SE(m)[[1]]
  df <- degf(sub)
  if (FPC == "unit") se <- se_per_eenheid(y, domein)
  if (soort != "proportion") {
    t <- qt(1 - alpha / 2, df)
    return(list(n = n, p = p, se = se, ci = c(p - t * se, p + t * se), methode = "t"))
  }
  if (length(unique(y[geldig])) == 1) {  # 0% of 100%: het exacte binomiale interval
    p <- y[geldig][1]
    ci <- as.numeric(binom.test(round(p * n), n, conf.level = BETROUWBAARHEID)$conf.int)
    return(list(n = n, p = p, se = 0, ci = ci, methode = "beta-n"))
  }
  if (se <= 1e-12) return(list(n = n, p = p, se = 0, ci = c(p, p), methode = "fixed"))  # vastgelegd door de kalibratie
  if (n < KLEIN_DOMEIN) {
    if (FPC == "unit") {  # de formule van svyciprop(method = "beta") met deze standaardfout
      n_eff <- p * (1 - p) / se^2 * (qt(alpha / 2, nrow(sub) - 1) / qt(alpha / 2, df))^2
      ci <- c(qbeta(alpha / 2, n_eff * p, n_eff * (1 - p) + 1), qbeta(1 - alpha / 2, n_eff * p + 1, n_eff * (1 - p)))
    } else {
      ci <- attr(svyciprop(f, sub, method = "beta", level = BETROUWBAARHEID, na.rm = TRUE), "ci")
    }
    return(list(n = n, p = p, se = se, ci = as.numeric(ci), methode = "beta"))
  }
  if (FPC == "unit") {  # de formule van svyciprop(method = "logit") met deze standaardfout
    h <- qt(1 - alpha / 2, df) * se / (p * (1 - p))
    ci <- expit(log(p / (1 - p)) + c(-h, h))
  } else {
    # summary.glm waarschuwt dat rijen met gewicht 0 (buiten het domein) niet meetellen voor de dispersie:
    # verwacht bij een domein van een gekalibreerd ontwerp, en zonder invloed op de standaardfout
    ci <- attr(suppressWarnings(svyciprop(f, sub, method = "logit", level = BETROUWBAARHEID, na.rm = TRUE)), "ci")
  }
  list(n = n, p = p, se = se, ci = as.numeric(ci), methode = "logit")
}

rijen <- list()
for (r in seq_len(nrow(ind))) {
  cellen <- list(list(groep = "totaal", categorie = "totaal", domein = rep(TRUE, nrow(d))))
  for (g in strsplit(ind$groepen[r], ";", fixed = TRUE)[[1]]) {
    niveaus <- if (g %in% pop$variabele) pop$categorie[pop$variabele == g] else character(0)
    niveaus <- c(niveaus, sort(setdiff(unique(d[[g]][!is.na(d[[g]])]), niveaus)))
    for (niveau in niveaus) {
      cellen[[length(cellen) + 1]] <- list(groep = g, categorie = niveau, domein = !is.na(d[[g]]) & d[[g]] == niveau)
    }
  }
  for (cel in cellen) {
    e <- schat(ind$variabele[r], ind$soort[r], cel$domein)
    if (is.null(e)) next
    rijen[[length(rijen) + 1]] <- data.frame(
      indicator = ind$indicator[r], label = ind$label[r], groep = cel$groep, categorie = cel$categorie, n = e$n,
      schatting = e$p, se = e$se, ci_laag = e$ci[1], ci_hoog = e$ci[2], ci_methode = e$methode,
      betrouwbaarheid = BETROUWBAARHEID, stringsAsFactors = FALSE)
  }
}
uit <- do.call(rbind, rijen)
sleutel <- function(t) paste(t$indicator, t$groep, t$categorie, sep = "|")
pijp <- if (file.exists(file.path(map, "kerncijfers_pipeline.csv"))) lees("kerncijfers_pipeline.csv", colClasses = c(
  indicator = "character", groep = "character", categorie = "character", ci_methode = "character", rapport = "character")) else NULL
if (!is.null(pijp)) uit$rapport <- pijp$rapport[match(sleutel(uit), sleutel(pijp))]
getal <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
schrijf <- uit
for (k in c("schatting", "se", "ci_laag", "ci_hoog")) schrijf[[k]] <- getal(schrijf[[k]])
write.csv(schrijf, file.path(map, "kerncijfers_R.csv"), row.names = FALSE, fileEncoding = "UTF-8",
          quote = which(names(schrijf) %in% c("indicator", "label", "groep", "categorie", "ci_methode", "rapport")))

cat(sprintf("R %s, survey %s: %d respondenten, %d indicatoren, %d cijfers in kerncijfers_R.csv\n",
            getRversion(), packageVersion("survey"), nrow(d), nrow(ind), nrow(uit)))
cat(sprintf("gewichten: grootste relatieve afwijking van de kolom weight %.2g\n", afwijking_gewicht))
fout <- afwijking_gewicht > TOLERANTIE
if (!is.null(pijp)) {
  j <- match(sleutel(uit), sleutel(pijp))
  ontbreekt <- sum(!sleutel(pijp) %in% sleutel(uit))
  verschil <- function(k, rij = rep(TRUE, nrow(uit))) {
    x <- abs(uit[[k]][rij] - pijp[[k]][j[rij]])
    if (length(x) == 0 || all(is.na(x))) 0 else max(x, na.rm = TRUE)
  }
  zelfde <- !is.na(j) & uit$ci_methode == pijp$ci_methode[j]
  v <- c(schatting = verschil("schatting"), se = verschil("se"), ci_laag = verschil("ci_laag", zelfde),
         ci_hoog = verschil("ci_hoog", zelfde))
  cat(sprintf("grootste verschil met kerncijfers_pipeline.csv: schatting %.2g, standaardfout %.2g, interval %.2g\n",
              v[["schatting"]], v[["se"]], max(v[["ci_laag"]], v[["ci_hoog"]])))
  if (sum(!zelfde) > 0) cat(sprintf("%d cijfers met een andere intervalmethode dan het rapport\n", sum(!zelfde)))
  if (ontbreekt > 0) cat(sprintf("%d cijfers van kerncijfers_pipeline.csv niet herberekend\n", ontbreekt))
  fout <- fout || any(is.na(j)) || ontbreekt > 0 || sum(!zelfde) > 0 || any(v > TOLERANTIE)
}
if (fout) {
  cat("AFWIJKING: de herberekening komt niet overeen met het rapport (zie hierboven)\n")
  quit(status = 1)
}
cat("in orde: elke herberekende waarde ligt binnen 1e-6 van het rapport\n")
'''


def spss_syntax(wave: Wave, groups: list[str], variables: list[str]) -> str:
    est = wave.config.estimation
    indicators = [INDICATOR_PREFIX + i.id for i in wave.questionnaire.indicators]
    level = f"{est.confidence * 100:g}"

    def wrap(words: list[str], indent: str = "    ") -> str:
        return "\n".join(textwrap.wrap(" ".join(words), 76, initial_indent=indent, subsequent_indent=indent))

    def csdescriptives(subpop: str | None = None) -> list[str]:
        """The indicators' weighted means with SE and interval, overall or per category of ``subpop``."""
        return ["CSDESCRIPTIVES", "  /PLAN FILE='reproduceer.csaplan'", "  /SUMMARY VARIABLES=", wrap(indicators), "  /MEAN",
                f"  /STATISTICS COUNT SE CIN({level})", *([f"  /SUBPOP TABLE={subpop} DISPLAY=LAYERED"] if subpop else []),
                "  /MISSING SCOPE=ANALYSIS CLASSMISSING=EXCLUDE."]

    if est.fpc == "uniform":
        estimator = f"  /ESTIMATOR TYPE=EQUAL_WOR\n  /POPSIZE VALUE={wave.population.total}."
        fpc_note = [f"Met de eindige-populatiecorrectie 1 - n/N, N = {wave.population.total}, zoals het rapport."]
    else:
        estimator = "  /ESTIMATOR TYPE=WR."
        fpc_note = (["Zonder eindige-populatiecorrectie, zoals het rapport (estimation.fpc: none)."] if est.fpc == "none" else
                    ["Het rapport gebruikt een correctie per respondent: 1 - 1/gewicht.",
                     "SPSS kent die niet: hier zonder correctie (WR), met nog iets grotere standaardfouten."])
    # one sentence per line, each ending with the period that ends an SPSS comment
    comments = [
        f"reproduceer.sps: de gewogen kerncijfers van de Rapportage Inburgering, meting {wave.id}.",
        "Nodig: IBM SPSS Statistics met de module Complex Samples (CSPLAN en CSDESCRIPTIVES).",
        "SPSS kan niet kalibreren, maar het eindgewicht weight is al gekalibreerd.",
        "De schattingen hieronder zijn daarom gelijk aan die van het rapport.",
        "De standaardfouten negeren de kalibratie op de registertotalen (populatie.csv).",
        "Ze zijn daardoor iets groter dan in het rapport, en de intervallen iets breder.",
        "Percentages: SPSS geeft een symmetrisch interval, het rapport een logit- of Korn-Graubard-interval.",
        "De exacte cijfers van het rapport, met kalibratie, geeft reproduceer.R.",
        *fpc_note,
        "De bestandsnamen hieronder zijn relatief: voer deze syntax uit vanuit de map van de bundel,",
        "bijvoorbeeld met INSERT FILE='C:/pad/naar/bundel/reproduceer.sps' CD=YES,",
        "of haal het sterretje weg voor de regel CD hieronder en zet daar de map van de bundel.",
    ]
    lines = [f"* {c.rstrip('.')}." for c in comments]  # every comment line ends its comment with a period
    lines += [
        "",
        "* CD 'C:/pad/naar/bundel'.",
        f"GET FILE='respondenten_{wave.id}.sav'.",
        "",
        "* Het analyseplan: een steekproef in een stap, gewogen met het eindgewicht.",
        "CSPLAN ANALYSIS",
        "  /PLAN FILE='reproduceer.csaplan'",
        "  /PLANVARS ANALYSISWEIGHT=weight",
        "  /PRINT PLAN",
        "  /DESIGN",
        estimator,
        "",
        "* Elke indicator voor alle inburgeraars (de tabel Kerncijfers per domein).",
        "* Percentages zijn hier fracties: 0.29 is 29 procent.",
        *csdescriptives(),
    ]
    for g in groups:
        if g not in variables:
            continue
        lines += ["", f"* Per categorie van {g} (de tabellen per domein, uitkomsten naar groep).", *csdescriptives(g)]
    lines += [
        "",
        "* Zonder Complex Samples: alleen de puntschattingen.",
        "* De standaardfouten van DESCRIPTIVES zijn met een gewicht niet juist.",
        "WEIGHT BY weight.",
        "DESCRIPTIVES VARIABLES=",
        wrap(indicators),
        "  /STATISTICS=MEAN.",
        "WEIGHT OFF.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- LEESMIJ.md
def readme(wave: Wave, report: WeightingReport, a: BundleAnonymised, groups: list[str], n: int,
           columns: list[_Column]) -> str:
    est, pop, weighting = wave.config.estimation, wave.population, wave.population.weighting
    name = f"respondenten_{wave.id}"
    blanked = [(q, c) for q, c in a.blanked.items() if c]
    missing_items = [c.name for c in columns if c.missing]
    method = {"raking": "raking (iteratief aanpassen aan elke marge)", "linear": "lineaire kalibratie (GREG)",
              "logit": "logit-kalibratie (begrensd)"}[weighting.method]
    fpc = {"uniform": f"de eindige-populatiecorrectie 1 − n/N (N = {pop.total:,})".replace(",", "."),
           "unit": "een eindige-populatiecorrectie per respondent (1 − 1/gewicht)",
           "none": "geen eindige-populatiecorrectie"}[est.fpc]
    lines = [
        f"# Reproductiebundel {wave.config.title}",
        "",
        f"Met deze map kan iemand buiten het project elk kerncijfer van het rapport van meting `{wave.id}` "
        "narekenen in R of SPSS, zonder de Python-pijplijn. De bundel is gemaakt met "
        f"`rapportage export --wave {wave.id} --format bundle`.",
        "",
        "Deze bundel bevat gegevens op het niveau van personen. Geef hem alleen aan wie de cijfers controleert "
        "(onder geheimhouding), publiceer hem niet en verwijder hem na de controle.",
        "",
        "## Inhoud",
        "",
        "| bestand | wat |",
        "| --- | --- |",
        f"| `{name}.sav` | SPSS-bestand: {n} respondenten, een rij per respondent, met variabele- en waardelabels, "
        "meetniveaus en de ontbrekende-waardecodes als *user missing* |",
        f"| `{name}.csv` | dezelfde gegevens als tekst (UTF-8, komma's); categorieën als hun code, zoals in `populatie.csv` |",
        "| `populatie.csv` | de registertotalen waarop gewogen is: het totaal N en per kalibratievariabele het aantal per categorie |",
        "| `indicatoren.csv` | elke indicator: variabele, soort (percentage of gemiddelde), universum en waar het rapport hem toont |",
        "| `kerncijfers_pipeline.csv` | de cijfers van het rapport (schatting, standaardfout, interval, methode), om mee te vergelijken |",
        "| `reproduceer.R` | R-script (alleen het pakket `survey`) dat de kalibratie en alle cijfers herberekent |",
        "| `reproduceer.sps` | SPSS-syntax (module Complex Samples) voor de gewogen schattingen |",
        "| `codeboek.csv` | per variabele: label, meetniveau, codes, ontbrekende waarden en wat de bundel eraan veranderde |",
        "",
        "## De variabelen",
        "",
        "- `volgnummer`: nummer van de rij in deze bundel, in willekeurige volgorde; niet te koppelen aan andere bestanden.",
        "- `weight`: het eindgewicht waarmee alle cijfers van het rapport zijn berekend; `base_weight`: het gewicht "
        "waarvan de kalibratie uitgaat.",
        f"- {', '.join(f'`{v}`' for v in a.exact)}: de kalibratievariabelen, exact (zie Bescherming).",
        f"- {', '.join(f'`{v}`' for v in a.quasi_identifiers) or '(geen)'}: de andere kenmerken die iemand van een persoon "
        "kan weten; data alleen als jaar (`…_jaar`), sommige waarden leeggemaakt (zie Bescherming).",
        "- de antwoorden op de vragen, de schaalscores en de indicatoren `ind_…` (1 = ja, 0 = nee voor een percentage; "
        "de waarde voor een gemiddelde). Een lege `ind_`-waarde: geen geldig antwoord, of buiten het universum van de indicator.",
        "",
        "In het SPSS-bestand zijn tekstcategorieën genummerd (1, 2, …) met als waardelabel `code: label`, zodat het bestand "
        "geen tekstvariabelen heeft en R (`foreign`, `haven`) alle labels leest. Codes hebben het formaat F*.0.",
        "",
        ("De antwoorden ‘weet ik niet’ en ‘wil ik niet zeggen’ hebben de codes van de vragenlijst (98 en 99); in het "
         "SPSS-bestand zijn dat *user missing values*, in de CSV gewone getallen: zet ze op NA voordat u met die vragen "
         f"rekent ({', '.join(f'`{v}`' for v in missing_items)}). De indicatoren bevatten die codes niet. "
         if missing_items else "")
        + "Een lege waarde betekent: niet gevraagd (filter), niet beantwoord of buiten het bereik van de vraag.",
        "",
        "## Zo rekent u na",
        "",
        "**R** (met het pakket `survey`, CRAN):",
        "",
        "```sh",
        "Rscript reproduceer.R            # in deze map; of: Rscript reproduceer.R pad/naar/deze/map",
        "```",
        "",
        "Het script kalibreert het basisgewicht opnieuw op `populatie.csv`, controleert dat dat de gewichten van de kolom "
        "`weight` geeft, berekent elke indicator voor alle inburgeraars en per groep, schrijft `kerncijfers_R.csv` en "
        "vergelijkt die met `kerncijfers_pipeline.csv`. Het eindigt met ‘in orde’, of met ‘AFWIJKING’ en status 1 "
        "als een schatting, standaardfout of intervalgrens meer dan 1e-6 afwijkt.",
        "",
        "**SPSS** (met de module Complex Samples): voer `reproduceer.sps` uit vanuit deze map, bijvoorbeeld met "
        "`INSERT FILE='C:/pad/naar/deze/map/reproduceer.sps' CD=YES.` (of zet de map in de regel `CD` bovenin de syntax). "
        "Het analyseplan komt in `reproduceer.csaplan`. SPSS kan niet kalibreren: de schattingen zijn gelijk aan die van het rapport, de "
        "standaardfouten en intervallen negeren de kalibratie en zijn daardoor iets groter. SPSS geeft bovendien "
        "symmetrische intervallen voor percentages, het rapport logit- of Korn–Graubard-intervallen.",
        "",
        "## Hoe de pijplijn rekent",
        "",
        f"1. Ontwerp: een steekproef in één stap (`svydesign(ids = ~1, weights = ~base_weight, …)`) met {fpc}.",
        f"2. Kalibratie: {method} van `base_weight` op de marges van `populatie.csv` "
        f"({', '.join(weighting.margins)}; `calibrate(…, calfun = \"{weighting.method}\")`"
        + (f", grenzen {weighting.bounds[0]:g}–{weighting.bounds[1]:g} op de g-gewichten" if weighting.bounds else "")
        + "). Het resultaat is `weight`."
        + ("" if report.calibrated else " Bij deze meting zijn de gewichten na de kalibratie getrimd zonder opnieuw te "
           "kalibreren; de pijplijn (en het script) gebruikt ze zoals ze zijn, zonder kalibratie in de standaardfouten."),
        "3. Schatting: het gewogen gemiddelde per indicator (een percentage is het gemiddelde van een 0/1-variabele), "
        "met een standaardfout door linearisatie met de residuen op het kalibratiemodel (zoals `calibrate()` in R).",
        f"4. Interval ({est.confidence * 100:g} %): logit-interval (`svyciprop(method = \"logit\")`); "
        f"Korn–Graubard (`method = \"beta\"`) bij minder dan {est.small_domain_n} geldige antwoorden; het exacte binomiale "
        "interval bij 0 % of 100 %; een t-interval voor een gemiddelde. Vrijheidsgraden: het aantal respondenten in de "
        "groep min 1 (voor het totaal: alle respondenten min 1). `ci_methode` zegt welk interval.",
        "5. Een indicator met een universum (bijvoorbeeld alleen wie geen betaald werk heeft) is een domeinschatting op het "
        "gekalibreerde ontwerp: wie erbuiten valt telt mee in het ontwerp, niet in het gemiddelde.",
        "",
        "## Welke rij van het rapport",
        "",
        "Het rapport toont percentages (schatting × 100, afgerond) en gemiddelden. Elke rij van `kerncijfers_R.csv` en "
        "`kerncijfers_pipeline.csv` heeft in de kolom `rapport` de plaats in het rapport. De rijen met groep `totaal`:",
        "",
        "| indicator | soort | in het rapport |",
        "| --- | --- | --- |",
    ]
    for ind in wave.questionnaire.indicators:
        kind = "percentage" if ind.kind == "proportion" else "gemiddelde"
        universe = f" (van {ind.universe.label})" if ind.universe is not None else ""
        lines.append(f"| `{ind.id}` | {_cell(kind + universe)} | {_cell(_where(wave, ind, OVERALL, OVERALL))} |")
    lines += [
        "",
        f"De rijen per groep ({', '.join(f'`{g}`' for g in groups)}) staan in de tabel ‘… uitkomsten naar groep’ van het "
        "hoofdstuk van hun domein. Een cel met te weinig respondenten staat in die tabel als ‘–’ "
        f"(percentages bij minder dan {wave.config.disclosure.min_n_percentage}, gemiddelden bij minder dan "
        f"{wave.config.disclosure.min_n} respondenten; kolom `onderdrukt` in `kerncijfers_pipeline.csv`).",
    ]
    left_out = [g for g in est.groups if g not in groups]
    if left_out:
        lines.append(f"Naar {' en '.join(f'`{g}`' for g in left_out)} rekent het script niet na: van die kenmerken zijn in deze "
                     "bundel waarden leeggemaakt (zie Bescherming).")
    lines += [
        "",
        "## Bescherming: wat is leeggemaakt en waarom",
        "",
        "- Geen sleutel van de respondent en de rijen in willekeurige volgorde: deze bundel is niet te koppelen aan een "
        "export of een andere bundel om leeggemaakte waarden terug te vinden.",
        "- Datums (zoals de aankomstdatum) alleen als jaar.",
        f"- De kalibratievariabelen ({', '.join(f'`{v}`' for v in a.exact)}) zijn **exact**: de kalibratie heeft van "
        "elke respondent de categorie van elke marge nodig. Met een leeggemaakte categorie zijn de gewichten, en dus elk "
        "cijfer en elke standaardfout, niet meer na te rekenen.",
        f"- De andere kenmerken die iemand van een persoon kan weten ({', '.join(f'`{v}`' for v in a.quasi_identifiers) or 'geen'}) "
        f"zijn k-anoniem gemaakt (k = {a.k}) binnen elke combinatie van de kalibratievariabelen: elke respondent deelt "
        f"zijn waarden op al deze kenmerken en de kalibratievariabelen samen met ten minste {a.k - 1} anderen (een lege "
        "waarde telt als elke waarde)" + (", behalve de respondenten hieronder" if a.rare_respondents else "") + ". "
        "Daarvoor zijn zo weinig mogelijk waarden leeggemaakt, het laatst genoemde kenmerk eerst: "
        + (", ".join(f"`{q}` {c}" for q, c in blanked) if blanked else "niets") + f", bij {a.respondents_touched} respondenten.",
    ]
    if a.rare_respondents:
        lines.append(
            f"- **{a.rare_respondents} respondenten** hebben een combinatie van de kalibratievariabelen die minder dan "
            f"{a.k} respondenten delen ({a.rare_combinations} combinaties; {a.unique_respondents} van hen "
            f"{'is de enige' if a.unique_respondents == 1 else 'zijn elk de enige'} met hun combinatie). Zij zijn niet "
            "weggelaten (dan klopt de kalibratie niet meer), maar hun andere kenmerken hierboven zijn allemaal leeggemaakt. "
            "Hun combinatie van de kalibratievariabelen blijft zichtbaar: nog een reden om de bundel niet te publiceren.")
    else:
        lines.append(f"- Elke combinatie van de kalibratievariabelen wordt door ten minste {a.k} respondenten gedeeld.")
    lines.append("- Het gewicht hangt af van de kalibratievariabelen"
                 + (" en van het responsmodel van het basisgewicht; het kan dus iets zeggen over de kenmerken van dat model, "
                    "ook als die zijn leeggemaakt." if report.propensity is not None else
                    " en zegt daarom niets wat de kalibratievariabelen niet al zeggen."))
    lines += ["", "Het codeboek (`codeboek.csv`, kolom `bundel`) en de notities in het SPSS-bestand noemen dezelfde aantallen.", ""]
    return "\n".join(lines)
