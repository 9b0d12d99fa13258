"""Review and correct in the browser (issue 12): change codes, walk the least certain first, reload, download,
and the page's scores equal `mi-coder score` on the downloaded CSV. Driven in headless Chromium (Selenium)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from mi_coder.io.reader import read_transcript
from mi_coder.report import write_reports

from .conftest import EXAMPLES

# One worker runs this module: its module-scoped model is then built once, not once on each worker.
pytestmark = pytest.mark.xdist_group("test_review")

SCORES = ("r_q", "pct_cr", "pct_oq", "mi_adherent", "mi_nonadherent", "engagement_index", "empathy_index",
          "fidelity_index")


def _driver(download: Path, keep_site_data: bool = True):  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        pytest.skip("no Chromium and ChromeDriver on this machine (.ci/run installs Debian's chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={download.parent / 'profile'}"):
        options.add_argument(flag)
    if not keep_site_data:  # as a browser whose policy blocks site data, or a sandboxed preview
        options.add_experimental_option("prefs", {"profile.default_content_setting_values.cookies": 2})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download)})
    return driver


@pytest.fixture(scope="module")
def coded_reports(tmp_path_factory):
    from mi_coder import load_coder

    out = tmp_path_factory.mktemp("reports")
    sessions = [read_transcript(p)[0] for p in sorted(EXAMPLES.glob("*.txt"))]
    load_coder().code(sessions)
    write_reports(sessions, out, "default")
    return out, sessions


def _page_scores(driver) -> dict:  # type: ignore[no-untyped-def]
    out = {}
    for key in SCORES:
        value = driver.find_element("css selector", f"[data-live='{key}']").get_attribute("data-value")
        out[key] = float(value) if value not in ("", None) else None
    return out


def test_the_review_data_block_and_rows_carry_hostile_text_escaped_and_intact():
    import json
    import re

    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    hostile = "<script>alert(1)</script> \"quotes\" & ampersands"
    s = coded_session([(P, [(hostile, "OQ")]), (C, [("I want to stop.", "CT")])] * 3)
    for t in s.turns:
        t.speaker = hostile if t.role == P else "Client"
    page = render_session(s, session_scores(s))
    assert "alert(1)</script>" not in page  # nothing the session says can close a script element
    blob = re.search(r"<script type='application/json' id='mi-review-data'>(.*?)</script>", page, re.DOTALL).group(1)
    data = json.loads(blob)
    assert data["utterances"][0]["text"] == hostile and data["utterances"][0]["speaker"] == hostile
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;quotes&quot; &amp; ampersands"
    row = re.search(r"<tr [^>]*id='utt-0'>.*?</tr>", page).group(0)
    # speaker and utterance cells of the editable row, and the speaker in the names of its three review controls
    assert row.count(escaped) == 5
    assert "<select class='rv-code noprint'" in row and "<option value='OQ' selected>OQ</option>" in row
    # a printed page does not tell its reader to press buttons it does not print
    intro = re.search(r"<p class='meta'>(.*?)</p>", page[page.index("id='review'"):], re.DOTALL).group(1)
    assert re.fullmatch(r"<span class='noprint'>[^<]*<b>Review next</b>.*</span><b>The scores below.*", intro, re.DOTALL)
    assert data["names"]["CR"] == "complex reflection"


@pytest.mark.parametrize("example", ["probation_session", "low_quality_session"])
def test_review_changes_survive_a_reload_and_the_page_scores_equal_mi_coder_score(coded_reports, tmp_path, example):
    out, _ = coded_reports
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = _driver(downloads)
    try:
        driver.get((out / f"{example}.html").as_uri())
        left = int(driver.find_element("id", "rv-left").text)
        driver.find_element("id", "rv-reviewer").send_keys("Sam Reviewer\n")
        # "Review next" goes to the least certain code first.
        uid = driver.execute_script("return miReview.next();")
        data = driver.execute_script("return JSON.parse(document.getElementById('mi-review-data').textContent);")
        coded = [u for u in data["utterances"] if u["code"]]
        assert uid == min(coded, key=lambda u: u["confidence"])["uid"]
        # Change three practitioner codes and one client code through the page's own controls.
        from selenium.webdriver.support.ui import Select

        changes = {}
        practitioner = [u for u in coded if u["role"] == "practitioner"]
        client = [u for u in coded if u["role"] == "client"]
        for u, new in ((practitioner[0], "CR"), (practitioner[1], "PER"), (practitioner[2], "SR"), (client[0], "CT")):
            new = new if new != u["code"] else ("GI" if u["role"] == "practitioner" else "ST")
            Select(driver.find_element("css selector", f"#utt-{u['uid']} select.rv-code")).select_by_value(new)
            changes[u["uid"]] = new
        assert int(driver.find_element("id", "rv-left").text) == left - len(changes)
        before_reload = _page_scores(driver)
        driver.refresh()  # the review survives a reload
        for uid, new in changes.items():
            assert Select(driver.find_element("css selector", f"#utt-{uid} select.rv-code")).first_selected_option \
                .get_attribute("value") == new
            assert driver.find_element("css selector", f"#utt-{uid} span.code").text == new  # the badge, as printed
        assert _page_scores(driver) == before_reload
        driver.find_element("id", "rv-download").click()
        target = downloads / f"{example}.reviewed.csv"
        for _ in range(50):
            if target.exists():
                break
            time.sleep(0.1)
        assert target.exists(), "the download did not arrive"
    finally:
        driver.quit()
    reviewed = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert list(reviewed.columns) == ["session_id", "turn_id", "utterance_id", "speaker", "role", "text",
                                      "machine_code", "confidence", "reviewed_code", "code", "reviewer", "reviewed_at",
                                      "code2", "role_elements", "machine_code2", "model"]
    assert set(reviewed["model"]) == {"default"}  # the coder of the machine codes, as the report named it
    changed = reviewed[reviewed["reviewed_code"] != ""]
    assert len(changed) == len(changes) and set(changed["reviewer"]) == {"Sam Reviewer"}
    assert all(changed["reviewed_at"].str.len() > 10)
    scored = tmp_path / "scored"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "score", str(target), "--out", str(scored)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    row = pd.read_csv(scored / "sessions.csv").iloc[0]
    # The role-clarification checklist the page showed comes back from the download (the coder's elements are in
    # it), not re-guessed from phrase cues.
    from mi_coder.scoring import session_scores

    session = next(s for s in coded_reports[1] if s.id == example)
    own = session_scores(session)
    for key in ("role_clarification_turns", "role_clarification_at"):
        mine = "" if pd.isna(row[key]) else row[key]
        assert str(mine) == str("" if own[key] is None else own[key]), key
    for key, value in before_reload.items():
        python = None if pd.isna(row[key]) else float(row[key])
        assert (python is None and value is None) or python == pytest.approx(value, abs=1e-9), key


def test_the_download_guards_formula_text_from_spreadsheets_and_the_readers_read_it_as_said(tmp_path):
    from mi_coder.io.reader import read_transcript as read
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    formula = '=HYPERLINK("http://evil.example","click")'
    s = coded_session([(P, [(formula, "OQ")]), (C, [("@SUM(A1) is what I said", "FN")]),
                       (P, [("-5 points, you said?", "CQ")]), (C, [("Yes.", "FN")])] * 3)
    page = tmp_path / "s.html"
    page.write_text(render_session(s, session_scores(s)))
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = _driver(downloads)
    try:
        driver.get(page.as_uri())
        text = driver.execute_script("return miReview.csv();")
    finally:
        driver.quit()
    target = tmp_path / "s.reviewed.csv"
    target.write_text(text)
    cells = pd.read_csv(target, dtype=str, keep_default_na=False)["text"].tolist()
    assert cells[:3] == ["'" + formula, "'@SUM(A1) is what I said", "'-5 points, you said?"]  # no cell runs as a formula
    said = [u.text for _, u in read(target, utterances="given")[0].utterances()]
    assert said[:3] == [formula, "@SUM(A1) is what I said", "-5 points, you said?"]  # read back as said


def _small_page(tmp_path):  # type: ignore[no-untyped-def]
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    s = coded_session([(P, [("How has the week been?", "OQ")]), (C, [("Rough, I missed a shift.", "FN")]),
                       (P, [("You missed a shift.", "SR")]), (C, [("I want to keep the job.", "CT")])] * 3)
    page = tmp_path / "s.html"
    page.write_text(render_session(s, session_scores(s)))
    return page


def _select(driver, uid: int, code: str) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("css selector", f"#utt-{uid} select.rv-code")).select_by_value(code)


def _badge(driver, uid: int) -> str:  # type: ignore[no-untyped-def]
    return driver.find_element("css selector", f"#utt-{uid} span.code").text


def test_two_open_copies_of_a_page_keep_each_others_review_work(tmp_path):
    # a trainers' audit: an edit in one tab was lost when the other tab saved
    page = _small_page(tmp_path)
    driver = _driver(tmp_path / "downloads")
    try:
        driver.get(page.as_uri())
        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get(page.as_uri())
        second = driver.current_window_handle
        driver.switch_to.window(first)
        _select(driver, 0, "CQ")
        driver.switch_to.window(second)
        _select(driver, 2, "CR")
        assert _badge(driver, 0) == "CQ"  # the first tab's edit is shown in the second at once
        driver.switch_to.window(first)
        driver.refresh()
        assert (_badge(driver, 0), _badge(driver, 2)) == ("CQ", "CR")
        csv = driver.execute_script("return miReview.csv();")
    finally:
        driver.quit()
    import csv as csv_module
    import io

    rows = list(csv_module.DictReader(io.StringIO(csv)))
    assert [r["reviewed_code"] for r in rows[:3]] == ["CQ", "", "CR"]  # both tabs' edits


def test_review_works_and_says_so_where_the_browser_keeps_no_site_data(tmp_path):
    page = _small_page(tmp_path)
    driver = _driver(tmp_path / "downloads", keep_site_data=False)
    try:
        driver.get(page.as_uri())
        assert driver.find_element("id", "rv-unkept").is_displayed()  # said before any work is done
        _select(driver, 2, "CR")
        assert _badge(driver, 2) == "CR"
        assert driver.find_element("css selector", "#utt-2 input.rv-done").is_selected()
        assert "changed from SR" in driver.find_element("css selector", "#utt-2 span.rv-mark").text
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        _select(driver, 2, "SR")  # back to the machine's code: no "changed" title or mark left behind
        assert driver.find_element("css selector", "#utt-2 span.code").get_attribute("title") != \
            "changed by a reviewer from SR"
        assert driver.find_element("css selector", "#utt-2 span.rv-mark").text == ""
    finally:
        driver.quit()
    assert errors == []


def test_a_reviewer_adds_changes_and_removes_second_codes_and_every_reader_of_the_download_counts_them(tmp_path):
    # a supervisor's audit: the page edited first codes only, so a permission question the machine left without
    # +SEEK, or a +SEEK on a plain question, could not be corrected, and MI-adherent stayed wrong in every re-score
    from selenium.webdriver.support.ui import Select

    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    s = coded_session([(P, [("Would it be OK if I shared what others have tried?", "CQ")]), (C, [("Sure.", "FN")]),
                       (P, [("Did you go on Tuesday?", "CQ")]), (C, [("Yes.", "FN")]),
                       (P, [("Where would you like to start today?", "OQ")]), (C, [("The job.", "FN")]),
                       (P, [("You want to keep it.", "SR")]), (C, [("I do, I really do.", "CT")])] * 2)
    s.turns[2].utterances[0].meta["code2"] = "SEEK"  # the machine's mistake: +SEEK on a plain question
    s.turns[4].utterances[0].meta["code2"] = "SEEK"
    s.turns[12].utterances[0].meta["code2"] = "SEEK"
    s.turns[10].utterances[0].meta["code2"] = "SEEK"
    page = tmp_path / "s.html"
    page.write_text(render_session(s, session_scores(s), "mi-coder-default 9.9"), encoding="utf-8")
    driver = _driver(tmp_path / "downloads")
    try:
        driver.get(page.as_uri())
        before = _page_scores(driver)
        second = Select(driver.find_element("css selector", "#utt-0 select.rv-code2"))
        assert second.first_selected_option.get_attribute("value") == ""
        # only the second codes the guide gives a closed question: SEEK, EA, a reflection it checks
        offered = [o.get_attribute("value") for o in second.options if o.is_enabled()]
        assert offered == ["", "SR", "CR", "SEEK", "EA"], offered
        second.select_by_value("SEEK")  # added
        Select(driver.find_element("css selector", "#utt-2 select.rv-code2")).select_by_value("")  # removed
        Select(driver.find_element("css selector", "#utt-4 select.rv-code2")).select_by_value("EA")  # changed
        assert driver.find_element("css selector", "#utt-0 span.code.second").text == "+SEEK"
        assert not driver.find_element("css selector", "#utt-2 span.code.second").is_displayed()
        assert driver.find_element("css selector", "#utt-0 input.rv-done").is_selected()  # an edit is a review
        assert driver.find_element("css selector", "#utt-0 span.rv-mark").text.strip() == "changed from CQ"
        assert driver.find_element("css selector", "#utt-2 span.rv-mark").text.strip() == "changed from CQ +SEEK"
        status = driver.find_element("id", "rv-status").text
        assert "OQ +EA (changed from OQ +SEEK), reviewed" in status and "MI-adherent 4" in status, status
        edited = _page_scores(driver)
        driver.refresh()  # kept across a reload
        assert Select(driver.find_element("css selector", "#utt-4 select.rv-code2")).first_selected_option \
            .get_attribute("value") == "EA"
        assert _page_scores(driver) == edited
        # the first code changed to the second: the utterance is SEEK alone, said as such
        _select(driver, 12, "SEEK")
        assert not driver.find_element("css selector", "#utt-12 span.code.second").is_displayed()
        assert driver.find_element("css selector", "#utt-12 span.rv-mark").text.strip() == "changed from OQ +SEEK"
        # a question with the reflection it checks, entered question first: the download writes the pair as
        # evaluation reads it (the reflection first), or score refused the page's own file
        Select(driver.find_element("css selector", "#utt-8 select.rv-code2")).select_by_value("SR")
        # the arrow keys walk the offered codes only (they had snapped back on the first code's own entry)
        from selenium.webdriver.common.keys import Keys

        keys = driver.find_element("css selector", "#utt-14 select.rv-code2")
        for _ in range(3):
            keys.send_keys(Keys.ARROW_DOWN)
        assert keys.get_attribute("value") == "SEEK"  # OQ, CQ, SEEK: CR and AF do not go with SR
        for _ in range(3):
            keys.send_keys(Keys.ARROW_UP)
        assert keys.get_attribute("value") == ""
        assert not driver.find_element("css selector", "#utt-14 input.rv-done").is_selected()
        # reading the first code's list through and back keeps the machine's second code and ticks nothing (a first
        # code that does not take +SEEK, AF, hid it for the while; it had been dropped, and the row ticked reviewed)
        first = driver.find_element("css selector", "#utt-10 select.rv-code")
        for key in [Keys.ARROW_DOWN] * 4 + [Keys.ARROW_UP] * 4:
            first.send_keys(key)
        assert first.get_attribute("value") == "CQ"
        assert driver.find_element("css selector", "#utt-10 select.rv-code2").get_attribute("value") == "SEEK"
        assert not driver.find_element("css selector", "#utt-10 input.rv-done").is_selected()
        assert driver.find_element("css selector", "#utt-10 span.rv-mark").text == ""
        final = _page_scores(driver)
        text = driver.execute_script("return miReview.csv();")
    finally:
        driver.quit()
    assert before["mi_adherent"] == edited["mi_adherent"] == final["mi_adherent"] == 4  # +SEEK, -SEEK, SEEK -> EA
    target = tmp_path / "s.reviewed.csv"
    target.write_text(text, encoding="utf-8")
    rows = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert rows.loc[[0, 2, 4, 8, 10, 12], "code2"].tolist() == ["SEEK", "", "EA", "CQ", "SEEK", ""]
    assert rows.loc[[0, 2, 4, 8, 12], "machine_code2"].tolist() == ["", "SEEK", "SEEK", "", "SEEK"]
    assert rows.loc[[0, 2, 4, 8, 12], "reviewed_code"].tolist() == ["CQ", "CQ", "OQ", "SR", "SEEK"]
    assert rows.loc[8, "code"] == "SR" and (rows["reviewed_code"] != "").sum() == 5
    assert set(rows["model"]) == {"mi-coder-default 9.9"}
    scored = tmp_path / "scored"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "score", str(target), "--out", str(scored)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    row = pd.read_csv(scored / "sessions.csv").iloc[0]
    for key, value in final.items():  # the page's scores are mi-coder score's on the download
        python = None if pd.isna(row[key]) else float(row[key])
        assert (python is None and value is None) or python == pytest.approx(value, abs=1e-9), key
    from mi_coder.evaluate.agreement import agreement_report

    report = agreement_report(target)["agreement"]
    assert report["second"].endswith("(machine: mi-coder-default 9.9)")
    # measured against the reviewer's codes, second codes included: SEEK given by the machine on 2, 4 and 12, by
    # the reviewer on 0 and 12; EA by the reviewer on 4 alone (a download's code2 had been read as the machine's)
    slots = report["either_slot"]
    assert (slots["SEEK"]["precision"], slots["SEEK"]["recall"], slots["SEEK"]["given"]) == (0.333, 0.5, 3)
    assert (slots["EA"]["support"], slots["EA"]["given"]) == (1, 0)


def test_every_pair_of_codes_the_page_offers_downloads_a_file_score_and_agreement_read_as_the_page_counts_it(tmp_path):
    # a supervisor's audit: 23 of the 138 pairs the first "+" list offered (CQ +SR, SEEK +OQ, EA +PWP...) gave a
    # download that score and evaluate --agreement refused, and PWP +PER was counted twice on the page, once by score
    from selenium.webdriver.support.ui import Select

    from mi_coder.codes import PRACTITIONER_CODES
    from mi_coder.evaluate.agreement import agreement_report
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    s = coded_session([(P, [("Did you go on Tuesday, then?", "CQ")]), (C, [("I did go.", "FN")])] * 40)
    page = tmp_path / "pairs.html"
    page.write_text(render_session(s, session_scores(s), "m 1"), encoding="utf-8")
    driver = _driver(tmp_path / "downloads")
    chosen = []
    try:
        driver.get(page.as_uri())
        uids = iter(range(0, 80, 2))
        for first in PRACTITIONER_CODES:
            probe = next(uids)
            _select(driver, probe, first)
            options = [o.get_attribute("value") for o in Select(driver.find_element(
                "css selector", f"#utt-{probe} select.rv-code2")).options if o.is_enabled() and o.get_attribute("value")]
            for k, second in enumerate(options):
                uid = probe if k == 0 else next(uids)
                if k:
                    _select(driver, uid, first)
                Select(driver.find_element("css selector", f"#utt-{uid} select.rv-code2")).select_by_value(second)
                chosen.append((first, second))
        shown = _page_scores(driver)
        text = driver.execute_script("return miReview.csv();")
    finally:
        driver.quit()
    # what the guide pairs, and only that: PER, PWP beside each other and CON, GI, AF, NC take no second code
    assert sorted(chosen) == sorted([(f, c) for f, cs in {
        "OQ": ["SR", "CR", "SEEK", "EA"], "CQ": ["SR", "CR", "SEEK", "EA"], "SR": ["OQ", "CQ", "SEEK", "EA"],
        "CR": ["OQ", "CQ", "SEEK", "EA"], "SEEK": ["OQ", "CQ", "SR", "CR"], "EA": ["OQ", "CQ", "SR", "CR", "PWP"],
        "PWP": ["EA"]}.items() for c in cs])
    target = tmp_path / "pairs.reviewed.csv"
    target.write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mi_coder", "score", str(target), "--out", str(tmp_path / "o")],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "warning" not in result.stderr, result.stderr
    row = pd.read_csv(tmp_path / "o" / "sessions.csv").iloc[0]
    for key, value in shown.items():
        python = None if pd.isna(row[key]) else float(row[key])
        assert (python is None and value is None) or python == pytest.approx(value, abs=1e-9), key
    report = agreement_report(target)["agreement"]
    # every pair, and the five codes that take no second code (AF, GI, PER, CON, NC) given alone
    assert report["n_utterances"] == len(chosen) + 5


def test_the_page_counts_volleys_broken_by_another_speaker_as_mi_coder_does(tmp_path):
    # A group member left uncoded ends the facilitator's volley in Python (scoring.volleys); the page must agree,
    # or a reviewer's first edit would move R:Q and %OQ by the difference.
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    spec = [(P, "What brought you to group this week?", ["OQ"]), (C, "My PO made me come.", ["FN"])]
    for k in range(6):
        spec += [(P, "Did you go to the appointment on Tuesday?", ["CQ"]), ("other", "I did, yes, I went.", []),
                 (P, "You showed up even though it was hard.", ["CR"]), ("other", "Mm-hmm.", []),
                 (P, "How did it go?", ["OQ"]), (C, "Fine, I guess it helped.", ["CT"])]
    s = coded_session(spec)
    for t in s.turns:
        if t.role == "other":
            t.speaker = "Luis"
    scores = session_scores(s)
    assert scores["n_volleys"] == 1 + 6 * 2  # the other speaker's answer ends a volley; its "mm-hmm" does not
    page = tmp_path / "group.html"
    page.write_text(render_session(s, scores), encoding="utf-8")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = _driver(downloads)
    try:
        driver.get(page.as_uri())
        shown = _page_scores(driver)
    finally:
        driver.quit()
    for key in SCORES:
        expected = scores[key]
        assert (shown[key] is None) == (expected is None), key
        if expected is not None:
            assert abs(shown[key] - expected) < 1e-6, key


def test_the_review_controls_work_from_the_keyboard_and_say_what_they_did(tmp_path):
    # an accessibility audit: reading a closed code list with the arrow keys ticked the utterance reviewed (and the
    # download then carried it as a reviewed code); "Review next" chose a row the code filter hid; nothing was said
    from selenium.webdriver.common.keys import Keys

    page = _small_page(tmp_path)
    driver = _driver(tmp_path / "downloads")
    try:
        driver.get(page.as_uri())
        left = int(driver.find_element("id", "rv-left").text)
        select = driver.find_element("css selector", "#utt-2 select.rv-code")
        assert select.get_attribute("aria-label").startswith("code, turn 3, ")  # named by its turn and speaker
        assert driver.find_element("id", select.get_attribute("aria-describedby")).text == "You missed a shift."
        # each option is named in full, not by its bare code
        names = [o.get_attribute("aria-label") for o in select.find_elements("tag name", "option")]
        assert "CR, complex reflection" in names and "SR, simple reflection" in names, names
        select.send_keys(Keys.ARROW_DOWN)  # the list read through, then back to the machine's code
        assert select.get_attribute("value") != "SR"
        assert "changed from SR" in driver.find_element("id", "rv-status").text
        select.send_keys(Keys.ARROW_UP)
        assert select.get_attribute("value") == "SR"
        assert not driver.find_element("css selector", "#utt-2 input.rv-done").is_selected()
        assert int(driver.find_element("id", "rv-left").text) == left
        assert "SR, not reviewed" in driver.find_element("id", "rv-status").text
        # a code chosen and kept is a review; a ticked box stays ticked while the list is read through
        _select(driver, 0, "CQ")
        assert driver.find_element("css selector", "#utt-0 input.rv-done").is_selected()
        driver.find_element("css selector", "#utt-6 input.rv-done").send_keys(Keys.SPACE)
        other = driver.find_element("css selector", "#utt-6 select.rv-code")
        other.send_keys(Keys.ARROW_DOWN)
        other.send_keys(Keys.ARROW_UP)
        assert driver.find_element("css selector", "#utt-6 input.rv-done").is_selected()
        assert int(driver.find_element("id", "rv-left").text) == left - 2
        # "Review next" passes over the rows the filter hides, and says so when only those are left
        for box in driver.find_elements("css selector", ".filters input"):
            if box.get_attribute("value") in ("OQ", "CQ", "SR", "FN"):
                box.send_keys(Keys.SPACE)  # only change talk shown
        assert driver.find_element("id", "filter-status").text.endswith(" utterances shown")
        uid = driver.execute_script("return miReview.next();")
        assert driver.find_element("id", f"utt-{uid}").get_attribute("data-code") == "CT"
        assert driver.switch_to.active_element == driver.find_element("css selector", f"#utt-{uid} select.rv-code")
        for u in driver.execute_script("return JSON.parse(document.getElementById('mi-review-data').textContent)"
                                       ".utterances"):
            if u["code"] == "CT":
                driver.find_element("css selector", f"#utt-{u['uid']} input.rv-done").send_keys(Keys.SPACE)
        assert driver.execute_script("return miReview.next();") is None
        assert "hidden by the code filter" in driver.find_element("id", "rv-status").text
        csv = driver.execute_script("return miReview.csv();")
    finally:
        driver.quit()
    import csv as csv_module
    import io

    rows = list(csv_module.DictReader(io.StringIO(csv)))
    assert rows[2]["reviewed_code"] == "" and rows[2]["reviewer"] == "" and rows[2]["reviewed_at"] == ""
    assert rows[0]["reviewed_code"] == "CQ" and rows[6]["reviewed_code"] == "SR"


def test_the_sessions_table_sorts_from_the_keyboard_and_says_its_order(tmp_path):
    from selenium.webdriver.common.keys import Keys

    from mi_coder.report import write_reports

    from .helpers import C, P, coded_session

    sessions = []
    for k, reflections in enumerate((1, 3, 2)):
        s = coded_session([(P, [("How has the week been?", "OQ")]), (C, [("Rough.", "FN")])]
                          + [(P, [("You missed a shift.", "SR")]), (C, [("I did.", "FN")])] * reflections)
        s.id = f"visit-{k}"
        sessions.append(s)
    write_reports(sessions, tmp_path / "out")
    driver = _driver(tmp_path / "downloads")
    try:
        driver.get((tmp_path / "out" / "index.html").as_uri())
        button = driver.find_elements("css selector", "#sessions thead th button")[2]  # R:Q
        assert button.text == "R:Q"
        body = driver.find_element("tag name", "body")
        for _ in range(20):  # reached with Tab alone
            body.send_keys(Keys.TAB) if driver.switch_to.active_element == body else \
                driver.switch_to.active_element.send_keys(Keys.TAB)
            if driver.switch_to.active_element == button:
                break
        assert driver.switch_to.active_element == button
        button.send_keys(Keys.ENTER)
        order = [r.text.split()[0] for r in driver.find_elements("css selector", "#sessions tbody tr")]
        heading = driver.find_elements("css selector", "#sessions thead th")[2]
        assert order == ["visit-0", "visit-2", "visit-1"] and heading.get_attribute("aria-sort") == "ascending"
        button.send_keys(Keys.ENTER)
        order = [r.text.split()[0] for r in driver.find_elements("css selector", "#sessions tbody tr")]
        assert order == ["visit-1", "visit-2", "visit-0"]
        assert heading.get_attribute("aria-sort") == "descending"
    finally:
        driver.quit()


def test_the_live_scores_say_too_few_where_the_cards_do(tmp_path):
    # a trainer's audit: the review section showed "%CR 0%" where the card above said "0% too few to judge (under 3)"
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    spec = [(P, "How are things going?", ["OQ"]), (C, "Fine.", ["FN"]),
            (P, "Did you go to group?", ["CQ"]), (C, "No.", ["FN"]),
            (P, "What got in the way?", ["OQ"]), (C, "Work.", ["FN"]),
            (P, "Work has been taking over.", ["SR"]), (C, "Yeah.", ["FN"])]
    s = coded_session(spec)
    page = tmp_path / "few.html"
    scores = session_scores(s)
    page.write_text(render_session(s, scores), encoding="utf-8")
    assert "too few to judge (under 3)" in page.read_text()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    driver = _driver(downloads)
    try:
        driver.get(page.as_uri())
        text = {key: driver.find_element("css selector", f"[data-live='{key}']").text for key in ("r_q", "pct_cr",
                                                                                                   "pct_oq")}
    finally:
        driver.quit()
    assert text == {"r_q": "0.33", "pct_cr": "0% (too few)", "pct_oq": "67%"}  # three questions, one reflection


def test_the_live_scores_leave_questions_coded_q_out_of_pct_oq_and_count_them_in_r_q(tmp_path):
    # a MITI 4.2.1 table codes a question Q (its form not coded): the page had counted it a closed question in %OQ
    from mi_coder.report import render_session
    from mi_coder.scoring import session_scores

    from .helpers import C, P, coded_session

    spec = [(P, "How are things going?", ["OQ"]), (C, "Fine.", ["FN"]),
            (P, "Did you go to group?", ["Q"]), (C, "No.", ["FN"]),
            (P, "What got in the way?", ["OQ"]), (C, "Work.", ["FN"]),
            (P, "Anything else?", ["Q"]), (C, "No.", ["FN"]),
            (P, "What matters most to you?", ["OQ"]), (C, "My kids.", ["FN"]),
            (P, "Work has been taking over.", ["SR"]), (C, "Yeah.", ["FN"])]
    s = coded_session(spec)
    scores = session_scores(s)
    assert scores["pct_oq"] == 1.0 and scores["r_q"] == pytest.approx(0.2)
    page = tmp_path / "q.html"
    page.write_text(render_session(s, scores), encoding="utf-8")
    driver = _driver(tmp_path)
    try:
        driver.get(page.as_uri())
        text = {key: driver.find_element("css selector", f"[data-live='{key}']").text for key in ("r_q", "pct_oq")}
    finally:
        driver.quit()
    assert text == {"r_q": "0.20", "pct_oq": "100%"}
