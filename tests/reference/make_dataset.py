"""Write the shared dataset that R and Python both analyse: the demo wave's cleaned respondents
(weighting variables and indicator values only; synthetic data, no identifiers).

Run from the project root after ``rapportage run --demo``:

    .venv/bin/python tests/reference/make_dataset.py
    Rscript tests/reference/make_reference.R tests/reference
"""

from pathlib import Path

import pandas as pd


def main() -> None:
    root = Path(__file__).resolve().parents[2]
    respondents = pd.read_parquet(root / "data_clean" / "demo" / "respondents.parquet")
    columns = ["respondent_key", "status", "gender", "ageband", "route"]
    columns += [c for c in respondents.columns if c.startswith("ind_")]
    out = Path(__file__).with_name("demo_respondents.csv")
    respondents[columns].to_csv(out, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
