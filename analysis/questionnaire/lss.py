"""LimeSurvey survey structure files (``.lss``, LimeSurvey 6 XML, DBVersion 620).

:func:`write_lss` derives an importable survey from the questionnaire specification: all
languages, groups, questions, sub-questions, answer options, filter conditions (as relevance
equations of the Expression Manager) and question attributes. The layout follows a ``.lss`` file
that a real LimeSurvey 6.4.2 server accepted through ``import_survey``
(``shared/limesurvey/lss/accepted_by_import_survey_246810.lss``).

:func:`parse_lss` reads any LimeSurvey 6 ``.lss`` (also the server's own exports) into a
:class:`Structure`, the form in which the drift check compares a fielded survey with the
specification (:func:`structure_from_spec`, :func:`drift`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import LIMESURVEY_TYPE, Questionnaire
from rapportage.questionnaire.translations import check_fielded

DB_VERSION = "620"

_QUESTION_FIELDS = ["qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other", "mandatory", "encrypted",
                    "question_order", "scale_id", "same_default", "relevance", "question_theme_name", "modulename",
                    "same_script"]
_SURVEY_DEFAULTS = {
    "gsid": "1", "admin": "inherit", "adminemail": "inherit", "anonymized": "N", "format": "G", "savetimings": "N",
    "template": "inherit", "datestamp": "Y", "usecookie": "N", "allowregister": "N", "allowsave": "N",
    "autonumber_start": "0", "autoredirect": "N", "allowprev": "Y", "printanswers": "N", "ipaddr": "N",
    "refurl": "N", "showsurveypolicynotice": "0", "publicstatistics": "N", "publicgraphs": "N", "listpublic": "N",
    "htmlemail": "Y", "sendconfirmation": "N", "tokenanswerspersistence": "N", "assessments": "N",
    "usecaptcha": "N", "usetokens": "N", "tokenlength": "15", "showxquestions": "Y", "showgroupinfo": "B",
    "shownoanswer": "Y", "showqnumcode": "X", "showwelcome": "Y", "showprogress": "Y", "questionindex": "0",
    "navigationdelay": "0", "nokeyboard": "N", "alloweditaftercompletion": "N",
}
"""Survey settings as in the accepted file; ``anonymized = N`` keeps the personal link (token)
with the response, which the frame link and the response flag of the population frame need."""


# --------------------------------------------------------------------------- structure
@dataclass
class Question:
    code: str
    type: str
    group: int
    texts: dict[str, str]
    relevance: str = "1"
    mandatory: bool = False
    hidden: bool = False
    other: bool = False
    subquestions: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    answers: list[tuple[str, dict[str, str]]] = field(default_factory=list)


@dataclass
class Structure:
    """A survey's structure as LimeSurvey holds it: languages, group names, questions by code."""

    base_language: str
    languages: list[str]
    groups: list[dict[str, str]]
    questions: dict[str, Question]


def relevance(q: Questionnaire, item_id: str) -> str:
    """Expression Manager equation of an item's filter, ``1`` when it has none.

    >>> from rapportage.config import load_wave
    >>> from pathlib import Path
    >>> w = load_wave(Path(__file__).resolve().parents[2], "demo-2025")
    >>> relevance(w.questionnaire, "werk_zoeken")
    '((W1.NAOK == "N"))'
    """
    item = q.items[item_id]
    if not item.filter:
        return "1"
    variables = q.variables()
    parts = []
    for f in item.filter:
        column = variables[f.item][0].replace("[", "_").replace("]", "")  # Q4[SQ001] -> Q4_SQ001
        parts.append("(" + " or ".join(f'{column}.NAOK == "{c}"' for c in f.codes) + ")")
    return "(" + " and ".join(parts) + ")"


def structure_from_spec(q: Questionnaire, languages: list[str] | None = None) -> Structure:
    """The structure a LimeSurvey survey made from the specification has."""
    langs = languages or q.complete_languages()
    pick = lambda texts: {lang: texts[lang] for lang in langs if lang in texts}  # noqa: E731
    group_ids = list(q.groups)
    questions = {}
    for item_id, item in q.items.items():
        questions[item.code] = Question(
            code=item.code, type=LIMESURVEY_TYPE[item.type], group=group_ids.index(item.group),
            texts=pick(item.text), relevance=relevance(q, item_id), mandatory=item.mandatory, hidden=item.hidden,
            other=item.other is not None,
            subquestions=[(s.code, pick(s.text)) for s in item.subquestions],
            answers=[(o.code, pick(o.label)) for o in item.options],
        )
    return Structure(q.base_language, langs, [pick(g.text) for g in q.groups.values()], questions)


