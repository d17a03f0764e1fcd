"""Figure, table and text helpers of the report. They read the pipeline's outputs and format
them; they never compute statistics (every number comes from ``data_clean/<wave>/``).

Every text that comes from configuration or data (labels, wordings, names, titles) enters the
page through ``rapportage.report.markup``: ``md`` in Markdown, ``attr`` in a figure's alt text,
great_tables' own escaping plus ``raw_html`` in tables, ``mpl`` in figures. The sentences here
are Markdown written by this module around those escaped texts.

Style: one seaborn theme with the colour-blind-safe palette; error bars are the 95%
confidence intervals from ``estimates.parquet``; Dutch number formatting (decimal comma).
"""

from __future__ import annotations

import base64
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import great_tables as gt
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from IPython.display import Markdown, display
from rapportage.config import Wave, load_wave
from rapportage.questionnaire.spec import DOMAINS
from rapportage.report.markup import attr, html_text, md, raw_html, sanitise_markdown
from rapportage.statistics.disclosure import suppressed_counts

OVERALL = "totaal"
PALETTE = sns.color_palette("colorblind")
SUPPRESSED = "–"
NOT_BROKEN_DOWN = "·"


@dataclass
class ReportData:
    wave: Wave
    estimates: pd.DataFrame
    weighting: dict
    cleaning: dict
    reliability: dict
    tests: pd.DataFrame
    baseline: Wave | None = None

    @property
    def compared(self) -> bool:
        """Is there a baseline wave whose estimates were compared with these?"""
        return self.baseline is not None and "change" in self.estimates.columns

    def group_label(self, group: str) -> str:
        if group == "language":
            return "Taal van de vragenlijst"
        return self.wave.population.variables[group].label

    def category_label(self, group: str, category: str) -> str:
        if group == OVERALL:
            return "Alle inburgeraars"
        if group == "language":
            return self.wave.questionnaire.languages[category].name
        return self.wave.population.variables[group].categories[category]

    def plural(self, group: str, category: str) -> str:
        """Lower-case plural for running text ('asielstatushouders'), from population.yaml."""
        variable = self.wave.population.variables[group]
        return variable.plural.get(category, variable.categories[category].lower())

    def questionnaire_label(self, indicator: str) -> str:
        return next(i.label for i in self.wave.questionnaire.indicators if i.id == indicator)

    def indicators(self, domain: str) -> list:
        return [i for i in self.wave.questionnaire.indicators if i.domain == domain]

    def cell(self, indicator: str, group: str = OVERALL, category: str = OVERALL) -> pd.Series | None:
        """The estimate of one cell; None when the indicator is not broken down by ``group``
        (an indicator's own ``groups:`` in questionnaire.yaml)."""
        e = self.estimates
        row = e[(e.indicator == indicator) & (e.group == group) & (e.category == category)]
        return row.iloc[0] if len(row) else None


def load(root: str, wave: str) -> ReportData:
    """Read the wave's configuration and pipeline outputs; set the figure style."""
    w = load_wave(Path(root), wave)
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({"figure.dpi": 110, "savefig.dpi": 110, "svg.hashsalt": "rapportage",
                         "text.parse_math": False})  # labels are plain text: "$$…$$" is not a formula
    return ReportData(
        wave=w,
        estimates=pd.read_parquet(w.clean_dir / "estimates.parquet"),
        weighting=json.loads((w.clean_dir / "weighting.json").read_text(encoding="utf-8")),
        cleaning=json.loads((w.clean_dir / "cleaning_log.json").read_text(encoding="utf-8")),
        reliability=json.loads((w.clean_dir / "reliability.json").read_text(encoding="utf-8")),
        tests=pd.read_parquet(w.clean_dir / "group_tests.parquet"),
        baseline=load_wave(Path(root), w.config.baseline_wave) if w.config.baseline_wave else None,
    )


# --------------------------------------------------------------------------- formatting
def nl_number(x: float, decimals: int = 1) -> str:
    return f"{x:,.{decimals}f}".replace(",", "\u2009").replace(".", ",")


def fmt_value(row: pd.Series, with_ci: bool = True) -> str:
    """'31% (28–34%)' for a proportion, '5,6 (5,5–5,7)' for a mean; '–' when suppressed."""
    if row["suppressed"] or pd.isna(row["estimate"]):
        return SUPPRESSED
    text = fmt_number(row["estimate"], row["kind"])
    return f"{text} ({fmt_ci(row)})" if with_ci else text


