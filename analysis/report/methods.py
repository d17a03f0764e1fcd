"""The Verantwoording: fieldwork, response, weighting, precision and representativeness in sentences
built from the diagnostics, the tables of languages, cleaning, response by category and
reliability, the comparison with the baseline wave and the researcher's own texts.
"""

from __future__ import annotations

import re

import great_tables as gt
import pandas as pd

from rapportage.contracts import WeightingReport
from rapportage.report.data import OVERALL, SUPPRESSED, ReportData, level_text
from rapportage.report.formatting import (
    fmt_change,
    fmt_number,
    fmt_value,
    nl_count,
    nl_date,
    nl_list,
    nl_number,
    show,
    show_table,
    table_html,
)
from rapportage.report.markup import md, sanitise_markdown
from rapportage.statistics.disclosure import suppressed_counts


def methods_text(data: ReportData) -> None:
    """Fieldwork, response, weighting and precision in a paragraph built from the diagnostics."""
    show(_methods_markdown(data))


def _methods_markdown(data: ReportData) -> str:
    c, w = data.cleaning, data.weighting
    d = w.diagnostics
    cfg = data.wave.config
    pct = nl_number(100 * c.respondents / c.invited)
    return (
        f"Alle {nl_count(c.invited)} inburgeraars in de populatie (bron: {md(data.wave.population.source)}; peildatum "
        f"{nl_date(data.wave.population.reference_date)}) zijn met een persoonlijke link uitgenodigd; "
        f"het veldwerk liep van {nl_date(cfg.fieldwork.start)} tot en met {nl_date(cfg.fieldwork.end)}. "
        f"Na controle bleven **{nl_count(c.respondents)} geldige respondenten** over, een respons van {pct}%. "
        f"De respons is gewogen door {_weighting_method(w)} naar de registertotalen van "
        f"{nl_list([_margin_label(data, m) for m in w.margins])}; na {w.iterations} rondes komen de gewogen aantallen "
        f"{_agreement(w.max_margin_deviation)} overeen met de registertotalen. "
        + _propensity_and_trimming(w) +
        f"Het design-effect van de weging is {nl_number(d.deff_kish, 2)} (volgens Kish: 1 plus het kwadraat van de "
        f"variatiecoëfficiënt van de gewichten): de gewogen cijfers zijn even zeker als die van een ongewogen steekproef "
        f"van {nl_count(round(d.n_effective))} respondenten, de effectieve steekproefomvang. De eindgewichten lopen van "
        f"{nl_number(d.weights.min, 2)} tot {nl_number(d.weights.max, 2)}. "
        + _representativeness_sentence(data)
        + _interval_sentence(w)
        + "Voor percentages is het interval zo berekend dat het niet onder 0% of boven 100% uitkomt (het logit-interval); "
        "voor gemiddelden is het interval dat van de t-verdeling met n − 1 vrijheidsgraden. Bij minder dan "
        f"{cfg.estimation.small_domain_n} antwoorden en bij uitkomsten van 0% of 100% is de methode van Korn en "
        "Graubard gebruikt, die beter werkt bij kleine aantallen en ook bij 0% of 100% een echt interval geeft "
        f"(bij 0 van 38 antwoorden bijvoorbeeld van 0% tot {_zero_of_38(data)}%). "
        + _margin_of_error_sentence(data)
        + _test_sentence(data)
        + f"Percentages op minder dan {cfg.disclosure.min_n_percentage} en "
        f"gemiddelden op minder dan {cfg.disclosure.min_n} respondenten worden niet gepubliceerd, en ook geen cel "
        f"waaruit zo'n waarde terug te rekenen is."
    )


def _agreement(deviation: float) -> str:
    """How closely the weighted counts meet the registry totals, in words."""
    if deviation < 1e-6:
        return "op minder dan een miljoenste na"
    if deviation < 1e-3:
        return "op minder dan een duizendste na"
    return f"op {nl_number(100 * deviation, 2)}% na"


METHODS = {"raking": "*raking* (iteratief aanpassen aan elke marge)",
           "linear": "lineaire kalibratie (GREG)",
           "logit": "logit-kalibratie"}


