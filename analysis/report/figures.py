"""The figures: a dot plot per domain and breakdown with its intervals, as a PNG with an alt text
that says every plotted value (WCAG 1.1.1). One seaborn theme with the colour-blind-safe palette.
"""

from __future__ import annotations

import base64
import io

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from rapportage.questionnaire.spec import DOMAINS
from rapportage.report.data import OVERALL, ReportData, level_text
from rapportage.report.formatting import fmt_number, fmt_value
from rapportage.report.markup import attr, md

PALETTE = sns.color_palette("colorblind")


def set_style() -> None:
    """One seaborn theme for every figure; labels are plain text ("$$…$$" is not a formula)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "svg.hashsalt": "rapportage",
                         "text.parse_math": False})


def domain_tabs(data: ReportData, domain: str) -> None:
    """Print (``#| output: asis``) a tabset with one figure per breakdown of the domain's
    indicators: by every group of ``estimation.groups``. Each figure is Markdown with an
    alt text generated from the numbers it shows."""
    lines = ["::: {.tabbladen}", ""]
    for group in data.wave.config.estimation.groups:
        lines += [f"### {md(data.group_label(group))}", "", figure_markdown(data, domain, group), ""]
    lines.append(":::")
    print("\n".join(lines))


def figure_markdown(data: ReportData, domain: str, group: str) -> str:
    """``![caption](data:…){#fig-<domain>-<group> fig-alt="…"}``: the figure, numbered and
    cross-referenceable on both render paths, its caption and alt text escaped."""
    name = md(data.group_label(group).lower())
    cells = _figure_cells(data, domain, group)
    if cells.suppressed.all():  # nothing to draw: say so instead of an empty figure
        return f"*{DOMAINS[domain]}, naar {name}: te weinig antwoorden om uitkomsten te publiceren.*"
    references = {i.id: found for i in data.indicators(domain) if (found := data.benchmarks(i.id))}
    png = base64.b64encode(domain_plot(cells, references)).decode("ascii")
    caption = f"{DOMAINS[domain]}: uitkomsten naar {name}, met {data.level}-betrouwbaarheidsinterval"
    if references:
        caption += "; de zwarte streep is een cijfer ter vergelijking (zie Kerncijfers)"
    kinds = {i.id: i.kind for i in data.indicators(domain)}
    alt = figure_alt(cells) + "".join(
        f" Ter vergelijking bij {data.questionnaire_label(ind)}: {b.population} {fmt_number(b.value, kinds[ind])} "
        f"({b.source}, {b.year})." for ind, bs in references.items() for b in bs)
    return f'![{caption}](data:image/png;base64,{png}){{#fig-{domain}-{group} fig-alt="{attr(alt)}"}}'


def _figure_cells(data: ReportData, domain: str, group: str) -> pd.DataFrame:
    inds = data.indicators(domain)
    e = data.estimates[data.estimates.indicator.isin([i.id for i in inds])
                       & data.estimates.group.isin([OVERALL, group])].copy()
    e["label"] = e.indicator.map({i.id: i.label for i in inds})
    e["Groep"] = [data.category_label(g, c) for g, c in zip(e.group, e.category)]
    return e


def domain_plot(cells: pd.DataFrame, references: dict | None = None) -> bytes:
    """Dot plot of indicators (rows) by group category (colours) with their intervals as error bars, as PNG.

    Proportions are shown in percent; mean indicators (marks 1–10) get their own panel.
    Suppressed cells are not drawn.
    """
    e = cells[~cells.suppressed]
    kinds = [k for k in ("proportion", "mean") if (e.kind == k).any()]
    order = list(dict.fromkeys(e.Groep))
    row = max(0.55, 0.16 * len(order) + 0.25)
    heights = [max(1.0, row * e[e.kind == k].label.nunique() + 0.6) for k in kinds]
    legend_rows = -(-(len(order) + bool(references)) // 4)
    fig, axes = plt.subplots(len(kinds), 1, figsize=(7.5, sum(heights) + 0.35 + 0.3 * legend_rows),
                             squeeze=False, gridspec_kw={"height_ratios": heights})
    step = min(0.22, 0.8 / max(len(order), 1))
    for ax, kind in zip(axes[:, 0], kinds):
        part = e[e.kind == kind]
        scale = 100 if kind == "proportion" else 1
        labels = list(dict.fromkeys(part.label))
        for j, g in enumerate(order):
            sub = part[part.Groep == g].set_index("label").reindex(labels)
            y = [i + (j - (len(order) - 1) / 2) * step for i in range(len(labels))]
            ax.errorbar(sub.estimate * scale, y,
                        xerr=[(sub.estimate - sub.ci_low) * scale, (sub.ci_high - sub.estimate) * scale],
                        fmt="o", color=PALETTE[j % len(PALETTE)], label=mpl(g), capsize=3, markersize=5)
        for i, ind_label in enumerate(labels):  # a reference figure: a black bar across the indicator's row
            ind = part[part.label == ind_label].indicator.iloc[0]
            for b in (references or {}).get(ind, []):
                ax.plot([b.value * scale] * 2, [i - 0.42, i + 0.42], color="black", linewidth=2.5, solid_capstyle="butt",
                        label="Ter vergelijking" if "Ter vergelijking" not in ax.get_legend_handles_labels()[1] else None)
        ax.set_yticks(range(len(labels)), [mpl(_wrap(lbl)) for lbl in labels])
        ax.set_ylim(len(labels) - 0.5, -0.5)  # first indicator on top, room for every marker
        ax.set_xlabel("Percentage" if kind == "proportion" else "Gemiddeld rapportcijfer (1–10)")
        ax.set_xlim(*((0, 100) if kind == "proportion" else (1, 10)))
    found: dict = {}
    for ax in axes[:, 0]:
        for h, lbl in zip(*ax.get_legend_handles_labels()):
            found.setdefault(lbl, h)
    labels = [lbl for lbl in found if lbl != "Ter vergelijking"] + [lbl for lbl in found if lbl == "Ter vergelijking"]
    fig.legend([found[lbl] for lbl in labels], labels, loc="lower center", ncol=min(len(order), 4), frameon=False)
    fig.tight_layout(rect=(0, (0.3 * legend_rows + 0.15) / fig.get_figheight(), 1, 1))
    return _png(fig)


def mpl(text: str) -> str:
    """A label as matplotlib text: dollar signs would start mathtext (and an unbalanced formula
    stops the render)."""
    return text.replace("$", r"\$")


def _png(fig) -> bytes:
    """The figure as a 64-colour PNG: a third of the size of matplotlib's, no visible loss for
    flat charts, and no version stamp, so the same numbers give the same bytes every run."""
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png")
    plt.close(fig)
    image = Image.open(raw).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def figure_alt(cells: pd.DataFrame) -> str:
    """The figure in words (WCAG 1.1.1): every plotted value, and which cells are not shown."""
    parts, hidden = [], []
    for label, rows in cells.groupby("label", sort=False):
        shown = rows[~rows.suppressed]
        values = ", ".join(f"{g.lower()} {fmt_value(r, with_ci=False)}" for g, (_, r) in zip(shown.Groep, shown.iterrows()))
        parts.append(f"{label}: {values}." if values else f"{label}: niets te publiceren.")
        hidden += [g for g in rows[rows.suppressed].Groep if g not in hidden]
    text = f"Stippenfiguur met {level_text(cells.confidence.iloc[0])}-betrouwbaarheidsintervallen. " + " ".join(parts)
    if hidden:
        text += f" Niet getoond (te weinig antwoorden): {', '.join(hidden)}."
    return text


def _wrap(text: str, width: int = 34) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line])