def fmt_number(x: float, kind: str) -> str:
    return f"{x * 100:.0f}%" if kind == "proportion" else nl_number(x)


def fmt_ci(row: pd.Series) -> str:
    if row["suppressed"] or pd.isna(row["estimate"]):
        return SUPPRESSED
    if row["kind"] == "proportion":
        return f"{row['ci_low'] * 100:.0f}–{row['ci_high'] * 100:.0f}%"
    return f"{nl_number(row['ci_low'])}–{nl_number(row['ci_high'])}"


def scientific(x: float) -> str:
    """'5,8 × 10^−11^' (Markdown superscript) for small numbers such as a margin deviation."""
    if x == 0 or not np.isfinite(x):
        return "0" if x == 0 else SUPPRESSED
    mantissa, exponent = f"{x:.1e}".split("e")
    return f"{mantissa.replace('.', ',')} × 10^{int(exponent)}^".replace("^-", "^\u2212")


def signed(x: float, decimals: int) -> str:
    """'+2,3', '−0,4'; a value that rounds to zero keeps its sign ('+0,0'), so an interval that
    excludes zero never reads as if it touched it."""
    text = nl_number(abs(x), decimals)
    return text if x == 0 else ("+" if x > 0 else "\u2212") + text


def fmt_change(row: pd.Series) -> str:
    """'+4,2 procentpunt (−0,9 tot +9,3)' / '+0,3 (−0,1 tot +0,6)'; 'niet vergelijkbaar' or '–'."""
    if not row.get("comparable", False):
        return "niet vergelijkbaar" if row.get("comparability_note") and not row["suppressed"] else SUPPRESSED
    scale, decimals, unit = (100, 1, " procentpunt") if row["kind"] == "proportion" else (1, 2, "")
    return (f"{signed(row['change'] * scale, decimals)}{unit} "
            f"({signed(row['change_ci_low'] * scale, decimals)} tot {signed(row['change_ci_high'] * scale, decimals)})")


def table_html(table: gt.GT, label: str) -> str:
    """The table as a raw HTML block of Markdown, in a container that scrolls sideways on a
    narrow screen and that keyboard users can reach and scroll (``tabindex``, named region).

    Never a rich (text/html) cell output: that makes Quarto link require.js and jQuery from the
    web, which a self-contained report opened offline cannot load. Quarto's own table
    processing is switched off, so both renderers pass the great_tables markup on untouched.
    """
    markup = table.tab_options(quarto_disable_processing=True, container_overflow_x="visible",
                               container_overflow_y="visible").as_raw_html()
    name = html_text(f"{label} (tabel)")
    return raw_html(f'<div class="tabel" role="region" tabindex="0" aria-label="{name}">\n{markup}\n</div>')


def _show_table(table: gt.GT, label: str) -> None:
    display(Markdown(table_html(table, label)))


# --------------------------------------------------------------------------- summary
def key_figures(data: ReportData) -> None:
    """Table of every indicator for all inburgeraars, grouped by domain."""
    rows = []
    for domain, title in DOMAINS.items():
        for ind in data.indicators(domain):
            row = data.cell(ind.id)
            rows.append({"Domein": title, "Indicator": ind.label, "Uitkomst (95%-BI)": fmt_value(row),
                         "n": SUPPRESSED if row["suppressed"] else f"{int(row['n'])}"})
            if data.compared:
                rows[-1][f"Verandering sinds {data.baseline.config.year} (95%-BI)"] = fmt_change(row)
    frame = pd.DataFrame(rows)
    note = ("Gewogen uitkomsten; tussen haakjes het 95%-betrouwbaarheidsinterval. "
            "n = aantal respondenten met een geldig antwoord.")
    if data.compared:
        note += (f" Verandering: ten opzichte van de meting {data.baseline.config.year}; 'niet vergelijkbaar' "
                 "als de vraag, de definitie of de weging veranderde (zie de Verantwoording).")
    table = (
        gt.GT(frame, groupname_col="Domein", id="kerncijfers")
        .cols_align("right", columns=[c for c in frame.columns if c not in ("Domein", "Indicator")])
        .tab_source_note(note)
    )
    _show_table(table, "Kerncijfers per domein")


