"""Survey statistics on data frames and arrays: the design with its verbs, weighting and
calibration, response propensities and R-indicators, reliability and disclosure control. Knows
nothing of waves or YAML files."""
