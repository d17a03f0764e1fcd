"""The report's building blocks, imported by the ``.qmd`` documents as ``from rapportage import report``:

- :mod:`~rapportage.report.data`: ``load`` the wave's configuration and the pipeline's outputs;
- :mod:`~rapportage.report.formatting`: Dutch numbers, intervals and changes; ``show`` a piece of Markdown;
- :mod:`~rapportage.report.sentences`: the generated sentences of the Samenvatting and the domains;
- :mod:`~rapportage.report.figures`: dot plots with alt texts;
- :mod:`~rapportage.report.tables`: key figures, domain, appendix and codebook tables;
- :mod:`~rapportage.report.trend`: the chapter "Ontwikkeling door de jaren";
- :mod:`~rapportage.report.methods`: the Verantwoording;
- :mod:`~rapportage.report.colophon`: where every number comes from;
- :mod:`~rapportage.report.markup`: escaping of every text that comes from configuration or data.

They read the pipeline's outputs and format them; they never compute statistics (every number
comes from ``data_clean/<wave>/``). Every text from configuration or data enters the page through
``markup``: ``md`` in Markdown, ``attr`` in a figure's alt text, great_tables' own escaping plus
``raw_html`` in tables, ``figures.mpl`` in figures. The sentences are Markdown written around
those escaped texts.

The names below are imported when first used, so ``rapportage.report.markup`` (which the
configuration loader needs) does not pull in matplotlib.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "data": ("load", "ReportData"),
    "sentences": ("introduction", "summary_text", "domain_text"),
    "figures": ("domain_tabs",),
    "tables": ("key_figures", "domain_table", "appendix_tables", "codebook_frame", "codebook_page"),
    "methods": ("methods_text", "languages_table", "cleaning_table", "representativeness_table",
                "reliability_table", "comparability", "registry_check", "researcher_text", "researcher_chapter", "glossary"),
    "trend": ("trend_text", "trend_tabs", "trend_table"),
    "colophon": ("colophon",),
}
__all__ = [name for names in _HOMES.values() for name in names]


def __getattr__(name: str):
    for module, names in _HOMES.items():
        if name in names:
            return getattr(importlib.import_module(f"rapportage.report.{module}"), name)
    raise AttributeError(f"module 'rapportage.report' has no attribute {name!r}")