def introduction(data: ReportData) -> None:
    """Print (``#| output: asis``) the opening lines: which wave, weighted to what, compared with what."""
    text = (f"*{md(data.wave.config.title)}.* Alle cijfers zijn gewogen naar de samenstelling van de populatie van "
            f"{data.wave.population.total} inburgeraars; zie de [Verantwoording](#sec-verantwoording). ")
    if data.compared:
        text += (f"Waar een indicator vergelijkbaar is met de meting {data.baseline.config.year}, staat de verandering "
                 "erbij; zie [Vergelijkbaarheid met de vorige meting](#sec-vergelijkbaarheid).")
    else:
        text += "De uitkomsten worden niet met een eerdere meting vergeleken; zie [Vergelijkbaarheid met de vorige meting](#sec-vergelijkbaarheid)."
    print(text)


def summary_text(data: ReportData) -> None:
    """One generated sentence per domain: the first indicator and the status contrast."""
    lines = []
    for domain, title in DOMAINS.items():
        ind = data.indicators(domain)[0]
        lines.append(f"- **{title}.** {_sentence(data, ind)}")
    display(Markdown("\n".join(lines)))


def _sentence(data: ReportData, ind) -> str:
    overall = data.cell(ind.id)
    label = md(ind.label[:1].lower() + ind.label[1:])
    if overall["suppressed"]:
        return f"Over '{label}' zijn te weinig antwoorden om iets te publiceren."
    among = md(ind.universe.label) if ind.universe else "de inburgeraars"
    text = f"{md(ind.label)}: {fmt_value(overall)} van {among}." if ind.kind == "proportion" \
        else f"{md(ind.label)}: {fmt_value(overall)}."
    status = data.estimates[(data.estimates.indicator == ind.id) & (data.estimates.group == "status")]
    if len(status) == 2 and not status["suppressed"].any():
        a, b = status.iloc[0], status.iloc[1]
        test = data.tests[(data.tests.indicator == ind.id) & (data.tests.group == "status")]
        if len(test) and pd.notna(test.not_tested.iloc[0]):
            verdict = f"niet getoetst: {test.not_tested.iloc[0]}"
        elif len(test):
            p = float(test.p_value.iloc[0])
            p_text = "p < 0,001" if p < 0.001 else f"p = {nl_number(p, 3)}"
            verdict = (f"een verschil dat niet aan toeval is toe te schrijven ({p_text})" if p < 0.05
                       else f"geen aantoonbaar verschil ({p_text})")
        else:
            overlap = not (a["ci_high"] < b["ci_low"] or b["ci_high"] < a["ci_low"])
            verdict = "de 95%-intervallen overlappen" if overlap else "de 95%-intervallen overlappen niet"
        text += (f" {md(data.plural('status', a['category']).capitalize())}: {fmt_value(a, False)}; "
                 f"{md(data.plural('status', b['category']))}: {fmt_value(b, False)}; {verdict}.")
    if data.compared:
        text += " " + _change_sentence(data, overall)
    return text


def _change_sentence(data: ReportData, row: pd.Series) -> str:
    year = data.baseline.config.year
    if not row.get("comparable", False):
        return f"Niet te vergelijken met {year}: {md(row['comparability_note'])}." if row["comparability_note"] else ""
    moved = row["change_ci_low"] > 0 or row["change_ci_high"] < 0
    verdict = "een verandering die niet aan toeval is toe te schrijven" if moved else "geen aantoonbare verandering"
    return f"Sinds {year}: {fmt_change(row)}, {verdict}."


# --------------------------------------------------------------------------- domain chapters
def domain_text(data: ReportData, domain: str) -> None:
    """One generated sentence per indicator, then where the breakdowns are."""
    items = "\n".join(f"- {_sentence(data, ind)}" for ind in data.indicators(domain))
    display(Markdown(f"{items}\n\nDe figuren hieronder tonen de uitkomsten per kenmerk, één tabblad per kenmerk; "
                     f"@tbl-{domain} zet ze allemaal op een rij, met de betrouwbaarheidsintervallen."))


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
    png = base64.b64encode(domain_plot(cells)).decode("ascii")
    caption = f"{DOMAINS[domain]}: uitkomsten naar {name}, met 95%-betrouwbaarheidsinterval"
    return f'![{caption}](data:image/png;base64,{png}){{#fig-{domain}-{group} fig-alt="{attr(figure_alt(cells))}"}}'


def _figure_cells(data: ReportData, domain: str, group: str) -> pd.DataFrame:
    inds = data.indicators(domain)
    e = data.estimates[data.estimates.indicator.isin([i.id for i in inds])
                       & data.estimates.group.isin([OVERALL, group])].copy()
    e["label"] = e.indicator.map({i.id: i.label for i in inds})
    e["Groep"] = [data.category_label(g, c) for g, c in zip(e.group, e.category)]
    return e


