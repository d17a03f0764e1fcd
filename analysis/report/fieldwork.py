"""The fieldwork monitor's page (``reports/_output/<wave>/veldwerk.html``) and its recommendation
as CSV: in Dutch, self-contained, with the report's style, security policy and accessibility
(figures as SVG with an alt text, tables with a caption in a focusable scrolling region, a main
landmark). Aggregates only; a count below the disclosure minimum is shown as a range."""

from __future__ import annotations

import base64
from collections.abc import Set as AbstractSet
from datetime import timedelta

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from rapportage.config import Wave
from rapportage.report.figures import (
    FONT,
    GROUP_COLOUR,
    OVERALL_COLOUR,
    REFERENCE_COLOUR,
    WIDTH,
    _svg,
    mpl,
    plain_rows,
    set_style,
    text_width,
    wrap_to,
)
from rapportage.report.formatting import nl_count, nl_date, nl_list, nl_number, standalone_page
from rapportage.report.markup import html_text
from rapportage.stages.monitor import PROJECTION_METHOD, Status

LINE_STYLES = [(GROUP_COLOUR, "-"), (OVERALL_COLOUR, "--"), ("#8a3b0b", ":"), ("#2f6b2f", "-."), ("#5a2d82", (0, (5, 1, 1, 1)))]
"""Colour and dash of each category's line: each colour over 3:1 on white, and no two lines told apart by colour alone."""
PAGE_STYLE = """
table.eenvoudig { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .95rem; }
p.bijschrift { font-style: italic; color: #333; margin: 1.2rem 0 .2rem; }
table.eenvoudig th, table.eenvoudig td { border-bottom: 1px solid #d3d3d3; padding: .3rem .6rem; vertical-align: top; }
table.eenvoudig thead th { text-align: left; border-bottom: 2px solid #555; }
table.eenvoudig td { text-align: right; white-space: nowrap; }
table.eenvoudig tbody th { text-align: left; font-weight: normal; position: sticky; left: 0; background: #fff; }
figure { margin: 1.5rem 0; } figure img { display: block; width: 100%; max-width: 30rem; height: auto; }
"""


class Labels:
    """Dutch names of the monitor's variables and categories (population.yaml, the questionnaire's languages)."""

    def __init__(self, wave: Wave) -> None:
        self.wave = wave

    def variable(self, var: str) -> str:
        if var in self.wave.population.variables:
            return self.wave.population.variables[var].label
        return "Taal van de uitnodiging" if var == "language" else var

    def category(self, var: str, code: str) -> str:
        if var in self.wave.population.variables:
            return self.wave.population.variables[var].categories.get(code, code)
        languages = self.wave.questionnaire.languages
        return languages[code].name if var == "language" and code in languages else code


def small_categories(status: Status, minimum: int) -> set[tuple[str, str]]:
    """Categories whose figures would disclose a small count: fewer than ``minimum`` invited, or
    fewer than ``minimum`` who did (or who did not) respond. Their rate, curve, partial R-indicator
    and exact counts are not shown (the partial R-indicator gives the rate away: a main-effects
    model fits each category's response rate exactly)."""
    c = status.categories
    small = (c.persons < minimum) | (c.submitted < minimum) | (c.persons - c.submitted < minimum)
    return set(zip(c.variable[small], c.category[small]))


def _count(n: float, minimum: int) -> str:
    """A count, or 'minder dan 10' below the disclosure minimum (0 too: 'nobody' discloses as much)."""
    return f"minder dan {minimum}" if n < minimum else nl_count(int(n))


def _ranged(r, minimum: int) -> list[str]:
    """Not yet responded in a category whose count would disclose a small one: a range of
    ``minimum`` values, and no expected number (it follows from the rate)."""
    low, high = max(0, int(r.persons) - minimum + 1), int(r.persons)
    if r.not_responded < minimum:
        low, high = 0, minimum - 1
    return [f"{nl_count(low)}–{nl_count(high)}", "–"]


def _signed(x: float, decimals: int = 3) -> str:
    """'−0,083' with a minus sign, '0,000' without one."""
    text = nl_number(x, decimals)
    return text.replace("-", "\u2212")


def _pct(x: float) -> str:
    return f"{nl_number(100 * x, 1)}%"


