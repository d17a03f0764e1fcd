"""The contract of ``respondents.parquet``: a pandera schema and the Dutch labels stored with it.

Both are derived from the wave's configuration. The schema is strict: a column it does not know
(a token, an e-mail address, free text that slipped through) fails validation, so direct
identifiers cannot reach ``data_clean/`` unnoticed.
"""

from __future__ import annotations

import json

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq
from pandera.errors import SchemaError, SchemaErrors

from rapportage.cleaning.rules import RULES_NL
from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.codebook import MISSING_NL
from rapportage.scoring.items import INDICATOR_PREFIX, MISSING_REASONS, REASON_SUFFIX

LABELS_KEY = b"rapportage.labels"
IDENTIFIERS = {"token", "email", "ipaddr", "firstname", "lastname", "seed", "id", "startdate", "submitdate", "datestamp", "refurl"}


def respondents_schema(wave: Wave) -> pa.DataFrameSchema:
    q, c = wave.questionnaire, wave.cleaning
    cols: dict[str, pa.Column] = {
        "respondent_key": pa.Column(str, pa.Check.str_matches(r"^[0-9a-f]{20}$"), unique=True),
        "survey_id": pa.Column(int, pa.Check.isin(wave.config.limesurvey.survey_ids)),
        "language": pa.Column("category", pa.Check.isin(wave.config.languages)),
        "duration_seconds": pa.Column(float, pa.Check.ge(0), nullable=True),
    }
    for var in c.frame_variables:
        cols[var] = pa.Column("category", pa.Check.isin(list(wave.population.variables[var].categories)))
    for var, (_, item) in q.variables().items():
        if item.type == "text":
            continue
        if item.type == "date":
            cols[var] = pa.Column("datetime64[ns]", nullable=True, required=False)
        elif item.type == "numeric":
            lo, hi = item.range  # type: ignore[misc]
            cols[var] = pa.Column(float, pa.Check.in_range(lo, hi), nullable=True, required=False)
        elif item.type in ("yesno", "multiple"):
            cols[var] = pa.Column(float, pa.Check.isin([0.0, 1.0]), nullable=True, required=False)
        else:
            cols[var] = pa.Column(float, pa.Check.isin([o.value for o in item.options if o.value is not None]),
                                  nullable=True, required=False)
        cols[var + REASON_SUFFIX] = pa.Column("category", pa.Check.isin(MISSING_REASONS), nullable=True)
    for scale_id in q.scales:
        cols[scale_id] = pa.Column(float, nullable=True)
    for ind in q.indicators:
        check = pa.Check.isin([0.0, 1.0]) if ind.kind == "proportion" else None
        cols[INDICATOR_PREFIX + ind.id] = pa.Column(float, check, nullable=True)
    flags = ["partial", "speeders", "straightlining", *[r.name for r in c.consistency]]
    for flag in flags:
        cols[f"flag_{flag}"] = pa.Column(bool, required=False)
    return pa.DataFrameSchema(cols, strict=True, coerce=False, name=f"respondents of wave {wave.id}")


def validate_respondents(wave: Wave, respondents: pd.DataFrame) -> None:
    """Raise one clear sentence when the clean table breaks its contract."""
    bad = sorted(IDENTIFIERS & set(respondents.columns))
    if bad:
        raise PipelineError(f"the clean table of wave {wave.id!r} would contain direct identifiers {bad}; nothing was written.")
    try:
        respondents_schema(wave).validate(respondents, lazy=True)
    except (SchemaError, SchemaErrors) as exc:
        first = str(exc).strip().splitlines()
        raise PipelineError(
            f"the clean table of wave {wave.id!r} breaks its schema ({len(first)} lines, first: {first[0][:200]}); nothing was written."
        ) from None


def labels(wave: Wave, columns: list[str]) -> dict[str, dict]:
    """Dutch variable and value labels of every column, for the parquet metadata and SPSS."""
    q = wave.questionnaire
    out: dict[str, dict] = {"respondent_key": {"label": "Sleutel van de respondent (pseudoniem)"},
                            "survey_id": {"label": "LimeSurvey-vragenlijst"},
                            "language": {"label": "Taal van de vragenlijst",
                                         "values": {c: q.languages[c].name for c in wave.config.languages if c in q.languages}},
                            "duration_seconds": {"label": "Invulduur in seconden"}}
    for var in wave.cleaning.frame_variables:
        v = wave.population.variables[var]
        out[var] = {"label": v.label, "values": dict(v.categories)}
    for var, (_, item) in q.variables().items():
        sub = next((s for s in item.subquestions if s.id == var), None)
        text = item.text[q.base_language] + (f" — {sub.text[q.base_language]}" if sub else "")
        values = {}
        if item.type in ("yesno", "multiple"):
            values = {"1": "ja", "0": "nee"} if item.type == "yesno" else {"1": "aangekruist", "0": "niet aangekruist"}
        elif item.options:
            values = {f"{o.value:g}": o.label[q.base_language] for o in item.options if o.value is not None}
        out[var] = {"label": text, "values": values}
        out[var + REASON_SUFFIX] = {"label": f"Reden ontbreken: {var}", "values": dict(MISSING_NL)}
    for scale_id, scale in q.scales.items():
        out[scale_id] = {"label": scale.label}
    for ind in q.indicators:
        out[INDICATOR_PREFIX + ind.id] = {"label": ind.label, "values": {"1": "ja", "0": "nee"} if ind.kind == "proportion" else {}}
    for col in columns:
        if col.startswith("flag_"):
            rule = col[5:]
            desc = RULES_NL.get(rule) or next((r.description for r in wave.cleaning.consistency if r.name == rule), rule)
            out[col] = {"label": f"Vlag: {desc}"}
    return {c: out[c] for c in columns if c in out}


def parquet_with_labels(wave: Wave, respondents: pd.DataFrame) -> bytes:
    """Parquet bytes of the table with its Dutch labels as schema metadata (deterministic)."""
    table = pa_arrow.Table.from_pandas(respondents, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[LABELS_KEY] = json.dumps(labels(wave, list(respondents.columns)), ensure_ascii=False, sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(meta)
    sink = pa_arrow.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def read_labels(path) -> dict[str, dict]:
    return json.loads(pq.read_schema(path).metadata[LABELS_KEY])