def domain_plot(cells: pd.DataFrame) -> bytes:
    """Dot plot of indicators (rows) by group category (colours) with 95% CI error bars, as PNG.

    Proportions are shown in percent; mean indicators (marks 1–10) get their own panel.
    Suppressed cells are not drawn.
    """
    e = cells[~cells.suppressed]
    kinds = [k for k in ("proportion", "mean") if (e.kind == k).any()]
    order = list(dict.fromkeys(e.Groep))
    row = max(0.55, 0.16 * len(order) + 0.25)
    heights = [max(1.0, row * e[e.kind == k].label.nunique() + 0.6) for k in kinds]
    legend_rows = -(-len(order) // 4)
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
        ax.set_yticks(range(len(labels)), [mpl(_wrap(lbl)) for lbl in labels])
        ax.set_ylim(len(labels) - 0.5, -0.5)  # first indicator on top, room for every marker
        ax.set_xlabel("Percentage" if kind == "proportion" else "Gemiddeld rapportcijfer (1–10)")
        ax.set_xlim(*((0, 100) if kind == "proportion" else (1, 10)))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(order), 4), frameon=False)
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
    text = "Stippenfiguur met 95%-betrouwbaarheidsintervallen. " + " ".join(parts)
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


def domain_table(data: ReportData, domain: str) -> None:
    """Every indicator of the domain by every group: estimate (95% CI)."""
    inds = data.indicators(domain)
    e = data.estimates[data.estimates.indicator.isin([i.id for i in inds])]
    rows = []
    groups = [OVERALL, *data.wave.config.estimation.groups]
    not_broken_down = False
    for group in groups:
        cats = list(dict.fromkeys(e[e.group == group].category))
        for cat in cats:
            row = {"Groep": "Totaal" if group == OVERALL else data.group_label(group),
                   "Categorie": data.category_label(group, cat)}
            for ind in inds:
                cell = data.cell(ind.id, group, cat)
                not_broken_down |= cell is None
                row[ind.label] = NOT_BROKEN_DOWN if cell is None else fmt_value(cell)
            rows.append(row)
    note = (f"{SUPPRESSED} = niet gepubliceerd: te weinig respondenten (percentages minder dan "
            f"{data.wave.config.disclosure.min_n_percentage}, gemiddelden minder dan {data.wave.config.disclosure.min_n}), "
            "of terug te rekenen uit de andere cellen. Tussen haakjes het 95%-betrouwbaarheidsinterval.")
    if not_broken_down:
        note += f" {NOT_BROKEN_DOWN} = deze uitkomst wordt niet naar dit kenmerk uitgesplitst."
    table = (
        gt.GT(pd.DataFrame(rows), rowname_col="Categorie", groupname_col="Groep", id=f"tabel-{domain}")
        .cols_align("right", columns=[i.label for i in inds])
        .tab_source_note(note)
    )
    _show_table(table, f"{DOMAINS[domain]}: uitkomsten naar groep")


# --------------------------------------------------------------------------- methods
def methods_text(data: ReportData) -> None:
    """Fieldwork, response, weighting and precision in a paragraph built from the diagnostics."""
    display(Markdown(_methods_markdown(data)))


def _methods_markdown(data: ReportData) -> str:
    c, w = data.cleaning, data.weighting
    d = w["diagnostics"]
    cfg = data.wave.config
    pct = nl_number(100 * c["respondents"] / c["invited"])
    return (
        f"Alle {c['invited']} inburgeraars in de populatie (peildatum "
        f"{data.wave.population.reference_date:%d-%m-%Y}) zijn met een persoonlijke link uitgenodigd; "
        f"het veldwerk liep van {cfg.fieldwork.start:%d-%m-%Y} tot en met {cfg.fieldwork.end:%d-%m-%Y}. "
        f"Na controle bleven **{c['respondents']} geldige respondenten** over, een respons van {pct}%. "
        f"De respons is gewogen door {_weighting_method(w)} naar de registertotalen van "
        f"{', '.join(_margin_label(data, m) for m in w['margins'])} "
        f"({w['iterations']} iteraties; grootste relatieve afwijking van een marge {scientific(w['max_margin_deviation'])}). "
        + _propensity_and_trimming(w) +
        f"Het design-effect van de weging (Kish) is {nl_number(d['deff_kish'], 2)}, de effectieve "
        f"steekproefomvang {nl_number(d['n_effective'], 0)}; de gewichten lopen van "
        f"{nl_number(d['weights']['min'], 2)} tot {nl_number(d['weights']['max'], 2)}. "
        + _representativeness_sentence(data)
        + _interval_sentence(w)
        + "Voor percentages is het interval zo berekend dat het niet onder 0% of boven 100% uitkomt. Bij minder dan "
        f"{cfg.estimation.small_domain_n} antwoorden en bij uitkomsten van 0% of 100% is de methode van Korn en "
        "Graubard gebruikt, die beter werkt bij kleine aantallen en ook bij 0% of 100% een echt interval geeft "
        "(bij 0 van 38 antwoorden bijvoorbeeld van 0% tot 9%). "
        + _margin_of_error_sentence(data)
        + f"Percentages op minder dan {cfg.disclosure.min_n_percentage} en "
        f"gemiddelden op minder dan {cfg.disclosure.min_n} respondenten worden niet gepubliceerd, en ook geen cel "
        f"waaruit zo'n waarde terug te rekenen is."
    )