# --------------------------------------------------------------------------- writing
def _table(doc: ET.Element, name: str, fields: list[str], rows: list[dict[str, object]]) -> None:
    section = ET.SubElement(doc, name)
    fs = ET.SubElement(section, "fields")
    for f in fields:
        ET.SubElement(fs, "fieldname").text = f
    rs = ET.SubElement(section, "rows")
    for row in rows:
        r = ET.SubElement(rs, "row")
        for f in fields:
            ET.SubElement(r, f).text = f"\0CDATA{row.get(f, '')}\0"


def write_lss(q: Questionnaire, survey_id: int, title: dict[str, str] | None = None,
              languages: list[str] | None = None) -> bytes:
    """The ``.lss`` file (UTF-8 XML bytes) of the specification for survey ``survey_id``.

    Languages default to the complete ones, base language first; a language without a text for
    some entry is refused (one sentence listing them), not fielded with empty questions.
    """
    check_fielded(q, languages or q.complete_languages())
    s = structure_from_spec(q, languages)
    titles = title or q.title
    doc = ET.Element("document")
    ET.SubElement(doc, "LimeSurveyDocType").text = "Survey"
    ET.SubElement(doc, "DBVersion").text = DB_VERSION
    langs_el = ET.SubElement(doc, "languages")
    for lang in s.languages:
        ET.SubElement(langs_el, "language").text = lang

    answers, answer_l10ns, questions, subquestions, question_l10ns, attributes = [], [], [], [], [], []
    qid, aid = 100, 0
    group_order: dict[int, int] = {}
    for code, qu in s.questions.items():
        qid += 1
        parent = qid
        group_order[qu.group] = group_order.get(qu.group, 0) + 1
        questions.append({
            "qid": parent, "parent_qid": 0, "sid": survey_id, "gid": 10 + qu.group, "type": qu.type, "title": code,
            "preg": "", "other": "Y" if qu.other else "N", "mandatory": "Y" if qu.mandatory else "N", "encrypted": "N",
            "question_order": group_order[qu.group], "scale_id": 0, "same_default": 0, "relevance": qu.relevance,
            "question_theme_name": "", "modulename": "", "same_script": 0,
        })
        question_l10ns += [{"qid": parent, "question": qu.texts[lang], "help": "", "script": "", "language": lang}
                           for lang in s.languages]
        if qu.hidden:
            attributes.append({"qid": parent, "attribute": "hidden", "value": "1", "language": ""})
        if qu.other:
            spec_item = next(i for i in q.items.values() if i.code == code)
            assert spec_item.other is not None  # the survey's question has 'other' because the item has
            attributes += [{"qid": parent, "attribute": "other_replace_text", "value": spec_item.other[lang], "language": lang}
                           for lang in s.languages]
        for order, (sq_code, texts) in enumerate(qu.subquestions, start=1):
            qid += 1
            subquestions.append({
                "qid": qid, "parent_qid": parent, "sid": survey_id, "gid": 10 + qu.group, "type": "T",
                "title": sq_code, "preg": "", "other": "N", "mandatory": "", "encrypted": "N",
                "question_order": order, "scale_id": 0, "same_default": 0, "relevance": "1",
                "question_theme_name": "", "modulename": "", "same_script": 0,
            })
            question_l10ns += [{"qid": qid, "question": texts[lang], "help": "", "script": "", "language": lang}
                               for lang in s.languages]
        for order, (a_code, labels) in enumerate(qu.answers, start=1):
            aid += 1
            answers.append({"aid": aid, "qid": parent, "code": a_code, "sortorder": order,
                            "assessment_value": 0, "scale_id": 0})
            answer_l10ns += [{"aid": aid, "answer": labels[lang], "language": lang} for lang in s.languages]
    for item in q.items.values():
        if item.type == "numeric" and item.range:
            numeric = next(r["qid"] for r in questions if r["title"] == item.code)
            attributes.append({"qid": numeric, "attribute": "min_num_value_n", "value": f"{item.range[0]:g}", "language": ""})
            attributes.append({"qid": numeric, "attribute": "max_num_value_n", "value": f"{item.range[1]:g}", "language": ""})

    _table(doc, "answers", ["aid", "qid", "code", "sortorder", "assessment_value", "scale_id"], answers)
    _table(doc, "answer_l10ns", ["id", "aid", "answer", "language"],
           [{"id": i, **r} for i, r in enumerate(answer_l10ns, start=1)])
    _table(doc, "groups", ["gid", "sid", "group_order", "randomization_group", "grelevance"],
           [{"gid": 10 + g, "sid": survey_id, "group_order": g + 1, "randomization_group": "", "grelevance": "1"}
            for g in range(len(s.groups))])
    _table(doc, "group_l10ns", ["id", "gid", "group_name", "description", "language"],
           [{"id": i, **r} for i, r in enumerate(
               ({"gid": 10 + g, "group_name": names[lang], "description": "", "language": lang}
                for g, names in enumerate(s.groups) for lang in s.languages), start=1)])
    _table(doc, "questions", _QUESTION_FIELDS, questions)
    _table(doc, "subquestions", _QUESTION_FIELDS, subquestions)
    _table(doc, "question_l10ns", ["id", "qid", "question", "help", "script", "language"],
           [{"id": i, **r} for i, r in enumerate(question_l10ns, start=1)])
    _table(doc, "question_attributes", ["qid", "attribute", "value", "language"], attributes)
    keys = list(_SURVEY_DEFAULTS)
    _table(doc, "surveys", ["sid", *keys[:7], "language", "additional_languages", *keys[7:]],
           [{"sid": survey_id, **_SURVEY_DEFAULTS, "language": s.languages[0],
             "additional_languages": " ".join(s.languages[1:])}])
    _table(doc, "surveys_languagesettings",
           ["surveyls_survey_id", "surveyls_language", "surveyls_title", "surveyls_description",
            "surveyls_welcometext", "surveyls_endtext", "surveyls_url", "surveyls_urldescription",
            "surveyls_dateformat", "surveyls_numberformat"],
           [{"surveyls_survey_id": survey_id, "surveyls_language": lang, "surveyls_title": titles.get(lang, titles[q.base_language]),
             "surveyls_dateformat": 5, "surveyls_numberformat": 1} for lang in s.languages])
    ET.indent(doc, space=" ")
    text = ET.tostring(doc, encoding="unicode")
    text = text.replace("\0CDATA", "<![CDATA[").replace("\0", "]]>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n").encode("utf-8")


