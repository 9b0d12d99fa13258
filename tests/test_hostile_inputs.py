"""Files and folders that try to make mi-coder write, delete or load what it should not, or eat the machine (a
security audit's findings): each is refused or kept inside --out, with one line saying why."""

from __future__ import annotations

import json
import zipfile

import pandas as pd

from mi_coder.cli import main

from .conftest import EXAMPLES


def test_a_planted_manifest_cannot_send_the_clean_up_outside_the_output_folder(tmp_path, capsys):
    victims = tmp_path / "victims"
    victims.mkdir()
    (victims / "relative.html").write_text("keep me")
    (victims / "absolute.html").write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".mi-coder-written.json").write_text(json.dumps(
        {"files": ["../victims/relative.html", str(victims / "absolute.html")]}))
    assert main(["report", str(EXAMPLES / "probation_session.txt"), "--out", str(out)]) == 0
    assert (victims / "relative.html").read_text() == "keep me"
    assert (victims / "absolute.html").read_text() == "keep me"


def test_a_link_planted_under_a_temporary_name_is_never_written_through(tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    for name in (".probation_session.html.part", "..mi-coder-written.json.part", ".r.json.part"):
        (out / name).symlink_to(victim)
    assert main(["report", str(EXAMPLES / "probation_session.txt"), "--out", str(out)]) == 0
    assert main(["code", str(EXAMPLES / "probation_session.txt"), "--out", str(out / "t")]) == 0
    assert victim.read_text() == "keep me"
    assert not (out / "probation_session.html").is_symlink()
    assert "MI coaching report" in (out / "probation_session.html").read_text()


def test_json_nested_too_deeply_is_one_line_error_and_the_other_files_are_coded(tmp_path, capsys):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 3000 + "]" * 3000)
    assert main(["code", str(deep), str(EXAMPLES / "health_session.txt"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"mi-coder: error: {deep}: JSON nested too deeply to be a transcript" in err
    assert "Traceback" not in err and (tmp_path / "o" / "utterances.csv").exists()


def test_a_docx_that_unpacks_to_far_more_than_a_transcript_is_refused_before_it_is_unpacked(tmp_path, capsys):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>" + " " * 25_000_000 + "</w:document>")
    assert bomb.stat().st_size < 100_000
    assert main(["code", str(bomb), "--out", str(tmp_path / "o")]) == 2
    assert "unpacks to 25 MB, more than a transcript's 20 MB" in capsys.readouterr().err


def test_one_turn_of_megabytes_is_refused_as_missing_speaker_changes_read_whole_or_streamed(tmp_path, capsys):
    path = tmp_path / "one_turn.txt"
    path.write_text("Counselor: Hi there.\nClient: " + "so my wife worries and I drink " * 40_000 + "\n")
    assert main(["code", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "turn 2 ('Client') holds 1,239,999 characters, more than 1,000,000" in capsys.readouterr().err
    big = tmp_path / "big.txt"  # 8 MB and more: read a block at a time
    big.write_text("Counselor: Hi there.\nClient: " + "so my wife worries and I drink " * 300_000 + "\n")
    assert main(["code", str(big), "--out", str(tmp_path / "b")]) == 2
    assert "the speaker changes are missing" in capsys.readouterr().err


def test_csv_tables_guard_text_a_spreadsheet_would_run_and_read_it_back_as_said(tmp_path, capsys):
    path = tmp_path / "f.csv"
    path.write_text('session_id,speaker,text\n=1+2,Therapist,=HYPERLINK("http://x") what brings you in?\n'
                    "=1+2,+1 (555) 201-3344,-- I guess my drinking.\n=1+2,Therapist,@SUM(A1) You want to cut down.\n")
    assert main(["code", str(path), "--practitioner", "Therapist", "--out", str(tmp_path / "o")]) == 0
    raw = (tmp_path / "o" / "utterances.csv").read_text()
    assert "'=1+2,1,1.1,Therapist" in raw and ",'+1 (555) 201-3344,client," in raw and ",'-- I guess" in raw
    assert not any(line.startswith(("=", "+", "-", "@")) or ",=" in line or ",@" in line for line in raw.splitlines())
    # mi-coder's own readers take the text as it was said
    assert main(["score", str(tmp_path / "o" / "utterances.csv"), "--out", str(tmp_path / "s"),
                 "--output-format", "jsonl"]) == 0
    back = pd.read_json(tmp_path / "s" / "utterances.jsonl", lines=True)
    assert back["session_id"].unique().tolist() == ["=1+2"]
    assert "+1 (555) 201-3344" in back["speaker"].tolist() and back["text"].iloc[-1].startswith("@SUM(A1)")


def test_a_record_of_written_files_in_an_input_folder_does_not_hide_its_transcripts(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("health_session.txt", "probation_session.txt"):
        (folder / name).write_text((EXAMPLES / name).read_text())
    (folder / ".mi-coder-written.json").write_text(json.dumps({"files": ["probation_session.txt"]}))
    assert main(["code", str(folder), "--out", str(tmp_path / "o")]) == 0
    assert "(2 session(s)" in capsys.readouterr().err
    # the tables and pages mi-coder wrote there are still passed over: an --out inside the input folder
    assert main(["code", str(folder), "--out", str(folder)]) == 0
    capsys.readouterr()
    assert main(["code", str(folder), "--out", str(tmp_path / "again")]) == 0
    assert "(2 session(s)" in capsys.readouterr().err


def test_terminal_escapes_in_a_file_name_are_shown_escaped_not_sent_to_the_terminal(tmp_path, capsys):
    escape = "\x1b]0;owned\x07\x1b[2J"  # set the window title, clear the screen
    missing = tmp_path / f"session{escape}.txt"
    assert main(["code", str(missing), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "session\\x1b]0;owned\\x07\\x1b[2J.txt" in err  # the name is still there to read