METHODS = {"raking": "*raking* (iteratief aanpassen aan elke marge)",
           "linear": "lineaire kalibratie (GREG)",
           "logit": "logit-kalibratie"}


def _weighting_method(w: dict) -> str:
    text = METHODS[w["method"]]
    if w.get("bounds"):
        low, high = w["bounds"]
        text += f" met gewichten begrensd tussen {nl_number(low, 2)} en {nl_number(high, 2)} keer het startgewicht"
    return text


def _margin_label(data: ReportData, margin: str) -> str:
    """'leeftijd' or, for an interaction margin 'status*gender', 'migratiestatus × geslacht'."""
    return " × ".join(md(data.group_label(v).lower()) for v in margin.split("*"))


def _propensity_and_trimming(w: dict) -> str:
    text = ""
    if w.get("propensity"):
        text += ("Het startgewicht is de inverse van de responskans uit een responsmodel op de registerkenmerken"
                 + (f", in {w['propensity']['classes']} klassen" if w["propensity"].get("use") == "classes" else "") + ". ")
    if w.get("trimming") and w["trimming"].get("trimmed"):
        t = w["trimming"]
        text += (f"Gewichten boven {nl_number(t['cap'], 2)} zijn afgetopt ({t['trimmed']} respondenten)"
                 + (" en daarna opnieuw aan de registertotalen aangepast" if t.get("recalibrated") else "")
                 + (f"; dat is {t['rounds']} keer herhaald" if t.get("rounds", 0) > 1 else "") + ". ")
        if "max_relative_to_mean" in t:
            text += f"Het grootste gewicht is daarna {nl_number(t['max_relative_to_mean'], 2)} keer het gemiddelde gewicht. "
            lowest = t.get("lowest_possible_max_relative_to_mean", 0.0)
            if not t.get("cap_met", True) and lowest > t["upper_relative_to_mean"]:
                text += ("Dat is meer dan de bovengrens: bij elke weging die aan alle registertotalen voldoet, is het "
                         f"grootste gewicht minstens {nl_number(lowest, 2)} keer het gemiddelde. ")
            elif not t.get("cap_met", True):
                text += f"Dat is meer dan de bovengrens: het aftoppen is na {t['rounds']} rondes gestopt. "
        if t.get("g_range"):
            low, high = t["g_range"]
            text += (f"Door het herhaald aftoppen liggen de gewichten daarna tussen {nl_number(low, 2)} en "
                     f"{nl_number(high, 2)} keer het startgewicht. ")
    return text


def _interval_sentence(w: dict) -> str:
    if not w.get("calibrated", True):  # the design is then that of the weights as given
        return ("Betrouwbaarheidsintervallen houden rekening met de gewichten en met de eindige-populatiecorrectie, "
                "maar niet met de aanpassing aan de registertotalen, omdat de afgetopte gewichten daar niet meer "
                "precies aan voldoen; dat maakt ze doorgaans iets ruimer. ")
    return ("Betrouwbaarheidsintervallen houden rekening met de weging (linearisatie met kalibratieresiduen) "
            "en met de eindige-populatiecorrectie. ")