def _weighting_method(w: WeightingReport) -> str:
    text = METHODS[w.method]
    if w.bounds:
        low, high = w.bounds
        text += f" met gewichten begrensd tussen {nl_number(low, 2)} en {nl_number(high, 2)} keer het startgewicht"
    return text


def _margin_label(data: ReportData, margin: str) -> str:
    """'leeftijd' or, for an interaction margin 'status*gender', 'migratiestatus × geslacht'."""
    return " × ".join(md(data.group_label(v).lower()) for v in margin.split("*"))


def _propensity_and_trimming(w: WeightingReport) -> str:
    text = ""
    if w.propensity:
        text += ("Het startgewicht is de inverse van de responskans uit een responsmodel op de registerkenmerken"
                 + (f", in {w.propensity.classes} klassen" if w.propensity.use == "classes" else "") + ". ")
    t = w.trimming
    if t is None:
        text += "De gewichten zijn niet afgetopt. "
    elif not t.trimmed:
        text += (f"Geen gewicht kwam boven de grens van {nl_number(t.upper_relative_to_mean, 1)} keer het gemiddelde, "
                 "dus er is niets afgetopt. ")
    if t and t.trimmed:
        text += (f"Gewichten boven {nl_number(t.cap, 2)} zijn afgetopt ({t.trimmed} respondenten)"
                 + (" en daarna opnieuw aan de registertotalen aangepast" if t.recalibrated else "")
                 + (f"; dat is {t.rounds} keer herhaald" if t.rounds > 1 else "") + ". ")
        text += f"Het grootste gewicht is daarna {nl_number(t.max_relative_to_mean, 2)} keer het gemiddelde gewicht. "
        lowest = t.lowest_possible_max_relative_to_mean or 0.0
        if not t.cap_met and lowest > t.upper_relative_to_mean:
            text += ("Dat is meer dan de bovengrens: bij elke weging die aan alle registertotalen voldoet, is het "
                     f"grootste gewicht minstens {nl_number(lowest, 2)} keer het gemiddelde. ")
        elif not t.cap_met:
            text += f"Dat is meer dan de bovengrens: het aftoppen is na {t.rounds} rondes gestopt. "
        if t.g_range:
            low, high = t.g_range
            text += (f"Door het herhaald aftoppen liggen de gewichten daarna tussen {nl_number(low, 2)} en "
                     f"{nl_number(high, 2)} keer het startgewicht. ")
    return text


def _interval_sentence(w: WeightingReport) -> str:
    if not w.calibrated:  # the design is then that of the weights as given
        return ("Betrouwbaarheidsintervallen houden rekening met de gewichten en met de eindige-populatiecorrectie, "
                "maar niet met de aanpassing aan de registertotalen, omdat de afgetopte gewichten daar niet meer "
                "precies aan voldoen; dat maakt ze doorgaans iets ruimer. ")
    return ("Betrouwbaarheidsintervallen houden rekening met de weging en met de eindige-populatiecorrectie (een "
            "groot deel van de populatie deed mee); ze zijn berekend met de linearisatiemethode, die ook meeneemt dat de "
            "gewichten aan de registertotalen zijn aangepast (kalibratieresiduen). ")


def _margin_of_error_sentence(data: ReportData) -> str:
    """The largest half-width of the published intervals of percentages, overall and by group."""
    e = data.estimates[(data.estimates.kind == "proportion") & ~data.estimates.suppressed]
    half = (e.ci_high - e.ci_low) / 2 * 100
    overall, groups = half[e.group == OVERALL], half[e.group != OVERALL]
    if overall.empty:
        return ""
    text = (f"De foutmarge (de halve breedte van het {data.level}-interval) van een percentage voor alle inburgeraars is "
            f"ten hoogste {nl_number(overall.max(), 0)} procentpunt")
    if not groups.empty:
        text += f", voor groepen ten hoogste {nl_number(groups.max(), 0)} procentpunt"
    return text + ". "


