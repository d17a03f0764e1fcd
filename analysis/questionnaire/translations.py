"""Translations of the questionnaire, one file per language, and the translators' spreadsheet.

``questionnaire.yaml`` holds the Dutch source texts (the base language). Every other language
lives in ``surveys/<wave>/translations/<code>.yaml``, written by ``rapportage translations
import``: per text (keyed as in :meth:`Questionnaire.texts`, e.g. ``items.werk.text``) the
translation, its status, a hash of the Dutch text it translates, who translated or reviewed it
and when, a comment and a back-translation. This follows the TRAPD steps of cross-cultural
survey practice (Translation, Review, Adjudication, Pretest, Documentation; Harkness 2003):

- ``draft``: translated, not yet reviewed (the project's own translations are drafts);
- ``reviewed``: checked by a second translator against the Dutch source;
- ``final``: adjudicated and pretested, ready for fieldwork.

A translation whose Dutch source has changed since (its ``source`` hash differs) is *stale*:
``validate`` lists it, and it must be translated again. :func:`export_sheet` writes the
spreadsheet a translator works in; :func:`import_sheet` merges it back and refuses, writing
nothing, any row whose key does not exist, whose Dutch text changed since the export, or whose
translation loses a placeholder or a number of the Dutch text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import yaml
from pydantic import Field

from rapportage.errors import PipelineError, shown
from rapportage.yaml_config import StrictModel, load_yaml_model

if TYPE_CHECKING:
    from rapportage.questionnaire.spec import Questionnaire

Status = Literal["draft", "reviewed", "final"]
STATUSES: tuple[str, ...] = ("draft", "reviewed", "final")
STATUS_NL = {"draft": "concept, niet gecontroleerd", "reviewed": "gecontroleerd", "final": "definitief"}
FOLDER = "translations"


class Entry(StrictModel):
    """One translated text."""

    text: str = Field(min_length=1)
    status: Status
    source: str = Field(pattern=r"^[0-9a-f]{12}$", description="source_hash of the Dutch text this translates")
    translator: str = ""
    date: dt.date | None = None
    comment: str = ""
    back_translation: str = ""


class TranslationFile(StrictModel):
    language: str
    texts: dict[str, Entry] = Field(default_factory=dict)


def source_hash(text: str) -> str:
    """The first 12 hex digits of the SHA-256 of a Dutch source text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def path_of(questionnaire_path: Path, language: str) -> Path:
    return questionnaire_path.parent / FOLDER / f"{language}.yaml"


def load_files(questionnaire_path: Path, languages: list[str]) -> dict[str, TranslationFile]:
    """The translation file of every language that has one; a file for an undeclared language,
    or one whose ``language`` key names another, is refused by name."""
    folder = questionnaire_path.parent / FOLDER
    out: dict[str, TranslationFile] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        code = path.stem
        if code not in languages:
            raise PipelineError(f"{shown(path)}: language {code!r} is not declared under 'languages' in questionnaire.yaml; "
                                "declare it there or remove the file.")
        tf = load_yaml_model(path, TranslationFile)
        if tf.language != code:
            raise PipelineError(f"{shown(path)}: key 'language' is {tf.language!r}, but the file is named for {code!r}; make them equal.")
        out[code] = tf
    return out


# --------------------------------------------------------------------------- status
@dataclass
class LanguageStatus:
    """Where the translation of one language stands, text by text (keys of Questionnaire.texts)."""

    code: str
    missing: list[str] = field(default_factory=list)
    draft: list[str] = field(default_factory=list)
    reviewed: list[str] = field(default_factory=list)
    final: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    """translated, but the Dutch source changed since (also counted under its status)"""
    obsolete: list[str] = field(default_factory=list)
    """in the translation file, no longer a text of the questionnaire"""
    base: bool = False

    @property
    def complete(self) -> bool:
        return not self.missing

    def level(self) -> str:
        """The lowest status of its texts: 'source', 'missing', 'incomplete', 'stale' or a Status."""
        if self.base:
            return "source"
        if not (self.draft or self.reviewed or self.final):
            return "missing"
        if self.missing:
            return "incomplete"
        if self.stale:
            return "stale"
        return "draft" if self.draft else "reviewed" if self.reviewed else "final"

    def dutch(self) -> str:
        """The status in plain Dutch, for the report."""
        return {"source": "brontekst", "missing": "geen vertaling", "incomplete": "vertaling onvolledig",
                "stale": "vertaling deels verouderd", **STATUS_NL}[self.level()]