def _margin_of_error_sentence(data: ReportData) -> str:
    """The largest half-width of the published 95% intervals of percentages, overall and by group."""
    e = data.estimates[(data.estimates.kind == "proportion") & ~data.estimates.suppressed]
    half = (e.ci_high - e.ci_low) / 2 * 100
    overall, groups = half[e.group == OVERALL], half[e.group != OVERALL]
    if overall.empty:
        return ""
    text = (f"De foutmarge (de halve breedte van het 95%-interval) van een percentage voor alle inburgeraars is "
            f"ten hoogste {nl_number(overall.max(), 0)} procentpunt")
    if not groups.empty:
        text += f", voor groepen ten hoogste {nl_number(groups.max(), 0)} procentpunt"
    return text + ". "


def _representativeness_sentence(data: ReportData) -> str:
    rep = data.weighting.get("representativeness")
    if not rep:
        return ""
    partial = [p for p in rep["partial_r_indicators"] if p["category"] is None]
    strongest = max(partial, key=lambda p: p["value"])
    return (f"De R-indicator van de respons is {nl_number(rep['r_indicator'], 2)} (1 = volledig representatief); "
            f"de respons verschilt het meest naar {md(data.group_label(strongest['variable']).lower())} "
            f"(partiële R-indicator {nl_number(strongest['value'], 3)}). ")


def languages_table(data: ReportData) -> None:
    """The languages the questionnaire was offered in and how many respondents used each."""
    used = data.cleaning["respondents_by_language"]
    total = sum(used.values())
    status = {"professional": "gecontroleerde vertaling", "draft": "concept, niet gecontroleerd",
              "missing": "niet in de specificatie"}
    offered = data.wave.config.languages
    codes = [*offered, *sorted(set(used) - set(offered))]
    hidden = suppressed_counts({code: used.get(code, 0) for code in codes}, data.wave.config.disclosure.min_n)
    rows = []
    for code in codes:
        lang = data.wave.questionnaire.languages[code]
        n = used.get(code, 0)
        rows.append({"Taal": lang.name, "Eigen naam": lang.native, "Aangeboden": "ja" if code in offered else "nee",
                     "Vragenlijst in questionnaire.yaml": status[lang.status],
                     "Respondenten": SUPPRESSED if code in hidden else str(n),
                     "Aandeel": SUPPRESSED if code in hidden or not total else f"{nl_number(100 * n / total)}%"})
    note = "Respondenten: geldige respondenten naar de taal waarin zij de vragenlijst invulden."
    if hidden:
        note += (f" {SUPPRESSED}: niet gepubliceerd, omdat het om minder dan {data.wave.config.disclosure.min_n} "
                 "respondenten gaat (of omdat het aantal anders uit de andere zou volgen).")
    table = (gt.GT(pd.DataFrame(rows), id="talen").cols_align("right", columns=["Respondenten", "Aandeel"])
             .tab_source_note(note))
    _show_table(table, "Talen van de vragenlijst")


def cleaning_table(data: ReportData) -> None:
    """The response flow (invited → started → submitted → valid) and what each rule did."""
    action_nl = {"drop": "verwijderd", "flag": "gemarkeerd, meegeteld", "set_missing": "antwoord als ontbrekend",
                 "count": "geteld", "": ""}
    rows = [{"Stap": s["description"], "Gevolg": action_nl.get(s["action"], s["action"]), "Aantal": s["count"]}
            for s in data.cleaning["steps"]]
    table = (gt.GT(pd.DataFrame(rows), id="responsstroom").cols_align("right", columns=["Aantal"])
             .tab_source_note("De eerste vier regels zijn de responsstroom; daarna wat elke opschoonregel "
                              "deed, in de volgorde waarin de regels worden toegepast (cleaning.yaml)."))
    _show_table(table, "Van export naar geldige respondenten")


def representativeness_table(data: ReportData) -> None:
    """Response rate by weighting category, and sample vs population before and after weighting."""
    rows = []
    for m in data.weighting["diagnostics"]["margins"]:
        rows.append({
            "Kenmerk": data.group_label(m["variable"]),
            "Categorie": data.category_label(m["variable"], m["category"]),
            "Respons": f"{nl_number(100 * m['n'] / m['target'])}%",
            "Steekproef": f"{nl_number(100 * m['sample_share'])}%",
            "Gewogen": f"{nl_number(100 * m['weighted_share'])}%",
            "Populatie": f"{nl_number(100 * m['population_share'])}%",
        })
    table = (
        gt.GT(pd.DataFrame(rows), rowname_col="Categorie", groupname_col="Kenmerk", id="representativiteit")
        .cols_align("right", columns=["Respons", "Steekproef", "Gewogen", "Populatie"])
        .tab_source_note("Respons = respondenten als percentage van de populatie in de categorie. "
                         "Steekproef en Gewogen: verdeling van de respondenten voor en na weging.")
    )
    _show_table(table, "Respons en samenstelling naar kenmerk")


