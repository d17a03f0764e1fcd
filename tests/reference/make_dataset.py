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
    respondents = pd.read_parquet(root / "data_clean" / "demo-2025" / "respondents.parquet")
    columns = ["respondent_key", "status", "gender", "ageband", "route"]
    columns += [c for c in respondents.columns if c.startswith("ind_")]
    out = Path(__file__).with_name("demo_respondents.csv")
    respondents[columns].to_csv(out, index=False, lineterminator="\n")
    # persons and valid respondents per cell of the weighting variables (the response model's data)
    from rapportage.statistics.propensity import response_cells

    frame = pd.read_csv(root / "data_raw" / "demo-2025" / "frame.csv", dtype=str, keep_default_na=False)
    cells = response_cells(frame, respondents, ["status", "gender", "ageband", "route"])
    cells.to_csv(Path(__file__).with_name("demo_response_cells.csv"), index=False, lineterminator="\n")
    # item points of the multi-item scales (reversed items turned around), for Cronbach's alpha
    from rapportage.config import load_wave
    from rapportage.scoring.scales import item_points

    wave = load_wave(root, "demo-2025")
    parts = [item_points(respondents, scale).add_prefix(f"{scale_id}.") for scale_id, scale in wave.questionnaire.scales.items()
             if scale.reflective and len(scale.items) >= 3]
    pd.concat(parts, axis=1).to_csv(Path(__file__).with_name("demo_scale_points.csv"), index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
