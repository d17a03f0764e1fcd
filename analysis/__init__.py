"""Rapportage Inburgering: the pipeline behind Utrecht's yearly survey among inburgeraars.

Stages (each a module): :mod:`analysis.limesurvey` (fetch + import), :mod:`analysis.clean`,
:mod:`analysis.weighting`, :mod:`analysis.design` with :mod:`analysis.indicators` (estimation)
and :mod:`analysis.render`; :mod:`analysis.pipeline` runs them in order with manifests.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rapportage-inburgering")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