def reliability_table(data: ReportData) -> None:
    """Cronbach's alpha of every multi-item scale, with its 95% interval (Feldt)."""
    rows = [{"Schaal": r["label"], "Items": r["items"], "n": r["n"],
             "Cronbachs alfa (95%-BI)": f"{nl_number(r['alpha'], 2)} ({nl_number(r['ci_low'], 2)}–{nl_number(r['ci_high'], 2)})"}
            for r in data.reliability.values()]
    table = (gt.GT(pd.DataFrame(rows), id="betrouwbaarheid").cols_align("right", columns=["Items", "n", "Cronbachs alfa (95%-BI)"])
             .tab_source_note("Berekend op de itemscores (omgekeerde items omgedraaid), respondenten die alle items beantwoordden."))
    _show_table(table, "Interne consistentie van de schalen")


def comparability(data: ReportData) -> None:
    """Print (``#| output: asis``) whether and how this wave is compared with its baseline."""
    if data.baseline is None:
        print(f"Deze meting wordt met geen eerdere meting vergeleken: in `surveys/{data.wave.id}/wave.yaml` is "
              "geen `baseline_wave` opgegeven. Een verandering wordt alleen berekend als de vraag, de definitie van "
              "de indicator en de weging in beide metingen gelijk zijn.")
        return
    year = data.baseline.config.year
    overall = data.estimates[data.estimates.group == OVERALL]
    comparable = int(overall.comparable.sum())
    print(f"De uitkomsten worden vergeleken met de meting {year} (`{data.baseline.id}`). Een verandering "
          f"wordt alleen berekend als de vraag (tekst in het Nederlands, antwoordcodes, filter), de definitie van de "
          f"indicator en de weging in beide metingen gelijk zijn; dat geldt voor {comparable} van de "
          f"{len(overall)} indicatoren. Het interval van een verandering gaat uit van twee onafhankelijke "
          f"steekproeven.\n")
    rows = [{"Indicator": data.questionnaire_label(r["indicator"]),
             f"Uitkomst {year}": fmt_number(r["baseline_estimate"], r["kind"]) if pd.notna(r["baseline_estimate"]) else SUPPRESSED,
             f"Uitkomst {data.wave.config.year}": fmt_value(r, False),
             "Verandering (95%-BI)": fmt_change(r), "Reden": r["comparability_note"] or "vergelijkbaar"}
            for _, r in overall.iterrows()]
    table = gt.GT(pd.DataFrame(rows), id="vergelijkbaarheid")
    caption = f"Vergelijkbaarheid met de meting {year}, alle inburgeraars"
    print(f"::: {{#tbl-vergelijkbaarheid}}\n\n{table_html(table, caption)}\n\n{caption}\n:::")


# --------------------------------------------------------------------------- appendices
def appendix_tables(data: ReportData) -> None:
    """Print (``#| output: asis``) a tabset with, per domain, the full table of every indicator
    by every group: estimate, 95% CI, n, effective n, design effect and the unweighted value."""
    lines = ["::: {.tabbladen}", ""]
    for domain, title in DOMAINS.items():
        table = appendix_table(data, domain)
        caption = f"{title}: alle uitkomsten naar groep"
        lines += [f"### {title}", "", f"::: {{#tbl-bijlage-{domain}}}", "", table_html(table, caption), "",
                  caption, ":::", ""]
    lines.append(":::")
    print("\n".join(lines))


def appendix_table(data: ReportData, domain: str) -> gt.GT:
    rows = []
    groups = [OVERALL, *data.wave.config.estimation.groups]
    for ind in data.indicators(domain):
        e = data.estimates[data.estimates.indicator == ind.id]
        for group in groups:
            for i, (_, r) in enumerate(e[e.group == group].iterrows()):
                hide = bool(r["suppressed"]) or pd.isna(r["estimate"])
                rows.append({
                    "Indicator": ind.label,
                    "Kenmerk": ("Totaal" if group == OVERALL else data.group_label(group)) if i == 0 else "",
                    "Categorie": data.category_label(group, r["category"]),
                    "Uitkomst": fmt_value(r, with_ci=False),
                    "95%-BI": fmt_ci(r),
                    "n": SUPPRESSED if hide else f"{int(r['n'])}",
                    "Effectieve n": SUPPRESSED if hide else nl_number(r["n_eff"], 0),
                    "Design-effect": SUPPRESSED if hide else nl_number(r["deff"], 2),
                    "Ongewogen": SUPPRESSED if hide else fmt_number(r["estimate_unweighted"], r["kind"]),
                })
    numeric = ["Uitkomst", "95%-BI", "n", "Effectieve n", "Design-effect", "Ongewogen"]
    return (
        gt.GT(pd.DataFrame(rows), groupname_col="Indicator", id=f"bijlage-{domain}")
        .cols_align("right", columns=numeric)
        .tab_source_note(f"{SUPPRESSED} = niet gepubliceerd (zie de geheimhoudingsregels in de Verantwoording). "
                         "Effectieve n = n gedeeld door het design-effect van de weging.")
    )


