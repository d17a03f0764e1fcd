"""Exports of a wave's clean data for researchers who continue elsewhere.

``sav``: SPSS with the Dutch variable and value labels (pyreadstat); ``csv``: the table plus the
codebook; ``parquet``: the table with its labels as metadata; ``bundle``: a folder for a reviewer,
with the weights and the scripts that reproduce every key figure (:mod:`rapportage.stages.bundle`).
Only ``data_clean/`` is read, so an export can never contain more than the clean data (no tokens,
no free text).

An export is not the internal table as is: dates are coarsened to a year, and the quasi-identifiers
(``disclosure.export`` in wave.yaml) are made k-anonymous by blanking as few values as needed
(:func:`rapportage.statistics.disclosure.k_anonymise`). What was blanked is written into the codebook (csv), the
file's note (sav) and the metadata (parquet). An export has no respondent key and its rows are in a
random order, so that two exports cannot be joined to undo each other's blanking.
"""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat

from rapportage.cleaning.schema import LABELS_KEY, read_labels
from rapportage.config import Wave
from rapportage.csvfiles import csv_bytes
from rapportage.errors import PipelineError
from rapportage.manifest import atomic_write
from rapportage.statistics.disclosure import Anonymised, k_anonymise

FORMATS = ("sav", "csv", "parquet", "bundle")
EXPORT_KEY = b"rapportage.export"
YEAR_SUFFIX = "_jaar"


def export(wave: Wave, fmt: str, target_dir: Path | None = None) -> tuple[list[Path], Anonymised]:
    """Write the export; returns the files written and what was blanked. ``bundle`` writes a folder
    (``target_dir`` itself, default ``data_clean/<wave>/export/bundle/``)."""
    source = wave.clean_dir / "respondents.parquet"
    if not source.is_file():
        raise PipelineError(f"data_clean/{wave.id}/respondents.parquet is missing; run 'rapportage clean --wave {wave.id}' first.")
    if fmt not in FORMATS:
        raise PipelineError(f"export format {fmt!r} is unknown; choose one of {', '.join(FORMATS)}.")
    if fmt == "bundle":
        from rapportage.stages.bundle import write_bundle

        return write_bundle(wave, target_dir)
    table, labels = export_table(wave, pd.read_parquet(source), read_labels(source))
    out = target_dir or wave.clean_dir / "export"
    name = f"respondenten_{wave.id}"
    if fmt == "parquet":
        path = out / f"{name}.parquet"
        atomic_write(path, _parquet_bytes(table.table, labels, table.summary_nl()))
        return [path], table
    if fmt == "csv":
        files = [out / f"{name}.csv", out / f"codeboek_{wave.id}.csv"]
        atomic_write(files[0], csv_bytes(table.table))
        atomic_write(files[1], csv_bytes(_codebook(wave, table)))
        return files, table
    return [_write_sav(table.table, labels, table.summary_nl(), out / f"{name}.sav")], table


def export_table(wave: Wave, respondents: pd.DataFrame, labels: dict[str, dict]) -> tuple[Anonymised, dict[str, dict]]:
    """The table as exported: every date question as its year (``<name>_jaar``), then the
    quasi-identifiers made k-anonymous. Returns it with the labels of its columns."""
    table = respondents.sort_values("respondent_key").reset_index(drop=True)  # the same data is blanked the same way
    labels = dict(labels)
    labels["volgnummer"] = {"label": "Volgnummer in deze export (willekeurige volgorde, niet te koppelen)"}
    renamed = {}
    for name in wave.date_items():
        if name in table.columns:
            table[name] = table[name].dt.year.astype("Int64")
            renamed[name] = name + YEAR_SUFFIX
            labels[name + YEAR_SUFFIX] = {"label": f"Jaar: {labels.get(name, {}).get('label', name)}"}
            if name + "__missing" in table.columns:
                renamed[name + "__missing"] = name + YEAR_SUFFIX + "__missing"
                labels[name + YEAR_SUFFIX + "__missing"] = labels.get(name + "__missing", {})
    table = table.rename(columns=renamed)
    labels = {c: labels.get(c, {"label": c}) for c in table.columns}
    identifiers = [renamed.get(q, q) for q in wave.quasi_identifiers()]
    missing = [q for q in identifiers if q not in table.columns]
    if missing:
        raise PipelineError(
            f"surveys/{wave.id}/wave.yaml: 'disclosure.export.quasi_identifiers' names {', '.join(missing)}, which "
            f"data_clean/{wave.id}/respondents.parquet does not have; rerun 'rapportage clean --wave {wave.id}' or correct the list."
        )
    k = enough_for_k(wave, table)
    result = k_anonymise(table, identifiers, k)
    # no respondent_key, and the rows in a fresh random order: with the key two exports (of two waves, or
    # before and after late responses) could be joined and a value blanked in one read from the other
    order = np.random.default_rng().permutation(len(table))
    safe = result.table.drop(columns="respondent_key").iloc[order].reset_index(drop=True)
    safe.insert(0, "volgnummer", np.arange(1, len(safe) + 1))
    return dataclasses.replace(result, table=safe), {c: labels.get(c, {"label": c}) for c in safe.columns}


