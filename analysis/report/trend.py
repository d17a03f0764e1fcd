"""The chapter "Ontwikkeling door de jaren": every indicator in every wave of the series where it
was measured, the comparability rule's verdict for each step, and the test of each comparable
change (``trend.parquet``, written by the estimate stage: :mod:`rapportage.stages.series`).
"""

from __future__ import annotations

import base64

import matplotlib.pyplot as plt
import pandas as pd

from rapportage.questionnaire.spec import DOMAINS
from rapportage.report.data import ReportData, level_text
from rapportage.report.figures import FONT, GROUP_COLOUR, REFERENCE_COLOUR, WIDTH, _svg, mpl, text_width, wrap_to
from rapportage.report.formatting import fmt_number, nl_list, nl_number, show, show_table, signed
from rapportage.report.markup import attr, md
from rapportage.report.sentences import p_value_text

NOT_COMPARABLE = "niet vergelijkbaar"
CAVEAT = "vergelijkbaar met kanttekening"


def _steps(data: ReportData) -> pd.DataFrame:
    t = data.trend
    return t[t["wave_earlier"].notna()] if t is not None else pd.DataFrame()


def trend_text(data: ReportData) -> None:
    """Print (``#| output: asis``) the chapter's opening: the waves, how many changes the rule
    lets the report compare, and why the others cannot be compared."""
    t = data.trend
    if t is None or t["year"].nunique() < 2:
        show("Dit is de eerste meting van de reeks: er is nog geen ontwikkeling door de jaren te laten zien.")
        return
    years = sorted(t["year"].unique())
    lines = [f"De meting is gehouden in {', '.join(map(str, years[:-1]))} en {years[-1]}. "
             "Een verandering tussen twee metingen wordt alleen genoemd als de twee metingen vergelijkbaar zijn: dezelfde "
             "vraag en definitie, dezelfde weging, een vergelijkbare representativiteit van de respons en dezelfde manier "
             "van afnemen. Waar dat niet zo is, is de lijn in de figuren onderbroken."]
    synthetic = [w.config.year for w in data.series if w.config.synthetic is not None]
    if synthetic and data.wave.config.synthetic is None:
        lines.append(f"Let op: de cijfers van {nl_list([str(y) for y in synthetic])} zijn synthetisch (een proefmeting met "
                     "een rekenmodel) en zeggen niets over echte inburgeraars.")
    levels = t.groupby("year")["confidence"].first()
    other = levels[levels != data.confidence]
    if len(other):
        lines.append("Let op: de intervallen van " + nl_list([f"{y} ({level_text(c)})" for y, c in other.items()])
                     + f" zijn op een ander betrouwbaarheidsniveau berekend dan die van dit rapport ({data.level}); "
                     "de veranderingen worden alle op het niveau van dit rapport getoetst.")
    year_of = dict(zip(t["wave"], t["year"]))
    steps = _steps(data).assign(year_earlier=lambda d: d["wave_earlier"].map(year_of))
    for (earlier, later), step in steps.groupby(["year_earlier", "year"], sort=True):
        counts = step["comparability"].value_counts()
        same, caveat, broken = counts.get("vergelijkbaar", 0), counts.get(CAVEAT, 0), counts.get(NOT_COMPARABLE, 0)
        total = len(step)
        text = f"**Van {earlier} naar {later}.** Van de {total} indicatoren die in beide jaren gemeten zijn, "
        parts = []
        if same:
            parts.append(f"{same} vergelijkbaar")
        if caveat:
            parts.append(f"{caveat} vergelijkbaar met een kanttekening")
        if broken:
            parts.append(f"{broken} niet vergelijkbaar")
        text += ("zijn er " + nl_list(parts) if same or caveat else "is er geen enkele vergelijkbaar") + ". "
        reasons = _reasons(step)
        if reasons:
            text += "De redenen: " + "; ".join(md(r) for r in reasons) + "."
        if caveat and broken:
            text += (" Of een indicator met een kanttekening vergelijkbaar is of niet, hangt af van hoe groot de mogelijke "
                     "vertekening is naast de foutmarge van die indicator (zie de Verantwoording).")
        comparable = step[step["comparability"] != NOT_COMPARABLE]
        moved = comparable[comparable["significant"]]
        if len(comparable):
            expected = len(comparable) * data.alpha
            text += (f" Van de vergelijkbare indicatoren veranderden er {len(moved)} meer dan door toeval te verwachten is"
                     f" (bij {data.level} betrouwbaarheid; bij {len(comparable)} toetsen verwacht je er door toeval alleen al "
                     f"ongeveer {nl_number(expected, 0 if expected >= 1 else 1)})." if len(moved) else
                     " Bij geen van de vergelijkbare indicatoren is de verandering groter dan door toeval te verwachten is.")
        lines.append(text)
    show("\n\n".join(lines))