def status(q: Questionnaire) -> dict[str, LanguageStatus]:
    """Every declared language's :class:`LanguageStatus`, base language first."""
    files = q.translation_files
    out: dict[str, LanguageStatus] = {}
    texts = q.texts()
    for code in [q.base_language, *[c for c in q.languages if c != q.base_language]]:
        st = LanguageStatus(code, base=code == q.base_language)
        entries = files[code].texts if code in files else {}
        for key, text in texts:
            if st.base:
                continue
            entry = entries.get(key)
            if entry is None:  # a questionnaire built in code may hold texts without a file: a draft, unchecked
                (st.draft if text.get(code, "").strip() else st.missing).append(key)
                continue
            getattr(st, entry.status).append(key)
            if entry.source != source_hash(text[q.base_language]):
                st.stale.append(key)
        st.obsolete = sorted(set(entries) - {k for k, _ in texts})
        out[code] = st
    return out


# --------------------------------------------------------------------------- the spreadsheet
COLUMNS = [
    ("key", "Key (do not change)", 30),
    ("context", "Where in the questionnaire", 30),
    ("source", "Dutch source (do not change)", 55),
    ("pivot", "English pivot", 45),
    ("translation", "Translation", 55),
    ("status", "Status (draft / reviewed / final)", 16),
    ("translator", "Translator or reviewer", 20),
    ("comment", "Comment", 30),
    ("back_translation", "Back-translation into Dutch or English", 45),
    ("keep", "Keep unchanged in the translation", 22),
]
SHEET = "Translation"
INFO = "About"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|<[^<>]*>")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def placeholders(text: str) -> list[str]:
    """What a translation must keep as it is: Expression Manager placeholders (``{TOKEN:…}``),
    tags, and every number (read in any script's digits: ۴ is 4)."""
    digits = "".join(str(unicodedata.decimal(ch)) if unicodedata.decimal(ch, None) is not None else ch for ch in text)
    return _PLACEHOLDER.findall(text) + _NUMBER.findall(_PLACEHOLDER.sub(" ", digits))


def _context(q: Questionnaire, key: str) -> str:
    parts = key.split(".")
    if key == "title":
        return "Title of the questionnaire"
    if parts[0] == "groups":
        return f"Heading of page {list(q.groups).index(parts[1]) + 1} of {len(q.groups)}"
    item = q.items[parts[1]]
    kind = {"yesno": "yes/no question", "single": "one answer", "multiple": "several answers possible",
            "array": "grid of statements", "numeric": "number", "text": "open answer", "date": "date"}[item.type]
    where = f"question {item.code} ({kind}{', hidden, filled in by the interviewer' if item.hidden else ''})"
    if parts[2] == "text":
        extra = (f"; {len(item.options)} answer options" if item.options else "") + \
                (f"; {len(item.subquestions)} {'statements' if item.type == 'array' else 'choices'}" if item.subquestions else "")
        return f"Text of {where}{extra}"
    if parts[2] == "other":
        return f"Label of the 'other, namely' box of {where}"
    if parts[2] == "options":
        n = [o.code for o in item.options].index(parts[3]) + 1
        return f"Answer option {n} of {len(item.options)} of {where}"
    n = [s.id for s in item.subquestions].index(parts[3]) + 1
    return f"{'Statement' if item.type == 'array' else 'Choice'} {n} of {len(item.subquestions)} of {where}"