def _test_sentence(data: ReportData) -> str:
    """How a difference between two groups is tested, at the level the intervals use."""
    alpha = f"{data.alpha:.10g}".replace(".", ",")
    percent = f"{100 * data.alpha:.10g}".replace(".", ",")
    text = ("Of een uitkomst tussen groepen verschilt, is getoetst met een toets die rekening houdt met de weging: voor "
            "percentages de gecorrigeerde chi-kwadraattoets van Rao en Scott, voor gemiddelden van twee groepen het "
            "verschil met zijn standaardfout (t-toets). Een verschil heet statistisch significant als een verschil van "
            "die omvang of groter, wanneer er in werkelijkheid geen verschil zou zijn, een kans van minder dan "
            f"{percent}% heeft (p < {alpha}). ")
    tested = int(data.tests["p_value"].notna().sum())
    if data.wave.config.estimation.multiple_testing == "benjamini-hochberg" and tested > 1:
        text += (f"Dit rapport doet {tested} zulke toetsen; bij zoveel toetsen zijn er ook zonder echte verschillen een "
                 f"paar toevallig significant. Daarom zijn de p-waarden van deze toetsen gecorrigeerd volgens Benjamini en "
                 f"Hochberg (1995): van de verschillen die significant heten, is naar verwachting hoogstens {percent}% "
                 "toevallig. De genoemde p-waarden zijn de gecorrigeerde. ")
    return text


def _zero_of_38(data: ReportData) -> str:
    """The upper end of the interval of 0 out of 38 answers at the report's level (9 at 95%)."""
    from rapportage.statistics.design import korn_graubard

    return nl_number(100 * korn_graubard(0.0, 0.0, data.confidence, 37, 37, n=38)[1], 0)


def _representativeness_sentence(data: ReportData) -> str:
    rep = data.weighting.representativeness
    if not rep:
        return ""
    partial = [p for p in rep.partial_r_indicators if p.category is None]
    strongest = max(partial, key=lambda p: p.value)
    model = nl_list([md(data.group_label(v).lower()) for v in rep.model_variables])
    return (f"De R-indicator van de respons is {nl_number(rep.r_indicator, 2)} (1 = volledig representatief; Schouten, "
            f"Cobben en Bethlehem, 2009), berekend met een logistisch responsmodel op {model} in het hele "
            "populatiebestand; "
            f"de respons verschilt het meest naar {md(data.group_label(strongest.variable).lower())} "
            f"(partiële R-indicator {nl_number(strongest.value, 3)}). ")


def languages_table(data: ReportData) -> None:
    """The languages the survey was fielded in (the survey as LimeSurvey held it, not the plan),
    each with the state of its translation and how many respondents used it."""
    from rapportage.questionnaire.translations import status

    q = data.wave.questionnaire
    used = data.cleaning.respondents_by_language
    total = sum(used.values())
    fielded = data.cleaning.fielded_languages
    codes = [*fielded, *sorted(set(used) - set(fielded))]
    states = status(q)
    hidden = suppressed_counts({code: used.get(code, 0) for code in codes}, data.wave.config.disclosure.min_n)
    rows = []
    for code in codes:
        lang = q.languages[code]
        n = used.get(code, 0)
        rows.append({"Taal": lang.name, "Eigen naam": lang.native,
                     "Vertaling": states[code].dutch() if code in states else "onbekend",
                     "Respondenten": SUPPRESSED if code in hidden else str(n),
                     "Aandeel": SUPPRESSED if code in hidden or not total else f"{nl_number(100 * n / total)}%"})
    note = ("De talen waarin de vragenlijst te beantwoorden was. Respondenten: geldige respondenten naar de taal "
            "waarin zij de vragenlijst invulden. Vertaling: brontekst is het Nederlands waarvan de vertalingen zijn "
            "gemaakt; concept betekent vertaald maar nog niet gecontroleerd door een tweede vertaler.")
    absent = [q.languages[c].name for c in q.languages if c not in codes]
    if absent:
        note += (f" Niet aangeboden: {nl_list(absent)}; wie alleen die taal leest, kon niet meedoen.")
    if hidden:
        note += (f" {SUPPRESSED}: niet gepubliceerd, omdat het om minder dan {data.wave.config.disclosure.min_n} "
                 "respondenten gaat (of omdat het aantal anders uit de andere zou volgen).")
    table = (gt.GT(pd.DataFrame(rows), id="talen").cols_align("right", columns=["Respondenten", "Aandeel"])
             .tab_source_note(note))
    show_table(table, "Talen van de vragenlijst")