def _reasons(step: pd.DataFrame) -> list[str]:
    """The distinct reasons of a step, each once, the most frequent first."""
    seen: dict[str, int] = {}
    for note in step["comparability_note"].dropna():
        for reason in str(note).split("; "):
            if reason and not reason.startswith("de mogelijke vertekening van de verandering is"):
                seen[reason] = seen.get(reason, 0) + 1
    return sorted(seen, key=lambda r: -seen[r])


def trend_tabs(data: ReportData) -> None:
    """Print (``#| output: asis``) one figure per domain: each indicator's estimate and interval
    in every wave, the line broken where the rule says not comparable."""
    if data.trend is None or data.trend["year"].nunique() < 2:
        return
    lines = ["::: {.tabbladen}", ""]
    for domain, title in DOMAINS.items():
        inds = [i for i in data.indicators(domain) if i.id in set(data.trend["indicator"])]
        if not inds:
            continue
        lines += [f"### {md(title)}", "", trend_figure(data, domain), ""]
    lines.append(":::")
    print("\n".join(lines))


def trend_figure(data: ReportData, domain: str) -> str:
    t = data.trend
    assert t is not None
    inds = [i for i in data.indicators(domain) if i.id in set(t["indicator"])]
    svg = base64.b64encode(trend_plot(data, [i.id for i in inds])).decode("ascii")
    caption = f"{DOMAINS[domain]}: uitkomsten per meting, met {data.level}-betrouwbaarheidsinterval"
    return f'![{caption}](data:image/svg+xml;base64,{svg}){{#fig-trend-{domain} fig-alt="{attr(trend_alt(data, inds))}"}}'


