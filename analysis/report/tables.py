"""The tables of key figures, of each domain by group, of the appendix and of the codebook.
"""

from __future__ import annotations

import great_tables as gt
import pandas as pd

from rapportage.questionnaire.spec import DOMAINS
from rapportage.report.data import NOT_BROKEN_DOWN, OVERALL, SUPPRESSED, ReportData
from rapportage.report.formatting import (
    fmt_change,
    fmt_ci,
    fmt_number,
    fmt_value,
    nl_number,
    show_table,
    standalone_page,
    table_div,
    table_html,
)


def key_figures(data: ReportData) -> None:
    """Table of every indicator for all inburgeraars, grouped by domain."""
    rows = []
    for domain, title in DOMAINS.items():
        for ind in data.indicators(domain):
            row = data.overall(ind.id)
            rows.append({"Domein": title, "Indicator": ind.label, f"Uitkomst ({data.level}-BI)": fmt_value(row),
                         "n": SUPPRESSED if row["suppressed"] else f"{int(row['n'])}"})
            if data.compared:
                caveat = " (met kanttekening)" if row.get("comparability") == "vergelijkbaar met kanttekening" else ""
                rows[-1][f"Verandering sinds {data.baseline_year} ({data.level}-BI)"] = fmt_change(row) + caveat
            if data.wave.references.benchmarks:
                rows[-1]["Ter vergelijking"] = "; ".join(
                    f"{fmt_number(b.value, ind.kind)} ({b.population}, {b.year})" for b in data.benchmarks(ind.id))
    frame = pd.DataFrame(rows)
    note = (f"Gewogen uitkomsten; tussen haakjes het {data.level}-betrouwbaarheidsinterval. "
            "n = aantal respondenten met een geldig antwoord.")
    if data.compared:
        note += (f" Verandering: ten opzichte van de meting {data.baseline_year}; 'niet vergelijkbaar' "
                 "als de vraag, de definitie, de weging of de representativiteit van de respons te veel verschilt, 'met "
                 "kanttekening' als de metingen op een punt verschillen dat de uitkomst kan beïnvloeden (zie de "
                 "Verantwoording).")
    if data.wave.references.benchmarks:
        note += " Ter vergelijking: dezelfde vraag aan een andere groep; bronnen: " + "; ".join(
            f"{b.source} ({b.year}){', ' + b.note if b.note else ''}" for b in data.wave.references.benchmarks) + "."
    table = (
        gt.GT(frame, groupname_col="Domein", id="kerncijfers")
        .cols_align("right", columns=[c for c in frame.columns if c not in ("Domein", "Indicator")])
        .tab_source_note(note)
    )
    show_table(table, "Kerncijfers per domein")


def domain_table(data: ReportData, domain: str) -> None:
    """Every indicator of the domain by every group: estimate (interval)."""
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
            f"of terug te rekenen uit de andere cellen. Tussen haakjes het {data.level}-betrouwbaarheidsinterval.")
    if not_broken_down:
        note += f" {NOT_BROKEN_DOWN} = deze uitkomst wordt niet naar dit kenmerk uitgesplitst."
    table = (
        gt.GT(pd.DataFrame(rows), rowname_col="Categorie", groupname_col="Groep", id=f"tabel-{domain}")
        .tab_stubhead(label="Groep")
        .cols_align("right", columns=[i.label for i in inds])
        .tab_source_note(note)
    )
    show_table(table, f"{DOMAINS[domain]}: uitkomsten naar groep")


def appendix_tables(data: ReportData) -> None:
    """Print (``#| output: asis``) a tabset with, per domain, the full table of every indicator
    by every group: estimate, interval, n, effective n, design effect and the unweighted value."""
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
                    f"{data.level}-BI": fmt_ci(r),
                    "n": SUPPRESSED if hide else f"{int(r['n'])}",
                    "Effectieve n": SUPPRESSED if hide else nl_number(r["n_eff"], 0),
                    "Design-effect": SUPPRESSED if hide else nl_number(r["deff"], 2),
                    "Ongewogen": SUPPRESSED if hide else fmt_number(r["estimate_unweighted"], r["kind"]),
                })
    numeric = ["Uitkomst", f"{data.level}-BI", "n", "Effectieve n", "Design-effect", "Ongewogen"]
    return (
        gt.GT(pd.DataFrame(rows), groupname_col="Indicator", id=f"bijlage-{domain}")
        .cols_align("right", columns=numeric)
        .tab_source_note(f"{SUPPRESSED} = niet gepubliceerd (zie de geheimhoudingsregels in de Verantwoording). "
                         "Design-effect van deze uitkomst: de variantie van de gewogen schatting gedeeld door die bij "
                         "een even grote enkelvoudige steekproef zonder weging (niet het design-effect van de weging "
                         "volgens Kish uit de Verantwoording); kleiner dan 1 als de weging de groep nauwkeuriger maakt. "
                         "Effectieve n = n gedeeld door dit design-effect.")
    )


def codebook_frame(wave) -> pd.DataFrame:
    """The codebook of the clean data (``data_clean/<wave>/codebook.csv``) with Dutch column names."""
    book = pd.read_csv(wave.clean_dir / "codebook.csv", dtype=str, keep_default_na=False)
    return book.rename(columns={"variable": "Variabele", "label_nl": "Omschrijving", "type": "Type",
                                "values": "Waarden", "filter": "Filter", "text_nl": "Vraag (Nederlands)"})


def codebook_page(wave, css: str) -> bytes:
    """The codebook as a page of its own, published beside the report (it was 38% of the report):
    every variable of the clean data with its question in every fielded language, codes and filter.
    Self-contained, with the report's style and security policy, and accessible (a main landmark,
    a caption, a focusable scrolling region)."""
    import html as html_module

    book = codebook_frame(wave)
    languages = [c for c in book.columns if c.startswith("text_") and c != "text_nl"]
    names = {f"text_{c}": f"Vraag ({wave.questionnaire.languages[c].name})" for c in
             (col.removeprefix("text_") for col in languages) if c in wave.questionnaire.languages}
    columns = ["Variabele", "Omschrijving", "Type", "Waarden", "Filter", "Vraag (Nederlands)", *names.values()]
    table = (gt.GT(book.rename(columns=names)[columns], id="codeboek")
             .tab_source_note("Waarden: code = label. Filter: de vraag is alleen gesteld als deze voorwaarde geldt. "
                              "Variabelen die eindigen op __missing geven de reden van een ontbrekend antwoord."))
    markup = table_div(table, "Codeboek").replace("<table", '<table aria-describedby="uitleg"', 1)
    title = f"Codeboek — {wave.config.title}"
    return standalone_page(title, css, (
        f'<header><h1 class="title">{html_module.escape(title)}</h1></header>\n<main>\n'
        f'<p id="uitleg">Alle variabelen van het opgeschoonde bestand van deze meting, met de vraag in elke taal '
        f"waarin de vragenlijst is afgenomen. Hetzelfde codeboek staat als CSV-bestand naast deze pagina.</p>\n"
        f"{markup}\n</main>"))
