"""Rapportage Inburgering: the pipeline behind Utrecht's yearly survey among inburgeraars.

The package is ``rapportage`` (in the repository's folder ``analysis/``). Its sub-packages follow
the flow of a published number:

- :mod:`rapportage.sources`: LimeSurvey, raw snapshots, the offline import, the demo source;
- :mod:`rapportage.questionnaire`: the questionnaire as code, the ``.lss``, the codebook;
- :mod:`rapportage.cleaning`: who counts as a valid respondent;
- :mod:`rapportage.scoring`: item values, scales and indicators per respondent;
- :mod:`rapportage.statistics`: design, weighting, R-indicators, reliability, disclosure
  (no waves, no YAML: usable as a library);
- :mod:`rapportage.stages`: one adapter per stage, run in order with manifests;
- :mod:`rapportage.report`: what the report's ``.qmd`` documents import.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rapportage-inburgering")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"


def __getattr__(name: str):
    """``rapportage.Design``, ``rapportage.rake`` and the rest of :mod:`rapportage.statistics`,
    imported when first used (the command line does not need numpy and scipy to start)."""
    import importlib

    statistics = importlib.import_module("rapportage.statistics")
    if name in statistics.__all__:
        return getattr(statistics, name)
    raise AttributeError(f"module 'rapportage' has no attribute {name!r}")