def trend_plot(data: ReportData, indicators: list[str]) -> bytes:
    """Small multiples, stacked for a phone (as the domain figures): one panel per indicator,
    years on the x-axis; a solid line joins two waves that are comparable, a dashed one joins them
    with a caveat, and a dotted vertical line separates waves that are not comparable. SVG."""
    t = data.trend
    assert t is not None
    years = sorted(t["year"].unique())
    pt = 1 / 72
    title_line, plot_h, axis_h, gap, pad = FONT * 1.25, 96.0, FONT * 1.9, 12.0, 4.0
    titles = [wrap_to(data.questionnaire_label(ind), WIDTH - 2 * pad, bold=True) for ind in indicators]
    heights = [len(title) * title_line + 8 + plot_h + axis_h for title in titles]
    height = sum(heights) + gap * (len(indicators) - 1) + pad
    left = pad + text_width("100%") + 8
    fig = plt.figure(figsize=(WIDTH * pt, height * pt))
    top = height
    for ind, title, h in zip(indicators, titles, heights):
        y0 = top - len(title) * title_line - 8 - plot_h
        ax = fig.add_axes((left / WIDTH, y0 / height, (WIDTH - left - 18) / WIDTH, plot_h / height))
        fig.text(pad / WIDTH, (top - FONT) / height, mpl("\n".join(title)), fontsize=FONT, fontweight="bold", va="baseline")
        part = t[(t["indicator"] == ind) & ~t["suppressed"]].sort_values("year")
        kind = part["kind"].iloc[0] if len(part) else "proportion"
        scale = 100 if kind == "proportion" else 1
        ax.errorbar(part["year"], part["estimate"] * scale,
                    yerr=[(part["estimate"] - part["ci_low"]) * scale, (part["ci_high"] - part["estimate"]) * scale],
                    fmt="o", color=GROUP_COLOUR, capsize=3, markersize=6, elinewidth=1.6, zorder=3)
        for (_, a), (_, b) in zip(part.iloc[:-1].iterrows(), part.iloc[1:].iterrows()):
            if b["wave_earlier"] != a["wave"] or b["comparability"] == NOT_COMPARABLE:
                ax.axvline((a["year"] + b["year"]) / 2, color=REFERENCE_COLOUR, linewidth=1.4, linestyle=":", zorder=1)
                continue
            ax.plot([a["year"], b["year"]], [a["estimate"] * scale, b["estimate"] * scale], color=GROUP_COLOUR,
                    linestyle=(0, (5, 3)) if b["comparability"] == CAVEAT else "-", linewidth=1.6, zorder=2)
        ax.set_xticks(years, [str(y) for y in years], fontsize=FONT)
        ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.set_ylim(*((0, 100) if kind == "proportion" else (1, 10)))
        ticks = [0, 50, 100] if kind == "proportion" else [1, 5, 10]
        ax.set_yticks(ticks, [f"{v}%" if kind == "proportion" else str(v) for v in ticks], fontsize=FONT)
        ax.tick_params(length=0, pad=3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        top -= h + gap
    return _svg(fig)


def trend_alt(data: ReportData, inds) -> str:
    """The figure in words: every plotted value per year, and for each step whether it is comparable."""
    t = data.trend
    assert t is not None
    parts = []
    for ind in inds:
        part = t[t["indicator"] == ind.id].sort_values("year")
        values = [f"{r.year} {fmt_number(r.estimate, r.kind)}" if not r.suppressed else f"{r.year} niet gepubliceerd"
                  for r in part.itertuples()]
        year_of = dict(zip(t["wave"], t["year"]))
        steps = [f"{year_of.get(r.wave_earlier, '')}–{r.year} {r.comparability}" for r in part.itertuples()
                 if pd.notna(r.wave_earlier)]
        parts.append(f"{ind.label}: {', '.join(values)}" + (f" ({'; '.join(steps)})" if steps else "") + ".")
    return (f"Figuur per indicator met de uitkomst per meting en het {data.level}-betrouwbaarheidsinterval; een "
            "doorgetrokken lijn verbindt vergelijkbare metingen, een gestreepte lijn metingen met een kanttekening, "
            "een stippellijn scheidt metingen die niet vergelijkbaar zijn. " + " ".join(parts))


def trend_table(data: ReportData) -> None:
    """Every indicator: its estimate per year and each step's change (or why it is not compared)."""
    t = data.trend
    if t is None or t["year"].nunique() < 2:
        return
    years = sorted(t["year"].unique())
    year_of = dict(zip(t["wave"], t["year"]))
    rows = []
    for domain, title in DOMAINS.items():
        for ind in data.indicators(domain):
            part = t[t["indicator"] == ind.id].set_index("year")
            if part.empty:
                continue
            row = {"Domein": title, "Indicator": ind.label}
            for i, year in enumerate(years):
                if year in part.index:
                    r = part.loc[year]
                    row[str(year)] = "–" if r["suppressed"] else fmt_number(r["estimate"], r["kind"])
                else:
                    row[str(year)] = "niet gemeten"
                if i:
                    step = part.loc[year] if year in part.index else None
                    row[f"{years[i - 1]}–{year}"] = _step_text(data, step, year_of)
            rows.append(row)
    import great_tables as gt

    frame = pd.DataFrame(rows)
    note = (f"Verandering: in procentpunten of in punten van het rapportcijfer, met het {data.level}-betrouwbaarheidsinterval "
            "en de p-waarde van de toets; * = groter dan door toeval te verwachten is. Niet vergelijkbaar: de reden staat in "
            "de tekst hierboven en in de Verantwoording. Kanttekening: de verandering is berekend, maar de metingen "
            "verschillen op een punt dat de uitkomst kan beïnvloeden.")
    table = (gt.GT(frame, groupname_col="Domein", id="ontwikkeling")
             .cols_align("right", columns=[c for c in frame.columns if c not in ("Domein", "Indicator")])
             .tab_source_note(note))
    show_table(table, "Ontwikkeling door de jaren")


def _step_text(data: ReportData, step, year_of: dict) -> str:
    if step is None or pd.isna(step["wave_earlier"]):
        return ""
    if step["comparability"] == NOT_COMPARABLE or pd.isna(step["change"]):
        return "niet vergelijkbaar"
    scale, decimals = (100, 1) if step["kind"] == "proportion" else (1, 2)
    change = signed(step["change"] * scale, decimals)
    low, high = signed(step["change_ci_low"] * scale, decimals), signed(step["change_ci_high"] * scale, decimals)
    mark = "*" if step["significant"] else ""
    text = f"{change}{mark} ({low} tot {high}; {p_value_text(float(step['p_value']), data.alpha)})"
    return text + (" (kanttekening)" if step["comparability"] == CAVEAT else "")
