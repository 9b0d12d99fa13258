"""Coaching reports: self-contained HTML, key elements present, and rendered in a real headless browser."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mi_coder.records import Session, Turn, Utterance
from mi_coder.report import render_session, write_reports
from mi_coder.report.coaching import coaching_examples
from mi_coder.scoring import DEFAULT_THRESHOLDS, session_scores

from .conftest import EXAMPLES
from .helpers import C, P, coded_session


def _session(sid="s1", n=8):
    spec = []
    for _ in range(n):
        spec += [(P, [("What brings you in today?", "OQ")]), (C, [("I want to cut down.", "CT")]),
                 (P, [("You're ready for a change.", "CR"), ("Did you drink yesterday?", "CQ")]),
                 (C, [("Yeah, a few.", "FN")])]
    return coded_session(spec, sid)


def test_session_report_is_self_contained_and_has_the_key_sections():
    s = _session()
    page = render_session(s, session_scores(s), "test-model 1.0")
    assert page.startswith("<!DOCTYPE html>")
    # No network: no external scripts, styles, fonts or images.
    assert not re.search(r"""(src|href)=['"]https?://""", page)
    assert "@import" not in page and "url(http" not in page
    for anchor in ("id='scores'", "id='indices'", "id='timeline'", "id='examples'", "id='transcript'",
                   "How to read this report", "test-model 1.0", "@media print", "<svg"):
        assert anchor in page, anchor
    assert "Closed questions that could have been open" in page


def test_short_session_gets_the_warning_banner():
    s = coded_session([(P, [("How are you?", "OQ")]), (C, [("Fine.", "FN")])])
    page = render_session(s, session_scores(s))
    assert "id='short-warning'" in page
    # each index shown as a number says so too, not only the banner at the top
    cards = re.findall(r"<div class='card'><div>[^<]*index</div>.*?</div></div>", page, re.DOTALL)
    shown = [c for c in cards if ">n/a<" not in c]
    assert shown and all("class='unstable'" in c for c in shown)
    long = _session()
    page = render_session(long, session_scores(long))
    assert "id='short-warning'" not in page and "class='unstable'" not in page


def test_low_confidence_codes_are_marked_for_review():
    s = _session(n=3)
    s.turns[0].utterances[0].confidence = 0.3
    assert "review</span>" in render_session(s, session_scores(s))


def _named(session, name):
    for t in session.turns:
        if t.role == P:
            t.speaker = name
    return session


def test_index_links_every_session_and_draws_trends_only_for_a_named_practitioner(tmp_path):
    sessions = [_named(_session("visit-1"), "Dana Ruiz"), _named(_session("visit-2"), "Dana Ruiz"),
                _named(_session("visit-3", n=4), "Dana Ruiz")]
    written = write_reports(sessions, tmp_path / "named")
    assert sorted(p.name for p in written) == ["index.html", "visit-1.html", "visit-2.html", "visit-3.html"]
    index = (tmp_path / "named" / "index.html").read_text()
    for s in sessions:
        assert f"href='{s.id}.html'" in index
    assert "Trends by practitioner" in index and "Dana Ruiz" in index
    for label in ("PO", "Counselor", "Speaker 1", "SPEAKER_00"):
        unnamed = [_named(_session(f"{label}-{k}"), label) for k in range(3)]
        write_reports(unnamed, tmp_path / label)
        page = (tmp_path / label / "index.html").read_text()
        assert "<svg" not in page.split("Trends by practitioner", 1)[-1], label  # a role label is not a person
        assert "No trends: no session names its practitioner as a person" in page
    for s in unnamed:
        s.meta["practitioner_id"] = "officer-117"  # --practitioner-id names who it is
    write_reports(unnamed, tmp_path / "with-id")
    assert "officer-117" in (tmp_path / "with-id" / "index.html").read_text()


def test_coaching_examples_skip_mi_consistent_closed_questions_and_fragments_and_suggest_rewordings():
    spec = []
    for _ in range(3):
        spec += [(P, [("On a scale of one to ten, how confident are you?", "CQ")]), (C, [("A six.", "FN")]),
                 (P, [("Would it be okay if I shared something?", "CQ")]), (C, [("Sure.", "FN")]),
                 (P, [("I'd like to let Dr. Patel know.", "GI"), ("Is that alright with you?", "CQ")]),
                 (C, [("Okay.", "FN")]),
                 (P, [("you", "CQ")]), (C, [("Yes.", "FN")]),
                 (P, [("Did you go to the group on Tuesday?", "CQ")]), (C, [("No.", "FN")]),
                 (P, [("You need to stop seeing those guys.", "PER")]), (C, [("Whatever.", "FN")])]
    s = coded_session(spec)
    page = render_session(s, session_scores(s))
    section = page[page.index("Closed questions that could have been open"):page.index("Runs of questions")]
    assert "Did you go to the group on Tuesday?" in section
    assert "scale of one to ten" not in section and "Would it be okay" not in section
    assert "alright with you" not in section  # a permission check, not a question to open up
    assert "&ldquo;you&rdquo;" not in section  # fragments never appear
    assert "What was it like to go" not in section  # the client said no: no rewording that presumes they went
    assert "ask about the same thing with what or how" in section
    assert "Would it be okay if I shared a thought" in page  # the permission line for persuading
    assert "at least 60% confidence" in page


def test_header_shows_the_file_name_and_no_unknown_fields_and_the_legend_colours_are_distinct():
    s = _session()
    s.source = "/home/user/transcripts/visit-1.txt"
    page = render_session(s, session_scores(s))
    assert "Source: visit-1.txt" in page and "unknown" not in page and "/home/user" not in page
    from mi_coder.report.style import CODE_COLOURS

    assert len(set(CODE_COLOURS.values())) == len(CODE_COLOURS)
    assert "(turn: " not in page


def test_engagement_section_lists_the_role_clarification_checklist_with_links():
    s = _session()
    s.turns[0].utterances[0].meta["role_elements"] = ["purpose"]
    for t in s.turns[1:]:
        for u in t.utterances:
            u.meta.setdefault("role_elements", [])
    page = render_session(s, session_scores(s))
    assert "Engagement and relationship building" in page
    assert "purpose of the meetings: <a href='#turn-1'>turn 1</a>" in page
    assert "the client&#x27;s role: the coder found none" in page
    assert "id='elaboration-chart'" in page


def test_a_role_element_explained_after_the_opening_is_shown_with_its_turn_not_as_missing():
    # the audit's late-roles session: the client's role at turn 19 of 52 read "not found in the opening"
    spec = [(P, [("How was the drive?", "OQ")]), (C, [("Long, but fine.", "FN")])] * 8 + [
        (P, [("Your part is to tell me honestly how things are going.", "GI")]), (C, [("Okay.", "FN")])]
    s = coded_session(spec)
    for t in s.turns:
        for u in t.utterances:
            u.meta["role_elements"] = ["client_role"] if t is s.turns[16] else []
    scores = session_scores(s)
    assert scores["role_clarification_turns"] == "" and scores["role_clarification_later"] == f"client_role:{s.turns[16].id}"
    page = render_session(s, scores)
    assert f"the client&#x27;s role: not in the opening; first at <a href='#turn-{s.turns[16].id}'>" in page


def test_a_session_too_short_to_score_gets_values_without_readings():
    s = coded_session([(P, "What brings you in?", ["OQ"]), (C, "My doctor sent me in today.", ["FN"])] * 3)
    from mi_coder.report.html import engagement_context

    scores = session_scores(s)
    assert scores["scores_reliable"] is False
    readings = engagement_context(s, scores)["readings"]
    assert all(r["reading"].startswith("not read: fewer than 10 coded practitioner utterances") for r in readings)
    assert "Not judged: fewer than 10 coded practitioner utterances (a short session, or the roles the other way " \
        "round" in render_session(s, scores)


def test_a_session_not_in_english_says_so_on_the_page_instead_of_judging_the_practitioner():
    # Only stderr had said it: a supervisor saw red bands and "could have been open" rewordings of Spanish questions
    s = coded_session([(P, "¿Qué le gustaría cambiar de su vida en este momento?", ["CQ"]),
                       (C, "Quiero dejar de beber porque mis hijos me necesitan.", ["FN"])] * 12)
    from mi_coder.report.html import engagement_context

    scores = session_scores(s)
    page = render_session(s, scores)
    assert "id='language-warning'>In this session 24 coded turns do not read as English" in page
    assert "id='short-warning'" not in page and "Not judged: fewer than" not in page
    readings = engagement_context(s, scores)["readings"]
    assert all(r["reading"] == "not read: 24 coded turns do not read as English, and the coder knows English only"
               for r in readings)


def test_coaching_examples_name_the_speaker_where_several_speakers_are_the_practitioner():
    # A supervisor sitting in is pooled with the officer: the supervisor's confrontation was shown as the officer's
    spec = [(P, "What brings you in today?", ["OQ"]), (C, "My PO sent me, I guess.", ["FN"])] * 6
    spec += [(P, "You know missing group is a violation, right?", ["CON"]), (C, "Yeah.", ["FN"])]
    s = coded_session(spec)
    page = render_session(s, session_scores(s))
    assert "PO: &ldquo;" not in page  # one practitioner: no names needed
    s.turns[-2].speaker = "Supervisor"
    page = render_session(s, session_scores(s))
    assert "Supervisor: &ldquo;You know missing group is a violation, right?&rdquo;" in page


HOSTILE = "<script>alert(1)</script> \"quotes\" & ampersands"
HOSTILE_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot; &amp; ampersands"


def _hostile_session(sid="s1"):
    s = _session(sid)
    for t in s.turns:
        t.speaker = HOSTILE if t.role == P else "Client"
    s.turns[1].utterances[0].text = HOSTILE
    return s


def test_speaker_names_and_utterance_text_are_escaped_in_the_session_report():
    s = _hostile_session()
    page = render_session(s, session_scores(s))
    assert "<script>alert(1)</script>" not in page and "alert(1)</script>" not in page
    assert f"Practitioner: <b>{HOSTILE_ESCAPED}</b>" in page  # the header
    assert f"<td>{HOSTILE_ESCAPED}</td><td>" in page  # speaker column of the transcript
    # utterance column of the transcript (the cell names the review controls' description: id='txt-N')
    assert re.search(r"<td(?: id='txt-\d+')?>" + re.escape(HOSTILE_ESCAPED) + "</td></tr>", page)
    # the review controls are named by turn and speaker, escaped
    assert f"aria-label='code, turn 2, {HOSTILE_ESCAPED}'" in page or f"aria-label='code, turn 1, {HOSTILE_ESCAPED}'" \
        in page
    assert "&#x27;" in page and "&#39;" not in page  # apostrophes keep html.escape's entity, as before the templates


def test_practitioner_names_are_escaped_on_the_index_page(tmp_path):
    sessions = [_named(_session(f"visit-{k}"), HOSTILE) for k in range(2)]
    write_reports(sessions, tmp_path)
    index = (tmp_path / "index.html").read_text()
    assert "<script>alert(1)" not in index
    assert f"<td>{HOSTILE_ESCAPED}</td>" in index
    assert "Trends by practitioner" in index and "&lt;script&gt;alert(1)&lt;/script&gt;" in index.split("Trends")[1]


def test_a_missing_template_variable_raises_instead_of_rendering_empty():
    import jinja2

    from mi_coder.report.templating import environment, render

    assert environment().undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError, match="distributions_chart"):
        render("index.html.j2", rows=[], trend_charts=[], threshold_source="the MITI thresholds", dated=False,
               trend_orders=[], no_trend="")
    with pytest.raises(jinja2.UndefinedError):
        environment().from_string("{{ name }}").render()


