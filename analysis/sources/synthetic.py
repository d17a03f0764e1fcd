"""Synthetic waves: a seeded measurement made from a wave's own configuration.

A wave whose ``wave.yaml`` has the key ``synthetic`` gets its data from here instead of from
LimeSurvey (``rapportage simulate``, or the fetch stage of ``rapportage run``), and only such a
wave's report says its figures are synthetic. The embedded demo series is made this way, and so
is a dry run of next year's wave before its fieldwork.

From ``population.yaml`` it makes a population frame with exactly the registry margins (and the
cross-tables given as ``a*b`` margins); from ``questionnaire.yaml`` the answers every person
*would* give to every item, depending on the frame characteristics; and a response process
that depends on the same characteristics (``synthetic.response``, plus interviews in the own
language where ``synthetic.interviews`` offers them). Everyone is invited through a personal
link (token); the frame records who submitted. The responses are written exactly as a
LimeSurvey 6 JSON export (see :mod:`rapportage.sources.limesurvey`), so a synthetic wave goes
through the same import code as a real one. The population value of every indicator is written
too, so tests can show that weighting moves the estimates toward the truth, and the response
ids of planted data-quality problems, so they can show the clean stage finds them.

For the items, characteristics and categories of the demo (Utrecht's questionnaire and registry
variables) the answers follow a hand-made model of how inburgeraars answer (work depends on
migration status and route, language on route and age, and so on); every other item gets a
generic model by its type: answers that depend on the frame through a person's latent position
per questionnaire group, in the item's own answer codes, with its filter respected.

Non-response here is *missing at random given the frame variables* with main effects on the
log scale, the situation raking is designed for. Real non-response is rarely that kind; the
synthetic waves show the machinery, not that weighting always removes bias.
"""

from __future__ import annotations

import json
import math
import re
import string
import zlib
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.spec import Item
from rapportage.questionnaire.translations import check_fielded
from rapportage.scoring.items import INDICATOR_PREFIX, score_respondents  # the pipeline's own scoring
from rapportage.sources.limesurvey import encode_json_export

DEMO_VARIABLES = {
    "status": {"asiel", "gezin"}, "gender": {"vrouw", "man"}, "ageband": {"18-26", "27-40", "41+"},
    "route": {"B1", "Z", "onderwijs"}, "kansrijke_start": {"ja", "nee"},
}
"""The registry variables (and categories) the hand-made answer model of the demo is built on."""

ASSOCIATIONS = {
    # variable: {earlier variable: {category: shift of the score; a higher score gets the first category}}
    "ageband": {"route": {"onderwijs": 2.0, "Z": -0.7}, "status": {"gezin": -0.2}},  # onderwijsroute young, Z older
    "kansrijke_start": {"status": {"asiel": 1.5}, "route": {"B1": 0.5}},
}
"""Known relations between the demo's registry variables that the registry gives no cross-table for."""

LANGUAGE_SHARES = {
    "asiel": {"ar": 0.36, "ti": 0.20, "prs": 0.10, "fa": 0.08, "tr": 0.06, "en": 0.08, "nl": 0.12},
    "gezin": {"nl": 0.30, "en": 0.30, "tr": 0.18, "ar": 0.12, "fa": 0.05, "prs": 0.02, "ti": 0.03},
}

# Free-text remarks in the respondent's language and script (they must survive byte for byte,
# and must never reach data_clean/ or the report).
REMARKS = {
    "nl": ["Meer lesuren graag, en betere begeleiding.", "De klantmanager helpt mij goed."],
    "en": ["It is hard to find work without a Dutch diploma.", "Thank you for asking my opinion."],
    "ar": ["السكن بعيد عن المدرسة", "أحتاج إلى مزيد من دروس اللغة"],
    "ti": ["ቋንቋ ምምሃር ከቢድ እዩ", "የቐንየለይ"],
    "tr": ["Dil kursu çok faydalı oldu.", "İş bulmak zor."],
    "fa": ["کلاس زبان خیلی خوب است", "پیدا کردن خانه سخت است"],
    "prs": ["برای یافتن کار کمک می‌خواهم", "تشکر از شما"],
}

OTHER_ACTIVITY = {
    "nl": "Mantelzorg voor mijn moeder", "en": "Caring for a relative", "ar": "أعتني بأحد أفراد العائلة",
    "ti": "ንስድራይ ይሕግዝ", "tr": "Aile üyesine bakıyorum", "fa": "از یکی از اعضای خانواده مراقبت می‌کنم",
    "prs": "از یکی از اعضای خانواده مراقبت می‌کنم",
}

PLANTED_RATES = {"speeders": 0.03, "straightlining": 0.02, "duplicate_link": 0.015, "out_of_range": 0.01,
                 "consistency": 0.01, "identical_answers": 0.005}