def cleaning_table(data: ReportData) -> None:
    """The response flow (invited → started → submitted → valid) and what each rule did."""
    action_nl = {"drop": "verwijderd", "flag": "gemarkeerd, meegeteld", "set_missing": "antwoord als ontbrekend",
                 "count": "geteld", "": ""}
    rows = [{"Stap": s.description, "Gevolg": action_nl.get(s.action, s.action), "Aantal": s.count}
            for s in data.cleaning.steps]
    table = (gt.GT(pd.DataFrame(rows), id="responsstroom").cols_align("right", columns=["Aantal"])
             .tab_source_note("De eerste vier regels zijn de responsstroom; daarna wat elke opschoonregel "
                              "deed, in de volgorde waarin de regels worden toegepast."))
    show_table(table, "Van export naar geldige respondenten")


def representativeness_table(data: ReportData) -> None:
    """Response rate by weighting category, and sample vs population before and after weighting."""
    rows = []
    for m in data.weighting.diagnostics.margins:
        rows.append({
            "Kenmerk": data.group_label(m.variable),
            "Categorie": data.category_label(m.variable, m.category),
            "Respons": f"{nl_number(100 * m.n / m.target)}%",
            "Steekproef": f"{nl_number(100 * m.sample_share)}%",
            "Gewogen": f"{nl_number(100 * m.weighted_share)}%",
            "Populatie": f"{nl_number(100 * m.population_share)}%",
        })
    table = (
        gt.GT(pd.DataFrame(rows), rowname_col="Categorie", groupname_col="Kenmerk", id="representativiteit")
        .tab_stubhead(label="Categorie")
        .cols_align("right", columns=["Respons", "Steekproef", "Gewogen", "Populatie"])
        .tab_source_note("Respons = respondenten als percentage van de populatie in de categorie. "
                         "Steekproef en Gewogen: verdeling van de respondenten voor en na weging.")
    )
    show_table(table, "Respons en samenstelling naar kenmerk")


def reliability_table(data: ReportData) -> None:
    """Cronbach's alpha of every multi-item scale, with its interval (Feldt) at the report's level."""
    rows = [{"Schaal": r["label"], "Items": r["items"], "n": r["n"],
             f"Cronbachs alfa ({data.level}-BI)": f"{nl_number(r['alpha'], 2)} ({nl_number(r['ci_low'], 2)}–{nl_number(r['ci_high'], 2)})"}
            for r in data.reliability.values()]
    table = (gt.GT(pd.DataFrame(rows), id="betrouwbaarheid").cols_align("right", columns=["Items", "n", f"Cronbachs alfa ({data.level}-BI)"])
             .tab_source_note("Berekend op de itemscores (omgekeerde items omgedraaid), respondenten die alle items beantwoordden."))
    show_table(table, "Interne consistentie van de schalen")


def registry_check(data: ReportData) -> None:
    """Print (``#| output: asis``) the survey estimate beside the registry's count of the same
    concept (``references.yaml``, ``registry``); nothing when the wave names none."""
    figures = data.wave.references.registry
    if not figures:
        return
    print("Waar de registratie van de gemeente hetzelfde begrip telt, staan de gewogen uitkomst van de enquête en het "
          "cijfer uit de registratie naast elkaar. Een verschil kan komen door de steekproef (zie het interval), door "
          "vertekening die de weging niet wegneemt, of doordat de registratie het begrip anders afbakent of op een "
          "ander moment telt.\n")
    rows = []
    for f in figures:
        row = data.overall(f.indicator)
        share = f.count / f.of
        rows.append({"Indicator": data.questionnaire_label(f.indicator),
                     f"Enquête ({data.level}-BI)": fmt_value(row),
                     "Registratie": f"{fmt_number(share, 'proportion')} ({nl_number(f.count, 0)} van {nl_number(f.of, 0)})",
                     "In het interval": ("–" if row["suppressed"] else "ja" if row["ci_low"] <= share <= row["ci_high"] else "nee"),
                     "Bron": f"{f.source}, peildatum {f.date.day}-{f.date.month}-{f.date.year}",
                     "Toelichting": f"{f.label}" + (f"; {f.note}" if f.note else "")})
    table = gt.GT(pd.DataFrame(rows), id="registratie")
    caption = "Enquête en registratie naast elkaar"
    print(f"::: {{#tbl-registratie}}\n\n{table_html(table, caption)}\n\n{caption}\n:::")