def _codebook(wave: Wave, result: Anonymised) -> pd.DataFrame:
    """The clean stage's codebook for the exported columns, with the coarsening and blanking noted."""
    book = pd.read_csv(wave.clean_dir / "codebook.csv", dtype=str, keep_default_na=False)
    for name in wave.date_items():
        rows = book["variable"] == name
        book.loc[rows, ["variable", "type", "values"]] = [name + YEAR_SUFFIX, "integer", "jaar (datum afgerond op het jaar)"]
        book.loc[book["variable"] == name + "__missing", "variable"] = name + YEAR_SUFFIX + "__missing"
    book["export"] = ""
    for name, count in result.blanked.items():
        book.loc[book["variable"] == name, "export"] = f"{count} waarden leeggemaakt voor k-anonimiteit (k = {result.k})"
    book = book[book["variable"].isin(result.table.columns)]
    number = {c: "" for c in book.columns} | {"variable": "volgnummer", "origin": "export", "type": "integer",
                                              "label_nl": "Volgnummer in deze export (willekeurige volgorde, niet te koppelen)"}
    book = pd.concat([pd.DataFrame([number]), book], ignore_index=True)
    note = {c: "" for c in book.columns} | {"variable": "(export)", "label_nl": result.summary_nl()}
    return pd.concat([book, pd.DataFrame([note])], ignore_index=True)


def _parquet_bytes(table: pd.DataFrame, labels: dict[str, dict], summary: str) -> bytes:
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    meta = dict(arrow.schema.metadata or {})
    meta[LABELS_KEY] = json.dumps(labels, ensure_ascii=False, sort_keys=True).encode("utf-8")
    meta[EXPORT_KEY] = summary.encode("utf-8")
    sink = io.BytesIO()
    pq.write_table(arrow.replace_schema_metadata(meta), sink, compression="zstd")
    return sink.getvalue()


def _write_sav(table: pd.DataFrame, labels: dict[str, dict], summary: str, path: Path) -> Path:
    """SPSS file with variable labels and value labels (numeric codes keep their values)."""
    data = table.copy()
    for col in data.columns:
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            data[col] = data[col].astype(object).where(data[col].notna(), "")
        elif data[col].dtype == bool:
            data[col] = data[col].astype(int)
        elif isinstance(data[col].dtype, pd.Int64Dtype):
            data[col] = data[col].astype("float64")
    value_labels: dict[str, dict] = {}  # numeric codes for numeric columns, text codes for text ones (both written by pyreadstat)
    for col, meta in labels.items():
        values = meta.get("values") or {}
        if not values or col not in data.columns:
            continue
        if pd.api.types.is_numeric_dtype(data[col]):
            value_labels[col] = {float(k): v for k, v in values.items()}
        else:
            value_labels[col] = {str(k): v for k, v in values.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        pyreadstat.write_sav(
            data, str(staged),
            column_labels=[labels.get(c, {}).get("label", c)[:256] for c in data.columns],
            variable_value_labels=value_labels,
            note=textwrap.wrap(summary, 80),  # SPSS keeps notes as lines of 80 bytes at most
        )
        shutil.move(staged, path)
    return path


def enough_for_k(wave: Wave, table: pd.DataFrame) -> int:
    """``disclosure.export.k``; refused (one sentence) when the wave has fewer respondents."""
    k = wave.config.disclosure.export.k
    if len(table) < k:
        raise PipelineError(
            f"wave {wave.id} has {len(table)} respondents, fewer than disclosure.export.k = {k} in surveys/{wave.id}/wave.yaml, "
            "so no export can keep them apart from each other; there is nothing to export."
        )
    return k
