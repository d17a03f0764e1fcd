# %% [markdown]
# # Verkenning van een meting: taal en werk
# An analysis that is not in the report: how having paid work relates to self-rated Dutch,
# by learning route, with design-based standard errors. Exploration only; the pipeline never
# reads this file. Run after `make report` (or set RAPPORTAGE_ROOT / RAPPORTAGE_WAVE).

# %%
import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from rapportage.config import load_wave
from rapportage.stages.pipeline import design_for

root = Path(os.environ.get("RAPPORTAGE_ROOT", Path(__file__).resolve().parents[1] if "__file__" in globals() else ".."))
wave = load_wave(root, os.environ.get("RAPPORTAGE_WAVE", "demo-2025"))
design = design_for(wave)  # the design of the wave, as the estimate stage builds it
print(f"{design.n} respondents, weights sum to {design.weights.sum():.0f}")

# %% [markdown]
# ## Paid work by Dutch language level and route (domain estimates of the full design)

# %%
data = design.data
data["taal_niveau"] = pd.Categorical(
    data["ind_taal_voldoende"].map({1.0: "voldoende", 0.0: "onvoldoende"}), categories=["onvoldoende", "voldoende"])
data["route_taal"] = (data["route"].astype(str) + " / " + data["taal_niveau"].astype(str)).astype("category")
rows = []
for cell, est in design.mean("ind_werk_betaald", by="route_taal").items():
    rows.append({"route / taal": cell, "n": est.n, "betaald werk": round(est.estimate, 3),
                 "95%-BI": f"{est.ci_low:.2f}–{est.ci_high:.2f}"})
table = pd.DataFrame(rows)
print(table.to_string(index=False))

# %% [markdown]
# ## Does the language difference hold within status and route? (svyglm-style logistic model)

# %%
model = design.glm("ind_werk_betaald", ["status", "gender", "ageband", "route", "ind_taal_voldoende"])
model["odds_ratio"] = np.exp(model["estimate"]).round(2)
print(model.round(3).to_string(index=False))

# %% [markdown]
# ## Is paid work associated with status? (Rao–Scott adjusted chi-square)

# %%
test = design.chisq("ind_werk_betaald", "status")
print(json.dumps({k: round(v, 4) for k, v in dataclasses.asdict(test).items()}))