"""Shares of submitting respondents given each data-quality problem the clean stage must find
(``consistency`` is split over the consistency rules of cleaning.yaml, under their names)."""
LATE_BREAK_OFF = 0.35
"""Share of break-offs that stop only after enough core items to count as a partial response."""


def _refuse(wave: Wave, reason: str) -> None:
    raise PipelineError(f"surveys/{wave.id}/wave.yaml: key 'synthetic': {reason}.")


def _stable_rng(*names: object) -> np.random.Generator:
    """A generator seeded by names, so that a relation drawn for a variable or item does not
    change when another variable or item is added to the configuration."""
    return np.random.default_rng(zlib.crc32("\0".join(map(str, names)).encode()))


def _exact(rng: np.random.Generator, score: np.ndarray, counts: dict[str, int]) -> np.ndarray:
    """Assign categories with exactly ``counts``, highest ``score`` to the first category."""
    order = np.argsort(-(score + rng.normal(0, 1e-9, score.size)), kind="stable")
    labels = np.repeat(list(counts), list(counts.values()))
    out = np.empty(score.size, dtype=object)
    out[order] = labels
    return out


# --------------------------------------------------------------------------- frame
def _joint_with(wave: Wave, variable: str, done: dict[str, np.ndarray]) -> tuple[str, dict[str, dict[str, int]]] | None:
    """A cross-table ``a*variable`` (or ``variable*a``) of population.yaml with an ``a`` already made:
    the counts of ``variable`` within each category of ``a``."""
    for name, counts in wave.population.margins.items():
        parts = name.split("*")
        if len(parts) != 2 or variable not in parts:
            continue
        other = parts[0] if parts[1] == variable else parts[1]
        if other not in done:
            continue
        within: dict[str, dict[str, int]] = {}
        for cell, count in counts.items():
            a, b = cell.split("*")
            key, value = (a, b) if parts[0] == other else (b, a)
            within.setdefault(key, {})[value] = count
        return other, within
    return None


def _age_range(category: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+)\s*(?:-\s*(\d+)|\+)", category)
    if not match:
        return None
    low = int(match.group(1))
    return low, int(match.group(2)) if match.group(2) else max(low, 64)


def make_frame(wave: Wave, rng: np.random.Generator) -> pd.DataFrame:
    """The population frame: one row per person with the frame variables of cleaning.yaml, in
    exactly the registry counts of population.yaml (and its ``a*b`` cross-tables), an age in
    years within the age band, and a token."""
    pop = wave.population
    n = pop.total
    made: dict[str, np.ndarray] = {}
    for variable in wave.cleaning.frame_variables:
        if variable not in pop.variables:
            _refuse(wave, f"frame variable {variable!r} of cleaning.yaml has no categories under 'variables' in population.yaml")
        categories = list(pop.variables[variable].categories)
        score = rng.normal(0, 1, n)
        relations = ASSOCIATIONS.get(variable, {})
        for other, values in made.items():
            shifts = relations.get(other)
            if shifts is None:  # a relation drawn once per pair of variables, the same every run
                shifts = {c: float(_stable_rng(variable, other, c).normal(0, 0.5)) for c in np.unique(values)}
            score = score + np.vectorize(lambda v, s=shifts: s.get(v, 0.0), otypes=[float])(values)
        joint = _joint_with(wave, variable, made)
        out = np.empty(n, dtype=object)
        if joint is not None:
            other, within = joint
            for category, counts in within.items():
                idx = np.flatnonzero(made[other] == category)
                out[idx] = _exact(rng, score[idx], {c: counts.get(c, 0) for c in categories})
        else:
            given = pop.margins.get(variable)
            if given is None:  # no registry count: an even split
                base, extra = divmod(n, len(categories))
                given = {c: base + (i < extra) for i, c in enumerate(categories)}
            out = _exact(rng, score, {c: given.get(c, 0) for c in categories})
        made[variable] = out
    age = np.full(n, -1)
    for variable, values in made.items():
        ranges = {c: _age_range(c) for c in pop.variables[variable].categories}
        if all(ranges.values()):
            for category, (low, high) in ranges.items():  # type: ignore[misc]
                idx = np.flatnonzero(values == category)
                age[idx] = rng.integers(low, high + 1, idx.size)
            break
    if (age < 0).any():
        age = rng.integers(max(wave.cleaning.min_age, 18), 65, n)
    alphabet = np.array(list(string.ascii_letters + string.digits))
    frame = pd.DataFrame({"person_id": np.arange(1, n + 1),
                          wave.cleaning.frame_key: ["".join(rng.choice(alphabet, 15)) for _ in range(n)]})
    for variable in wave.cleaning.frame_variables:
        frame[variable] = made[variable].astype(str)
    frame[wave.cleaning.age_variable] = age
    return frame


