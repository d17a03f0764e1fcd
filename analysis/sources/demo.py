"""The embedded demo wave: a synthetic, seeded measurement built like the real one.

It makes a population frame of 2,623 inburgeraars with the registry characteristics of Utrecht
at the end of 2024 (margins from ``surveys/demo/population.yaml``), the answers each of them
*would* give on the six domains (depending on those characteristics), and a response process
that depends on the same characteristics (roughly 5–45% by group). Everyone is invited through a
personal link (token); the frame records who submitted. The responses are written exactly as a
LimeSurvey 6 JSON export (see :mod:`rapportage.sources.limesurvey`), so the demo goes through the same
import code as a real wave. The population values of every indicator are written too, so tests
can show that weighting moves the estimates toward the truth.

Non-response here is *missing at random given the weighting variables* (status, gender, age
band, route) with main effects on the log scale, the situation raking is designed for. Real non-response is
rarely that kind; the demo shows the machinery, not that weighting always removes bias.
"""

from __future__ import annotations

import json
import string
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.scoring.items import (  # the pipeline's own scoring
    INDICATOR_PREFIX,
    score_respondents,
)
from rapportage.sources.limesurvey import encode_json_export

# Joint structure the registry brief does not give as counts; chosen to match national SWI
# patterns (asielmigranten mostly men, gezinsmigranten 68% women) and the route split per status.
WOMEN_BY_STATUS = {"gezin": 847}  # the rest of the 1,443 women are statushouders
ROUTE_BY_STATUS = {"asiel": {"B1": 914, "Z": 245, "onderwijs": 218}, "gezin": {"B1": 1084, "Z": 162, "onderwijs": 0}}

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


def _exact(rng: np.random.Generator, score: np.ndarray, counts: dict[str, int]) -> np.ndarray:
    """Assign categories with exactly ``counts``, highest ``score`` to the first category."""
    order = np.argsort(-(score + rng.normal(0, 1e-9, score.size)), kind="stable")
    labels = np.repeat(list(counts), list(counts.values()))
    out = np.empty(score.size, dtype=object)
    out[order] = labels
    return out


def make_frame(wave: Wave, rng: np.random.Generator) -> pd.DataFrame:
    """The population frame: one row per inburgeraar with the registry variables."""
    m = wave.population.margins
    n = wave.population.total
    status = _exact(rng, rng.random(n), m["status"])
    gezin = status == "gezin"
    women_gezin = WOMEN_BY_STATUS["gezin"]
    women = {"gezin": women_gezin, "asiel": m["gender"]["vrouw"] - women_gezin}
    gender = np.empty(n, dtype=object)
    route = np.empty(n, dtype=object)
    for s in ("asiel", "gezin"):
        idx = np.flatnonzero(status == s)
        gender[idx] = _exact(rng, rng.random(idx.size), {"vrouw": women[s], "man": idx.size - women[s]})
        route[idx] = _exact(rng, rng.random(idx.size), ROUTE_BY_STATUS[s])
    # age: the onderwijsroute is for the young, the Z-route skews older
    young_score = rng.normal(0, 1, n) + 2.0 * (route == "onderwijs") - 0.7 * (route == "Z") - 0.2 * gezin
    ageband = _exact(rng, young_score, m["ageband"])
    lo = {"18-26": 18, "27-40": 27, "41+": 41}
    hi = {"18-26": 26, "27-40": 40, "41+": 64}
    age = np.array([rng.integers(lo[a], hi[a] + 1) for a in ageband])
    ks_score = rng.normal(0, 1, n) + 1.5 * (~gezin) + 0.5 * (route == "B1")
    ks = _exact(rng, ks_score, m["kansrijke_start"])
    alphabet = np.array(list(string.ascii_letters + string.digits))
    tokens = ["".join(rng.choice(alphabet, 15)) for _ in range(n)]
    return pd.DataFrame(
        {
            "person_id": np.arange(1, n + 1),
            "token": tokens,
            "status": status.astype(str),
            "gender": gender.astype(str),
            "age": age,
            "ageband": ageband.astype(str),
            "route": route.astype(str),
            "kansrijke_start": ks.astype(str),
        }
    )


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