def _table(caption: str, header: list[str], rows: list[list[str]], label: str) -> str:
    """An accessible table: caption, column headers, the first cell of a row its header, in a
    scrolling region a keyboard can reach."""
    head = "".join(f'<th scope="col">{html_text(h)}</th>' for h in header)
    body = "".join("<tr>" + f'<th scope="row">{html_text(r[0])}</th>' + "".join(f"<td>{html_text(c)}</td>" for c in r[1:]) + "</tr>\n"
                   for r in rows)
    # the caption is shown above the scrolling region (inside it, it would scroll away on a phone) and
    # kept in the table for screen readers, as the report does
    return (f'<p class="bijschrift" aria-hidden="true">{html_text(caption)}</p>\n'
            f'<div class="tabel" role="region" tabindex="0" aria-label="{html_text(label)} (tabel)">\n'
            f'<table class="eenvoudig">\n<caption class="visually-hidden">{html_text(caption)}</caption>\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}</tbody>\n</table>\n</div>")


def _figure(svg: bytes, alt: str, caption: str) -> str:
    src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
    return (f'<figure>\n<img src="{src}" alt="{html_text(alt)}">\n'
            f"<figcaption>{html_text(caption)}</figcaption>\n</figure>")


def response_plot(status: Status, labels: Labels, reminder_days: list[int], hidden: AbstractSet[tuple[str, str]] = frozenset()) -> bytes:
    """A panel for everyone and one per variable: the share that responded by each day, a line per
    category labelled at its end; the projection to the last day dashed in the first panel, and
    the days reminders went out as thin vertical lines."""
    set_style()
    pt = 1 / 72
    panels = [("Alle uitgenodigden", None)] + [(labels.variable(v), v) for v in status.categories.variable.unique()]
    panel_h, title_h, axis_h, gap, pad = 120.0, FONT * 2.2, FONT * 2.0, 14.0, 4.0
    label_w = min(WIDTH * 0.4, 10 + max([text_width("verwacht")] + [text_width(labels.category(v, c)) for v, c in
                                                                     zip(status.categories.variable, status.categories.category)]))
    height = len(panels) * (title_h + panel_h + axis_h) + gap * (len(panels) - 1) + pad + FONT * 1.5  # and the axis's name
    fig = plt.figure(figsize=(WIDTH * pt, height * pt))
    top = height
    days = status.days
    projected = None if status.projected is None else status.projected / status.persons
    ceiling = max(0.05, float(status.by_category.rate.max() if len(status.by_category) else 0), projected or 0)
    ceiling = min(1.0, np.ceil(ceiling * 10 + 0.5) / 10)
    for title, var in panels:
        y0 = top - title_h - panel_h
        ax = fig.add_axes((36 / WIDTH, y0 / height, (WIDTH - 36 - label_w - pad) / WIDTH, panel_h / height))
        fig.text(pad / WIDTH, (top - FONT) / height, mpl(title), fontsize=FONT, fontweight="bold", va="baseline")
        if var is None:
            d = status.daily
            ax.plot(d.day, 100 * d.rate, color=OVERALL_COLOUR, linewidth=2)
            if status.day < days and projected is not None:
                ax.plot([status.day, days], [100 * d.rate.iloc[-1], 100 * projected],
                        color=REFERENCE_COLOUR, linestyle=(0, (4, 2)), linewidth=1.6)
            ends = [(100 * projected, "verwacht") if status.day < days and projected is not None else (100 * d.rate.iloc[-1], "")]
        else:
            ends = []
            shown = [c for c in status.categories[status.categories.variable == var].category if (var, c) not in hidden]
            curves = status.by_category[(status.by_category.variable == var) & status.by_category.category.isin(shown)]
            for i, (code, curve) in enumerate(curves.groupby("category", sort=False)):
                colour, dash = LINE_STYLES[i % len(LINE_STYLES)]
                ax.plot(curve.day, 100 * curve.rate, color=colour, linestyle=dash, linewidth=2)
                ends.append((100 * curve.rate.iloc[-1], labels.category(var, code)))
        for day in reminder_days:
            if day <= status.day:
                ax.axvline(day, color=REFERENCE_COLOUR, linewidth=0.8)
        ax.set_xlim(1, days)
        ax.set_ylim(0, 100 * ceiling)
        ticks = np.linspace(0, 100 * ceiling, 3)
        ax.set_yticks(ticks, [f"{t:.0f}%" for t in ticks], fontsize=FONT)
        xt = [1, *range(7, days + 1, 7)]
        ax.set_xticks(xt, [str(t) for t in xt], fontsize=FONT)
        ax.tick_params(length=0, pad=3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        # direct labels at the line ends, pushed apart so they do not overlap (no legend to decode)
        line = 100 * ceiling * FONT * 1.15 / panel_h  # one line of text in data units
        above = -np.inf
        for value, text in sorted(ends):
            lines = wrap_to(text, label_w - 10) if text else [""]
            y = max(value + line * (len(lines) - 1) / 2, above + line * len(lines))  # no label over the one below it
            above = y
            if text:
                ax.text(days + 0.6, y - line * (len(lines) - 1) / 2, mpl("\n".join(lines)), fontsize=FONT, va="center",
                        linespacing=1.0, clip_on=False)
        top -= title_h + panel_h + axis_h + gap
    fig.text(pad / WIDTH, pad / height, "dag van het veldwerk", fontsize=FONT, va="bottom")
    return _svg(fig)


def partials_plot(status: Status, labels: Labels, hidden: AbstractSet[tuple[str, str]] = frozenset()) -> bytes:
    """The unconditional partial R-indicator of each category with its 95% interval, a panel per
    variable: left of zero is under-represented."""
    set_style()
    pt = 1 / 72
    p = status.representativeness.partials  # type: ignore[union-attr]
    p = p[[c is not pd.NA and (v, c) not in hidden for v, c in zip(p.variable, p.category)]]
    row_h, title_h, axis_h, gap, pad = 17.0, FONT * 1.4, FONT * 1.9, 12.0, 4.0
    names = {(r.variable, r.category): wrap_to(labels.category(r.variable, r.category), WIDTH * 0.42) for r in p.itertuples()}
    label_w = max(text_width(line) for lines in names.values() for line in lines) + 8
    blocks = list(p.groupby("variable", sort=False))
    row_hs = [row_h + FONT * 1.15 * (max(len(names[(v, c)]) for c in part.category) - 1) for v, part in blocks]
    heights = [title_h + len(part) * rh + axis_h for (_, part), rh in zip(blocks, row_hs)]
    height = sum(heights) + gap * (len(blocks) - 1) + pad
    reach = float(np.max(np.abs(p.unconditional) + 1.96 * p.unconditional_se))
    limit = np.ceil(reach * 50) / 50
    fig = plt.figure(figsize=(WIDTH * pt, height * pt))
    top = height
    for (var, part), h, rh in zip(blocks, heights, row_hs):
        plot_h = len(part) * rh
        y0 = top - title_h - plot_h
        ax = fig.add_axes(((pad + label_w) / WIDTH, y0 / height, (WIDTH - pad - label_w - 14) / WIDTH, plot_h / height))
        fig.text(pad / WIDTH, (top - FONT) / height, mpl(labels.variable(var)), fontsize=FONT, fontweight="bold", va="baseline")
        for i, r in enumerate(part.itertuples()):
            ax.errorbar([r.unconditional], [i], xerr=[[1.96 * r.unconditional_se], [1.96 * r.unconditional_se]], fmt="o",
                        color=GROUP_COLOUR, capsize=3, markersize=6, elinewidth=1.6, zorder=3)
        ax.axvline(0, color=OVERALL_COLOUR, linewidth=1)
        ax.set_yticks(range(len(part)), [mpl("\n".join(names[(var, c)])) for c in part.category], fontsize=FONT)
        ax.set_ylim(len(part) - 0.5, -0.5)
        ax.set_xlim(-limit, limit)
        ticks = [-limit, 0, limit]
        ax.set_xticks(ticks, [_signed(t, 2) for t in ticks], fontsize=FONT)
        plain_rows(ax)
        top -= h + gap
    return _svg(fig)


def shown_recommendation(status: Status, minimum: int) -> pd.DataFrame:
    """The recommendation without the categories too small to show (fewer than ``minimum`` invited), ranked again."""
    r = status.recommendation
    if r.empty:
        return r
    r = r[r.persons >= minimum].reset_index(drop=True)
    return r.assign(rank=range(1, len(r) + 1))


def recommendation_frame(status: Status, wave: Wave, minimum: int) -> pd.DataFrame:
    """The recommendation as the CSV beside the page: no identifier, small counts as ranges."""
    labels = Labels(wave)
    r = shown_recommendation(status, minimum)
    if r.empty:
        return pd.DataFrame(columns=["rang", "groep", "herinner_met", "uitgenodigd", "nog_niet_ingevuld",
                                     "verwachte_extra_respondenten", "r_indicator_na_herinnering", "winst_r_indicator"])
    hidden = small_categories(status, minimum)
    counts = [_ranged(row, minimum) if (row.variable, row.category) in hidden else [str(int(row.not_responded)),
              str(int(round(row.extra_respondents)))] for row in r.itertuples()]
    return pd.DataFrame({
        "rang": r["rank"],
        "groep": [f"{labels.variable(v)}: {labels.category(v, c)}" for v, c in zip(r.variable, r.category)],
        "herinner_met": [f"{v}={c}" for v, c in zip(r.variable, r.category)],
        "uitgenodigd": r.persons.astype(int),
        "nog_niet_ingevuld": [c[0].replace(".", "") for c in counts],
        "verwachte_extra_respondenten": [c[1] for c in counts],
        "r_indicator_na_herinnering": r.r_after.round(4),
        "winst_r_indicator": r.gain.round(4),
    })


def page(wave: Wave, status: Status, *, effect: float, reminders: list[tuple[int, str]], synthetic: bool) -> bytes:
    """The whole page. ``reminders``: (day, whom) of each reminder sent so far."""
    labels = Labels(wave)
    minimum = wave.config.disclosure.min_n
    title = f"Veldwerkmonitor — {wave.config.title}"
    rate = status.submitted / status.persons
    parts = [f'<header><h1 class="title">{html_text(title)}</h1>\n'
             f'<p class="subtitle">Stand op dag {status.day} van {status.days}: {html_text(nl_date(status.today))}</p></header>\n<main>']
    if synthetic:
        parts.append('<div class="kader" role="note"><p>Dit is een demonstratie: het veldwerk en alle cijfers op deze pagina zijn '
                     "gesimuleerd, niet gemeten.</p></div>")
    parts.append("<h2>De respons tot nu toe</h2>")
    text = (f"Van de {nl_count(status.persons)} uitgenodigden zijn er {nl_count(status.started)} aan de vragenlijst begonnen en "
            f"hebben er {nl_count(status.submitted)} hem ingevuld en verstuurd: een respons van {_pct(rate)}.")
    hidden = small_categories(status, minimum)
    projected = None if status.projected is None else status.projected / status.persons
    if status.day < status.days and projected is not None:
        end = status.today + timedelta(days=status.days - status.day)
        text += (f" Gaat het zo verder, dan hebben aan het eind van het veldwerk ({nl_date(end)}) "
                 f"ongeveer {nl_count(round(status.projected or 0))} mensen ingevuld ({_pct(projected)}). "
                 f"Die verwachting volgt {PROJECTION_METHOD}.")
    elif status.day < status.days:
        text += (" Een verwachting voor het eind van het veldwerk is er nog niet: daarvoor zijn drie dagen nodig na de "
                 "drukste dag van de laatste week.")
    if status.unlinked:
        text += f" {nl_count(status.unlinked)} antwoorden konden niet aan een uitnodiging worden gekoppeld en tellen niet mee."
    parts.append(f"<p>{html_text(text)}</p>")
    if reminders:
        parts.append("<p>" + html_text("Herinneringen: " + "; ".join(f"dag {d} aan {whom}" for d, whom in reminders) + ".") + "</p>")
    svg = response_plot(status, labels, [d for d, _ in reminders], hidden)
    per_variable = []
    for v, rows_v in status.categories.groupby("variable", sort=False):
        values = [f"{labels.category(v, r.category)} " + ("niet getoond" if (v, r.category) in hidden else _pct(r.rate))
                  for r in rows_v.itertuples()]
        per_variable.append(f"{labels.variable(v)}: " + "; ".join(values) + ".")
    alt = (f"Lijnfiguur van het aandeel dat heeft ingevuld, per dag. Alle uitgenodigden: {_pct(rate)} op dag {status.day}"
           + (f", verwacht {_pct(projected)} op dag {status.days}" if status.day < status.days and projected is not None else "")
           + ". " + " ".join(per_variable))
    parts.append(_figure(svg, alt, "Figuur 1: Aandeel van de uitgenodigden dat heeft ingevuld, per dag van het veldwerk"))
    parts.append(_table("Tabel 1: Begonnen en ingevuld per dag, alle uitgenodigden",
                        ["Dag", "Datum", "Begonnen", "Ingevuld", "Ingevuld tot en met die dag", "Respons"],
                        [[str(r.day), nl_date(r.date), nl_count(r.started), nl_count(r.submitted), nl_count(r.cumulative), _pct(r.rate)]
                         for r in status.daily.itertuples()], "Begonnen en ingevuld per dag"))
    parts.append("<h2>Respons per groep</h2>")
    rows = []
    too_small = []
    for r in status.categories.itertuples():
        name = f"{labels.variable(r.variable)}: {labels.category(r.variable, r.category)}"
        if r.persons < minimum:
            too_small.append(name)
        elif (r.variable, r.category) in hidden:
            rows.append([name, nl_count(r.persons), "–", "–", "–"])
        else:
            rows.append([name, nl_count(r.persons), nl_count(r.submitted), _pct(r.rate),
                         _pct(r.projected_rate) if status.day < status.days and not np.isnan(r.projected_rate) else "–"])
    parts.append(_table("Tabel 2: Respons per groep, nu en verwacht aan het eind", ["Groep", "Uitgenodigd", "Ingevuld", "Respons",
                        "Verwachte respons aan het eind"], rows, "Respons per groep"))
    notes = [f"– = niet getoond: minder dan {minimum} mensen in de groep hebben ingevuld, of minder dan {minimum} niet."
             ] if any(row[2] == "–" for row in rows) else []
    if too_small:
        notes.append("Niet getoond, omdat de groep te klein is: " + nl_list(too_small) + ".")
    parts += [f"<p>{html_text(n)}</p>" for n in notes]

    parts.append("<h2>Representativiteit</h2>")
    rep = status.representativeness
    if rep is None:
        parts.append("<p>" + html_text("De representativiteit is nog niet te berekenen: in minstens één groep van elk kenmerk heeft "
                                       "nog niemand ingevuld, of iedereen, en dan is de kans om in te vullen niet te schatten.") + "</p>")
    else:
        low, high = rep.interval(0.95)
        parts.append("<p>" + html_text(
            f"De R-indicator is {nl_number(rep.r, 3)} (95%-betrouwbaarheidsinterval {nl_number(low, 3)} tot {nl_number(high, 3)}). "
            "Bij 1 lijkt de groep die invulde op de hele groep uitgenodigden wat betreft de kenmerken hieronder; hoe lager, hoe "
            "meer de kans om in te vullen verschilt tussen groepen. De figuur laat per groep zien hoeveel die groep bijdraagt: "
            "links van nul vult de groep minder vaak in dan gemiddeld, rechts vaker.") + "</p>")
        if status.left_out:
            parts.append("<p>" + html_text("Nog niet meegenomen, omdat in een van de groepen nog niemand heeft ingevuld (of iedereen): "
                                           + nl_list([labels.variable(v).lower() for v in status.left_out]) + ".") + "</p>")
        p = rep.partials
        cats = p[[c is not pd.NA and (v, c) not in hidden for v, c in zip(p.variable, p.category)]]
        alt = "Figuur met de partiële R-indicator per groep en het 95%-betrouwbaarheidsinterval. " + " ".join(
            f"{labels.variable(v)}: " + "; ".join(f"{labels.category(v, r.category)} {_signed(r.unconditional)}" for r in rows_.itertuples()) + "."
            for v, rows_ in cats.groupby("variable", sort=False))
        parts.append(_figure(partials_plot(status, labels, hidden), alt,
                             "Figuur 2: Partiële R-indicator per groep (onvoorwaardelijk), met 95%-betrouwbaarheidsinterval"))
        table_rows = []
        for r in p.itertuples():
            whole = pd.isna(r.category)
            if not whole and (r.variable, r.category) in hidden:
                continue
            name = labels.variable(r.variable) if whole else f"{labels.variable(r.variable)}: {labels.category(r.variable, r.category)}"
            table_rows.append([name, f"{_signed(r.unconditional)} ({nl_number(r.unconditional_se, 3)})",
                               f"{nl_number(r.conditional, 3)} ({nl_number(r.conditional_se, 3)})"])
        parts.append(_table("Tabel 3: Partiële R-indicatoren per kenmerk en groep, met standaardfout",
                            ["Kenmerk of groep", "Onvoorwaardelijk (standaardfout)", "Voorwaardelijk (standaardfout)"], table_rows,
                            "Partiële R-indicatoren"))
        parts.append("<p>" + html_text(
            "Onvoorwaardelijk: hoeveel de respons van een groep afwijkt van het gemiddelde. Voorwaardelijk: hoeveel een kenmerk "
            "toevoegt als de andere kenmerken al bekend zijn; een groep met een hoge voorwaardelijke waarde verdient aandacht, ook "
            "als de andere kenmerken gelijk zijn. Groepen waarvan de respons niet getoond wordt, staan er niet in.") + "</p>")

        parts.append("<h2>Mogelijke vertekening per indicator</h2>")
        parts.append("<p>" + html_text(
            "Hoe ver een ongewogen uitkomst van de respons tot nu toe hoogstens van de uitkomst van alle uitgenodigden kan "
            "afliggen, bij deze R-indicator en de spreiding van de antwoorden tot nu toe. Het is een bovengrens voor "
            "vertekening die met de kenmerken hierboven samenhangt, geen schatting; de weging corrigeert daar later voor.") + "</p>")
        if status.bias.empty:
            parts.append("<p>" + html_text("Nog niet te berekenen: er zijn nog geen antwoorden die zich als de vragenlijst laten lezen.") + "</p>")
        else:
            by_id = {i.id: i for i in wave.questionnaire.indicators}
            bias_rows = []
            for b in status.bias.itertuples():
                ind = by_id[b.indicator]
                if np.isnan(b.max_bias):
                    value = "– (te weinig antwoorden)"
                elif b.kind == "proportion":
                    value = f"{nl_number(100 * b.max_bias, 1)} procentpunt"
                else:
                    value = f"{nl_number(b.max_bias, 2)} punt"
                bias_rows.append([ind.label, _count(b.n, minimum), value])
            parts.append(_table("Tabel 4: Grootst mogelijke vertekening per indicator", ["Indicator", "Antwoorden", "Grootst mogelijke vertekening"],
                                bias_rows, "Grootst mogelijke vertekening"))

        parts.append("<h2>Wie een herinnering verdient</h2>")
        rec = shown_recommendation(status, minimum)
        everyone = status.everyone
        assert everyone is not None
        intro = (f"Per groep: wat er met de R-indicator gebeurt als alleen die groep een herinnering krijgt. Daarbij is aangenomen "
                 f"dat een herinnering {nl_number(100 * effect, 0)}% extra oplevert van wat de uitnodiging opleverde. Iedereen "
                 f"herinneren maakt de R-indicator {nl_number(everyone.r_after, 3)} (nu {nl_number(rep.r, 3)}). ")
        intro += ("Deze groepen eerst, de bovenste het meest:" if not rec.empty else
                  "Geen enkele groep maakt de respons met een herinnering representatiever.")
        parts.append(f"<p>{html_text(intro)}</p>")
        if not rec.empty:
            parts.append(_table("Tabel 5: Groepen om te herinneren, de bovenste eerst",
                                ["Groep", "Nog niet ingevuld", "Verwachte extra respondenten", "R-indicator na herinnering"],
                                [[f"{r['rank']}. {labels.variable(r.variable)}: {labels.category(r.variable, r.category)}",
                                  *(_ranged(r, minimum) if (r.variable, r.category) in hidden else
                                    [nl_count(r.not_responded), nl_count(round(r.extra_respondents))]), nl_number(r.r_after, 3)]
                                 for _, r in rec.iterrows()], "Groepen om te herinneren"))

    parts.append("<h2>Hoe dit berekend is</h2>")
    parts.append("<p>" + html_text(
        "Wie heeft ingevuld, is gekoppeld aan de uitnodiging; een persoon telt mee vanaf de eerste dag dat een ingevulde "
        "vragenlijst binnenkwam. De kans om in te vullen is per persoon geschat met een logistisch model op de kenmerken uit "
        "het bestand van uitgenodigden. De R-indicator is 1 min tweemaal de standaardafwijking van die kansen; hun spreiding is "
        "eerst gecorrigeerd voor de extra spreiding die het schatten van de kansen zelf geeft, met een standaardfout volgens "
        "de deltamethode (Schouten, Cobben en Bethlehem 2009; Shlomo, Skinner en Schouten 2012). De partiële "
        "R-indicatoren volgen Schouten, Shlomo en Skinner (2011). De grootst mogelijke vertekening is (1 − R) maal de "
        "standaardafwijking, gedeeld door tweemaal de respons. De aanbeveling rekent per groep de R-indicator opnieuw uit "
        "met de kansen na een herinnering. Iedereen is uitgenodigd, dus er is geen steekproeffout; de onzekerheid is die "
        f"van het geschatte model. Een groep met minder dan {minimum} mensen die wel of niet invulden, wordt niet apart getoond.") + "</p>")
    parts.append("</main>")
    css = (wave.root / "reports" / "style.css").read_text(encoding="utf-8")
    return standalone_page(title, css + "\n" + PAGE_STYLE, "\n".join(parts))
