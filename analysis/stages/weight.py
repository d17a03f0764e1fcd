"""The weight stage's work: base weights (equal, or from response propensities), calibration by
the configured method, trimming with calibration again, and every diagnostic, from the wave's
``population.yaml``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rapportage.contracts import WeightingReport
from rapportage.errors import PipelineError
from rapportage.statistics.weighting import (
    RakeResult,
    WeightingError,
    calibrate,
    diagnostics,
    lowest_possible_maximum,
    max_margin_deviation,
    rake,
    standardised_difference,
    trim,
)


def weight_wave(wave, respondents: pd.DataFrame, frame: pd.DataFrame | None) -> tuple[pd.DataFrame, WeightingReport]:
    """The weight stage's table and report; a weighting error names the file to change."""
    try:
        return _weight_wave(wave, respondents, frame)
    except WeightingError as exc:
        where = f"surveys/{wave.id}/population.yaml (weighting)"
        if "population frame" in str(exc):
            where = f"data_raw/{wave.id}/frame.csv or {where}"
        raise PipelineError(f"weighting wave {wave.id}: {exc}; see {where}.") from None


def _weight_wave(wave, respondents: pd.DataFrame, frame: pd.DataFrame | None) -> tuple[pd.DataFrame, WeightingReport]:
    """The weight stage: base weights (equal, or from response propensities), calibration by
    the configured method, optional trimming with re-calibration, and every diagnostic."""
    from rapportage.statistics.propensity import (
        fit_response_model,
        partial_r_indicators,
        propensity_weights,
        r_indicator,
        response_cells,
    )

    pop, cfg = wave.population, wave.population.weighting
    margins = {m: {c: float(v) for c, v in pop.margins[m].items()} for m in cfg.margins}
    n = len(respondents)
    base = np.full(n, pop.total / n)
    report: dict = {"method": cfg.method, "margins": cfg.margins, "bounds": cfg.bounds, "tolerance": cfg.tolerance,
                    "population_total": pop.total, "design_weight": pop.total / n}
    if frame is not None:
        variables = cfg.propensity.variables if cfg.propensity else sorted({p for m in cfg.margins for p in m.split("*")})
        model = fit_response_model(response_cells(frame, respondents, variables), variables)
        report["representativeness"] = {
            "model_variables": variables,
            "response_rate": float(model.cells.respondents.sum() / model.cells.persons.sum()),
            "r_indicator": r_indicator(model),
            "partial_r_indicators": partial_r_indicators(model),
            "cells": [{"categories": {v: str(row[v]) for v in variables}, "persons": int(row["persons"]),
                       "propensity": float(row["propensity"])} for _, row in model.cells.iterrows()],
        }
        if cfg.propensity:
            base = propensity_weights(model, respondents, cfg.propensity.use, cfg.propensity.classes)
            report["propensity"] = {"use": cfg.propensity.use, "classes": cfg.propensity.classes,
                                    "base_weight_sum": float(base.sum())}
    elif cfg.propensity:
        raise PipelineError(f"weighting.propensity needs the population frame data_raw/{wave.id}/frame.csv, which is missing.")

    def run(start: np.ndarray) -> RakeResult:
        if cfg.method == "raking" and cfg.bounds is None:
            return rake(respondents, margins, base_weights=start, tolerance=cfg.tolerance, max_iterations=cfg.max_iterations)
        return calibrate(respondents, margins, method=cfg.method, bounds=cfg.bounds, base_weights=start,
                         tolerance=cfg.tolerance, max_iterations=cfg.max_iterations)

    result = run(base)
    final_base, weights = base, result.weights
    if cfg.trimming:
        report["trimming"], final_base, weights, result = _trim_and_recalibrate(base, result, cfg.trimming, run)
        if not report["trimming"]["cap_met"]:
            report["trimming"]["lowest_possible_max_relative_to_mean"] = lowest_possible_maximum(respondents, margins)
    # trimmed weights that were not calibrated again miss the margins: the design is then that of
    # the weights as given (rapportage.stages.pipeline.design_for, and the report says so)
    report["calibrated"] = not (report.get("trimming", {}).get("trimmed") and not report["trimming"]["recalibrated"])
    if cfg.bounds is not None and report.get("trimming", {}).get("rounds", 0) > 1:
        g = weights / base  # each round bounds g against its own start: say where they ended
        report["trimming"]["g_range"] = [float(g.min()), float(g.max())]
    report["iterations"] = result.iterations
    report["max_margin_deviation"] = max_margin_deviation(respondents, weights, margins)
    before = diagnostics(respondents, np.ones(n), margins)["margins"]
    diag = diagnostics(respondents, weights, margins)
    for row, unweighted in zip(diag["margins"], before):
        row["std_diff_before"] = standardised_difference(unweighted["sample_share"], row["population_share"])
        row["std_diff_after"] = standardised_difference(row["weighted_share"], row["population_share"])
    report["diagnostics"] = diag
    table = pd.DataFrame({"respondent_key": respondents["respondent_key"], "weight": weights, "base_weight": final_base})
    return table, WeightingReport.model_validate(report)


def _trim_and_recalibrate(base: np.ndarray, result: RakeResult, trimming, run) -> tuple[dict, np.ndarray, np.ndarray, RakeResult]:
    """Cap the calibrated weights at ``upper_relative_to_mean`` times their mean; with
    ``recalibrate``, meet the margins again from the capped weights, and repeat (trim, calibrate,
    trim, …) until the calibrated weights keep to the cap (to 1e-6 relative) or ``max_rounds``
    calibrations were made: one pass is not enough, because calibrating again pushes some
    weights back over the cap. The margins always hold; when the cap does not, the report says
    so. Returns the report, the start weights of the last calibration, the final weights and the
    last calibration."""
    weights = result.weights
    cap = trimming.upper_relative_to_mean * weights.mean()  # calibration keeps the sum, so the mean
    trimmed, count = trim(weights, upper=cap, strict=trimming.strict)
    capped = weights > cap
    report = {"upper_relative_to_mean": trimming.upper_relative_to_mean, "cap": cap, "trimmed": count,
              "recalibrated": bool(trimming.recalibrate and count), "rounds": 0}
    if not (trimming.recalibrate and count):
        report["max_relative_to_mean"] = float(trimmed.max() / trimmed.mean())
        report["cap_met"] = True
        return report, base, trimmed, result
    start = trimmed
    while report["rounds"] < trimming.max_rounds:
        report["rounds"] += 1
        last_start, result = start, run(start)
        weights = result.weights
        if weights.max() <= cap * (1 + CAP_TOLERANCE):
            break
        capped |= weights > cap
        start, _ = trim(weights, upper=cap, strict=trimming.strict)
    report["trimmed"] = int(capped.sum())  # respondents capped in any round
    report["max_relative_to_mean"] = float(weights.max() / weights.mean())
    report["cap_met"] = bool(weights.max() <= cap * (1 + CAP_TOLERANCE))
    return report, last_start, weights, result


CAP_TOLERANCE = 1e-6
"""Relative excess over the trimming cap that counts as keeping to it."""