# --------------------------------------------------------------------------- reading
def parse_lss(data: bytes, source: str = ".lss") -> Structure:
    """Read a LimeSurvey 6 survey structure file into a :class:`Structure`."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise PipelineError(f"{source}: is not a LimeSurvey .lss file ({exc}); export the survey structure again.") from None
    if root.findtext("LimeSurveyDocType") != "Survey":
        raise PipelineError(f"{source}: is not a LimeSurvey survey structure (.lss) file.")

    def rows(name: str) -> list[dict[str, str]]:
        return [{c.tag: (c.text or "") for c in r} for r in root.findall(f"./{name}/rows/row")]

    def number(row: dict[str, str], key: str, table: str, default: int | None = None) -> int:
        value = row.get(key, "")
        if value == "" and default is not None:
            return default
        if not value.strip().lstrip("-").isdigit():
            raise PipelineError(f"{source}: a row of {table} has {key} {value[:20]!r}, not a whole number; the file is "
                                "damaged or was edited by hand: export the survey structure from LimeSurvey again.")
        return int(value)

    survey = rows("surveys")
    base = survey[0]["language"] if survey else root.findtext("./languages/language", "")
    extra = survey[0].get("additional_languages", "").split() if survey else []
    languages = [base, *[lang for lang in extra if lang != base]]
    groups = sorted(rows("groups"), key=lambda r: number(r, "group_order", "groups"))
    gindex = {g.get("gid"): i for i, g in enumerate(groups)}
    gnames: list[dict[str, str]] = [{} for _ in groups]
    for r in rows("group_l10ns"):
        if r.get("gid") not in gindex:
            raise PipelineError(f"{source}: group_l10ns names group {r.get('gid', '')!r}, which its groups do not have; "
                                "the file is damaged: export the survey structure from LimeSurvey again.")
        gnames[gindex[r["gid"]]][r.get("language", "")] = r.get("group_name", "")
    texts: dict[str, dict[str, str]] = {}
    for r in rows("question_l10ns"):
        texts.setdefault(r.get("qid", ""), {})[r.get("language", "")] = r.get("question", "")
    hidden = {r.get("qid") for r in rows("question_attributes") if r.get("attribute") == "hidden" and r.get("value") == "1"}
    labels: dict[str, dict[str, str]] = {}
    for r in rows("answer_l10ns"):
        labels.setdefault(r.get("aid", ""), {})[r.get("language", "")] = r.get("answer", "")
    for table in ("questions", "subquestions"):
        for r in rows(table):
            if not r.get("title", "").strip():
                raise PipelineError(f"{source}: a row of {table} (qid {r.get('qid', '?')}) has no question code (title); "
                                    "give every question a code in LimeSurvey and export the survey structure again.")
    parents = sorted(rows("questions"), key=lambda r: (gindex.get(r.get("gid"), 0), number(r, "question_order", "questions", 0)))
    questions: dict[str, Question] = {}
    by_qid: dict[str, Question] = {}
    for r in parents:
        qu = Question(code=r["title"], type=r.get("type", ""), group=gindex.get(r.get("gid"), -1),
                      texts=texts.get(r.get("qid", ""), {}), relevance=r.get("relevance") or "1",
                      mandatory=r.get("mandatory") == "Y", hidden=r.get("qid") in hidden, other=r.get("other") == "Y")
        questions[qu.code] = by_qid[r.get("qid", "")] = qu
    for r in sorted(rows("subquestions"), key=lambda r: number(r, "question_order", "subquestions", 0)):
        if r.get("parent_qid") in by_qid and r.get("scale_id", "0") in ("0", ""):
            by_qid[r["parent_qid"]].subquestions.append((r["title"], texts.get(r.get("qid", ""), {})))
    for r in sorted(rows("answers"), key=lambda r: number(r, "sortorder", "answers", 0)):
        if r.get("qid") in by_qid and r.get("scale_id", "0") in ("0", ""):
            by_qid[r["qid"]].answers.append((r.get("code", ""), labels.get(r.get("aid", ""), {})))
    return Structure(base, languages, gnames, questions)


# --------------------------------------------------------------------------- drift
def drift(spec: Structure, fielded: Structure) -> list[str]:
    """Differences between the specification and a fielded survey that would change what the
    answer codes mean: missing or extra questions, another type, other sub-question or answer
    codes, or a language the specification needs without texts. Wording differences are not
    drift (they are reported by ``rapportage validate`` against the baseline wave)."""
    out: list[str] = []
    for lang in spec.languages:
        if lang not in fielded.languages:
            out.append(f"language {lang!r} is offered in wave.yaml but not in the survey")
    for code, want in spec.questions.items():
        got = fielded.questions.get(code)
        if got is None:
            out.append(f"question {code}: in the specification, not in the survey")
            continue
        if got.type != want.type:
            out.append(f"question {code}: type {got.type} in the survey, {want.type} in the specification")
        if got.other != want.other:
            out.append(f"question {code}: 'other' option {'on' if got.other else 'off'} in the survey, "
                       f"{'on' if want.other else 'off'} in the specification")
        for kind, a, b in (("sub-question", want.subquestions, got.subquestions), ("answer", want.answers, got.answers)):
            wc, gc = [c for c, _ in a], [c for c, _ in b]
            if wc != gc:
                out.append(f"question {code}: {kind} codes {gc} in the survey, {wc} in the specification")
            wanted = dict(a)
            for c, labels in b:
                absent = [lang for lang in spec.languages if lang in fielded.languages and not labels.get(lang)]
                if absent:
                    out.append(f"question {code}: {kind} {c} has no text in {', '.join(absent)} in the survey")
                # the meaning of a code is its label: swapped labels (1 'nooit' <-> 4 'altijd') reverse every result
                for lang, text in sorted(wanted.get(c, {}).items()):
                    fielded_text = labels.get(lang)
                    if fielded_text and _plain_label(fielded_text) != _plain_label(text):
                        out.append(f"question {code}: {kind} {c} reads {_plain_label(fielded_text)[:40]!r} in the survey "
                                   f"({lang}), {_plain_label(text)[:40]!r} in the specification")
    for code in fielded.questions.keys() - spec.questions.keys():
        out.append(f"question {code}: in the survey, not in the specification")
    return out


def _plain_label(text: str) -> str:
    """An answer or sub-question label as a reader sees it: without the HTML that LimeSurvey's
    editor adds, entities decoded, white space collapsed."""
    import html

    return " ".join(re.sub(r"<[^>]*>", " ", html.unescape(text)).split())


def summarise(differences: list[str], shown: int = 5, name: str = "drift") -> str:
    """The first few drift differences as one clause, for an error sentence; when there are more,
    all of them go to a text file in the system's temporary folder (not in the project: the
    refusal changes nothing there), whose path the clause gives."""
    if len(differences) <= shown:
        return "; ".join(differences)
    import tempfile

    listing = Path(tempfile.gettempdir()) / f"rapportage-{name}.txt"
    listing.write_text("\n".join(differences) + "\n", encoding="utf-8")
    return "; ".join(differences[:shown]) + f"; and {len(differences) - shown} more (all {len(differences)} in {listing})"
