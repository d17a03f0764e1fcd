"""The codebook of a wave: every variable of ``respondents.parquet`` explained.

Derived from the questionnaire specification and the population configuration, so it always
describes the data the clean stage writes: for each variable its origin, the question text in
every complete language, answer codes with values and labels, missing-value codes, filter, and
the scales and indicators that use it. Written as CSV (one row per variable) and Markdown.
"""

from __future__ import annotations

import io

import pandas as pd

from rapportage.config import Wave
from rapportage.csvfiles import csv_bytes
from rapportage.questionnaire.spec import DOMAINS
from rapportage.scoring.items import INDICATOR_PREFIX, MISSING_REASONS, REASON_SUFFIX

MISSING_NL = {"dont_know": "weet ik niet", "refused": "wil ik niet zeggen", "out_of_range": "buiten bereik",
              "not_applicable": "niet gevraagd (filter)", "not_answered": "niet beantwoord"}


def codebook(wave: Wave, languages: list[str] | None = None) -> pd.DataFrame:
    """One row per variable of the clean respondents table, in table order; question texts in
    ``languages``: those the survey was fielded in (default: the ones wave.yaml offers)."""
    q = wave.questionnaire
    langs = languages or wave.config.languages
    used: dict[str, list[str]] = {}
    for scale_id, scale in q.scales.items():
        for v in scale.items:
            used.setdefault(v, []).append(f"schaal {scale_id}")
    for ind in q.indicators:
        used.setdefault(ind.of, []).append(f"indicator {ind.id}")
        if ind.universe:
            used.setdefault(ind.universe.of, []).append(f"universum van {ind.id}")
    rows: list[dict[str, object]] = []

    def add(variable: str, origin: str, label: str, kind: str, values: str = "", **extra: object) -> None:
        rows.append({"variable": variable, "origin": origin, "label_nl": label, "type": kind, "values": values,
                     "used_by": "; ".join(used.get(variable, [])), **extra})

    add("respondent_key", "pseudonym", "Sleutel van de respondent (HMAC-SHA256 van de persoonlijke link)", "string")
    add("survey_id", "wave.yaml limesurvey.survey_ids", "LimeSurvey-vragenlijst waaruit de respons komt", "integer",
        "; ".join(str(i) for i in wave.config.limesurvey.survey_ids))
    for var in wave.cleaning.frame_variables:
        frame_variable = wave.population.variables[var]
        add(var, "population frame", frame_variable.label, "category",
            "; ".join(f"{c} = {lbl}" for c, lbl in frame_variable.categories.items()))
    add("language", "LimeSurvey startlanguage", "Taal van de vragenlijst", "category",
        "; ".join(f"{c} = {q.languages[c].name}" for c in langs if c in q.languages))
    add("duration_seconds", "submitdate - startdate", "Invulduur in seconden", "number")
    c = wave.cleaning
    flags = [("partial", "Afgebroken, maar genoeg kernvragen beantwoord (meegeteld)")]
    flags += [(rule, f"Gemarkeerd door opschoonregel {rule}")
              for rule, cfg in (("speeders", c.speeders), ("straightlining", c.straightlining)) if cfg.action == "flag"]
    flags += [(r.name, r.description) for r in c.consistency]
    for name, description in flags:
        add(f"flag_{name}", "cleaning.yaml", description, "boolean", "True = gemarkeerd")
    variables = q.variables()
    for var, (column, item) in variables.items():
        if item.type == "text":
            continue
        item_id, _ = q.item_of(var)
        sub = next((s for s in item.subquestions if s.id == var), None)
        texts = {f"text_{lang}": (item.text.get(lang, "") + (f" — {sub.text.get(lang, '')}" if sub else "")) for lang in langs}
        if item.type == "yesno":
            values = "Y = 1 (ja); N = 0 (nee)"
        elif item.type == "multiple":
            values = "aangekruist = 1; niet aangekruist = 0"
        elif item.type == "numeric":
            values = f"{item.range[0]:g} … {item.range[1]:g}" if item.range else ""
        elif item.type == "date":
            values = "datum"
        else:
            values = "; ".join(f"{o.code} = {o.value:g} ({o.label[q.base_language]})" for o in item.options if o.value is not None)
        missing = "; ".join(f"{o.code} = {MISSING_NL[o.missing]}" for o in item.options if o.missing)
        filt = " en ".join(f"{f.item} in {'/'.join(f.codes)}" for f in item.filter)
        add(var, f"question {column}", (sub.text if sub else item.text)[q.base_language], item.type, values,
            missing_codes=missing, filter=filt, source=item.source, **texts)
        add(var + REASON_SUFFIX, f"question {column}", f"Reden ontbreken van {var}", "category",
            "; ".join(f"{r} = {MISSING_NL[r]}" for r in MISSING_REASONS))
    for scale_id, scale in q.scales.items():
        add(scale_id, "scale", scale.label, "number",
            f"minimaal {scale.min_answered} van {len(scale.items)} items beantwoord", source=scale.source,
            items=", ".join(scale.items))
    for ind in q.indicators:
        definition = f"{ind.of}: {ind.condition.describe()}" if ind.condition else f"gemiddelde van {ind.of}"
        if ind.universe:
            definition += f"; alleen {ind.universe.label}"
        add(INDICATOR_PREFIX + ind.id, f"indicator ({DOMAINS[ind.domain]})", ind.label,
            "0/1" if ind.kind == "proportion" else "number", definition, source=ind.source)
    table = pd.DataFrame(rows)
    return table.fillna("")


def codebook_csv(table: pd.DataFrame) -> bytes:
    return csv_bytes(table)


def codebook_markdown(wave: Wave, table: pd.DataFrame) -> bytes:
    """A readable codebook: one section per origin with the Dutch labels, values and texts."""
    out = io.StringIO()
    out.write(f"# Codeboek — {wave.config.title}\n\n")
    out.write("Elke variabele van `data_clean/{0}/respondents.parquet`. Afgeleid van "
              "`surveys/{0}/questionnaire.yaml` en `population.yaml`.\n\n".format(wave.id))
    langs = [c for c in table.columns if c.startswith("text_")]
    for _, row in table.iterrows():
        if row["variable"].endswith(REASON_SUFFIX):
            continue
        out.write(f"## `{row['variable']}`\n\n{row['label_nl']}\n\n")
        out.write(f"- herkomst: {row['origin']}; type: {row['type']}\n")
        for key, name in (("values", "waarden"), ("missing_codes", "ontbrekend"), ("filter", "filter"),
                          ("items", "items"), ("used_by", "gebruikt in"), ("source", "bron")):
            if row.get(key):
                out.write(f"- {name}: {row[key]}\n")
        for col in langs:
            if row.get(col):
                out.write(f"- {col[5:]}: {row[col]}\n")
        out.write("\n")
    return out.getvalue().encode("utf-8")