def _is_demo_population(wave: Wave) -> bool:
    variables = wave.population.variables
    return all(v in variables and set(variables[v].categories) == cats for v, cats in DEMO_VARIABLES.items())


# --------------------------------------------------------------------------- answers
def _cut(x: np.ndarray, cuts: list[float]) -> np.ndarray:
    """Category 1 for the highest values: ``1 + number of cuts above x``."""
    return 1 + (x[:, None] <= np.asarray(cuts)[None, :]).sum(axis=1)


def _codes(values: np.ndarray) -> np.ndarray:
    return np.array([str(int(v)) for v in values], dtype=object)


def _with_missing(rng: np.random.Generator, codes: np.ndarray, share: dict[str, float]) -> np.ndarray:
    """Replace a share of answers by missing-value codes (e.g. ``98`` weet ik niet)."""
    out = codes.copy()
    u = rng.random(codes.size)
    start = 0.0
    for code, p in share.items():
        out[(u >= start) & (u < start + p)] = code
        start += p
    return out


def demo_answers(frame: pd.DataFrame, rng: np.random.Generator, shift: float) -> dict[str, np.ndarray]:
    """The hand-made answer model of the demo's questionnaire, by export column (LimeSurvey
    answer codes). ``shift`` moves every latent quantity (in standard deviations; positive is
    better), so that the truths of a series of waves move a little from year to year."""
    n = len(frame)
    gezin = (frame["status"] == "gezin").to_numpy(float)
    woman = (frame["gender"] == "vrouw").to_numpy(float)
    young = (frame["ageband"] == "18-26").to_numpy(float)
    old = (frame["ageband"] == "41+").to_numpy(float)
    z = (frame["route"] == "Z").to_numpy(float)
    ond = (frame["route"] == "onderwijs").to_numpy(float)
    ks = (frame["kansrijke_start"] == "ja").to_numpy(float)
    N = lambda sd=1.0: rng.normal(0, sd, n)  # noqa: E731
    logistic = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731

    work = rng.random(n) < logistic(-1.5 + shift + 1.0 * gezin + 0.7 * (1 - woman) - 1.0 * z - 1.6 * ond + 0.5 * ks - 0.3 * old)
    taal = 5.0 + 1.3 * shift + 1.0 * gezin + 1.0 * ond - 1.8 * z + 0.4 * young - 0.7 * old + 0.3 * ks + 0.5 * work + N(1.3)
    health = shift + 0.7 * gezin - 0.6 * old + 0.3 * young + 0.2 * (1 - woman) + N()
    mental = shift + 0.5 * (health - health.mean()) + 0.8 * gezin - 0.4 * z + N(0.9)
    money = shift + 0.6 * gezin + 0.9 * work - 0.2 * old + N()
    contact = shift + 0.5 * gezin + 0.15 * (taal - 5) + 0.4 * young + 0.5 * work + N()
    lonely = 0.3 - shift - 0.8 * gezin + 0.4 * old + 0.3 * young - 0.3 * work - 0.2 * contact + N()
    home = shift + 0.4 * gezin + 0.3 * work + 0.06 * (taal - 5) + 0.3 * ks + N()

    out: dict[str, np.ndarray] = {}
    arrived = np.where(gezin == 1, rng.uniform(2017.5, 2024.9, n), rng.uniform(2019.0, 2024.9, n))
    out["AANKOMST"] = np.array(
        [(datetime(int(y), 1, 1) + timedelta(days=int((y % 1) * 365))).strftime("%Y-%m-%d 00:00:00") for y in arrived],
        dtype=object,
    )
    out["W1"] = np.where(work, "Y", "N").astype(object)
    tick = lambda mask: np.where(mask, "Y", "").astype(object)  # noqa: E731
    study = (ond == 1) | (rng.random(n) < 0.06 + 0.08 * young)
    volunteer = rng.random(n) < 0.12 + 0.06 * gezin
    programme = ~work & (rng.random(n) < 0.2 + 0.2 * (1 - gezin) + 0.1 * ks)
    care = rng.random(n) < 0.05 + 0.25 * woman
    only_lessons = ~(work | study | volunteer | programme) & (rng.random(n) < 0.7)
    out["W2[SQ001]"], out["W2[SQ002]"], out["W2[SQ003]"] = tick(work), tick(study), tick(volunteer)
    out["W2[SQ004]"], out["W2[SQ005]"], out["W2[SQ006]"] = tick(programme), tick(only_lessons), tick(care)
    out["W2[SQ007]"] = tick(~(work | study | volunteer | programme | only_lessons | care))
    out["other_activity"] = rng.random(n) < 0.04  # 'iets anders, namelijk …' (a flag; the text is per language)
    searching = rng.random(n) < logistic(-0.6 + 0.5 * gezin - 0.8 * z + 0.4 * (1 - woman))
    out["W3"] = np.where(work, "", np.where(searching, "Y", "N")).astype(object)  # filter: W1 = N
    out["T1"] = _codes(np.clip(np.round(taal), 1, 10))
    out["T2"] = _with_missing(rng, _codes(_cut(taal + N(), [7.5, 5.5, 3.5])), {"98": 0.03})
    for sq, sh in (("SQ001", 0.0), ("SQ002", 0.6), ("SQ003", 0.3), ("SQ004", -0.5)):  # speak, understand, read, write
        out[f"TAALV[{sq}]"] = _codes(_cut(taal + sh + N(0.9), [8.0, 6.3, 4.6, 3.0]))
    out["G1"] = _codes(_cut(health, [1.2, -0.1, -1.2, -2.0]))
    for sq in ("SQ001", "SQ002", "SQ004"):  # negatively worded: higher code = less often = better
        out[f"MHI[{sq}]"] = _codes(np.clip(np.round(4.1 + 1.1 * mental + N(0.8)), 1, 6))
    for sq in ("SQ003", "SQ005"):  # positively worded: lower code = more often = better
        out[f"MHI[{sq}]"] = _codes(np.clip(np.round(2.9 - 1.1 * mental + N(0.8)), 1, 6))
    out["F1"] = _with_missing(rng, _codes(_cut(money, [1.2, 0.3, -0.8])), {"98": 0.03, "99": 0.02})
    out["F2"] = np.where(rng.random(n) < logistic(-0.8 - shift - 0.9 * gezin - 0.6 * work + 0.4 * z), "Y", "N").astype(object)
    out["S1"] = _codes(_cut(contact, [1.5, 0.4, -0.4, -1.2]))
    out["S2"] = _codes(_cut(0.8 * contact + 0.3 * work + N(0.7), [1.3, 0.2, -0.6, -1.4]))
    for sq in ("SQ001", "SQ004", "SQ006"):  # emotional loneliness, negatively worded
        e = lonely + N(0.7)
        out[f"DJG[{sq}]"] = np.where(e > 0.8, "1", np.where(e > 0.0, "2", "3")).astype(object)
    for sq in ("SQ002", "SQ003", "SQ005"):  # social loneliness, positively worded
        e = lonely + N(0.7)
        out[f"DJG[{sq}]"] = np.where(e < -0.3, "1", np.where(e < 0.6, "2", "3")).astype(object)
    discr = rng.random(n) < logistic(-1.6 + 0.9 * (1 - gezin) + 0.3 * (1 - woman) + 0.5 * young)
    out["S3"] = _with_missing(rng, np.where(discr, "1", "2").astype(object), {"99": 0.03})
    out["H1"] = _with_missing(rng, _codes(_cut(home, [1.0, -0.3, -1.0, -1.7])), {"98": 0.04})
    out["H2"] = _codes(np.clip(np.round(7.0 + 0.8 * home + N()), 1, 10))
    return out