def codebook_table(data: ReportData) -> None:
    """The codebook of respondents.parquet (from ``data_clean/<wave>/codebook.csv``)."""
    book = pd.read_csv(data.wave.clean_dir / "codebook.csv", dtype=str, keep_default_na=False)
    table = (
        gt.GT(book.rename(columns={"variable": "Variabele", "label_nl": "Omschrijving", "type": "Type",
                                   "values": "Waarden", "filter": "Filter", "text_nl": "Vraag (Nederlands)"})
              [["Variabele", "Omschrijving", "Type", "Waarden", "Filter", "Vraag (Nederlands)"]], id="codeboek")
        .tab_source_note("Waarden: code = label. Filter: de vraag is alleen gesteld als deze voorwaarde geldt.")
    )
    _show_table(table, "Codeboek")


# --------------------------------------------------------------------------- researcher texts
def researcher_text(data: ReportData, name: str) -> None:
    """Print (``#| output: asis``) the researcher's text ``surveys/<wave>/tekst/<name>.md`` in a
    note box, reduced to the formatting the report publishes (``rapportage.report.markup.sanitise_markdown``;
    the render stage reports what it removed). Nothing when the wave has no such text."""
    path = data.wave.text_dir / f"{name}.md"
    if not path.is_file():
        return
    text, _ = sanitise_markdown(path.read_text(encoding="utf-8"))
    fence = ":" * max(3, 1 + max((len(run) for run in re.findall(r":+", text)), default=0))
    print(f'{fence} {{.kader role="note"}}\n{text}\n{fence}')


# --------------------------------------------------------------------------- colophon
# every package whose version can change a number or the look of the report (requirements.lock has all)
SHAPING_PACKAGES = ("rapportage-inburgering", "pandas", "numpy", "scipy", "statsmodels", "pingouin", "pyarrow",
                    "matplotlib", "seaborn", "pillow", "great_tables", "pypandoc-binary", "nbclient", "ipykernel")


def colophon(data: ReportData, renderer: str = "") -> None:
    """Where every number comes from: code version, configuration and raw data hashes, the
    software that made it (Python, every package that shapes the output, the renderer) and the
    command that reproduces the report (read from the stages' manifests)."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from rapportage.manifest import git_state, sha256_file
    from rapportage.sources.snapshots import snapshots

    wave = data.wave
    commit, changed = git_state(wave.root)
    commit = commit or "niet in een git-repository"
    dirty = " (met niet-vastgelegde wijzigingen in code of configuratie)" if changed else ""
    manifest = json.loads((wave.clean_dir / "estimate.manifest.json").read_text(encoding="utf-8"))
    raw = [f"`{p.name}` (manifest sha256 `{sha256_file(p / 'manifest.json')[:16]}…`)" for p in snapshots(wave)]

    def v(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "–"

    packages = ", ".join(f"{p} {v(p)}" for p in SHAPING_PACKAGES)
    lines = [
        f"- Code: git-commit `{commit}`{dirty}; pakket `rapportage-inburgering` {manifest['package_version']} "
        f"(broncode sha256 `{manifest['code_sha256'][:16]}…`).",
        f"- Configuratie `surveys/{wave.id}/`: sha256 `{manifest['config_sha256'][:16]}…`.",
        f"- Ruwe gegevens: {', '.join(raw) or 'geen snapshot'}.",
        f"- Software: Python {platform.python_version()}; {packages}" + (f"; opgemaakt met {md(renderer)}" if renderer else "")
        + ". Alle versies staan in `requirements.lock`.",
        f"- Opnieuw maken: `rapportage run --wave {wave.id}` (de demonstratiemeting: `make report`).",
    ]
    display(Markdown("\n".join(lines)))