def comparability(data: ReportData) -> None:
    """Print (``#| output: asis``) whether and how this wave is compared with its baseline."""
    if data.baseline is None:
        print("Deze meting wordt met geen eerdere meting vergeleken: het is de eerste meting van de reeks. Een "
              "verandering wordt alleen berekend als de vraag, de definitie van de indicator en de weging in beide "
              "metingen gelijk zijn.")
        return
    year = data.baseline_year
    overall = data.estimates[data.estimates.group == OVERALL]
    comparable = int(overall.comparable.sum())
    rules = data.wave.config.comparability
    mode = (f"het aandeel interviews (volgens de vraag naar de afnamevorm) verschilt meer dan "
            f"{nl_number(rules.mode_shift_points, 0)} procentpunt" if rules.mode_item else
            "niet beoordeeld: de vragenlijst legt de afnamevorm niet vast")
    print(f"De uitkomsten worden vergeleken met de meting {year}; het hoofdstuk "
          "[Ontwikkeling door de jaren](#sec-ontwikkeling) doet dat voor elke stap van de reeks. Per indicator beslist "
          "een vaste regel:\n\n"
          "- *meting*: andere definitie van de indicator, of een vraag erachter met een andere code, ander type, andere "
          "antwoordcodes of waarden, ander filter of andere Nederlandse tekst: niet vergelijkbaar; alleen een vertaling "
          "gewijzigd in een taal die beide metingen aanboden: vergelijkbaar met kanttekening;\n"
          "- *weging*: andere hulpvariabelen of categorieën, methode, grenzen, aftopping of responsmodel: niet vergelijkbaar;\n"
          "- *representativiteit*: de maximale absolute vertekening van een ongewogen gemiddelde is B_max = (1 − R) · "
          "S(y) / (2 · gemiddelde responskans) = S(ρ/ρ̄) · S(y) (Schouten, Cobben & Bethlehem, 2009), met de responskansen ρ "
          "van het responsmodel op het steekproefkader. De vertekening van een verandering is het verschil van twee zulke "
          "vertekeningen en is daarom begrensd door S(ρ₂/ρ̄₂ − ρ₁/ρ̄₁) · S(y), als beide responsmodellen dezelfde kenmerken "
          "hebben en de samenstelling en antwoorden per cel in beide jaren gelijk zijn (anders door B_max,1 + B_max,2): "
          "even selectieve respons in dezelfde richting valt weg, respons die op een andere manier selectief werd niet. "
          "De R-indicator is berekend op de kenmerken waarnaar gewogen wordt; de weging haalt de vertekening langs die "
          "kenmerken weg. De grens is dus een maat voor hoe sterk de uitkomsten op de aanname van de weging leunen "
          "(dat binnen de weegcellen respondenten antwoorden als niet-respondenten), geen resterende vertekening. De regel "
          f"vergelijkt haar met de foutmarge van de verandering: meer dan {nl_number(rules.bias_caveat, 1)} keer: met "
          f"kanttekening; meer dan {nl_number(rules.bias_break, 1)} keer: niet vergelijkbaar (per indicator, op de uitkomst "
          "voor alle inburgeraars);\n"
          f"- *afnamevorm*: {mode}: met kanttekening.\n\n"
          f"Dat laat {comparable} van de {len(overall)} indicatoren vergelijkbaar (eventueel met kanttekening). Een "
          "verandering wordt getoetst als verschil van twee onafhankelijke schattingen: standaardfout "
          "√(SE₁² + SE₂²), tweezijdige normale toets. Wie aan beide metingen meedeed, maakt de twee schattingen positief "
          "gecorreleerd; de werkelijke standaardfout is dan iets kleiner en de toets iets te voorzichtig.\n")
    rows = [{"Indicator": data.questionnaire_label(r["indicator"]),
             f"Uitkomst {year}": fmt_number(r["baseline_estimate"], r["kind"]) if pd.notna(r["baseline_estimate"]) else SUPPRESSED,
             f"Uitkomst {data.wave.config.year}": fmt_value(r, False),
             f"Verandering ({data.level}-BI)": fmt_change(r),
             "Reden": (("kanttekening: " if r.get("comparability") == "vergelijkbaar met kanttekening" else "")
                       + r["comparability_note"]) or "vergelijkbaar"}
            for _, r in overall.iterrows()]
    table = gt.GT(pd.DataFrame(rows), id="vergelijkbaarheid")
    caption = f"Vergelijkbaarheid met de meting {year}, alle inburgeraars"
    print(f"::: {{#tbl-vergelijkbaarheid}}\n\n{table_html(table, caption)}\n\n{caption}\n:::")


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