def _latent(wave: Wave, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A person's position on the generic answer model: effects of the frame categories (drawn
    once per category, the same every run) plus noise."""
    x = rng.normal(0, 1, len(frame))
    for variable in wave.cleaning.frame_variables:
        if variable == wave.cleaning.age_variable or variable not in wave.population.variables:
            continue
        effects = {c: float(_stable_rng("effect", variable, c).normal(0, 0.5)) for c in wave.population.variables[variable].categories}
        x = x + frame[variable].map(effects).fillna(0.0).to_numpy(float)
    return x


def generic_answers(item_id: str, item: Item, x: np.ndarray, rng: np.random.Generator, fieldwork_start) -> dict[str, np.ndarray]:
    """Plausible answers to any item by its type: ``x`` is the person's latent position for the
    item's questionnaire group; every answer is one of the item's own codes."""
    n = x.size
    relation = _stable_rng("item", item_id)
    loading, threshold = relation.uniform(0.5, 0.9), relation.normal(0, 0.7)
    own = loading * x + math.sqrt(1 - loading**2) * rng.normal(0, 1, n)
    out: dict[str, np.ndarray] = {}
    if item.type == "yesno":
        out[item.code] = np.where(own > threshold, "Y", "N").astype(object)
    elif item.type in ("single", "array"):
        valid = sorted((o for o in item.options if o.missing is None), key=lambda o: o.value or 0.0)
        missing = [o.code for o in item.options if o.missing is not None]
        shares = relation.dirichlet(np.full(len(valid), 3.0))
        cuts = np.quantile(rng.normal(0, 1, 20_000), np.cumsum(shares)[:-1])
        rows: list = item.subquestions or [None]
        for sq in rows:
            value = own if sq is None else 0.8 * own + 0.6 * rng.normal(0, 1, n)
            codes = np.array([o.code for o in valid], dtype=object)[np.searchsorted(cuts, value)]
            codes = _with_missing(rng, codes, {m: 0.03 / len(missing) for m in missing}) if missing else codes
            out[item.code if sq is None else f"{item.code}[{sq.code}]"] = codes
    elif item.type == "multiple":
        for sq in item.subquestions:
            p = 1 / (1 + np.exp(-(own - 1.0 + _stable_rng("sub", item_id, sq.code).normal(0, 0.8))))
            out[f"{item.code}[{sq.code}]"] = np.where(rng.random(n) < p, "Y", "").astype(object)
    elif item.type == "numeric":
        low, high = item.range  # type: ignore[misc]
        values = low + (high - low) * (1 / (1 + np.exp(-(own + threshold))))
        whole = float(low).is_integer() and float(high).is_integer()
        out[item.code] = np.array([str(int(round(v))) if whole else f"{v:.1f}" for v in values], dtype=object)
    elif item.type == "date":
        days = rng.uniform(30, 8 * 365, n)
        start = datetime.combine(fieldwork_start, datetime.min.time())
        out[item.code] = np.array([(start - timedelta(days=float(d))).strftime("%Y-%m-%d 00:00:00") for d in days], dtype=object)
    else:  # free text: mostly left empty; filled in per language afterwards
        out[item.code] = np.full(n, "", dtype=object)
    return out


def _languages(wave: Wave, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """The language each person would answer in: the demo's shares by migration status where the
    frame has it, restricted to the languages the wave offers (those of the survey that
    ``generate`` writes, all fully translated)."""
    offered = wave.config.languages
    n = len(frame)
    out = np.empty(n, dtype=object)
    groups = {"": np.arange(n)} if "status" not in frame else {s: np.flatnonzero(frame["status"].to_numpy() == s)
                                                               for s in frame["status"].unique()}
    for status, idx in groups.items():
        shares = {c: LANGUAGE_SHARES.get(status, {}).get(c, 0.0) for c in offered}
        if sum(shares.values()) == 0:
            shares = {c: (3.0 if c == wave.config.base_language else 1.0) for c in offered}
        total = sum(shares.values())
        out[idx] = rng.choice(list(shares), size=idx.size, p=[v / total for v in shares.values()])
    return out


def _filter_holds(item: Item, row_or_answers, questionnaire) -> np.ndarray | bool:
    held: np.ndarray | bool = True
    for f in item.filter:
        column = questionnaire.variables()[f.item][0]  # an item or a sub-question
        values = row_or_answers[column]
        held = held & np.isin(values, f.codes) if isinstance(values, np.ndarray) else held and values in f.codes
    return held


def simulate_answers(wave: Wave, frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The answers every person in the frame would give, as LimeSurvey answer codes: one row per
    person with every export column of the questionnaire, plus ``startlanguage``."""
    settings = wave.config.synthetic
    assert settings is not None
    q = wave.questionnaire
    n = len(frame)
    languages = _languages(wave, frame, rng)
    known = demo_answers(frame, rng, settings.shift) if _is_demo_population(wave) else {}
    group_x = {}
    base = _latent(wave, frame, rng) + settings.shift
    for group in q.groups:
        group_x[group] = 0.7 * base + 0.7 * rng.normal(0, 1, n)
    out: dict[str, np.ndarray] = {}
    consent = q.items.get(wave.cleaning.consent_item)
    for item_id, item in q.items.items():
        if item is consent:
            out[item.code] = np.full(n, wave.cleaning.consent_value, dtype=object)
            continue
        made = generic_answers(item_id, item, group_x[item.group], rng, wave.config.fieldwork.start)
        for column, generic in made.items():
            hand = known.get(column)
            allowed = _allowed_codes(item)
            if hand is not None and (allowed is None or set(np.unique(hand)) <= allowed | {""}):
                out[column] = hand
            else:
                out[column] = generic
        if item.other is not None and item.type == "multiple":
            ticked = known.get("other_activity", rng.random(n) < 0.04)
            out[f"{item.code}[other]"] = np.array([OTHER_ACTIVITY.get(lang, "…") if t else "" for lang, t in zip(languages, ticked)],
                                                  dtype=object)
        if item.type == "text" and not item.hidden:
            remark = rng.random(n) < 0.15
            pick = rng.integers(0, 2, n)
            out[item.code] = np.array([REMARKS[lang][k] if r and lang in REMARKS else "" for lang, k, r in zip(languages, pick, remark)],
                                      dtype=object)
    for item in q.items.values():  # who was not asked an item has no answer to it
        if item.filter:
            held = _filter_holds(item, out, q)
            for column in _columns(item):
                out[column] = np.where(held, out[column], "").astype(object)
    answers = pd.DataFrame(out)
    answers.insert(0, "startlanguage", languages)
    return answers


