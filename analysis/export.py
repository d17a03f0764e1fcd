"""Exports of a wave's clean data for researchers who continue elsewhere.

``sav``: SPSS with the Dutch variable and value labels (pyreadstat); ``csv``: the table plus the
codebook; ``parquet``: the table with its labels as metadata. Only ``data_clean/`` is read, so an
export can never contain more than the clean data (no tokens, no free text).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyreadstat

from analysis.csvfiles import csv_bytes
from analysis.config import Wave
from analysis.errors import PipelineError
from analysis.manifest import atomic_write
from analysis.schema import read_labels

FORMATS = ("sav", "csv", "parquet")


def export(wave: Wave, fmt: str, target_dir: Path | None = None) -> list[Path]:
    """Write the export; returns the files written."""
    source = wave.clean_dir / "respondents.parquet"
    if not source.is_file():
        raise PipelineError(f"data_clean/{wave.id}/respondents.parquet is missing; run 'rapportage clean --wave {wave.id}' first.")
    if fmt not in FORMATS:
        raise PipelineError(f"export format {fmt!r} is unknown; choose one of {', '.join(FORMATS)}.")
    out = target_dir or wave.clean_dir / "export"
    name = f"respondenten_{wave.id}"
    if fmt == "parquet":
        path = out / f"{name}.parquet"
        atomic_write(path, source.read_bytes())
        return [path]
    table = pd.read_parquet(source)
    if fmt == "csv":
        files = [out / f"{name}.csv", out / f"codeboek_{wave.id}.csv"]
        atomic_write(files[0], csv_bytes(table))
        atomic_write(files[1], (wave.clean_dir / "codebook.csv").read_bytes())
        return files
    return [_write_sav(table, read_labels(source), out / f"{name}.sav")]


def _write_sav(table: pd.DataFrame, labels: dict[str, dict], path: Path) -> Path:
    """SPSS file with variable labels and value labels (numeric codes keep their values)."""
    data = table.copy()
    for col in data.columns:
        if isinstance(data[col].dtype, pd.CategoricalDtype):
            data[col] = data[col].astype(object).where(data[col].notna(), "")
        elif data[col].dtype == bool:
            data[col] = data[col].astype(int)
    value_labels = {}
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
        )
        shutil.move(staged, path)
    return path