def researcher_chapter(data: ReportData, name: str, title: str | None = None) -> None:
    """Print (``#| output: asis``) ``surveys/<wave>/tekst/<name>.md`` as a chapter of its own:
    ``title``, or the file's first line when it is a heading (``# Titel``); nothing when the wave
    has no such text."""
    path = data.wave.text_dir / f"{name}.md"
    if not path.is_file():
        return
    raw = path.read_text(encoding="utf-8")
    first, _, rest = raw.lstrip().partition("\n")
    if title is None:
        heading = re.match(r"#\s+(.+?)\s*#*\s*$", first)
        title, raw = (heading.group(1), rest) if heading else ("Aanvullend hoofdstuk", raw)
    text, _ = sanitise_markdown(raw)
    print(f"## {md(title)} {{#sec-tekst-{name}}}\n\n{text}\n")


GLOSSARY = """Betrouwbaarheidsinterval
: De cijfers komen uit een steekproef: niet iedereen heeft de vragenlijst ingevuld. Het interval
  geeft aan waar het echte cijfer voor alle inburgeraars waarschijnlijk ligt. Bij een
  {level}-betrouwbaarheidsinterval ligt het echte cijfer in {level} van de steekproeven binnen het interval.

Design-effect
: Hoeveel onzekerder een cijfer is door de weging dan bij een even grote steekproef zonder weging.
  Een design-effect van 1,5 betekent dat het interval ongeveer 1,2 keer zo breed is (de wortel van 1,5).

Effectieve n
: Het aantal respondenten gedeeld door het design-effect: zo veel respondenten zonder weging zouden
  een even zeker cijfer geven.

Indicator
: Een cijfer dat dit rapport elk jaar op dezelfde manier berekent, zoals het percentage met betaald werk.

Procentpunt
: Het verschil tussen twee percentages. Van 20% naar 25% is 5 procentpunt meer (en 25 procent meer).

R-indicator
: Een maat voor hoe goed de respons de populatie weerspiegelt, van 0 tot 1. Bij 1 heeft iedere groep
  even vaak meegedaan; hoe lager, hoe meer sommige groepen achterblijven.

Respons
: Het deel van de uitgenodigde inburgeraars dat de vragenlijst heeft ingevuld.

Statistisch significant
: Een verschil of verandering is statistisch significant als die zo groot is dat die bij toeval
  alleen zelden voorkomt: in minder dan {alpha} van de steekproeven als er in werkelijkheid geen
  verschil is (bij {level} betrouwbaarheid). De p-waarde geeft die kans. Een significant verschil is
  niet altijd een groot of belangrijk verschil.

Vergelijkbaar met kanttekening
: Twee metingen zijn vergeleken, maar er is iets veranderd waardoor de verandering met voorzichtigheid
  moet worden gelezen; de reden staat erbij.

Weging
: De respondenten tellen zo mee dat de groepen in dezelfde verhouding voorkomen als in de hele
  populatie volgens de gemeentelijke registratie (naar migratiestatus, geslacht, leeftijd en leerroute).
  Groepen die minder vaak meededen, tellen daardoor zwaarder mee.
"""
"""The Begrippenlijst (Bijlage C): the terms that remain in the report, in plain Dutch."""


def glossary(data: ReportData) -> None:
    """Print (``#| output: asis``) the glossary at the report's own confidence level."""
    alpha = level_text(1 - data.confidence)
    print(GLOSSARY.replace("{level}", data.level).replace("{alpha}", alpha))

