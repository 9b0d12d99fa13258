"""A new user's first day (issue 13): outputs readable by colleagues, no file dropped or deleted silently,
errors tables from every command, monologues coded, bare `mi-coder` not an error. Real CLI subprocesses."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import pandas as pd

from .conftest import EXAMPLES
from .helpers import BROKEN_VTT, error_files


def run(*args: str, umask: int | None = None) -> subprocess.CompletedProcess:
    def set_umask() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([sys.executable, "-m", "mi_coder", *args], capture_output=True, text=True,
                          preexec_fn=set_umask)


def test_output_tables_follow_the_users_umask(tmp_path):
    out = tmp_path / "out"
    result = run("code", str(EXAMPLES / "health_session.txt"), "--out", str(out), umask=0o022)
    assert result.returncode == 0, result.stderr
    for name in ("utterances.csv", "turns.csv", "sessions.csv"):
        assert stat.S_IMODE(os.stat(out / name).st_mode) == 0o644, name
    strict = tmp_path / "strict"
    assert run("segment", str(EXAMPLES / "health_session.txt"), "--out", str(strict), umask=0o077).returncode == 0
    assert stat.S_IMODE(os.stat(strict / "turns.csv").st_mode) == 0o600


def test_a_file_that_is_not_a_transcript_is_listed_as_skipped_not_dropped(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES / "health_session.txt", folder / "a.txt")
    (folder / "binary.bin").write_bytes(b"\x00\x01\x02binary")
    for command in ("code", "batch"):
        out = tmp_path / command
        extra = ["--quiet"] if command == "batch" else []
        result = run(command, str(folder), "--out", str(out), *extra)
        assert result.returncode == 2, result.stderr
        assert "binary.bin: skipped: not a transcript (.bin)" in result.stderr
        errors = pd.read_csv(out / "errors.csv")
        assert [os.path.basename(f) for f in errors["file"]] == ["binary.bin"]
        assert pd.read_csv(out / "sessions.csv")["session_id"].tolist() == ["a"]
    assert "2 file(s): 1 coded" in run("batch", str(folder), "--out", str(tmp_path / "b2"), "--quiet").stderr


def test_a_users_own_errors_csv_is_never_removed_or_overwritten(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "errors.csv").write_text("my,own\nnotes,here\n")
    result = run("code", str(EXAMPLES / "health_session.txt"), "--out", str(out))
    assert (out / "errors.csv").read_text() == "my,own\nnotes,here\n"
    assert result.returncode == 0, result.stderr
    # mi-coder's own stale errors table is removed on a clean run
    own = tmp_path / "own"
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    assert run("code", str(EXAMPLES / "health_session.txt"), str(bad), "--out", str(own)).returncode == 2
    assert (own / "errors.csv").exists()
    assert run("code", str(EXAMPLES / "health_session.txt"), "--out", str(own)).returncode == 0
    assert not (own / "errors.csv").exists()
    # and a user's file named like a table is refused before anything is written
    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "turns.csv").write_text("mine\n")
    result = run("code", str(EXAMPLES / "health_session.txt"), "--out", str(clash))
    assert result.returncode == 2
    assert "turns.csv already exist and were not written by mi-coder" in result.stderr
    assert (clash / "turns.csv").read_text() == "mine\n" and not (clash / "utterances.csv").exists()


def test_report_writes_an_errors_table_for_unreadable_files(tmp_path):
    (tmp_path / "broken.vtt").write_text(BROKEN_VTT)
    result = run("report", str(EXAMPLES / "health_session.txt"), str(tmp_path / "broken.vtt"), "--out",
                 str(tmp_path / "reports"))
    assert result.returncode == 2 and error_files(tmp_path / "reports") == ["broken.vtt"]
    assert (tmp_path / "reports" / "health_session.html").exists()


def test_a_practitioners_monologue_is_coded_when_the_practitioner_is_named(tmp_path):
    talk = tmp_path / "talk.txt"
    talk.write_text("Officer: Welcome, everyone. These groups are for you to get through supervision.\n"
                    "Officer: What would make this hour worth your while? You know your lives better than I do.\n")
    refused = run("code", str(talk), "--out", str(tmp_path / "a"))
    assert refused.returncode == 2 and "only one speaker ('Officer')" in refused.stderr
    result = run("code", str(talk), "--out", str(tmp_path / "b"), "--practitioner", "Officer")
    assert result.returncode == 0, result.stderr
    assert "only the practitioner 'Officer' speaks; client measures are empty" in result.stderr
    utts = pd.read_csv(tmp_path / "b" / "utterances.csv")
    assert set(utts["role"]) == {"practitioner"} and utts["code"].notna().all()
    sessions = pd.read_csv(tmp_path / "b" / "sessions.csv")
    assert pd.isna(sessions.loc[0, "change_talk_pct"])


def test_bare_mi_coder_shows_help_and_exits_zero():
    result = run()
    assert result.returncode == 0
    assert "COMMAND" in result.stdout and "mi-coder code" in result.stdout