def export_sheet(q: Questionnaire, language: str, wave_id: str, today: dt.date | None = None) -> bytes:
    """The .xlsx a translator works in for ``language``: one row per text of the questionnaire."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    _check_language(q, language)
    entries = q.translation_files[language].texts if language in q.translation_files else {}
    pivot = "en" if language != "en" and "en" in q.languages else None
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append([title for _, title, _ in COLUMNS])
    for col, (_, _, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[ws.cell(1, col).column_letter].width = width
        ws.cell(1, col).font = Font(bold=True)
    base = q.base_language
    for key, text in q.texts():
        e = entries.get(key)
        stale = e is not None and e.source != source_hash(text[base])
        ws.append([key, _context(q, key), text[base], text.get(pivot, "") if pivot else "",
                   e.text if e else "", e.status if e else "", e.translator if e else "",
                   ("STALE: the Dutch text changed since this was translated. " if stale else "") + (e.comment if e else ""),
                   e.back_translation if e else "", "  ".join(placeholders(text[base]))])
    rtl = q.languages[language].direction == "rtl"
    editable = PatternFill("solid", fgColor="FFF7D6")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top",
                                       readingOrder=2 if rtl and COLUMNS[cell.column - 1][0] == "translation" else 0)
            if COLUMNS[cell.column - 1][0] in ("translation", "status", "translator", "comment", "back_translation"):
                cell.fill = editable
    ws.freeze_panes = "C2"
    status_col = ws.cell(1, _col("status")).column_letter
    check = DataValidation(type="list", formula1='"draft,reviewed,final"', allow_blank=True)
    check.add(f"{status_col}2:{status_col}{ws.max_row}")
    ws.add_data_validation(check)
    info = wb.create_sheet(INFO)
    name = q.languages[language]
    for row in [
        ("wave", wave_id), ("language", language), ("language name", f"{name.name} ({name.native})"),
        ("exported", (today or dt.date.today()).isoformat()), ("texts", len(q.texts())),
        ("", ""),
        ("How to work", "Fill in the yellow columns only. Translate the Dutch source; the English pivot is a help."),
        ("", "Keep everything in 'Keep unchanged' (numbers, placeholders) in your translation."),
        ("", "Status: draft = translated; reviewed = checked by a second translator; final = adjudicated and pretested."),
        ("", "Write your name in 'Translator or reviewer' for every row you translate or review."),
        ("", "Do not change the key or the Dutch source, and do not add or remove rows."),
        ("", "Return the file; it is merged with: rapportage translations import --wave <wave> <file>."),
    ]:
        info.append(list(row))
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _col(name: str) -> int:
    return [c for c, _, _ in COLUMNS].index(name) + 1


def _check_language(q: Questionnaire, language: str) -> None:
    if language not in q.languages:
        raise PipelineError(f"language {language!r} is not declared under 'languages' in questionnaire.yaml "
                            f"(declared: {', '.join(q.languages)}).")
    if language == q.base_language:
        raise PipelineError(f"{language!r} is the base language: its texts are the source in questionnaire.yaml, not a translation.")


@dataclass
class Imported:
    language: str
    file: TranslationFile
    changed: int
    """rows whose text, status or translator changed"""
    by_status: dict[str, int]


def import_sheet(q: Questionnaire, path: Path, today: dt.date | None = None) -> Imported:
    """Merge a translator's spreadsheet into the language's translations; every problem found is
    raised together (nothing is written by this function)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise PipelineError(f"{path}: file not found.") from None
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise PipelineError(f"{path}: is not an .xlsx spreadsheet ({type(exc).__name__}); "
                            "give the file that 'rapportage translations export' wrote, saved as .xlsx.") from None
    if SHEET not in wb.sheetnames or INFO not in wb.sheetnames:
        raise PipelineError(f"{path}: has no sheets {SHEET!r} and {INFO!r}; give the file that 'rapportage translations export' wrote.")
    info = {str(r[0]).strip(): r[1] for r in wb[INFO].iter_rows(values_only=True) if r and r[0]}
    language = str(info.get("language") or "").strip()
    _check_language(q, language)
    rows = list(wb[SHEET].iter_rows(values_only=True))
    header = [str(c or "").strip() for c in rows[0]] if rows else []
    titles = {title: name for name, title, _ in COLUMNS}
    index = {titles[h]: i for i, h in enumerate(header) if h in titles}
    needed = ["key", "source", "translation", "status"]
    absent = [dict((n, t) for n, t, _ in COLUMNS)[n] for n in needed if n not in index]
    if absent:
        raise PipelineError(f"{path}: sheet {SHEET!r} lacks the column(s) {', '.join(repr(a) for a in absent)}; "
                            "keep the columns that 'rapportage translations export' wrote.")

    def cell(row: tuple, name: str) -> str:
        i = index.get(name)
        value = row[i] if i is not None and i < len(row) else None
        return "" if value is None else str(value).strip()

    base = q.base_language
    texts = dict(q.texts())
    old = q.translation_files[language].texts if language in q.translation_files else {}
    new = dict(old)
    problems: list[str] = []
    seen: dict[str, int] = {}
    changed = 0
    for n, row in enumerate(rows[1:], start=2):
        key = cell(row, "key")
        if not any(v not in (None, "") for v in row):
            continue
        where = f"row {n}"
        if not key:
            problems.append(f"{where} has no key")
            continue
        where = f"row {n} ({key})"
        if key in seen:
            problems.append(f"{where}: the key is also in row {seen[key]}")
            continue
        seen[key] = n
        if key not in texts:
            problems.append(f"{where}: no such text in questionnaire.yaml (was it removed? export again)")
            continue
        source = texts[key][base]
        if cell(row, "source") != source.strip():
            problems.append(f"{where}: the Dutch text changed since the export (now {source[:50]!r}); "
                            "export again and translate the new text")
            continue
        translation, state, translator = cell(row, "translation"), cell(row, "status").lower(), cell(row, "translator")
        if not translation:
            if state:
                problems.append(f"{where}: status {state!r} but no translation")
            continue
        state = state or "draft"
        if state not in STATUSES:
            problems.append(f"{where}: status {state!r} is not one of draft, reviewed, final")
            continue
        lost = _lost(placeholders(source), placeholders(translation))
        if lost:
            problems.append(f"{where}: the translation lacks {', '.join(repr(p) for p in lost)} of the Dutch text")
            continue
        if state != "draft" and not translator:
            problems.append(f"{where}: status {state!r} needs the name of who translated or reviewed it (column "
                            f"{dict((n, t) for n, t, _ in COLUMNS)['translator']!r})")
            continue
        comment = cell(row, "comment").removeprefix("STALE: the Dutch text changed since this was translated.").strip()
        entry = Entry(text=translation, status=state, source=source_hash(source),
                      translator=translator, date=old[key].date if key in old else None, comment=comment,
                      back_translation=cell(row, "back_translation"))
        before = old.get(key)
        if before is None or (before.text, before.status, before.translator, before.source) != \
                (entry.text, entry.status, entry.translator, entry.source):
            entry = entry.model_copy(update={"date": today or dt.date.today()})
            changed += 1
        elif (before.comment, before.back_translation) != (entry.comment, entry.back_translation):
            changed += 1
        new[key] = entry
    if problems:
        from rapportage.questionnaire.lss import summarise

        raise PipelineError(f"{path}: nothing was imported: {summarise(problems, name=f'translations-{language}')}.")
    order = [k for k, _ in q.texts()]
    merged = TranslationFile(language=language, texts={k: new[k] for k in order if k in new})
    by_status = {s: sum(e.status == s for e in merged.texts.values()) for s in STATUSES}
    return Imported(language, merged, changed, by_status)