def simulate_answers(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The answers every person in the frame would give, as LimeSurvey answer codes.

    Returns one row per person with the export columns of the questionnaire plus
    ``startlanguage``.
    """
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

    work = rng.random(n) < logistic(-1.5 + 1.0 * gezin + 0.7 * (1 - woman) - 1.0 * z - 1.6 * ond + 0.5 * ks - 0.3 * old)
    taal = 5.0 + 1.0 * gezin + 1.0 * ond - 1.8 * z + 0.4 * young - 0.7 * old + 0.3 * ks + 0.5 * work + N(1.3)
    health = 0.7 * gezin - 0.6 * old + 0.3 * young + 0.2 * (1 - woman) + N()
    mental = 0.5 * (health - health.mean()) + 0.8 * gezin - 0.4 * z + N(0.9)
    money = 0.6 * gezin + 0.9 * work - 0.2 * old + N()
    contact = 0.5 * gezin + 0.15 * (taal - 5) + 0.4 * young + 0.5 * work + N()
    lonely = 0.3 - 0.8 * gezin + 0.4 * old + 0.3 * young - 0.3 * work - 0.2 * contact + N()
    home = 0.4 * gezin + 0.3 * work + 0.06 * (taal - 5) + 0.3 * ks + N()

    out: dict[str, np.ndarray] = {}
    out["TOESTEM"] = np.full(n, "Y", dtype=object)
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
    other_activity = rng.random(n) < 0.04  # 'iets anders, namelijk …' in the respondent's own words
    searching = rng.random(n) < logistic(-0.6 + 0.5 * gezin - 0.8 * z + 0.4 * (1 - woman))
    out["W3"] = np.where(work, "", np.where(searching, "Y", "N")).astype(object)  # filter: W1 = N
    out["T1"] = _codes(np.clip(np.round(taal), 1, 10))
    out["T2"] = _with_missing(rng, _codes(_cut(taal + N(), [7.5, 5.5, 3.5])), {"98": 0.03})
    for sq, shift in (("SQ001", 0.0), ("SQ002", 0.6), ("SQ003", 0.3), ("SQ004", -0.5)):  # speak, understand, read, write
        out[f"TAALV[{sq}]"] = _codes(_cut(taal + shift + N(0.9), [8.0, 6.3, 4.6, 3.0]))
    out["G1"] = _codes(_cut(health, [1.2, -0.1, -1.2, -2.0]))
    for sq in ("SQ001", "SQ002", "SQ004"):  # negatively worded: higher code = less often = better
        out[f"MHI[{sq}]"] = _codes(np.clip(np.round(4.1 + 1.1 * mental + N(0.8)), 1, 6))
    for sq in ("SQ003", "SQ005"):  # positively worded: lower code = more often = better
        out[f"MHI[{sq}]"] = _codes(np.clip(np.round(2.9 - 1.1 * mental + N(0.8)), 1, 6))
    out["F1"] = _with_missing(rng, _codes(_cut(money, [1.2, 0.3, -0.8])), {"98": 0.03, "99": 0.02})
    out["F2"] = np.where(rng.random(n) < logistic(-0.8 - 0.9 * gezin - 0.6 * work + 0.4 * z), "Y", "N").astype(object)
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

    languages = np.empty(n, dtype=object)
    for s, shares in LANGUAGE_SHARES.items():
        idx = np.flatnonzero(frame["status"].to_numpy() == s)
        languages[idx] = rng.choice(list(shares), size=idx.size, p=list(shares.values()))
    interview = (languages != "nl") & (rng.random(n) < np.where(z == 1, 0.5, 0.08))
    out["MODUS"] = np.where(interview, "2", "1").astype(object)
    remark = rng.random(n) < 0.15
    pick = rng.integers(0, 2, n)
    out["OPMERK"] = np.array(
        [REMARKS[lang][k] if r else "" for lang, k, r in zip(languages, pick, remark)], dtype=object
    )
    out["W2[other]"] = np.array([OTHER_ACTIVITY[lang] if o else "" for lang, o in zip(languages, other_activity)], dtype=object)
    answers = pd.DataFrame(out)
    answers.insert(0, "startlanguage", languages)
    return answers


def response_propensity(frame: pd.DataFrame) -> np.ndarray:
    """Probability of submitting, by the registry characteristics: main effects on the log
    scale (propensity = product of factors), the response model that raking corrects exactly."""
    x = (
        -1.9
        + 0.75 * (frame["status"] == "gezin")
        + 0.35 * (frame["gender"] == "vrouw")
        - 0.55 * (frame["ageband"] == "18-26")
        + 0.2 * (frame["ageband"] == "41+")
        - 1.1 * (frame["route"] == "Z")
        - 0.35 * (frame["route"] == "onderwijs")
    ).to_numpy(float)
    return np.exp(x)


PLANTED_RATES = {
    "speeders": 0.03, "straightlining": 0.02, "duplicate_link": 0.015,
    "out_of_range": 0.01, "werk_tegenstrijdig": 0.01, "identical_answers": 0.005,
}
"""Shares of submitting respondents given each data-quality problem the clean stage must find."""
LATE_BREAK_OFF = 0.35
"""Share of break-offs that stop only after the loneliness grid (enough core items to count)."""


def _export_rows(
    frame: pd.DataFrame, answers: pd.DataFrame, columns: list[str], wave: Wave, rng: np.random.Generator
) -> tuple[list[dict], np.ndarray, dict[str, list[int]]]:
    """Export rows of everyone who opened the questionnaire, ordered by start time, with planted
    data-quality problems; returns the rows, who submitted, and the response ids of each plant.

    Natural durations are kept above what the speeder rule could catch (online at least 400 s,
    interviews at least 700 s), and a natural straight-liner on both grids is nudged, so that the
    clean stage's findings can be compared with the plants exactly.
    """
    n = len(frame)
    submitted = rng.random(n) < response_propensity(frame)
    broke_off = ~submitted & (rng.random(n) < 0.06)
    late = broke_off & (rng.random(n) < LATE_BREAK_OFF)
    refused = submitted & (rng.random(n) < 0.015)  # said no to the consent question
    start = datetime.combine(wave.config.fieldwork.start, datetime.min.time()) + timedelta(hours=8)
    days = (wave.config.fieldwork.end - wave.config.fieldwork.start).days
    offsets = rng.exponential(days / 3, n).clip(0, days - 2) * 86400 + rng.uniform(0, 50000, n)
    interview = answers["MODUS"].to_numpy() == "2"
    seconds = np.where(interview, rng.normal(1100, 200, n).clip(700), rng.lognormal(np.log(560), 0.25, n).clip(400))
    item_blank = rng.random((n, len(columns))) < 0.02  # item non-response ("" in the export)
    unblankable = {"MODUS"} | {c for c in columns if c.startswith("W2[")}  # a blank box means "not ticked"
    late_from = columns.index("S3")  # a late break-off stops after the loneliness grid
    mhi = [c for c in columns if c.startswith("MHI[")]
    djg = [c for c in columns if c.startswith("DJG[")]

    pool = rng.permutation(np.flatnonzero(submitted & ~refused))
    plant: dict[str, np.ndarray] = {}
    at = 0
    for name, rate in PLANTED_RATES.items():
        size = int(round(rate * pool.size))
        plant[name] = pool[at : at + size]
        at += size
    planted_people = set(pool[:at].tolist())
    spare_tokens = iter(rng.permutation(np.flatnonzero(~submitted & ~broke_off)))

    def answer_row(p: int, blanks: bool) -> dict[str, str]:
        row = {}
        for j, col in enumerate(columns):
            value = answers.at[p, col]
            if col == "TOESTEM":
                value = "N" if refused[p] else "Y"
            elif refused[p] or (broke_off[p] and j > (late_from - 1 if late[p] else len(columns) // 3)):
                value = ""  # after refusal nothing is shown; after break-off nothing answered
            elif blanks and col not in unblankable and item_blank[p, j]:
                value = ""
            row[col] = value
        if row[mhi[0]] and len({row[c] for c in mhi}) == 1 and row[djg[0]] and len({row[c] for c in djg}) == 1:
            row[djg[1]] = "1" if row[djg[1]] != "1" else "3"  # no natural straight-liner on both grids
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
            for c in mhi:
                ans[c] = "4"
            for c in djg:
                ans[c] = "2"
        elif kind == "out_of_range":
            ans["H2"] = "12"
        elif kind == "werk_tegenstrijdig":
            ans["W1"], ans["W2[SQ001]"], ans["W3"] = "N", "Y", "N"
        own = None if kind in ("duplicate_link", "identical_answers") else kind  # the plant is the extra record
        records.append((offsets[p], p, p, duration, bool(submitted[p]), ans, own))
        if kind == "duplicate_link":  # the same person submitted once before (that record gives way)
            first = dict(ans, H2=str(max(1, int(ans["H2"] or 7) - 1)))
            records.append((offsets[p] - 86400, p, p, seconds[p], True, first, "duplicate_link"))
        elif kind == "identical_answers":  # the same answers again under someone else's link, a day later
            other = next(spare_tokens)
            submitted[other] = True
            records.append((offsets[p] + 86400, other, other, seconds[p], True, dict(ans), "identical_answers"))
    records.sort(key=lambda r: (r[0], r[1]))
    rows: list[dict[str, object]] = []
    planted_ids: dict[str, list[int]] = {k: [] for k in PLANTED_RATES}
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
            "token": frame.at[tp, "token"],
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


DEMO_MARGINS = {
    "status": {"asiel": 1377, "gezin": 1246}, "gender": {"vrouw": 1443, "man": 1180},
    "ageband": {"18-26": 682, "27-40": 1718, "41+": 223}, "route": {"B1": 1998, "Z": 407, "onderwijs": 218},
    "kansrijke_start": {"ja": 466, "nee": 2157},
}
"""The registry margins the generator's joint distribution (WOMEN_BY_STATUS, ROUTE_BY_STATUS) is built on."""


def _margin_mismatch(wave: Wave) -> str:
    margins = {k: v for k, v in wave.population.margins.items() if "*" not in k}
    if margins != DEMO_MARGINS:
        changed = sorted(k for k in set(margins) | set(DEMO_MARGINS) if margins.get(k) != DEMO_MARGINS.get(k))
        return f"population.yaml has other margins for {', '.join(changed)}"
    return ""


def _refuse_what_it_cannot_make(wave: Wave, reason: str) -> None:
    """The generator makes the demo's synthetic data only: a wave copied from the demo with another
    population or questionnaire gets one sentence instead of a crash deep inside it."""
    if reason:
        raise PipelineError(
            f"surveys/{wave.id}/wave.yaml: key 'demo' makes the demo's synthetic data, which fits only the demo's "
            f"population and questionnaire, and {reason}; remove the 'demo:' key to fetch this wave from LimeSurvey "
            f"(or import its export)."
        )


def generate(wave: Wave) -> dict[str, bytes]:
    """Generate the demo wave; returns file name -> bytes, all deterministic for the seed.

    Files: ``responses_<sid>.json`` (LimeSurvey JSON export), ``frame.csv`` (population frame
    with response flag and tokens: raw data, never leaves ``data_raw/``),
    ``population_truth.json`` (population value of every indicator) and ``planted.json``
    (response ids of the planted data-quality problems, by the cleaning rule that must find them).
    """
    assert wave.config.demo is not None
    _refuse_what_it_cannot_make(wave, _margin_mismatch(wave))
    rng = np.random.default_rng(wave.config.demo.seed)
    frame = make_frame(wave, rng)
    answers = simulate_answers(frame, rng)
    columns = [col for col, _ in wave.questionnaire.variables().values()]
    unknown = [col for col in columns if col not in answers.columns]
    if unknown:
        _refuse_what_it_cannot_make(wave, f"it has no answers for question(s) {', '.join(unknown[:5])}")
    rows, submitted, planted = _export_rows(frame, answers, columns, wave, rng)
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
