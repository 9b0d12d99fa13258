"""Coaching reports: self-contained HTML, key elements present, and rendered in a real headless browser."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mi_coder.report import render_session, write_reports
from mi_coder.scoring import session_scores

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
    assert "id='short-warning'" in render_session(s, session_scores(s))
    long = _session()
    assert "id='short-warning'" not in render_session(long, session_scores(long))


def test_low_confidence_codes_are_marked_for_review():
    s = _session(n=3)
    s.turns[0].utterances[0].confidence = 0.3
    assert "review</span>" in render_session(s, session_scores(s))


def test_index_links_every_session_and_draws_trends_for_a_practitioner_series(tmp_path):
    sessions = [_session("visit-1"), _session("visit-2"), _session("visit-3", n=4)]
    written = write_reports(sessions, tmp_path)
    assert sorted(p.name for p in written) == ["index.html", "visit-1.html", "visit-2.html", "visit-3.html"]
    index = (tmp_path / "index.html").read_text()
    for s in sessions:
        assert f"href='{s.id}.html'" in index
    assert "Trends by practitioner" in index  # same practitioner ("PO") in all three


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
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "id=\"transcript\"" in dom.stdout and "<svg" in dom.stdout
    console_errors = [line for line in dom.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()]
    assert not console_errors, console_errors
    subprocess.run([browser, *flags, "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.exists() and shot.stat().st_size > 10_000
    Path(__file__).resolve().parent.joinpath("artifacts").mkdir(exist_ok=True)
    shutil.copy(shot, Path(__file__).resolve().parent / "artifacts" / "report.png")