def _allowed_codes(item: Item) -> set[str] | None:
    if item.type in ("single", "array"):
        return {o.code for o in item.options}
    if item.type == "yesno":
        return {"Y", "N"}
    if item.type == "multiple":
        return {"Y"}
    return None


def _columns(item: Item) -> list[str]:
    if item.subquestions:
        cols = [f"{item.code}[{sq.code}]" for sq in item.subquestions]
        return cols + ([f"{item.code}[other]"] if item.other is not None and item.type == "multiple" else [])
    return [item.code]


# --------------------------------------------------------------------------- response
def _effects(frame: pd.DataFrame, effects: dict[str, dict[str, float]]) -> np.ndarray:
    x = np.zeros(len(frame))
    for variable, by_category in effects.items():
        x += frame[variable].map(by_category).fillna(0.0).to_numpy(float)
    return x


def response_propensity(wave: Wave, frame: pd.DataFrame) -> np.ndarray:
    """Probability of submitting online, by the frame characteristics: main effects on the log
    scale (``synthetic.response``: propensity = base x exp(sum of effects), at most 0.95), the
    response model that raking corrects exactly."""
    response = wave.config.synthetic.response  # type: ignore[union-attr]
    return np.minimum(0.95, response.base * np.exp(_effects(frame, response.effects)))


