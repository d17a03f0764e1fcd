# %% [markdown]
# # Verkenning van de demonstratiemeting
# How far does raking move the demo wave's estimates toward the population truth?
# Run after `make report` (reads `data_clean/demo/` and `data_raw/demo/population_truth.json`).

# %%
import json
from pathlib import Path

import pandas as pd

root = Path(__file__).resolve().parents[1] if "__file__" in globals() else Path("..")
est = pd.read_parquet(root / "data_clean/demo/estimates.parquet")
truth = json.loads((root / "data_raw/demo/population_truth.json").read_text())

# %%
overall = est[est.group == "totaal"].set_index("indicator")
overall["truth"] = [truth[i]["value"] for i in overall.index]
overall["error_weighted"] = overall.estimate - overall.truth
overall["error_unweighted"] = overall.estimate_unweighted - overall.truth
print(overall[["kind", "n", "truth", "estimate", "estimate_unweighted", "error_weighted", "error_unweighted"]].round(3))