def _lost(wanted: list[str], got: list[str]) -> list[str]:
    rest = list(got)
    lost = []
    for p in wanted:
        if p in rest:
            rest.remove(p)
        else:
            lost.append(p)
    return lost


def dump(q: Questionnaire, tf: TranslationFile) -> bytes:
    """The YAML of a translation file, texts in questionnaire order."""
    name = q.languages[tf.language]
    data = {"language": tf.language,
            "texts": {k: {f: v for f, v in e.model_dump().items() if v not in ("", None)} for k, e in tf.texts.items()}}
    head = (f"# {name.name} ({name.native}) texts of the questionnaire: translations of the Dutch in ../questionnaire.yaml.\n"
            "# Written by 'rapportage translations import' (see the README, 'Translations'); per text the translation,\n"
            "# its status (draft, reviewed, final), 'source' (a hash of the Dutch text translated: when the Dutch changes,\n"
            "# the translation is stale), translator, date, comment and back-translation.\n")
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000, default_flow_style=False)
    return (head + body).encode("utf-8")


# --------------------------------------------------------------------------- fielding
def check_fielded(q: Questionnaire, languages: list[str], where: str = "wave.yaml") -> list[str]:
    """Refuse (one sentence) a language to be fielded that lacks texts; return a warning for each
    one whose texts are drafts or stale, for ``rapportage lss``."""
    states = status(q)
    undeclared = [c for c in languages if c not in states]
    if undeclared:
        raise PipelineError(f"{where}: language(s) {', '.join(undeclared)} are not declared under 'languages' in questionnaire.yaml.")
    for code in languages:
        st = states[code]
        if st.missing:
            shown_keys = ", ".join(st.missing[:3]) + (f" and {len(st.missing) - 3} more" if len(st.missing) > 3 else "")
            raise PipelineError(
                f"{where} offers {q.languages[code].name} ({code}), but {len(st.missing)} of its {len(q.texts())} texts are "
                f"not translated ({shown_keys}); have them translated (rapportage translations export --language {code}) "
                f"or remove {code!r} from 'languages' in {where}.")
    warnings = []
    for code in languages:
        st = states[code]
        if st.stale:
            warnings.append(f"{q.languages[code].name} ({code}): {len(st.stale)} translation(s) were made for an earlier Dutch "
                            f"text ({', '.join(st.stale[:3])}{' …' if len(st.stale) > 3 else ''}); have them translated again.")
        if st.draft:
            warnings.append(f"{q.languages[code].name} ({code}): {len(st.draft)} of {len(q.texts())} texts are drafts, not yet "
                            "reviewed by a second translator.")
    return warnings
