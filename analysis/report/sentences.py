"""The generated sentences of the Samenvatting and the domain chapters: each says a published
estimate, its interval and, for two groups, the design-based test of their difference.
"""

from __future__ import annotations

import pandas as pd

from rapportage.questionnaire.spec import DOMAINS
from rapportage.report.data import ReportData
from rapportage.report.formatting import fmt_change, fmt_value, nl_count, nl_date, nl_number, show
from rapportage.report.markup import md


def introduction(data: ReportData) -> None:
    """Print (``#| output: asis``) the opening lines: which wave, weighted to what, compared with what;
    for a wave whose wave.yaml says it is synthetic (and only then), a notice that its figures are."""
    publication = data.wave.config.publication
    if publication is not None:
        parts = [f"Uitgave van {md(publication.publisher)}"
                 + (f", {nl_date(publication.date)}" if publication.date else "") + "."]
        if publication.contact:
            parts.append(f"Vragen over dit rapport: {md(publication.contact)}.")
        print("::: {.uitgave}\n" + " ".join(parts) + "\n:::\n")
    if data.wave.config.synthetic is not None:
        print('::: {.kader role="note"}\n**Synthetische gegevens.** Alle cijfers in dit rapport zijn gemaakt met een '
              "rekenmodel dat op de echte meting lijkt. Ze laten zien hoe het rapport werkt en zeggen niets over echte "
              "inburgeraars.\n:::\n")
    print("**Leeswijzer.** Deze samenvatting geeft per onderwerp de belangrijkste uitkomst. Daarna volgt per onderwerp "
          "een hoofdstuk met alle uitkomsten, ook per groep, en een hoofdstuk over de ontwikkeling door de jaren. Hoe "
          "het onderzoek is gedaan en hoe zeker de cijfers zijn, staat in de [Verantwoording](#sec-verantwoording); "
          "moeilijke woorden worden uitgelegd in de [Begrippenlijst](#sec-begrippen).\n")
    text = (f"Alle cijfers zijn gewogen naar de samenstelling van de populatie van "
            f"{nl_count(data.wave.population.total)} inburgeraars; zie de [Verantwoording](#sec-verantwoording). ")
    if data.compared:
        text += (f"Waar een indicator vergelijkbaar is met de meting {data.baseline_year}, staat de verandering "
                 "erbij; zie [Vergelijkbaarheid met de vorige meting](#sec-vergelijkbaarheid).")
    else:
        text += "De uitkomsten worden niet met een eerdere meting vergeleken; zie [Vergelijkbaarheid met de vorige meting](#sec-vergelijkbaarheid)."
    print(text)


def summary_text(data: ReportData) -> None:
    """One generated sentence per domain: the first indicator and the status contrast."""
    lines = []
    for domain, title in DOMAINS.items():
        ind = data.indicators(domain)[0]
        lines.append(f"- **{title}.** {_sentence(data, ind, summary=True)}")
    show("\n".join(lines))


def _sentence(data: ReportData, ind, summary: bool = False) -> str:
    """The indicator's estimate, the status contrast and the change since the baseline wave (in the
    Samenvatting only a change that is comparable and significant)."""
    overall = data.overall(ind.id)
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
        elif len(test) and pd.notna(test.p_value.iloc[0]):  # adjusted for the number of group tests
            p = float(test.p_adjusted.iloc[0]) if "p_adjusted" in test else float(test.p_value.iloc[0])
            p_text = p_value_text(p, data.alpha)
            verdict = (f"een statistisch significant verschil ({p_text})" if p < data.alpha
                       else f"geen aantoonbaar verschil ({p_text})")
        else:  # no design-based test of this pair: the values alone, no verdict
            verdict = ""
        text += (f" {md(data.plural('status', a['category']).capitalize())}: {fmt_value(a, False)}; "
                 f"{md(data.plural('status', b['category']))}: {fmt_value(b, False)}"
                 + (f"; {verdict}." if verdict else "."))
    if data.compared and not summary:
        text += " " + _change_sentence(data, overall)
    elif data.compared and overall.get("comparable", False) and overall.get("change_p_value", 1.0) < data.alpha:
        text += " " + _change_sentence(data, overall)
    return text


def _change_sentence(data: ReportData, row: pd.Series) -> str:
    year = data.baseline_year
    if not row.get("comparable", False):
        return f"Niet te vergelijken met {year}: {md(row['comparability_note'])}." if row["comparability_note"] else ""
    moved = row["change_ci_low"] > 0 or row["change_ci_high"] < 0
    verdict = "een statistisch significante verandering" if moved else "geen aantoonbare verandering"
    caveat = f" Kanttekening: {md(row['comparability_note'])}." if row.get("comparability") == "vergelijkbaar met kanttekening" else ""
    return f"Sinds {year}: {fmt_change(row)}, {verdict}.{caveat}"


def domain_text(data: ReportData, domain: str) -> None:
    """One generated sentence per indicator, then where the breakdowns are."""
    items = "\n".join(f"- {_sentence(data, ind)}" for ind in data.indicators(domain))
    show(f"{items}\n\nDe figuren hieronder tonen de uitkomsten per kenmerk, één tabblad per kenmerk; "
                     f"@tbl-{domain} zet ze allemaal op een rij, met de betrouwbaarheidsintervallen.")


def p_value_text(p: float, alpha: float) -> str:
    """'p = 0,012', 'p < 0,001'; with as many decimals as it takes for the printed value to fall
    on the same side of ``alpha`` as p itself (p = 0.0996 at alpha 0.10 is 'p = 0,0996', not
    'p = 0,100'), so the number never contradicts the verdict beside it."""
    if p < 0.001 < alpha:
        return "p < 0,001"
    for decimals in range(3, 8):
        if (round(p, decimals) < alpha) == (p < alpha):
            return f"p = {nl_number(p, decimals)}"
    return f"p = {nl_number(p, 8)}"