def test_templates_are_package_resources_listed_in_the_package_data():
    import ast
    import fnmatch
    from importlib.resources import files

    from mi_coder.report.templating import environment

    folder = files("mi_coder.report") / "templates"
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert {"session.html.j2", "index.html.j2", "_review.html.j2", "_report.css"} <= set(names)
    assert sorted(environment().list_templates()) == names
    root = Path(__file__).resolve().parents[1]
    # The package-data line, read without tomllib (Python 3.10 has none).
    line = re.search(r'^"mi_coder.report.templates" = (\[.*\])$', (root / "pyproject.toml").read_text(),
                     re.MULTILINE)
    assert line, "mi_coder.report.templates needs a [tool.setuptools.package-data] line in pyproject.toml"
    globs = ast.literal_eval(line.group(1))
    unshipped = [n for n in names if not any(fnmatch.fnmatch(n, g) for g in globs)]
    assert not unshipped, f"add these to [tool.setuptools.package-data] in pyproject.toml: {unshipped}"


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_report_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    s = _session()
    page = tmp_path / "report.html"
    page.write_text(render_session(s, session_scores(s), "test-model"))
    shot = tmp_path / "report.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([browser, *flags, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "id=\"transcript\"" in dom.stdout and "<svg" in dom.stdout
    console_errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()]
    assert not console_errors, console_errors
    subprocess.run([browser, *flags, "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.exists() and shot.stat().st_size > 10_000
    Path(__file__).resolve().parent.joinpath("artifacts").mkdir(exist_ok=True)
    shutil.copy(shot, Path(__file__).resolve().parent / "artifacts" / "report.png")


def test_sessions_whose_ids_clean_to_one_name_or_are_too_long_each_get_their_own_report(tmp_path):
    spec = [(P, "What brings you in?", ["OQ"]), (C, "My doctor.", ["FN"]), (P, "Your doctor sent you.", ["SR"])]
    ids = ["visit 1", "visit_1", "probation-visit-" + "x" * 300]
    written = write_reports([coded_session(spec, sid) for sid in ids], tmp_path)
    pages = sorted(p.name for p in written if p.name != "index.html")
    assert len(pages) == 3 and len(set(pages)) == 3 and all(len(p) < 120 for p in pages)
    assert {"visit_1.html", "visit_1-2.html"} <= set(pages)
    index = (tmp_path / "index.html").read_text()
    assert all(f"href='{p}'" in index for p in pages)


def test_a_report_whose_roles_were_inferred_says_so_at_the_top(tmp_path):
    from mi_coder.cli import main

    path = tmp_path / "anon.txt"
    path.write_text("A: Hi, thanks for coming in. What would you like to talk about today?\n"
                    "B: I guess my drinking. My wife is on me about it.\n"
                    "A: She's worried, and you're not sure she's right.\n")
    labelled = tmp_path / "labelled.txt"
    labelled.write_text(path.read_text().replace("A:", "Counselor:").replace("B:", "Client:"))
    assert main(["report", str(path), str(labelled), "--out", str(tmp_path / "r")]) == 0
    page = (tmp_path / "r" / "anon.html").read_text()
    assert "id='roles-warning'" in page and "&#x27;A&#x27; as practitioner" in page
    assert "id='roles-warning'" not in (tmp_path / "r" / "labelled.html").read_text()


def test_report_pages_never_overwrite_a_users_file_or_the_overview_and_old_pages_go(tmp_path):
    spec = [(P, "What brings you in?", ["OQ"]), (C, "My doctor.", ["FN"]), (P, "Your doctor sent you.", ["SR"])]
    (tmp_path / "visit.html").write_text("my notes")
    with pytest.warns(UserWarning, match="visit.html exists and was not written by mi-coder"):
        written = write_reports([coded_session(spec, sid) for sid in ("visit", "index", "other")], tmp_path)
    assert (tmp_path / "visit.html").read_text() == "my notes"
    names = {p.name for p in written}
    assert names == {"visit-2.html", "index-2.html", "other.html", "index.html"}
    index = (tmp_path / "index.html").read_text()
    assert "href='index-2.html'" in index and "href='visit-2.html'" in index
    # a second run with one session: the pages and the overview of the first run go, the user's file stays
    written = write_reports([coded_session(spec, "other")], tmp_path)
    assert [p.name for p in written] == ["other.html"]
    assert sorted(p.name for p in tmp_path.glob("*.html")) == ["other.html", "visit.html"]
    assert (tmp_path / "visit.html").read_text() == "my notes"


@pytest.mark.parametrize("after_reflection, after_question, reading", [
    (None, 0.14, "not measurable in this session (fewer than 3 client turns right after a turn with a reflection)"),
    (0.83, None, "not measurable in this session (fewer than 3 client turns right after a turn that asked a question "
                 "without reflecting)"),
    (0.0, 0.0, "no change talk followed either: nothing to compare"),
    (0.38, 0.40, "change talk follows reflections and questions about as often"),
    (0.20, 0.40, "change talk follows questions more often than reflections"),
    (0.50, 0.20, "change talk follows reflections more often than questions"),
])
def test_the_change_talk_reading_compares_only_what_was_measured(after_reflection, after_question, reading):
    from mi_coder.report.html import engagement_context

    session = coded_session([(P, "What brings you in?", ["OQ"]), (C, "My doctor.", ["FN"])] * 10)
    scores = {**session_scores(session), "change_talk_after_reflection": after_reflection,
              "change_talk_after_question": after_question, "client_words_per_turn_change": 0.0}
    readings = {r["label"]: r["reading"] for r in engagement_context(session, scores)["readings"]}
    assert readings["Change talk after reflections / after questions"] == reading
    assert readings["Client elaboration over the session"] == ("the client says about as much late in the session "
                                                               "as early on")


def test_the_index_charts_draw_the_thresholds_in_use(tmp_path):
    from mi_coder.report.charts import distributions_chart
    from mi_coder.scoring import DEFAULT_THRESHOLDS

    spec = [(P, "What brings you in?", ["OQ"]), (C, "My doctor.", ["FN"]), (P, "Your doctor sent you.", ["SR"])]
    sessions = [coded_session(spec, f"s{k}") for k in range(3)]
    strict = {**DEFAULT_THRESHOLDS, "r_q": {"fair": 3.0, "good": 4.0}}
    pages = {}
    for name, thresholds in (("default", None), ("strict", strict)):
        write_reports(sessions, tmp_path / name, thresholds=thresholds)
        pages[name] = (tmp_path / name / "index.html").read_text()
    assert pages["default"] != pages["strict"]
    session_pages = {name: (tmp_path / name / "s0.html").read_text() for name in pages}
    assert "at the MITI thresholds" in session_pages["default"]  # the reading guide says which thresholds shade
    assert "at the thresholds given for this report (not MITI" in session_pages["strict"]
    assert "bands at the MITI thresholds" in pages["default"]  # the overview says which thresholds band it too
    assert "bands at the thresholds given for this report (not MITI&#39;s own): r_q fair 3, good 4" in pages["strict"] \
        or "bands at the thresholds given for this report (not MITI&#x27;s own): r_q fair 3, good 4" in pages["strict"]
    rows = [{**session_scores(s), "session_id": s.id} for s in sessions]
    assert distributions_chart(rows) == distributions_chart(rows, DEFAULT_THRESHOLDS) != distributions_chart(rows, strict)


def test_a_one_turn_monologue_reads_as_one_turn_and_an_undefined_index_has_no_scale():
    s = coded_session([(P, "Today we go over the conditions of your order.", ["GI"])])
    page = render_session(s, session_scores(s))
    assert "1 turn &middot;" in page and "1 turns" not in page
    assert "n/a<small>/100" not in page and "n/a</div>" in page  # the engagement index: no client


def test_a_score_just_below_a_threshold_is_shown_with_the_decimals_that_keep_it_below():
    from mi_coder.report.style import _fmt_banded
    from mi_coder.scoring import DEFAULT_THRESHOLDS, band

    s = _session()
    scores = session_scores(s)
    scores.update(pct_oq=0.696, pct_oq_band=band(0.696, DEFAULT_THRESHOLDS["pct_oq"]),
                  r_q=0.9996, r_q_band=band(0.9996, DEFAULT_THRESHOLDS["r_q"]))
    page = render_session(s, scores)
    assert ">69.6%</div><div>fair</div>" in page and ">70%</div><div>fair" not in page
    assert ">1.000</div><div>below" not in page and ">0.9996</div><div>below</div>" in page
    assert _fmt_banded(0.55, True, DEFAULT_THRESHOLDS["pct_oq"]) == "55%"  # clear of a threshold: as before
    assert _fmt_banded(1.5, False, DEFAULT_THRESHOLDS["r_q"]) == "1.50"
    assert _fmt_banded(None, True, DEFAULT_THRESHOLDS["pct_oq"]) == "n/a"


@pytest.mark.parametrize("closed, suggestion", [
    ("Do you have any concerns at all about your drinking?", "What concerns, if any, do you have about your drinking?"),
    ("Do you think that would work for you?", "What are your thoughts on whether that would work for you?"),
    ("Have you ever heard of Tai Chi?", "What have you heard about Tai Chi?"),
    ("Are you worried about your job?", "What worries you about your job?"),
    ("Are you familiar with that program?", "How familiar are you with that program?"),
    ("Is it hard to say no to your friends?", "How hard is it to say no to your friends?"),
    ("Does that make sense?", "What do you make of that?"),
    ("Would you like to look at a few options?", "What are your thoughts about whether to look at a few options?"),
    # questions about what the client did or will do: no open frame that presumes the answer or makes a warning a
    # goal (a trainer's audit: "Did you go to your NA meeting?" had become "What was it like to go...?"); the hint
    ("Did you go to your NA meeting this week?", ""),
    ("Have you missed any doses of your medication?", ""),
    ("Did you use over the weekend?", ""),
    ("Do you want to go back to jail?", ""),
    ("Are you going to keep using?", ""),
    ("Are you sure you want to keep using?", ""),
    ("Have you been to the group?", ""),
    ("Did you know that juice has as much sugar as cola?", ""),
    ("Do you smoke every day?", ""),
])
def test_closed_questions_get_an_open_rewording_of_their_own_words_only_where_it_presumes_nothing(closed, suggestion):
    from mi_coder.report.coaching import _open_rewording

    assert _open_rewording(closed) == suggestion


def test_a_closed_question_without_a_safe_rewording_gets_the_general_hint_on_the_page():
    from mi_coder.report.coaching import GENERAL_HINT, coaching_examples

    turns = [Turn("1", "PO", "practitioner", "Did you go to your NA meeting this week?"),
             Turn("2", "C", "client", "No.")]
    turns[0].utterances = [Utterance("1.1", turns[0].text, 0, len(turns[0].text), code="CQ", confidence=0.9)]
    turns[1].utterances = [Utterance("2.1", "No.", 0, 3, code="FN", confidence=0.9)]
    closed = coaching_examples(Session("s", "x", turns))["Closed questions that could have been open"]
    assert [suggestion for _, _, suggestion in closed] == [GENERAL_HINT]
    assert "What was it like" not in GENERAL_HINT and "yes or no" in GENERAL_HINT


@pytest.mark.parametrize("question", ["Would you be open to looking at the guidelines together?",
                                      "Can we talk about how you could use it?",
                                      "Is that something you'd be willing to try?"])
def test_offers_to_look_at_something_together_are_not_listed_as_closed_questions_to_open(question):
    from mi_coder.report.coaching import _MI_CLOSED

    assert _MI_CLOSED.search(question)


@pytest.mark.parametrize("question", ["Would Thursday evenings work better for you?", "Same time in two weeks?",
                                      "Can we reschedule the home visit?", "Does ten o'clock suit you?"])
def test_scheduling_questions_are_not_listed_as_closed_questions_to_open(question):
    from mi_coder.report.coaching import _NOT_TO_OPEN

    assert _NOT_TO_OPEN.search(question)
    assert not _NOT_TO_OPEN.search("Did you go to group on Thursday?")


@pytest.mark.parametrize("question", ["Do you have their number?", "Did you bring your last two pay stubs?",
                                      "Is this still your address?", "Did you fill out the housing forms?",
                                      "Are you still at the same place on Elm Street?"])
def test_checks_of_papers_and_contact_details_are_not_listed_as_closed_questions_to_open(question):
    # a supervisor's audit: "Do you have their number?" was offered as a question that could have been open
    spec = [(P, [(question, "CQ")]), (C, [("Yes.", "FN")]),
            (P, [("Did you go to group on Thursday?", "CQ")]), (C, [("No.", "FN")]),
            (P, [("Do you have any concerns about the new job?", "CQ")]), (C, [("Some.", "FN")])]
    examples = coaching_examples(coded_session(spec))
    assert [text for _, text, _ in examples["Closed questions that could have been open"]] == [
        "Did you go to group on Thursday?", "Do you have any concerns about the new job?"]


def test_a_question_run_is_described_not_quoted_and_persuading_advice_names_conditions():
    spec = [(P, [("How often do you drink?", "CQ")]), (C, [("Weekends, maybe more.", "FN")])] * 4
    s = coded_session(spec + [(P, [("You need to stop going to that bar.", "PER")]), (C, [("Maybe.", "FN")])])
    for t, u in s.utterances():
        u.confidence = 0.9
    page = render_session(s, session_scores(s))
    assert "4 questions with no reflection between them" in page
    assert "&ldquo;4 questions with no" not in page and "\u201c4 questions with no" not in page
    assert "where it is a condition of the order or the program, say so plainly" in page
    s.meta["role_check"] = "off"  # a health or counselling session (--no-role-check): no court order in the example
    page = render_session(s, session_scores(s))
    assert "where it is a rule of the service or the program, say so plainly" in page and "order" not in \
        page.split("Persuading without permission")[1].split("</ul>")[0]


_NODE_HARNESS = r"""
const fs = require('fs'), vm = require('vm');
const html = fs.readFileSync(process.argv[2], 'utf8');
const blob = html.match(/<script type='application\/json' id='mi-review-data'>([\s\S]*?)<\/script>/)[1];
const store = {}, window = {};
const document = {getElementById: id => id === 'mi-review-data' ? {textContent: blob} : null,
                  addEventListener: () => {}, querySelector: () => null, querySelectorAll: () => []};
const localStorage = {getItem: k => (k in store ? store[k] : null), setItem: (k, v) => { store[k] = v; }};
vm.runInNewContext(fs.readFileSync(process.argv[3], 'utf8'), {window, document, localStorage, JSON, Math, String,
                                                              Date, Object, parseFloat, console});
const s = window.miReview.scores(), out = {};
Object.keys(s).forEach(k => { out[k] = window.miReview.fmt(k, s[k]); });
const probe = JSON.parse(process.argv[4]);
out.probe = probe.map(([k, v]) => window.miReview.fmt(k, v));
process.stdout.write(JSON.stringify(out));
"""


@pytest.mark.parametrize("spec", [
    # questions broken only by information (one run of three) and no reflection at all (%CR part 0)
    [(P, [("How often do you drink?", "CQ")]), (C, [("Weekends, maybe more.", "FN")]),
     (P, [("Heavy drinking is more than four drinks a day.", "GI")]), (C, [("Okay.", "FN")]),
     (P, [("What do you drink?", "OQ")]), (C, [("Beer, mostly with my brother.", "CT")]),
     (P, [("How much?", "CQ")]), (C, [("Six or so.", "ST")])] * 2,
    # reflections and no question (R:Q part 1)
    [(P, [("You want your licence back.", "CR")]), (C, [("I do, I need it for work.", "CT")]),
     (P, [("Work matters.", "SR")]), (C, [("It pays the rent.", "FN")]), (P, [("You need it.", "SR")]),
     (C, [("Every day.", "FN")])] * 2,
], ids=["questions-and-information", "reflections-only"])
def test_the_review_page_computes_question_runs_and_index_parts_as_the_scorer_does(tmp_path, spec):
    import json as _json

    from mi_coder.report.style import display_number

    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine to run review.js outside a browser (the Chromium test covers CI)")
    script = tmp_path / "harness.js"
    script.write_text(_NODE_HARNESS)
    s = coded_session(spec)
    page = tmp_path / "s.html"
    page.write_text(render_session(s, session_scores(s)))
    result = subprocess.run([node, str(script), str(page), str(Path(__file__).parents[1] / "mi_coder" / "report" /
                                                                 "review.js"), "[]"],
                            capture_output=True, text=True, check=True)
    shown = _json.loads(result.stdout)
    scores = session_scores(s)
    for key in ("engagement_index", "empathy_index", "fidelity_index"):
        assert scores[key] is not None and shown[key] == display_number(scores[key], 0), key


def test_the_review_page_shows_each_score_as_the_report_cards_do_halves_and_thresholds_included(tmp_path):
    """Before any edit the review page's live scores read as the cards above them: halves rounded up on both
    sides (Python's own formatting rounds 0.125 to "0.12", JavaScript's to "0.13") and a score just below a
    threshold with the decimals that keep it below."""
    import json as _json

    from mi_coder.report.review import LIVE_SCORES
    from mi_coder.report.style import _fmt, _fmt_banded, display_number
    from mi_coder.scoring import DEFAULT_THRESHOLDS

    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine to run review.js outside a browser (the Chromium test covers CI)")
    script = tmp_path / "harness.js"
    script.write_text(_NODE_HARNESS)
    # one question with a second code (SEEK), counted by both; half-way cases are probed below
    spec = [(P, [("What brings you in today?", "OQ")]), (C, [("My doctor.", "FN")])] * 7 + [
        (P, [("You want your health back.", "CR")]), (C, [("Yes.", "FN")]),
        (P, [("Did you drink yesterday?", "CQ")]), (C, [("No.", "FN")]),
        (P, [("Would it be okay if I shared what others have tried?", "CQ")]), (C, [("Sure.", "FN")])]
    s = coded_session(spec)
    s.turns[-2].utterances[0].meta["code2"] = "SEEK"  # a second code counts on both sides (MI-adherent 1)
    page = tmp_path / "s.html"
    page.write_text(render_session(s, session_scores(s)))
    probes = [("pct_oq", 0.696), ("pct_cr", 0.125), ("r_q", 0.125), ("r_q", 0.9996), ("r_q", 1.995), ("r_q", 1.994),
              ("pct_oq", 0.4999), ("empathy_index", 62.5), ("fidelity_index", 72.5)]
    result = subprocess.run([node, str(script), str(page), str(Path(__file__).parents[1] / "mi_coder" / "report" /
                                                                 "review.js"), _json.dumps(probes)],
                            capture_output=True, text=True, check=True)
    shown = _json.loads(result.stdout)
    scores = session_scores(s)
    cards = {key: _fmt_banded(scores[key], key != "r_q", DEFAULT_THRESHOLDS[key]) for key in ("r_q", "pct_cr", "pct_oq")}
    cards.update({key: display_number(scores[key], 0) for key in ("engagement_index", "empathy_index", "fidelity_index")
                  if scores[key] is not None})
    cards.update({key: _fmt(scores[key]) for key in ("mi_adherent", "mi_nonadherent")})
    assert {key for _, key in LIVE_SCORES} <= set(shown) and scores["mi_adherent"] == 1
    for key, text in cards.items():
        assert shown[key] == text, key
        assert f">{text}<" in page.read_text() or key in ("mi_adherent", "mi_nonadherent"), key
    python = [_fmt_banded(v, k.startswith("pct"), DEFAULT_THRESHOLDS[k]) if k in DEFAULT_THRESHOLDS
              else display_number(v, 0) for k, v in probes]
    assert shown["probe"] == python == ["69.6%", "13%", "0.13", "0.9996", "1.995", "1.99", "49.99%",
                                               "63", "73"]


def test_greetings_arrangements_safety_questions_lead_ins_and_cut_off_speech_are_not_coaching_examples():
    spec = []
    for _ in range(2):
        spec += [(P, [("Hi, are you Katie?", "CQ")]), (C, [("Yes.", "FN")]),
                 (P, [("Does a Tuesday afternoon still work?", "CQ")]), (C, [("Sure.", "FN")]),
                 (P, [("Have you had thoughts of killing yourself?", "CQ")]), (C, [("No.", "FN")]),
                 (P, [("So would that be something--", "CQ")]), (C, [("Maybe.", "FN")]),
                 (P, [("Did you go to the group on Tuesday?", "CQ")]), (C, [("No.", "FN")]),
                 (P, [("Let me see if I've got it.", "CR"), ("You want your kids to see you sober.", "CR")]),
                 (C, [("Yes.", "FN")]),
                 (P, [("So, being a good friend and-", "CR")]), (C, [("Right.", "FN")])]
    examples = {title: [text for _, text, _ in items] for title, items in coaching_examples(coded_session(spec)).items()}
    assert set(examples["Closed questions that could have been open"]) == {"Did you go to the group on Tuesday?"}
    assert set(examples["Strongest complex reflections"]) == {"You want your kids to see you sober."}


def test_a_question_asked_again_is_one_coaching_example_and_runs_past_the_fourth_are_said_to_exist():
    # a trainers' audit of a 300-turn session: "Did you go to the meeting on Tuesday?" listed four times, and only
    # four question runs shown with no word of the rest
    spec = []
    for _ in range(6):
        spec += [(P, [("Did you go to the meeting on Tuesday?", "CQ")]), (C, [("No.", "FN")]),
                 (P, [("Was anyone else there?", "CQ")]), (C, [("No.", "FN")]),
                 (P, [("Did your sponsor call you back?", "CQ")]), (C, [("No.", "FN")]),
                 (P, [("You felt alone with it this week.", "CR")]), (C, [("Yeah.", "FN")])]
    examples = coaching_examples(coded_session(spec))
    closed = [text for _, text, _ in examples["Closed questions that could have been open"]]
    assert len(closed) == len(set(closed)) == 3
    runs = [text for _, text, _ in examples["Runs of questions without reflection"]]
    assert len(runs) == 5 and runs[-1].startswith("and 2 more run(s) of questions, the next at turn 33")


def test_a_turn_with_two_affirmations_is_one_example_so_another_turns_affirmation_is_shown():
    spec = [(P, [("That takes a lot of strength.", "AF"), ("You've kept things together for your kids.", "AF")]),
            (C, [("I try.", "FN")]),
            (P, [("You came back even after a hard week.", "AF")]), (C, [("Yeah.", "FN")]),
            (P, [("You've been honest with me today.", "AF")]), (C, [("I have.", "FN")]),
            (P, [("You stuck with the plan for a month.", "AF")]), (C, [("True.", "FN")])]
    confidence = {"1": [0.95, 0.94], "3": [0.90], "5": [0.89], "7": [0.88]}  # turn 1's second AF ranks second
    for t in (s := coded_session(spec)).turns:
        for u, c in zip(t.utterances, confidence.get(t.id, [])):
            u.confidence = c
    shown = [(t.id, text) for t, text, _ in coaching_examples(s)["Affirmations"]]
    assert len(shown) == 3 and len({turn for turn, _ in shown}) == 3
    assert ("1", "That takes a lot of strength.") in shown and ("5", "You've been honest with me today.") in shown


def test_the_transcript_table_gives_each_turns_time_in_the_recording_when_the_transcript_has_times():
    spec = [(P, "What brings you in?", ["OQ"]), (C, "My doctor.", ["FN"]), (P, "Your doctor sent you.", ["SR"])]
    timed, untimed = coded_session(spec), coded_session(spec)
    for k, (turn, start) in enumerate(zip(timed.turns, (5.0, 67.5, 3725.0))):
        turn.start = start
    table = lambda s: render_session(s, session_scores(s)).split("id='transcript'")[1]  # noqa: E731
    shown = re.findall(r"<small class='time'>([^<]+)</small>", table(timed))
    assert shown == ["0:05", "1:07", "1:02:05"]
    assert "class='time'" not in table(untimed)


def test_the_practitioner_trend_reads_numbers_in_session_ids_as_numbers():
    from mi_coder.report.charts import trend_chart

    rows = [{"session_id": sid, "engagement_index": 50.0, "empathy_index": 50.0, "fidelity_index": 50.0}
            for sid in ("visit10", "visit2", "visit1")]
    drawn = trend_chart("Officer Daniels", rows).split("</title>", 1)[1]  # the ticks, not the chart's own name
    assert re.findall(r"visit\d+", drawn) == ["visit1", "visit2", "visit10"]


def test_the_score_chart_draws_no_band_colour_for_a_ratio_too_few_to_judge():
    from mi_coder.report.charts import scores_chart

    scores = {"r_q": 2.0, "r_q_band": "good", "pct_cr": 0.5, "pct_cr_band": "", "pct_oq": 1.0, "pct_oq_band": ""}
    svg = scores_chart(scores, DEFAULT_THRESHOLDS)
    banded = scores_chart({**scores, "pct_cr_band": "fair", "pct_oq_band": "good"}, DEFAULT_THRESHOLDS)
    assert "%CR 50% (too few to judge); %OQ 100% (too few to judge)" in svg.split("</title>", 1)[0]  # its name
    svg, banded = svg.split("</title>", 1)[1], banded.split("</title>", 1)[1]  # what is drawn
    assert svg.count("too few to judge") == 2 and "too few to judge" not in banded
    assert 3 * svg.count("#d5efe3") == banded.count("#d5efe3")  # the good band's green, drawn for R:Q only


def test_engagement_readings_call_a_fraction_of_a_word_no_change_show_units_and_rate_cut_off_turns():
    from mi_coder.report.html import engagement_context

    session = coded_session([(P, "What brings you in?", ["OQ"]), (C, "My doctor.", ["FN"])] * 50)  # 100 turns
    base = session_scores(session)

    def readings(**changes):  # type: ignore[no-untyped-def]
        context = engagement_context(session, {**base, **changes})
        return {r["label"]: (r["value"], r["reading"]) for r in context["readings"]}

    small = readings(client_words_per_turn_change=0.23, disclosure_after_first_reflection=-1.5, interruptions=4)
    assert small["Client elaboration over the session"] == (
        "0.23 words/turn", "the client says about as much late in the session as early on")
    assert small["Client words per turn after the first reflection or affirmation (change)"][1].startswith(
        "the client says about as much")
    assert small["Cut-off turns (either speaker; crosstalk noted, or overlaps where timed)"][1] == "few cut-off turns"
    big = readings(client_words_per_turn_change=6.0, interruptions=14)
    assert big["Client elaboration over the session"][1] == "the client says more as the session goes on"
    assert big["Cut-off turns (either speaker; crosstalk noted, or overlaps where timed)"][1].startswith("frequent cut-off turns")


def test_the_listening_indicators_the_validation_found_to_separate_are_read_in_the_report():
    # README: opening_reflection_rate and responsive_reflection_pct separate good from poor sessions; the report
    # had left the first out and shown the second as a bare number
    from mi_coder.report.html import engagement_context

    session = coded_session([(P, "What brings you in?", ["OQ"]), (C, "My doctor wants me to cut down.", ["CT"]),
                             (P, "You're here because of your doctor.", ["SR"]), (C, "Yes.", ["FN"])] * 10)
    scores = session_scores(session)
    rows = {r["label"]: r for r in engagement_context(session, scores)["readings"]}
    opening = rows["Reflections per practitioner turn in the opening"]
    assert opening["reading"] == "the practitioner reflects from the start"  # every other turn reflects
    assert opening["evidence"] == "separated good from poor MI sessions in validation"
    assert "reflection_rate in the opening" in opening["how"]
    answered = rows["Change and sustain talk answered with a reflection"]
    assert answered["value"] == "100%" and answered["reading"].startswith("the practitioner often reflects")
    poor = {r["label"]: r["reading"] for r in engagement_context(
        session, {**scores, "opening_reflection_rate": 0.0, "responsive_reflection_pct": 0.05})["readings"]}
    assert poor["Reflections per practitioner turn in the opening"].startswith("few reflections in the opening")
    assert poor["Change and sustain talk answered with a reflection"].startswith("the client's talk about change is")


def test_chart_turn_axes_are_labelled_with_the_transcripts_own_turn_ids():
    from mi_coder.report.charts import elaboration_chart, timeline_chart

    s = _session(n=6)
    for k, turn in enumerate(s.turns):
        turn.id = str(101 + k)  # a transcript whose turns are numbered from 101
    for svg in (timeline_chart(s), elaboration_chart(s)):
        assert "101" in re.sub(r"<[^>]+>", " ", svg).split()  # a tick label (text outside the SVG's tags)


def test_the_elaboration_charts_halves_give_the_indicator_beside_it():
    import re as _re

    from mi_coder.report.charts import elaboration_chart

    spec = [(P, "What brings you in?", ["OQ"]), (C, "My twenty-six year old son, he's worried.", ["FN"]),
            (P, "He's worried.", ["SR"]), (C, "Yes.", ["FN"]), (P, "Tell me more.", ["OQ"]),
            (C, "Well I drink most nights, more than I'd like, and it's getting to be a problem at work.", ["CT"]),
            (P, "It's costing you.", ["CR"])]
    s = coded_session(spec)
    said = _re.search(r"first half of the session ([\d.]+), second half ([\d.]+)", elaboration_chart(s))
    change = session_scores(s)["client_words_per_turn_change"]
    assert said and abs(float(said[2]) - float(said[1]) - change) < 0.011


def test_the_overview_gives_the_median_of_an_even_number_of_sessions_and_shares_as_percentages():
    from mi_coder.report.charts import distributions_chart

    rows = [{"session_id": "a", "r_q": 0.82, "pct_cr": 0.5}, {"session_id": "b", "r_q": 1.80, "pct_cr": 0.75}]
    said = distributions_chart(rows)
    assert "R:Q: 2 sessions, median 1.31" in said and "%CR: 2 sessions, median 62%" in said


def test_a_second_code_is_shown_beside_the_first_and_stands_for_its_turn():
    from mi_coder.model.coder import shown_code

    s = _session(n=3)
    turn = next(t for t in s.turns if t.role == P)
    turn.utterances[0].text = "Would it be okay if I shared what others have tried?"
    turn.utterances[0].code = "CQ"
    turn.utterances[0].meta["code2"] = "SEEK"
    page = render_session(s, session_scores(s))
    row = re.search(r"<tr [^>]*data-code='CQ' data-code2='SEEK'[^>]*>.*?</tr>", page, re.DOTALL)
    assert row and "+SEEK</span>" in row.group(0)  # seen, and the "Show:" filter knows it
    assert "<input type='checkbox' value='SEEK' checked>" in page
    assert shown_code(turn) == "SEEK"  # the timeline colours the turn by the MI-adherent code it counts


def test_a_turn_that_reflects_and_affirms_shows_the_affirmation():
    from mi_coder.model.coder import main_code, shown_code

    s = _session(n=3)
    turn = next(t for t in s.turns if t.role == P)
    turn.utterances = [
        Utterance("1", "You've been thinking hard about this.", 0, 0, code="SR"),
        Utterance("2", "That took real courage.", 0, 0, code="AF")]
    assert shown_code(turn) == "AF"  # README: MI-adherent before reflections (turns.csv, the timeline)
    assert main_code(turn) == "SR"  # the turn models' training label keeps its own order
    turn.utterances.append(Utterance("3", "You need to stop.", 0, 0, code="CON"))
    assert shown_code(turn) == "CON"  # MI-non-adherent first


def test_confrontations_are_among_the_coaching_examples():
    spec = []
    for _ in range(3):
        spec += [(P, [("How was the week?", "OQ")]), (C, [("I missed the test.", "ST")]),
                 (P, [("Come on, you know that's not true.", "CON")]), (C, [("Whatever.", "FN")])]
    s = coded_session(spec)
    examples = {title: [text for _, text, _ in items] for title, items in coaching_examples(s).items()}
    assert "Come on, you know that's not true." in examples["Confronting"]
    page = render_session(s, session_scores(s))
    assert "Confronting" in page and "give any consequence as plain information" in page


def test_a_ratio_over_one_or_two_codes_is_shown_with_its_count_and_not_banded():
    spec = [(P, [("What brings you in?", "OQ")]), (C, [("Court.", "FN")]),
            (P, [("Life is unfair.", "SR")]), (C, [("Yeah.", "FN")])]
    for k in range(6):
        spec += [(P, [(f"What else happened on day {k}?", "OQ")]), (C, [("Stuff.", "FN")])]
    s = coded_session(spec)
    page = render_session(s, session_scores(s))
    cards = page[page.index("MITI summary scores"):page.index("score-chart")]
    assert "of 1 reflection (volleys)" in cards and "too few to judge (under 3)" in cards  # %CR from one reflection
    assert "of 7 questions (volleys)" in cards and "band-below" in cards  # R:Q over 7 questions keeps its band
    assert "not a 4.2.1 summary score" in cards
    assert "not the MITI global ratings" in page


def test_timeline_bars_name_their_turn_and_codes_in_a_tooltip_not_by_colour_alone():
    import re

    from mi_coder.report.charts import timeline_chart

    s = coded_session([(P, [("So you want to stop.", "CR"), ("What next?", "OQ")]), (C, [("I want to stop.", "CT")])])
    s.turns[0].id = "1<x>"  # turn ids come from the transcript
    svg = timeline_chart(s)
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert titles[1:] == ["turn 1&lt;x&gt;, practitioner: CR OQ", "turn 2, client: CT"]
    # the chart as a whole is an image named in words: its codes counted per role
    assert svg.startswith('<svg role="img" aria-label="Timeline of 2 turns') and titles[0].startswith("Timeline of 2")
    assert "Practitioner turns: 1 CR. Client turns: 1 CT." in titles[0]


def test_a_timed_sessions_timeline_reads_in_recording_time_and_each_bar_says_when_its_turn_starts():
    # a trainer's audit: the timeline of a captioned session was in decimal minutes, and no bar said when its turn
    # was, so a moment seen on the chart could not be found in the recording
    import re

    from mi_coder.report.charts import timeline_chart

    s = coded_session([(P, [("So you want to stop.", "CR")]), (C, [("I want to stop.", "CT")])] * 20)
    for k, t in enumerate(s.turns):
        t.start = 5.0 + 21.5 * k  # the last turn at 14:03.5
    svg = timeline_chart(s)
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert titles[1:3] == ["turn 1 at 0:05, practitioner: CR", "turn 2 at 0:26, client: CT"]
    assert titles[-1] == "turn 40 at 14:03, client: CT"
    assert " from 0:05 to 14:03 in the recording" in titles[0]
    ticks = re.findall(r">([0-9:]+)</text>", svg)
    assert ticks[:3] == ["0:00", "2:00", "4:00"] and "time in the recording (m:ss)" in svg
    s.turns[3].start = None  # one turn without a time: the axis counts turns, and a bar says its time where known
    svg = timeline_chart(s)
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert titles[1] == "turn 1 at 0:05, practitioner: CR" and titles[4] == "turn 4, client: CT"
    assert ">turn</text>" in svg and "in the recording" not in titles[0]


def test_the_readings_say_which_indicators_separated_good_from_poor_sessions_as_the_readme_table_does():
    from mi_coder.report.html import INDICATOR_SEPARATES

    from .conftest import ROOT

    rows = [line.split("|") for line in (ROOT / "README.md").read_text().splitlines()
            if line.startswith("| ") and "(0." in line or line.startswith("| longest_practitioner_monologue")]
    for key, separates in INDICATOR_SEPARATES.items():
        row = next(r for r in rows if key in [name.strip() for name in r[1].split(",")])
        assert row[-2].strip().startswith("separates") == separates, key


@pytest.mark.parametrize("label, person", [
    ("Officer Daniels", True), ("Dr. Patel", True), ("PO Smith", True), ("Nurse Kim", True), ("Marcus Reed", True),
    ("Probation Officer", False), ("Case Manager", False), ("Therapist 1", False), ("PO", False),
    ("SPEAKER_00", False), ("Client", False), ("Мария", True), ("李明", True), ("José", True), ("CM", False),
])
def test_a_title_before_a_name_names_a_person_for_the_overview_trends_and_a_role_word_alone_does_not(label, person):
    # the audit's "Officer Daniels" sessions lost their practitioner column and trend: "Officer" is a role word
    from mi_coder.report.coaching import is_person_name

    assert is_person_name(label) is person


def test_the_report_shows_autonomy_support_and_collaboration_examples_and_the_partnership_estimate():
    # a supervisor's audit: "Whether you go is completely your call" appeared only in the transcript
    spec = [(P, [("Whether you go to the reentry program is completely your call.", "EA")]), (C, [("Okay.", "FN")]),
            (P, [("Where would you like to start today?", "OQ")]), (C, [("The job.", "FN")])]
    s = coded_session(spec)
    for t, u in s.utterances():
        u.confidence = 0.9
    s.turns[2].utterances[0].meta["code2"] = "SEEK"
    from mi_coder.report.coaching import coaching_examples

    shown = [text for _, text, _ in coaching_examples(s)["Autonomy support and seeking collaboration"]]
    assert shown == ["Whether you go to the reentry program is completely your call.",
                     "Where would you like to start today?"]
    scores = session_scores(s)
    page = render_session(s, scores)
    assert "Partnership (estimate of the MITI global)" in page and "<small>/5</small>" in page


_FILTER_HARNESS = r"""
const fs = require('fs'), vm = require('vm');
const html = fs.readFileSync(process.argv[2], 'utf8');
const hide = JSON.parse(process.argv[3]);
const rows = [...html.matchAll(/<tr class='([^']*)' data-code='([^']*)'(?: data-code2='([^']*)')? data-turn='([^']*)'/g)]
  .map(m => { const cls = new Set(m[1].split(' ').filter(Boolean)), a = {'data-code': m[2], 'data-turn': m[4]};
              if (m[3]) a['data-code2'] = m[3];
              return {style: {display: ''}, getAttribute: k => (k in a ? a[k] : null),
                      classList: {contains: c => cls.has(c), toggle: (c, on) => { on ? cls.add(c) : cls.delete(c); }},
                      cls}; });
const boxes = [...new Set(rows.map(r => r.getAttribute('data-code')))].map(v => ({value: v, checked: !hide.includes(v)}));
const status = {textContent: ''};
const document = {querySelectorAll: q => (q === '.filters input' ? boxes : rows), addEventListener: () => {},
                  getElementById: id => (id === 'filter-status' ? status : null)};
vm.runInNewContext(fs.readFileSync(process.argv[4], 'utf8') + ';applyFilter();', {document});
process.stdout.write(JSON.stringify(rows.map(r => [r.getAttribute('data-turn'), r.style.display !== 'none',
                                                   r.cls.has('turn-start') || r.cls.has('show-head')])));
process.stderr.write(status.textContent);
"""


def test_continued_rows_carry_their_speaker_for_print_and_for_a_filter_that_hides_the_turns_first_row(tmp_path):
    """A turn's number and speaker sit on its first row; a printed page that starts mid-turn, or a filter that hides
    the first row, would leave the rest without them."""
    import json as _json

    s = coded_session([(P, [("Thanks for coming in.", "NC"), ("You sound worn out.", "CR"),
                            ("What's been happening?", "OQ")]), (C, [("Work, mostly.", "FN")])])
    s.turns[0].speaker = "Officer Daniels"
    html_text = render_session(s, session_scores(s))
    assert html_text.count("Officer Daniels") >= 3 and "<span class='cont'>Officer Daniels</span>" in html_text
    css = (Path(__file__).parents[1] / "mi_coder" / "report" / "templates" / "_report.css").read_text()
    # hidden on screen but not from screen readers (a row read alone still names its turn and speaker); printed
    assert ".cont{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)" in css
    assert "display:none" not in css.split(".cont{", 1)[1].split("}", 1)[0]
    assert re.search(r"@media print\{[^}]*\.cont\{position:static", css)
    node = shutil.which("node")
    if not node:
        pytest.skip("no Node.js on this machine to run the transcript filter outside a browser")
    page = tmp_path / "s.html"
    page.write_text(html_text)
    script = tmp_path / "harness.js"
    script.write_text(_FILTER_HARNESS)
    filter_js = Path(__file__).parents[1] / "mi_coder" / "report" / "templates" / "_filter.js"

    said = []

    def heads(hidden):
        out = subprocess.run([node, str(script), str(page), _json.dumps(hidden), str(filter_js)],
                             capture_output=True, text=True, check=True)
        said.append(out.stderr)  # the filter's status line, read to screen readers
        return [(turn, head) for turn, shown, head in _json.loads(out.stdout) if shown]

    first, second = s.turns[0].id, s.turns[1].id
    assert heads([]) == [(str(first), True), (str(first), False), (str(first), False), (str(second), True)]
    # NC hidden: the reflection row now heads turn 1; OQ hidden too: the question row does not head it twice
    assert heads(["NC"]) == [(str(first), True), (str(first), False), (str(second), True)]
    assert heads(["NC", "CR"]) == [(str(first), True), (str(second), True)]
    assert said == ["4 of 4 utterances shown", "3 of 4 utterances shown", "2 of 4 utterances shown"]


def test_change_and_sustain_labels_of_close_turns_do_not_print_over_each_other(monkeypatch):
    import matplotlib.axes

    from mi_coder.report.charts import timeline_chart

    placed = []
    text = matplotlib.axes.Axes.text
    monkeypatch.setattr(matplotlib.axes.Axes, "text",
                        lambda self, x, y, s, **kw: placed.append((x, y, s)) or text(self, x, y, s, **kw))
    spec = [(P, [("What would help?", "OQ")]), (C, [("Quitting, I guess.", "CT")]),
            (P, [("Quitting.", "SR")]), (C, [("But not now.", "ST")])] * 6
    s = coded_session(spec)
    for k, t in enumerate(s.turns):
        t.start = 180.0 * (k // 4) + 6.0 * (k % 4)  # every three minutes, a change and a sustain turn 12 s apart
    timeline_chart(s)
    assert [label for _, _, label in placed] == ["CT", "ST"] * 6
    lines = {y for _, y, _ in placed}
    assert len(lines) == 2  # each sustain label 0.2 min after a change label: the second line
    for (x1, y1, _), (x2, y2, _) in zip(placed, placed[1:]):
        assert y1 != y2 or x2 - x1 >= 1.0, (x1, y1, x2, y2)


def test_report_pages_written_before_a_run_is_stopped_are_removed_by_the_next_run(tmp_path, monkeypatch, capsys):
    from mi_coder.cli import main
    from mi_coder.report.html import ReportWriter

    out = tmp_path / "out"
    original, calls = ReportWriter.add, []

    def stop_at_second(self, session):
        calls.append(session.id)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C while the second session's page is being written
        return original(self, session)

    monkeypatch.setattr(ReportWriter, "add", stop_at_second)
    first, second = EXAMPLES / "probation_session.txt", EXAMPLES / "health_session.txt"
    assert main(["report", str(first), str(second), "--out", str(out)]) == 130
    assert (out / "probation_session.html").exists()
    monkeypatch.setattr(ReportWriter, "add", original)
    assert main(["report", str(second), "--out", str(out)]) == 0
    assert not (out / "probation_session.html").exists()  # the stopped run's page was listed, so it is removed
    assert (out / "health_session.html").exists()


def test_the_overview_bands_a_ratio_over_too_few_volleys_as_the_session_page_does(tmp_path):
    # a supervisor's audit: the overview showed %CR "0% below" for a session of two reflections, where the session's
    # own page said "too few to judge"
    import re

    from mi_coder.report import write_reports

    few = coded_session([(P, [("How was the week?", "OQ")]), (C, [("Rough.", "FN")]),
                         (P, [("It was rough.", "SR")]), (C, [("Yes.", "FN")])] * 2, sid="few")
    many = coded_session([(P, [("How was the week?", "OQ")]), (C, [("Rough.", "FN")]),
                          (P, [("Part of you wants to quit.", "CR")]), (C, [("Yes.", "FN")])] * 4, sid="many")
    write_reports([few, many], tmp_path / "out")
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0)
            for m in re.finditer(r"<tr><th scope='row'><a href='[^']*'>(\w+)</a>.*?</tr>", page, re.S)}
    assert "0% (too few)" in rows["few"] and "band-below" not in rows["few"]  # %CR over 2 reflection volleys
    assert "100% good" in rows["many"] and "(too few)" not in rows["many"]


def test_the_timeline_says_how_many_turns_of_other_speakers_it_does_not_draw():
    # a supervisor's audit: the timeline said 54 turns where the page's header said 56 (a supervisor looking in)
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    s = coded_session([(P, [("How was the week?", "OQ")]), (C, [("Rough.", "FN")]), ("other", "Sorry, wrong room.", []),
                       (P, [("It was rough.", "SR")]), (C, [("Yes.", "FN")])])
    s.turns[2].speaker = "Karen"
    page = render_session(s, session_scores(s))
    assert "Timeline of 4 turns (1 turn of other speakers not shown)" in page
    assert "The 1 turn of other speakers (not coded) is not drawn." in page


def test_codes_too_unsure_for_an_example_are_listed_by_turn_under_their_section():
    # a supervisor's audit: the card counted MI-non-adherent 2 beside "Confronting: none found with enough
    # confidence", and nothing said which turns the two were (role clarification and reassurance, coded CON at 27-49%)
    import re

    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    s = coded_session([(P, [("Your part in this is to be honest with me.", "CON")]), (C, [("Okay.", "FN")]),
                       (P, [("A single dilute test isn't a violation.", "CON")]), (C, [("Good.", "FN")]),
                       (P, [("How has the week been for you?", "OQ")]), (C, [("Fine.", "FN")])] * 2)
    for t, u in s.utterances():
        u.confidence = {"CON": 0.27 if t.id in ("1", "7") else 0.49}.get(u.code, 0.9)
    page = render_session(s, session_scores(s))
    section = re.sub(r"<[^>]+>", "", page.split("<h3>Confronting</h3>")[1].split("<h3>")[0].split("<h2")[0])
    assert "None found with enough confidence" in section
    assert ("Also coded so with less than 60% confidence, and counted in the scores above: turn 1 (CON, 27%), "
            "turn 3 (CON, 49%), turn 7 (CON, 27%), turn 9 (CON, 49%): check them in the transcript.") in section
    assert "Also coded so" not in page.split("<h3>Affirmations</h3>")[1].split("<h3>")[0]  # nothing unsure there


@pytest.mark.parametrize("question", ["Would it help if I told you what some people do with the sugar?",
                                      "Do you want me to go over the options?", "Shall I explain how the program works?"])
def test_offers_to_share_are_not_listed_as_closed_questions_to_open(question):
    # a trainer's audit: "Would it help if I told you ...?" was offered to be reworded with what or how
    spec = [(P, [(question, "CQ")]), (C, [("Okay.", "FN")]),
            (P, [("Did you go to group on Thursday?", "CQ")]), (C, [("No.", "FN")])]
    examples = coaching_examples(coded_session(spec))
    assert [text for _, text, _ in examples["Closed questions that could have been open"]] == [
        "Did you go to group on Thursday?"]


def test_a_closed_question_that_opens_with_how_is_not_told_to_use_what_or_how():
    from mi_coder.report.coaching import GENERAL_HINT, WH_HINT

    # a trainer's audit: "How many is a few?" got "ask about the same thing with what or how"
    spec = [(P, [("How many beers would you say on a work night?", "CQ")]), (C, [("A few.", "FN")]),
            (P, [("Did you go to your NA meeting this week?", "CQ")]), (C, [("No.", "FN")])]
    hints = {text: hint for _, text, hint in
             coaching_examples(coded_session(spec))["Closed questions that could have been open"]}
    assert hints == {"How many beers would you say on a work night?": WH_HINT,
                     "Did you go to your NA meeting this week?": GENERAL_HINT}
    assert "with what or how" not in WH_HINT


def test_a_code_under_the_coaching_confidence_is_never_shown_as_the_confidence_it_is_under():
    # a trainer's audit: "turn 5 (AF, 60%)" in the list of codes under 60% confidence (the confidence was 0.5978)
    spec = [(P, [("You came in even though the bus was late, that took real effort.", "AF")]), (C, [("Yeah.", "FN")])]
    s = coded_session(spec)
    for _, u in s.utterances():
        u.confidence = 0.5978 if u.code == "AF" else 0.9
    page = render_session(s, session_scores(s))
    assert "(AF, 59%)" in page and "(AF, 60%)" not in page


def test_the_overview_distributions_leave_out_a_ratio_over_too_few_as_the_table_bands_none():
    from mi_coder.report.charts import distributions_chart

    # a trainer's audit: "%CR: 7 sessions, median 29%" counted two sessions the table marks "(too few)"
    rows = [{"session_id": "a", "pct_cr": 0.0, "SR": 1, "CR": 0, "OQ": 3, "CQ": 4},
            {"session_id": "b", "pct_cr": 0.5, "SR": 3, "CR": 3, "OQ": 3, "CQ": 4},
            {"session_id": "c", "pct_cr": 0.6, "SR": 2, "CR": 3, "OQ": 3, "CQ": 4}]
    said = distributions_chart(rows).split("</title>", 1)[0]
    assert "%CR: 2 sessions, median 55% (1 with too few to judge left out)" in said


def test_trends_go_by_the_session_date_and_say_their_order_when_names_would_mislead(tmp_path):
    # a trainer's audit: pre, mid and post sorted by name as mid, post, pre, and a trainee's progress read as a collapse
    from mi_coder.report.charts import trend_chart, trend_order

    rows = [{"session_id": sid, "date": date, "engagement_index": e, "empathy_index": e, "fidelity_index": e}
            for sid, date, e in (("maria_mid", "2025-02-11", 65.0), ("maria_post", "2025-03-18", 88.0),
                                 ("maria_pre", "2025-01-14", 6.0))]
    ordered, order = trend_order(rows)
    assert [r["session_id"] for r in ordered] == ["maria_pre", "maria_mid", "maria_post"] and order == "by date"
    assert "by date: maria_pre: engagement 6" in trend_chart("Maria Lopez", rows).split("</title>", 1)[0]
    undated = [{**rows[0], "date": None}, rows[1], rows[2]]
    assert [r["session_id"] for r in trend_order(undated)[0]] == ["maria_pre", "maria_post", "maria_mid"]
    assert trend_order(undated)[1] == "by date, then the 1 session(s) without a date by name"


def test_the_overview_says_why_it_draws_no_trend_and_one_persons_zoom_pronouns_keep_their_sessions_together(tmp_path):
    from mi_coder.report import write_reports

    def session(sid, name):
        s = coded_session([(P, [("How are things going this week for you?", "OQ")]), (C, [("Okay.", "FN")])], sid)
        for t in s.turns:
            t.speaker = name if t.role == P else "Jordan"
        return s

    out = write_reports([session("a", "Maria Lopez"), session("b", "Tom Becker")], tmp_path / "one")
    index = html.unescape((tmp_path / "one" / "index.html").read_text())
    assert "No trends: a trend needs two or more sessions under one practitioner's name" in index
    assert "Maria Lopez (1), Tom Becker (1)" in index and out
    write_reports([session("a", "Maria Lopez"), session("b", "Maria Lopez (she/her)")], tmp_path / "two")
    index = html.unescape((tmp_path / "two" / "index.html").read_text())
    assert "No trends" not in index and "Sessions in order Maria Lopez: by session name (no dates found)" in index