def _mode_item(wave: Wave) -> Item | None:
    mode = wave.config.comparability.mode_item
    return wave.questionnaire.items.get(mode) if mode else None


def _export_rows(
    wave: Wave, frame: pd.DataFrame, answers: pd.DataFrame, rng: np.random.Generator
) -> tuple[list[dict], np.ndarray, dict[str, list[int]]]:
    """Export rows of everyone who opened the questionnaire, ordered by start time, with planted
    data-quality problems; returns the rows, who submitted, and the response ids of each plant.

    Natural durations are kept above what the speeder rule could catch (online at least 400 s,
    interviews at least 700 s), and a natural straight-liner on the checked grids is nudged, so
    that the clean stage's findings can be compared with the plants exactly.
    """
    settings = wave.config.synthetic
    assert settings is not None
    q, c = wave.questionnaire, wave.cleaning
    n = len(frame)
    columns = [col for col, _ in q.variables().values()]
    online = rng.random(n) < response_propensity(wave, frame)
    interview = np.zeros(n, dtype=bool)
    mode = _mode_item(wave)
    if settings.interviews.share > 0:  # the own-language interview reaches some who would not answer online
        offered = answers["startlanguage"].to_numpy() != wave.config.base_language
        p = np.minimum(0.9, settings.interviews.share * np.exp(_effects(frame, settings.interviews.effects)))
        interview = ~online & offered & (rng.random(n) < p)
    submitted = online | interview
    if mode is not None:
        codes = [o.code for o in mode.options if o.missing is None]
        wanted = wave.config.comparability.interview_codes
        self_code = next(code for code in codes if code not in wanted)
        answers[mode.code] = np.where(interview, wanted[0], self_code).astype(object)
    broke_off = ~submitted & (rng.random(n) < 0.06)
    late = broke_off & (rng.random(n) < LATE_BREAK_OFF)
    refused = submitted & (rng.random(n) < 0.015)  # said no to the consent question
    start = datetime.combine(wave.config.fieldwork.start, datetime.min.time()) + timedelta(hours=8)
    days = max(3, (wave.config.fieldwork.end - wave.config.fieldwork.start).days)
    offsets = rng.exponential(days / 3, n).clip(0, days - 2) * 86400 + rng.uniform(0, 50000, n)
    seconds = np.where(interview, rng.normal(1100, 200, n).clip(700), rng.lognormal(np.log(560), 0.25, n).clip(400))
    item_blank = rng.random((n, len(columns))) < 0.02  # item non-response ("" in the export)
    consent_column = q.items[c.consent_item].code
    unblankable = {consent_column} | {mode.code for mode in [mode] if mode is not None}
    unblankable |= {col for col, item in q.variables().values() if item.type == "multiple"}  # a blank box means "not ticked"
    unblankable |= {col for col, item in q.variables().values() if item.hidden}
    late_from = _late_break_off_column(wave, columns)
    grids = [item for item in q.items.values()
             if item.type == "array" and len(item.subquestions) >= c.straightlining.min_grid_items][: c.straightlining.min_grids]
    grid_columns = [[f"{g.code}[{sq.code}]" for sq in g.subquestions] for g in grids]
    if len(grids) < c.straightlining.min_grids:
        grid_columns = []
    numeric = next((item for item in reversed(q.items.values()) if item.type == "numeric" and not item.filter), None)
    consistency = [rule for rule in c.consistency if _plantable(wave, rule)]

    rates = dict(PLANTED_RATES)
    consistency_rate = rates.pop("consistency")
    for rule in consistency:
        rates[rule.name] = consistency_rate / len(consistency)
    if not grid_columns:
        rates.pop("straightlining")
    if numeric is None:
        rates.pop("out_of_range")
    pool = rng.permutation(np.flatnonzero(submitted & ~refused))
    plant: dict[str, np.ndarray] = {}
    at = 0
    for name, rate in rates.items():
        size = int(round(rate * pool.size))
        plant[name] = pool[at : at + size]
        at += size
    planted_people = set(pool[:at].tolist())
    spare_tokens = iter(rng.permutation(np.flatnonzero(~submitted & ~broke_off)))

    def answer_row(p: int, blanks: bool) -> dict[str, str]:
        row = {}
        for j, col in enumerate(columns):
            value = answers.at[p, col]
            if col == consent_column:
                value = "N" if refused[p] else wave.cleaning.consent_value
            elif refused[p] or (broke_off[p] and j > (late_from - 1 if late[p] else len(columns) // 3)):
                value = ""  # after refusal nothing is shown; after break-off nothing answered
            elif blanks and col not in unblankable and item_blank[p, j]:
                value = ""
            row[col] = value
        if grid_columns and all(row[g[0]] and len({row[col] for col in g}) == 1 for g in grid_columns):
            g = grid_columns[-1]  # no natural straight-liner on every checked grid
            row[g[1]] = next(code for code in sorted(_allowed_codes(grids[-1]) or {"1", "2"}) if code != row[g[1]])
        return row

    records = []  # (start offset, person, token person, duration, submitted, answers, plant kind)
    for p in np.flatnonzero(submitted | broke_off):
        planted = p in planted_people
        ans = answer_row(int(p), blanks=not planted and not late[p])
        kind = next((k for k, members in plant.items() if p in members), None)
        duration = seconds[p] if submitted[p] else seconds[p] / 3
        if kind == "speeders":
            duration = rng.uniform(40, 90)
        elif kind == "straightlining":
            for g, item in zip(grid_columns, grids):
                same = sorted(o.code for o in item.options if o.missing is None)[len(item.options) // 2 - 1]
                for col in g:
                    ans[col] = same
        elif kind == "out_of_range":
            assert numeric is not None and numeric.range is not None
            ans[numeric.code] = str(int(numeric.range[1] + 2))
        elif kind in {rule.name for rule in consistency}:
            _plant_conflict(wave, next(rule for rule in consistency if rule.name == kind), ans)
        own = None if kind in ("duplicate_link", "identical_answers") else kind  # the plant is the extra record
        records.append((offsets[p], p, p, duration, bool(submitted[p]), ans, own))
        if kind == "duplicate_link":  # the same person submitted once before (that record gives way)
            first = dict(ans)
            if numeric is not None:
                first[numeric.code] = str(max(1, int(float(ans[numeric.code] or 7)) - 1))
            records.append((offsets[p] - 86400, p, p, seconds[p], True, first, "duplicate_link"))
        elif kind == "identical_answers":  # the same answers again under someone else's link, a day later
            other = next(spare_tokens)
            submitted[other] = True
            records.append((offsets[p] + 86400, other, other, seconds[p], True, dict(ans), "identical_answers"))
    records.sort(key=lambda r: (r[0], r[1]))
    rows: list[dict[str, object]] = []
    planted_ids: dict[str, list[int]] = {k: [] for k in rates}
    planted_ids.update(partial=[], incomplete=[], no_consent=[])
    for rid, (offset, p, tp, duration, done, ans, kind) in enumerate(records, start=1):
        began = start + timedelta(seconds=float(offset))
        ended = began + timedelta(seconds=float(duration))
        rows.append({
            "id": rid,
            "submitdate": ended.strftime("%Y-%m-%d %H:%M:%S") if done else "",
            "lastpage": 3 if done else (2 if late[p] else 1),
            "startlanguage": answers.at[p, "startlanguage"],
            "seed": str(rng.integers(10_000_000, 99_999_999)),
            "token": frame.at[tp, wave.cleaning.frame_key],
            "startdate": began.strftime("%Y-%m-%d %H:%M:%S"),
            "datestamp": ended.strftime("%Y-%m-%d %H:%M:%S"),
            **ans,
        })
        if kind:
            planted_ids[kind].append(rid)
        if not done:
            planted_ids["partial" if late[p] else "incomplete"].append(rid)
        elif refused[p] and tp == p:
            planted_ids["no_consent"].append(rid)
    return rows, submitted, planted_ids


def _late_break_off_column(wave: Wave, columns: list[str]) -> int:
    """Index of the first column a late break-off leaves empty: just after enough core items to
    count as a partial response (cleaning.yaml ``completeness``)."""
    q, completeness = wave.questionnaire, wave.cleaning.completeness
    needed = math.ceil(completeness.min_core_share * len(completeness.core_items))
    last_columns = sorted(max(columns.index(col) for col in _columns(q.items[i])) for i in completeness.core_items)
    return last_columns[needed - 1] + 1


def _value_to_code(item: Item, value: float) -> str | None:
    if item.type == "yesno":
        return {1.0: "Y", 0.0: "N"}.get(float(value))
    if item.type == "multiple":
        return {1.0: "Y", 0.0: ""}.get(float(value))
    return next((o.code for o in item.options if o.value == value), None)


def _plantable(wave: Wave, rule) -> bool:
    q = wave.questionnaire
    for side in (rule.when, rule.conflicts):
        _, item = q.item_of(side.variable)
        if item.type not in ("yesno", "multiple", "single") or _value_to_code(item, side.in_[0]) is None:
            return False
    return True


def _plant_conflict(wave: Wave, rule, ans: dict[str, str]) -> None:
    """Answers that break a consistency rule of cleaning.yaml (both sides set), keeping the filters."""
    q = wave.questionnaire
    for side in (rule.when, rule.conflicts):
        column, item = q.variables()[side.variable]
        ans[column] = _value_to_code(item, side.in_[0])  # type: ignore[assignment]
    for item in q.items.values():  # an item whose filter now holds gets an answer, one whose filter fails none
        if not item.filter:
            continue
        held = _filter_holds(item, ans, q)
        for column in _columns(item):
            if not held:
                ans[column] = ""
            elif ans[column] == "" and item.type in ("yesno", "single"):
                ans[column] = "N" if item.type == "yesno" else item.options[0].code


# --------------------------------------------------------------------------- the wave
def generate(wave: Wave) -> dict[str, bytes]:
    """Generate the synthetic wave; returns file name -> bytes, all deterministic for the seed.

    Files: ``responses_<sid>.json`` (LimeSurvey JSON export), ``frame.csv`` (population frame
    with response flag and tokens: raw data, never leaves ``data_raw/``),
    ``population_truth.json`` (population value of every indicator) and ``planted.json``
    (response ids of the planted data-quality problems, by the cleaning rule that must find them).
    """
    settings = wave.config.synthetic
    if settings is None:
        raise PipelineError(
            f"surveys/{wave.id}/wave.yaml has no key 'synthetic', so wave {wave.id!r} is a real measurement whose data "
            "come from LimeSurvey; to dry-run it, add 'synthetic: {seed: 1}' (its report then says the figures are "
            f"synthetic), and remove that key and data_raw/{wave.id}/ again before the fieldwork."
        )
    unknown = sorted({v for v in [*settings.response.effects, *settings.interviews.effects] if v not in wave.cleaning.frame_variables})
    if unknown:
        _refuse(wave, f"response effects name {', '.join(map(repr, unknown))}, which cleaning.yaml 'frame_variables' does not list")
    if settings.interviews.share > 0 and _mode_item(wave) is None:
        _refuse(wave, "interviews.share needs comparability.mode_item, the question that records how someone took part")
    # the survey is fielded in the languages wave.yaml offers, each with all its texts (as 'rapportage lss'
    # requires), and nobody answers in another: refused here, with the same sentence, before anything is drawn
    check_fielded(wave.questionnaire, wave.config.languages, f"surveys/{wave.id}/wave.yaml")
    rng = np.random.default_rng(settings.seed)  # the population: frame and answers
    frame = make_frame(wave, rng)
    answers = simulate_answers(wave, frame, rng)
    fieldwork = rng if settings.response_seed is None else np.random.default_rng([settings.seed, settings.response_seed])
    rows, submitted, planted = _export_rows(wave, frame, answers, fieldwork)
    frame["responded"] = submitted.astype(int)
    truth_input = answers.rename(columns={"startlanguage": "language"})
    scored = score_respondents(truth_input, wave.questionnaire)
    truth = {}
    groups = frame.assign(language=answers["startlanguage"])
    for ind in wave.questionnaire.indicators:
        column = scored[INDICATOR_PREFIX + ind.id]
        values = column.dropna()
        by_group = {g: {str(k): float(v) for k, v in column.groupby(groups[g]).mean().dropna().items()}
                    for g in wave.config.estimation.groups}
        truth[ind.id] = {"value": float(values.mean()), "n": int(values.size), "groups": by_group}
    sid = wave.config.limesurvey.survey_ids[0]
    export = encode_json_export(rows)
    return {
        f"responses_{sid}.json": export,
        "frame.csv": frame.to_csv(index=False, lineterminator="\n").encode("utf-8"),
        "population_truth.json": (json.dumps(truth, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        "planted.json": (json.dumps(planted, indent=2, sort_keys=True) + "\n").encode("utf-8"),
    }
