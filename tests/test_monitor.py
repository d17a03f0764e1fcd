"""The fieldwork monitor (issue #18): its status on the simulated demo fieldwork and on a real wave
served by the test LimeSurvey, the page and the recommendation, reminders through
``remind_participants``, privacy, the errors a user can meet, and that following the
recommendation makes the final response more representative than reminding everyone."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.lss import write_lss
from rapportage.sources.fieldwork import Reminder, response_days
from rapportage.stages import monitor
from rapportage.statistics import representativeness, response_cells
from typer.testing import CliRunner

from tests.conftest import demo_export_rows, make_real_wave
from tests.limesurvey_server import FakeLimeSurvey, LimeSurveyServer

PASSWORD = "canary-pw-5e1d"


def _outputs(wave) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in wave.output_dir.glob("veldwerk*")}


# --------------------------------------------------------------------------- the demo
def test_the_demo_page_on_day_14(project):
    wave = load_wave(project, "demo-2025")
    lines = monitor.run_monitor(wave, day=14)
    page = (wave.output_dir / "veldwerk.html").read_text(encoding="utf-8")
    assert "Stand op dag 14 van 31: 14 oktober 2025" in page and "gesimuleerd" in page
    for part in ("De respons tot nu toe", "Respons per groep", "Representativiteit", "Mogelijke vertekening per indicator",
                 "Wie een herinnering verdient", "Hoe dit berekend is", "<main>", '<caption class="visually-hidden">', 'alt="Lijnfiguur'):
        assert part in page, part
    assert "Herinneringen: dag 8 aan iedereen die nog niet had ingevuld." in page
    csv = pd.read_csv(wave.output_dir / "veldwerk_aanbeveling.csv", dtype=str)
    assert list(csv.columns[:3]) == ["rang", "groep", "herinner_met"] and len(csv) >= 1
    assert lines[0].startswith("fieldwork day 14 of 31 (2025-10-14)")
    frame = monitor.demo_fieldwork(wave, 14)[0].frame
    text = page + (wave.output_dir / "veldwerk_aanbeveling.csv").read_text()
    assert not any(token in text for token in frame.key)  # no invitation token reaches the page or the CSV


def test_the_status_counts_what_came_in_by_the_day(project):
    wave = load_wave(project, "demo-2025")
    fw, _ = monitor.demo_fieldwork(wave, 14)
    status = monitor.fieldwork_status(wave, fw, 0.5)
    submitted = fw.responses[fw.responses.submitted < pd.Timestamp("2025-10-15")]
    assert status.submitted == submitted.key.nunique() == status.daily.cumulative.iloc[-1]
    assert status.daily.submitted.sum() == status.submitted and len(status.daily) == 14
    assert status.persons == len(fw.frame) and status.started >= status.submitted
    per = status.categories
    for var in fw.variables:
        assert per[per.variable == var].submitted.sum() == status.submitted
    rep = status.representativeness
    assert rep is not None and 0 < rep.r < 1 and rep.respondents == status.submitted
    # the projection: what has come in, plus the pace of the last week falling as it did
    assert status.submitted < status.projected < status.persons


def test_following_the_recommendation_beats_reminding_everyone(project):
    """On day 14 of the demo fieldwork (everyone reminded on day 8), a reminder to the monitor's
    recommended categories against a reminder to everyone: the same persons (the same random
    thresholds), the final R-indicator after 31 days."""
    wave = load_wave(project, "demo-2025")
    fw, _ = monitor.demo_fieldwork(wave, 14)
    status = monitor.fieldwork_status(wave, fw, wave.config.fieldwork.reminder_effect)
    top = status.recommendation.head(2)
    targeted = Reminder(13.0, tuple(zip(top.variable, top.category)))
    from rapportage.sources import synthetic

    settings = wave.config.synthetic
    rng = np.random.default_rng(settings.seed)
    people = synthetic.make_frame(wave, rng)
    rho = synthetic.response_propensity(wave, people)
    variables = wave.cleaning.frame_variables

    def final_r(second: Reminder) -> float:
        days = response_days(people, rho, 31, [Reminder(7.0), second], np.random.default_rng([settings.seed, 30]),
                             effect=wave.config.fieldwork.reminder_effect)
        responded = people[~np.isnan(days)]
        return representativeness(response_cells(people, responded, variables), variables).r

    everyone, recommended = final_r(Reminder(13.0)), final_r(targeted)
    print(f"final R: reminding everyone {everyone:.3f}, the recommendation ({targeted.categories}) {recommended:.3f}")
    assert recommended > everyone + 0.01


def test_the_demo_reminder_is_a_dry_run_only(project):
    wave = load_wave(project, "demo-2025")
    lines = monitor.run_monitor(wave, day=10, remind=["route=Z"])
    assert any(line.startswith("  route=Z: ") and "not yet submitted" in line for line in lines)
    with pytest.raises(PipelineError, match="simulated fieldwork without a LimeSurvey server"):
        monitor.run_monitor(wave, day=10, remind=["route=Z"], send=True)


def test_cli_monitor_demo(project, monkeypatch):
    monkeypatch.chdir(project)
    result = CliRunner().invoke(app, ["monitor", "--demo", "--day", "20", "--remind", "route=Z,ageband=18-26"])
    assert result.exit_code == 0, result.output
    assert "fieldwork day 20 of 31" in result.output and "ageband=18-26" in result.output
    bad = CliRunner().invoke(app, ["monitor", "--demo", "--day", "40"])
    assert bad.exit_code == 1 and "--day must be a day of the fieldwork" in bad.output and "Traceback" not in bad.output
    bad = CliRunner().invoke(app, ["monitor", "--demo", "--remind", "route=X"])
    assert bad.exit_code == 1 and "has no route 'X'" in bad.output


# --------------------------------------------------------------------------- a real wave, served by the test server
CANARY_NAME, CANARY_MAIL = "Canarynaam", "canary.mail@example.invalid"


@pytest.fixture
def served(project, monkeypatch):
    """A real wave (the demo's configuration, frame and responses) whose survey has a participant
    table: everyone in the frame, invited, a canary name and e-mail address on every row."""
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    make_real_wave(project)
    wave = load_wave(project, "w2025")
    fake = FakeLimeSurvey(username="onderzoeker", password=PASSWORD)
    fake.add_survey(482025, write_lss(wave.questionnaire, 482025))
    rows = [r for r in demo_export_rows(project) if r["startdate"] < "2025-10-15"]  # mid-fieldwork
    fake.add_responses(482025, rows)
    frame = pd.read_csv(wave.raw_dir / "frame.csv", dtype=str)
    # a registry extract may carry more than the monitor needs: names and addresses must not get through
    frame.assign(naam=CANARY_NAME, email=CANARY_MAIL).to_csv(wave.raw_dir / "frame.csv", index=False)
    fake.add_participants(482025, [{"token": t, "firstname": CANARY_NAME, "lastname": f"P{i}", "email": CANARY_MAIL,
                                    "sent": "2025-10-01 08:00"} for i, t in enumerate(frame.token)])
    with LimeSurveyServer(fake) as server:
        monkeypatch.setenv("LIMESURVEY_URL", server.url)
        monkeypatch.setenv("LIMESURVEY_USER", "onderzoeker")
        monkeypatch.setenv("LIMESURVEY_PASSWORD", PASSWORD)
        yield wave, fake, frame, rows


def _private(frame: pd.DataFrame) -> list[str]:
    return [*frame.token, CANARY_NAME, CANARY_MAIL, PASSWORD]


def test_a_real_wave_is_fetched_and_monitored(served):
    wave, fake, frame, rows = served
    lines = monitor.run_monitor(wave, day=14)
    submitted = {r["token"] for r in rows if "" < r["submitdate"] < "2025-10-15"}
    assert f"{len(submitted)} of {len(frame)} submitted" in lines[0]
    assert lines[0].startswith("fieldwork day 14 of 31 (2025-10-14)")
    page = (wave.output_dir / "veldwerk.html").read_text(encoding="utf-8")
    assert "gesimuleerd" not in page and "Representativiteit" in page


def test_remind_dry_run_changes_nothing_and_send_reminds_the_right_people(served):
    wave, fake, frame, rows = served
    before = [(p.remindersent, p.remindercount) for p in fake.surveys[482025].participants]
    lines = monitor.run_monitor(wave, day=14, remind=["route=Z"])
    responded = {r["token"] for r in rows if r["submitdate"]}  # any submitted response counts, also one after day 14
    expected = frame[(frame.route == "Z") & ~frame.token.isin(responded)]
    assert any(f"would reach {len(expected)} invited participants" in line for line in lines)
    assert [(p.remindersent, p.remindercount) for p in fake.surveys[482025].participants] == before
    assert "remind_participants" not in [method for method, _ in fake.calls]
    assert not (wave.raw_dir / "reminders.jsonl").exists()

    with pytest.raises(PipelineError, match="needs the newest responses: leave out --offline"):
        monitor.run_monitor(wave, day=14, remind=["route=Z"], send=True, offline=True)
    fake.max_emails = 40  # LimeSurvey sends a batch per call: the monitor calls again for the rest
    lines = monitor.run_monitor(wave, day=14, remind=["route=Z"], send=True)
    reminded = {p.token for p in fake.surveys[482025].participants if p.remindercount == 1}
    assert reminded == set(expected.token)
    assert sum(method == "remind_participants" for method, _ in fake.calls) == -(-len(expected) // 40)
    log = [json.loads(line) for line in (wave.raw_dir / "reminders.jsonl").read_text().splitlines()]
    assert log[0]["categories"] == {"route=Z": len(expected)} and log[0]["sent"] == len(expected)
    assert any(f"reminded {len(expected)} participants" in line for line in lines)
    # the page shows the reminders logged up to its day (this one went out today, after the fieldwork)
    with (wave.raw_dir / "reminders.jsonl").open("a") as out:
        out.write(json.dumps({"time": "2025-10-08T09:00:00+02:00", "survey": 482025, "categories": {"route=Z": 1, "ageband=18-26": 2},
                              "sent": 3, "failed": 0}) + "\n")
    monitor.run_monitor(wave, day=14, offline=True)
    page = (wave.output_dir / "veldwerk.html").read_text(encoding="utf-8")
    assert "Herinneringen: dag 8 aan leerroute Z-route en leeftijd 18–26 jaar." in page
    # the same day again: nobody is reminded twice in a day (min_days 1), and nothing is logged
    lines = monitor.run_monitor(wave, day=14, remind=["route=Z"], send=True)
    assert any("would" not in line and "nobody to remind (route=Z: 0)" in line for line in lines)
    assert len((wave.raw_dir / "reminders.jsonl").read_text().splitlines()) == 2
    assert all(p.remindercount <= 1 for p in fake.surveys[482025].participants)


def test_a_server_that_refuses_the_reminder_is_one_sentence_and_nothing_is_logged(served):
    wave, fake, frame, rows = served
    fake._methods["remind_participants"] = (lambda *args: {"status": "No permission"}, 2, 5)
    with pytest.raises(PipelineError, match=r"refused to send the reminders of survey 482025: No permission\. Before that, 0"):
        monitor.run_monitor(wave, day=14, remind=["route=Z"], send=True)
    assert not (wave.raw_dir / "reminders.jsonl").exists() and _outputs(wave) == {}


def test_a_damaged_reminder_log_and_unreadable_dates_are_named(served):
    wave, fake, frame, rows = served
    (wave.raw_dir / "reminders.jsonl").write_text('{"time": "2025-10-08T09:00:00+02:00", "categ\n')
    with pytest.raises(PipelineError, match="reminders.jsonl, line 1, is not a reminder"):
        monitor.run_monitor(wave, day=14)
    (wave.raw_dir / "reminders.jsonl").unlink()
    late = dict(rows[0], id=max(r["id"] for r in rows) + 1, submitdate="05-10-2025 10:00")  # a new response, so it is fetched
    fake.add_responses(482025, [late])
    with pytest.raises(PipelineError, match="submitdate that is not a date as LimeSurvey writes it"):
        monitor.run_monitor(wave, day=14)


def test_no_token_name_or_address_reaches_any_output(served, capsys):
    wave, fake, frame, rows = served
    monitor.run_monitor(wave, day=14, remind=["route=Z", "gender=vrouw"], send=True)
    printed = capsys.readouterr()
    texts = [printed.out, printed.err, *(p.read_text(encoding="utf-8") for p in wave.output_dir.glob("veldwerk*")),
             (wave.raw_dir / "reminders.jsonl").read_text()]
    for secret in _private(frame):
        assert not any(secret in text for text in texts), secret


def test_a_frame_without_the_linking_key_is_refused_before_anything_is_written(served):
    wave, fake, frame, rows = served
    frame.drop(columns=["token"]).to_csv(wave.raw_dir / "frame.csv", index=False)
    with pytest.raises(PipelineError, match=r"frame.csv has no column 'token'.*cannot be linked"):
        monitor.run_monitor(wave)
    assert _outputs(wave) == {} and not any(wave.raw_dir.glob("2*"))  # no snapshot fetched, no page


def test_a_survey_without_a_participant_table_cannot_be_reminded(served):
    wave, fake, frame, rows = served
    fake.surveys[482025].participants = None
    with pytest.raises(PipelineError, match="survey 482025 has no participant table"):
        monitor.run_monitor(wave, day=14, remind=["route=Z"])
    assert _outputs(wave) == {}


def test_offline_without_a_snapshot_says_what_to_do(served):
    wave, fake, frame, rows = served
    with pytest.raises(PipelineError, match="holds no snapshot of the responses yet"):
        monitor.run_monitor(wave, offline=True)
    assert _outputs(wave) == {}


def test_day_one_before_anyone_answered(served):
    """The morning of the first day: a snapshot without responses gives a page that says R cannot
    be computed yet, not an error."""
    wave, fake, frame, rows = served
    fake.surveys[482025].responses.clear()
    lines = monitor.run_monitor(wave, day=1)
    assert "0 of 2623 submitted" in lines[0] and "no projection yet" in lines[0]
    assert lines[1].startswith("R-indicator: not yet")
    assert "nog niet te berekenen" in (wave.output_dir / "veldwerk.html").read_text(encoding="utf-8")


def test_unknown_categories_are_named(served):
    wave, fake, frame, rows = served
    with pytest.raises(PipelineError, match="name a category as variable=code"):
        monitor.run_monitor(wave, day=14, remind=["leerroute=Z"], offline=True)


def test_counts_below_the_disclosure_minimum_are_not_given_away(project):
    """A category of 43 invited of whom 3 responded: no exact count, rate, curve or partial
    R-indicator of it (each would tell the 3), its recommendation as a range; a category of 6
    invited is left out everywhere."""
    wave = load_wave(project, "demo-2025")
    fw, _ = monitor.demo_fieldwork(wave, 14)
    cutoff = pd.Timestamp("2025-10-15")
    done = set(fw.responses.key[fw.responses.submitted < cutoff])
    responded = fw.frame.index[fw.frame.key.isin(done) & (fw.frame.route == "Z")][:3]
    silent = fw.frame.index[~fw.frame.key.isin(done) & (fw.frame.route == "Z")][:40]
    fw.frame.loc[responded.union(silent), "ageband"] = "65+"
    tiny = fw.frame.index[fw.frame.route == "onderwijs"][:6]
    fw.frame.loc[tiny, "ageband"] = "99+"
    status = monitor.fieldwork_status(wave, fw, 0.5)
    from rapportage.report.fieldwork import page, recommendation_frame

    html = page(wave, status, effect=0.5, reminders=[], synthetic=True).decode("utf-8")
    assert "Niet getoond, omdat de groep te klein is: Leeftijd: 99+." in html
    assert "<tr><th scope=\"row\">Leeftijd: 65+</th><td>43</td><td>–</td><td>–</td><td>–</td></tr>" in html
    assert "65+ niet getoond" in html and "99+ niet getoond" in html  # in the figure's alt text, without a figure
    assert not re.search(r"(65|99)\+ [0-9]", html)
    assert "Leeftijd: 65+</th><td>−" not in html  # no partial R-indicator of it
    csv = recommendation_frame(status, wave, 10)
    row = csv[csv.herinner_met == "ageband=65+"]
    if len(row):
        assert row.nog_niet_ingevuld.iloc[0] == "34–43" and row.verwachte_extra_respondenten.iloc[0] == "–"
    assert "ageband=99+" not in set(csv.herinner_met)


def test_the_projection_follows_the_decline_since_the_last_peak(project):
    """On the simulated demo fieldwork (final response 839 after 31 days), from a few days after
    the reminder's peak the projection is within 2% of where response ends; before the peak's
    decline can be measured (fewer than three days since it) there is none."""
    wave = load_wave(project, "demo-2025")
    fw, _ = monitor.demo_fieldwork(wave, 31)
    daily = monitor.fieldwork_status(wave, fw, 0.5).daily.submitted.to_numpy()
    final = daily.sum()
    for day in range(11, 31):
        still = monitor.project(daily[:day], 31 - day, 10**6, monitor.projection_window(daily[:day]))
        assert abs(daily[:day].sum() + still - final) <= 0.02 * final, day
    assert monitor.projection_window(daily[:9]) is None  # the reminder's peak was yesterday
    assert monitor.projection_window(np.array([5, 5])) is None
    assert monitor.project(np.array([0, 0, 0]), 5, 100, 3) == 0.0
