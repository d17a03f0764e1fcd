"""Survey statistics on data frames and arrays: the design with its verbs, weighting and
calibration, response propensities and R-indicators, reliability and disclosure control. Knows
nothing of waves or YAML files; errors are ``ValueError`` subclasses that speak of the data.

>>> import pandas as pd
>>> from rapportage.statistics import Design
>>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "work": [1, 0, 1, 1]})
>>> d = Design(df, population_size=100).rake({"sex": {"f": 60, "m": 40}})
>>> round(d.mean("work").estimate, 6)  # 0.6 * 1/2 + 0.4 * 1
0.7
"""

from rapportage.statistics.design import ChisqTest, Design, DomainEstimates, Estimate, korn_graubard
from rapportage.statistics.disclosure import Anonymised, k_anonymise, suppress_small_cells, suppressed_counts
from rapportage.statistics.propensity import (
    ResponseModel,
    fit_response_model,
    partial_r_indicators,
    propensity_weights,
    r_indicator,
    response_cells,
)
from rapportage.statistics.reliability import cronbach
from rapportage.statistics.representativeness import Representativeness, reminder_gains, representativeness
from rapportage.statistics.testing import adjust_p
from rapportage.statistics.weighting import (
    RakeResult,
    WeightingError,
    calibrate,
    diagnostics,
    kish_deff,
    lowest_possible_maximum,
    rake,
    trim,
)

__all__ = [
    "Anonymised", "adjust_p", "ChisqTest", "Design", "DomainEstimates", "Estimate", "RakeResult", "ResponseModel",
    "WeightingError", "calibrate", "cronbach", "diagnostics", "fit_response_model", "k_anonymise", "kish_deff",
    "korn_graubard", "lowest_possible_maximum", "partial_r_indicators", "propensity_weights", "r_indicator",
    "rake", "reminder_gains", "Representativeness", "representativeness", "response_cells", "suppress_small_cells", "suppressed_counts", "trim",
]
