"""The command line: exit codes, one-line messages, no partial output, and help on every command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mi_coder.cli import build_parser, main
from mi_coder.model.store import default_model_dir

from .conftest import EXAMPLES, FIXTURES
from .helpers import shipped_model_copy


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mi_coder", *args], capture_output=True, text=True)


def test_every_command_has_help_with_an_example():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - the parser's own registry
    assert commands
    for name, sub in commands.items():
        text = sub.format_help()
        assert "example" in text, name
        assert f"mi-coder {name}" in text, name


def test_top_level_help_exits_zero_and_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    assert "segment" in result.stdout


def test_version_names_the_package_and_the_default_model_whose_figures_the_readme_gives():
    import json

    from mi_coder._version import __version__
    from mi_coder.model.store import default_model_dir

    meta = json.loads((default_model_dir() / "meta.json").read_text())
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mi-coder {__version__} (default model {meta['name']} {meta['version']})"


def test_segment_writes_the_three_tables_in_the_contracted_columns(tmp_path):
    out = tmp_path / "out"
    assert main(["segment", str(EXAMPLES / "probation_session.txt"), "--out", str(out)]) == 0
    utts = pd.read_csv(out / "utterances.csv")
    turns = pd.read_csv(out / "turns.csv")
    sessions = pd.read_csv(out / "sessions.csv")
    assert list(utts.columns) == ["session_id", "turn_id", "utterance_id", "speaker", "role", "start", "end",
                                  "text", "code", "confidence", "role_elements", "code2"]
    assert list(turns.columns) == ["session_id", "turn_id", "speaker", "role", "start", "end", "text", "codes",
                                   "main_code"]
    assert list(sessions.columns[:4]) == ["session_id", "source", "n_turns", "n_utterances"]
    assert sessions.loc[0, "session_id"] == "probation_session"
    assert sessions.loc[0, "n_turns"] == len(turns)
    assert sessions.loc[0, "n_utterances"] == len(utts)
    assert utts["code"].isna().all()


def test_multi_session_table_keeps_input_order_and_ids(tmp_path):
    out = tmp_path / "out"
    assert main(["segment", str(FIXTURES / "multi_session.csv"), "--out", str(out)]) == 0
    turns = pd.read_csv(out / "turns.csv", dtype=str)
    assert list(zip(turns.session_id, turns.turn_id)) == [("s1", "0"), ("s1", "1"), ("s1", "2"),
                                                          ("s2", "0"), ("s2", "1"), ("s2", "2")]


@pytest.mark.parametrize("fmt, reader", [("jsonl", lambda p: pd.read_json(p, lines=True)),
                                         ("parquet", pd.read_parquet)])
def test_output_formats(tmp_path, fmt, reader):
    out = tmp_path / "out"
    assert main(["segment", str(FIXTURES / "teams.vtt"), "--out", str(out), "--output-format", fmt]) == 0
    frame = reader(out / f"utterances.{fmt}")
    assert len(frame) >= 3


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "empty.txt: file is empty"),
        ("one.txt", b"T: hello there\nT: anyone?\n", "one.txt: only one speaker"),
        ("bin.txt", bytes(range(256)) * 10, "bin.txt: looks like a binary file"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "out"
    result = run("segment", str(path), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file_exits_2(tmp_path):
    result = run("segment", str(tmp_path / "missing.vtt"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "missing.vtt: no such file" in result.stderr


def test_a_bad_file_among_good_ones_is_reported_and_the_rest_are_written(tmp_path):
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n1\n00:00:01 -> 00:00:02\nA: hi\n")
    out = tmp_path / "out"
    result = run("segment", str(FIXTURES / "teams.vtt"), str(bad), "--out", str(out))
    assert result.returncode == 2
    assert "bad.vtt: line 4: broken cue timing" in result.stderr
    errors = pd.read_csv(out / "errors.csv")
    assert errors.loc[0, "file"].endswith("bad.vtt")
    assert set(pd.read_csv(out / "sessions.csv").session_id) == {"teams"}


def test_unknown_column_override_is_an_input_error(tmp_path):
    result = run("segment", str(FIXTURES / "multi_session.csv"), "--text-col", "nope", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "no column 'nope'" in result.stderr


def test_inferred_roles_are_warned_on_stderr(tmp_path):
    result = run("segment", str(FIXTURES / "diarized.srt"), "--out", str(tmp_path / "o"))
    assert result.returncode == 0
    assert "warning: " in result.stderr and "inferred" in result.stderr


def test_notebook_quickstart_runs(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from .conftest import ROOT

    nb = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]


@pytest.mark.slow
def test_notebook_validation_runs_where_annomi_exists():
    from .conftest import ANNOMI_FULL, ROOT

    if not ANNOMI_FULL.exists():
        pytest.skip("../shared/data/annomi (AnnoMI dev split) is not present on this machine")
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / "validation.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=3600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    import json
    import re

    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    figures = json.loads(re.search(r"^FIGURES (.+)$", text, re.M).group(1))
    readme = (ROOT / "README.md").read_text()
    stated = {key: float(value) for key, value in re.findall(r"<!-- validation:(\w+) -->\s*\**([0-9.]+)", readme)}
    assert set(stated) == set(figures), "the README's validation table names every figure the notebook checks"
    for key, value in figures.items():
        assert abs(value - stated[key]) <= 0.03, (key, value, stated[key])


def test_score_command_scores_a_human_coded_table(tmp_path):
    out = tmp_path / "out"
    assert main(["score", str(FIXTURES / "per_utterance.tsv"), "--out", str(out)]) == 0
    sessions = pd.read_csv(out / "sessions.csv")
    row = sessions.iloc[0]
    assert row["session_id"] == "A"
    assert (row["OQ"], row["SR"]) == (2, 1)
    assert row["r_q"] == 0.5 and pd.isna(row["r_q_band"])  # over 2 questions: a value, too few for a band
    assert row["pct_oq"] == 1.0
    assert row["change_talk_pct"] == 0.0
    assert bool(row["scores_reliable"]) is False


def test_code_says_on_stderr_which_sessions_are_too_short_to_judge(tmp_path, capsys):
    # without --report, the tables' fidelity 100 of a two-turn call was said only by a column
    path = tmp_path / "call.txt"
    path.write_text("Counselor: What brings you in today?\nClient: I want to stop drinking before the baby comes.\n")
    assert main(["code", str(path), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert ("warning: session call: fewer than 10 coded practitioner utterances; its scores are not to be judged "
            "(scores_reliable false)") in err
    assert main(["code", str(EXAMPLES / "probation_session.txt"), "--out", str(tmp_path / "out2")]) == 0
    assert "not to be judged" not in capsys.readouterr().err


def test_score_with_a_threshold_file_changes_bands(tmp_path):
    table = tmp_path / "coded.csv"  # 4 question volleys, 2 reflection volleys: R:Q 0.5
    table.write_text("session_id,speaker,text,code\n" + "".join(
        f"A,T,{q},{c}\nA,C,Some answer about it.,FN\n" for q, c in (
            ("How was your week?", "OQ"), ("You had a hard week.", "SR"), ("Did you go to group?", "CQ"),
            ("Missing it worried you.", "CR"), ("What got in the way?", "OQ"), ("Was it the bus?", "CQ"))))
    thresholds = tmp_path / "t.json"
    thresholds.write_text('{"r_q": {"fair": 0.4, "good": 0.8}}')
    out = tmp_path / "out"
    assert main(["score", str(table), "--out", str(out)]) == 0
    assert pd.read_csv(out / "sessions.csv").loc[0, "r_q_band"] == "below"
    assert main(["score", str(table), "--out", str(out), "--thresholds", str(thresholds)]) == 0
    assert pd.read_csv(out / "sessions.csv").loc[0, "r_q_band"] == "fair"



def test_a_clean_rerun_removes_the_errors_table_of_an_earlier_run(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("")
    out = tmp_path / "out"
    assert main(["segment", str(FIXTURES / "teams.vtt"), str(bad), "--out", str(out)]) == 2
    assert (out / "errors.csv").exists()
    assert main(["segment", str(FIXTURES / "teams.vtt"), "--out", str(out)]) == 0
    assert not (out / "errors.csv").exists()


def test_out_that_is_a_file_fails_before_any_work(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x")
    result = run("segment", str(FIXTURES / "teams.vtt"), "--out", str(target))
    assert result.returncode == 2
    assert "--out must be a directory" in result.stderr


def test_a_bad_session_in_a_multi_session_table_is_named(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("session_id,speaker,text\nok,therapist,How are you?\nok,client,Fine.\n"
                    "solo,therapist,Anyone there?\nsolo,therapist,Hello?\n")
    result = run("segment", str(path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[0]
    assert line.startswith(f"mi-coder: error: {path}: [session solo] only one speaker")


def test_one_speaker_named_as_both_practitioner_and_client_is_refused_before_any_work(tmp_path, capsys):
    code = main(["code", str(EXAMPLES / "health_session.txt"), "--practitioner", "Counselor", "--client",
                 "Counselor", "--out", str(tmp_path / "o")])
    assert_one_line_error(code, capsys.readouterr().err, "--practitioner", "--client", "'Counselor'")
    assert not (tmp_path / "o").exists()


def test_client_given_twice_codes_both_clients_and_the_report_names_them_and_who_was_not_coded(tmp_path, capsys):
    path = tmp_path / "family.txt"
    path.write_text("Counselor: Thanks for coming in, both of you. What brings you here?\n"
                    "Mom: Jake got caught drinking at school again.\nJake: It was one time. Everyone does it.\n"
                    "Counselor: You feel it's being blown out of proportion.\n"
                    "Jake: I guess I could cut back. I don't want to get kicked off the team.\n"
                    "Counselor: Staying on the team matters to you.\n")
    # each --client counts (the last one alone used to be kept, and Jake, named first, went uncoded)
    assert main(["report", str(path), "--client", "Jake", "--client", "Mom", "--out", str(tmp_path / "r")]) == 0
    page = (tmp_path / "r" / "family.html").read_text()
    assert "Clients (counted together): <b>Mom, Jake</b>" in page and "Not coded" not in page
    assert main(["code", str(path), "--client", "Jake", "--client", "Mom", "--out", str(tmp_path / "c")]) == 0
    utts = pd.read_csv(tmp_path / "c" / "utterances.csv", keep_default_na=False)
    roles = dict(zip(utts["speaker"], utts["role"]))
    assert roles == {"Counselor": "practitioner", "Mom": "client", "Jake": "client"}
    assert (utts.loc[utts["role"] == "client", "code"] != "").all()
    # one client named: the other is said not to be coded, on the page as well as in a warning
    assert main(["report", str(path), "--client", "Jake", "--out", str(tmp_path / "one")]) == 0
    assert "Not coded (neither role): Mom" in (tmp_path / "one" / "family.html").read_text()


def test_score_reads_misc_codes_with_scheme_misc_and_names_the_option_when_it_is_missing(tmp_path, capsys):
    path = tmp_path / "misc.csv"
    path.write_text("session_id,turn_id,speaker,text,code\ns1,1,Therapist,What brings you in?,QUO\n"
                    "s1,2,Client,My wife wants me to quit.,R+\ns1,3,Therapist,She is worried about you.,REC\n")
    assert main(["score", str(path), "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "unknown code 'QUO'" in err and "it is a MISC 2.5 (or MITI 3.1.1) code: read the table with --scheme misc" in err
    assert main(["score", str(path), "--out", str(tmp_path / "b"), "--scheme", "misc"]) == 0
    utts = pd.read_csv(tmp_path / "b" / "utterances.csv", keep_default_na=False)
    assert list(utts["code"]) == ["OQ", "CT", "CR"]
    assert pd.read_csv(tmp_path / "b" / "sessions.csv")["r_q"].iloc[0] == 1.0


def test_coding_a_table_that_holds_codes_says_they_are_not_read_and_score_reads_them_silently(tmp_path, capsys):
    path = tmp_path / "coded.csv"
    path.write_text("session_id,speaker,text,code\ns1,Therapist,What brings you in?,CQ\ns1,Client,My wife.,FN\n")
    assert main(["code", str(path), "--out", str(tmp_path / "c")]) == 0
    err = capsys.readouterr().err
    assert f"{path}: its 'code' column is not read: the text is coded anew" in err and "mi-coder evaluate" in err
    assert main(["score", str(path), "--out", str(tmp_path / "s")]) == 0
    assert "not read" not in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------------
# User mistakes in evaluate, train and batch: one line naming the file or option, exit 2, nothing written.


def assert_one_line_error(code: int, err: str, *names: str) -> None:
    """Exit 2; stderr is one ``mi-coder: error:`` line that names each of ``names``; no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mi-coder: error:"), err
    for name in names:
        assert name in lines[0], (name, lines[0])


def fails(capsys, *argv: str) -> tuple[int, str]:
    """Exit code and stderr of ``main(argv)``, run in this process."""
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["evaluate", "{missing}"],
    ["evaluate", "{folder}"],
    ["evaluate", str(FIXTURES / "per_utterance.tsv"), "{missing}"],
    ["evaluate", "--agreement", "{missing}"],
    ["evaluate", "--agreement", "{folder}"],
    ["evaluate", "--folds", "2", "{folder}"],
    ["train", "{folder}", "--out", "{out}"],
    ["train", "{missing}", "--out", "{out}"],
])
def test_evaluate_and_train_name_a_missing_file_or_a_folder_in_one_line(tmp_path, capsys, argv):
    (tmp_path / "folder").mkdir()
    names = {"missing": str(tmp_path / "nofile.csv"), "folder": str(tmp_path / "folder"), "out": str(tmp_path / "o")}
    argv = [a.format(**names) for a in argv]
    named = next(names[k] for k in ("missing", "folder") if names[k] in argv)
    code, err = fails(capsys, *argv)
    assert_one_line_error(code, err, named, "no such file" if "nofile" in named else "is a directory")
    assert not (tmp_path / "o").exists()


def test_evaluate_refuses_a_report_in_a_missing_folder_before_any_work(tmp_path, capsys):
    report = tmp_path / "nowhere" / "r.json"
    code = main(["evaluate", "--segmentation", str(FIXTURES / "per_utterance.tsv"), "--report", str(report)])
    out, err = capsys.readouterr()
    assert_one_line_error(code, err, str(report.parent), "--report")
    assert out == ""  # nothing measured


@pytest.mark.parametrize("argv", [
    ["batch", str(FIXTURES / "teams.vtt"), "--quiet", "--jobs", "1", "--out", "{out}"],
    ["batch", str(FIXTURES / "teams.vtt"), "--quiet", "--jobs", "1", "--out", "{out}/sub"],
    ["train", str(FIXTURES / "per_utterance.tsv"), "--utterances", "given", "--out", "{out}"],
])
def test_batch_and_train_refuse_an_out_that_is_a_file_before_any_work(tmp_path, capsys, argv):
    target = tmp_path / "file.txt"
    target.write_text("x")
    code, err = fails(capsys, *[a.format(out=target) for a in argv])
    assert_one_line_error(code, err, str(target), "--out must be a directory")
    assert target.read_text() == "x"


def test_train_refuses_an_out_folder_that_is_not_a_model_before_training(tmp_path, capsys):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "notes.txt").write_text("mine")
    code, err = fails(capsys, "train", str(FIXTURES / "per_utterance.tsv"), "--utterances", "given",
                      "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, str(tmp_path / "o"), "not a model folder")
    assert "training" not in err  # no progress line: refused before any work


@pytest.mark.parametrize("content, named", [
    ("[1]", "JSON object"),
    ('{"r_q": {"fair": "x", "good": 2}}', "'r_q'"),
    ('{"r_q": {"fair": 1, "good": null}}', "'r_q'"),
    ('{"r_q": {"fair": 3, "good": 2}}', "'r_q'"),
    ('{"r_q": 2}', "'r_q'"),
    ('{"pct_cr": {"fair": 40, "good": 50}}', "fractions from 0 to 1"),  # percent for a share: every band 'below'
    ('{"r_q": {"fair": 1, "good": 2, "excellent": 3}}', "'excellent'"),
])
def test_a_malformed_thresholds_file_is_named_in_one_line(tmp_path, capsys, content, named):
    path = tmp_path / "t.json"
    path.write_text(content)
    code, err = fails(capsys, "score", str(FIXTURES / "per_utterance.tsv"), "--out", str(tmp_path / "o"),
                      "--thresholds", str(path))
    assert_one_line_error(code, err, str(path), named)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("argv, message", [
    (["evaluate", "--folds", "1"], "--folds must be at least 2"),
    (["evaluate", "--folds", "-2"], "--folds must be at least 2"),
    (["evaluate", "--folds", "0"], "--folds must be at least 2"),
    (["evaluate", "--folds", "50"], "only 1 group"),
    (["train", "--folds", "1", "--out", "{out}"], "--folds must be 0 (no cross-validation) or at least 2"),
    (["train", "--folds", "-1", "--out", "{out}"], "--folds must be 0 (no cross-validation) or at least 2"),
    (["train", "--folds", "3", "--out", "{out}"], "only 1 group"),
    (["train", "--min-term-sessions", "0", "--out", "{out}"], "--min-term-sessions must be 1 or more, not 0"),
])
def test_folds_below_two_or_above_the_number_of_groups_are_refused_in_one_line(tmp_path, capsys, argv, message):
    data = str(FIXTURES / "per_utterance.tsv")
    code, err = fails(capsys, *[a.format(out=tmp_path / "o") for a in argv], data, "--utterances", "given")
    assert_one_line_error(code, err, message)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("extra, named", [
    (["--scheduler", "notaurl"], "notaurl"),
    (["--scheduler", "tcp://127.0.0.1:1"], "tcp://127.0.0.1:1"),
    (["--dask-local", "-1"], "--dask-local"),
    (["--dask-local", "0"], "--dask-local"),
    (["--dask-local", "2", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
])
def test_batch_names_a_bad_scheduler_or_worker_count_in_one_line_and_writes_nothing(tmp_path, extra, named):
    import os

    out = tmp_path / "o"
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}  # an unreachable scheduler: fail fast
    result = subprocess.run([sys.executable, "-m", "mi_coder", "batch", str(FIXTURES / "teams.vtt"), "--out",
                             str(out), "--quiet", *extra], capture_output=True, text=True, env=env, timeout=60)
    assert_one_line_error(result.returncode, result.stderr, named)
    assert not out.exists()


@pytest.mark.parametrize("argv, named", [
    (["--segmentation", "--agreement"], "--segmentation"),
    (["--segmentation", "--folds", "2"], "--folds"),
    (["--agreement", "--folds", "2"], "--agreement"),
    (["--agreement", "--utterances", "auto"], "--utterances auto"),  # coded rows are always the utterances
    (["--folds", "2", "--practitioner-id", "PO-7"], "--practitioner-id"),
    (["--agreement", "--model", "{model}"], "--model"),
    (["--agreement", "--trust-model"], "--trust-model"),
    (["--agreement", "--profile", "sessions"], "--profile"),
    (["--folds", "2", "--model", "{model}"], "--model"),
    (["--folds", "2", "--profile", "sessions"], "--profile"),
    (["--segmentation", "--profile", "sessions"], "--profile"),
    (["--segmentation", "--scheme", "misc"], "--scheme"),
    (["--keep-punctuation"], "--keep-punctuation"),
    (["--captions", "on"], "--captions"),  # held-out: coded rows are the utterances
    (["--agreement", "--captions", "off"], "--captions"),
    (["--folds", "2", "--captions", "on"], "--captions"),
])
def test_evaluate_refuses_modes_together_and_options_its_mode_does_not_use(tmp_path, capsys, argv, named):
    data = str(FIXTURES / "per_utterance.tsv")
    argv = [a.format(model=tmp_path) for a in argv]
    code, err = fails(capsys, "evaluate", data, data, *argv, "--report", str(tmp_path / "r.json"))
    assert_one_line_error(code, err, named)
    assert not (tmp_path / "r.json").exists()


def test_evaluate_segmentation_says_which_boundary_model_it_measured(tmp_path, capsys):
    import json

    data = str(FIXTURES / "per_utterance.tsv")
    folder = shipped_model_copy(tmp_path)  # without a boundary model
    shipped = ["--report", str(tmp_path / "shipped.json")]
    fallback = ["--model", str(folder), "--trust-model", "--report", str(tmp_path / "fallback.json")]
    for extra in (shipped, fallback):
        assert main(["evaluate", "--segmentation", data, *extra]) == 0
        assert "boundary model shipped" in capsys.readouterr().out
        report = json.loads(Path(extra[-1]).read_text())["segmentation"][0]
        assert report["boundary_model"] == "shipped"
    own = ["--model", str(default_model_dir()), "--report", str(tmp_path / "own.json")]
    assert main(["evaluate", "--segmentation", data, *own]) == 0
    assert f"boundary model {default_model_dir()}" in capsys.readouterr().out
    assert json.loads((tmp_path / "own.json").read_text())["segmentation"][0]["boundary_model"] == str(default_model_dir())


@pytest.mark.parametrize("command", ["score", "train"])
def test_commands_that_read_one_utterance_per_coded_row_have_no_captions_option(tmp_path, capsys, command):
    data = str(FIXTURES / "per_utterance.tsv")
    with pytest.raises(SystemExit) as exit_:
        main([command, data, "--captions", "on", "--out", str(tmp_path / "o")])
    assert exit_.value.code == 2 and "unrecognized arguments: --captions on" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", ["code", "segment", "report"])
def test_an_empty_folder_or_an_unreadable_file_is_one_error_line_and_leaves_no_output_folder(tmp_path, capsys,
                                                                                             command):
    empty = tmp_path / "inbox"
    empty.mkdir()
    out = tmp_path / "results" / "today"
    code, err = fails(capsys, command, str(empty), "--out", str(out))
    assert_one_line_error(code, err, str(empty), "no transcript files")
    assert not (tmp_path / "results").exists()
    (tmp_path / "garbage.txt").write_bytes(bytes(range(256)) * 4)
    code, err = fails(capsys, command, str(tmp_path / "garbage.txt"), "--out", str(out))
    assert_one_line_error(code, err, "garbage.txt")
    assert not (tmp_path / "results").exists()


def test_score_on_codes_own_utterances_table_reproduces_every_score_but_the_expected_counts(tmp_path):
    out = tmp_path / "coded"
    examples = [str(EXAMPLES / f"{name}_session.txt") for name in ("probation", "health", "low_quality")]
    assert main(["code", *examples, "--out", str(out)]) == 0
    assert main(["score", str(out / "utterances.csv"), "--out", str(tmp_path / "rescored")]) == 0
    first, again = (pd.read_csv(d / "sessions.csv", dtype=str, keep_default_na=False)
                    for d in (out, tmp_path / "rescored"))
    model_only = {"source", "expected_reflections", "expected_questions", "r_q_expected"}  # need probabilities
    assert list(first.columns) == list(again.columns)
    for key in (c for c in first.columns if c not in model_only):
        assert again[key].tolist() == first[key].tolist(), key
    assert first["role_clarification_elements"].astype(int).between(0, 4).all()


@pytest.mark.parametrize("change, problem", [("XX", "unknown code 'XX'"), ("SR", "'SR' is not a code for a client")])
def test_score_refuses_a_code_it_would_drop_or_count_for_the_wrong_speaker(tmp_path, capsys, change, problem):
    table = tmp_path / "coded.csv"
    table.write_text("session_id,speaker,role,text,code\ns,Ann,practitioner,What brings you in?,OQ\n"
                     f"s,Bo,client,My doctor.,{change if change == 'SR' else 'FN'}\n"
                     f"s,Ann,practitioner,Your doctor sent you.,{change if change == 'XX' else 'SR'}\n")
    code, err = fails(capsys, "score", str(table), "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, str(table), problem)
    assert not (tmp_path / "o").exists()


def test_train_refuses_to_write_over_the_shipped_model_or_another_model_without_overwrite(tmp_path, capsys):
    shipped = default_model_dir()
    before = (shipped / "meta.json").read_bytes()
    data = str(EXAMPLES / "probation_session.txt")
    assert main(["train", data, "--out", str(shipped)]) == 2
    assert "is the shipped default model" in capsys.readouterr().err
    # a source checkout's copy beside an installed one (a non-editable install run from the repository) too
    checkout = tmp_path / "repo" / "models" / "mi-coder-default"
    shutil.copytree(shipped, checkout)
    (tmp_path / "repo" / "mi_coder").mkdir()
    assert main(["train", data, "--out", str(checkout), "--overwrite"]) == 2
    assert "is the shipped default model" in capsys.readouterr().err
    assert (checkout / "meta.json").read_bytes() == before
    other = tmp_path / "ours"
    other.mkdir()
    (other / "meta.json").write_text("{}")
    assert main(["train", data, "--out", str(other)]) == 2
    assert "already holds a model; choose another --out, or pass --overwrite" in capsys.readouterr().err
    assert (shipped / "meta.json").read_bytes() == before and (other / "meta.json").read_text() == "{}"


def test_evaluate_report_replaces_only_a_report_it_wrote_itself(tmp_path, capsys):
    coded = tmp_path / "coded.csv"
    coded.write_text("session_id,speaker,text,code\ns1,T,How are you?,OQ\ns1,C,Fine.,FN\ns1,T,So you are fine.,SR\n")
    before = coded.read_bytes()
    assert main(["evaluate", "--agreement", str(coded), str(coded), "--report", str(coded)]) == 2
    assert "exists and is not a report mi-coder evaluate wrote" in capsys.readouterr().err
    assert coded.read_bytes() == before  # the human codes are still there
    report = tmp_path / "agreement.json"
    for _ in range(2):  # a re-run replaces its own report
        assert main(["evaluate", "--agreement", str(coded), str(coded), "--report", str(report)]) == 0
    import json

    assert json.loads(report.read_text())["written_by"].startswith("mi-coder evaluate")
    assert not list(tmp_path.glob(".*.part"))


def test_an_out_folder_inside_the_input_folder_is_not_read_back_as_transcripts_on_a_rerun(tmp_path, capsys):
    folder = tmp_path / "sessions"
    folder.mkdir()
    (folder / "probation_session.txt").write_bytes((EXAMPLES / "probation_session.txt").read_bytes())
    for _ in range(2):
        assert main(["code", str(folder), "--out", str(folder / "out")]) == 0
        sessions = pd.read_csv(folder / "out" / "sessions.csv")
        assert list(sessions["session_id"]) == ["probation_session"]  # not its own tables as new sessions
    for _ in range(2):
        assert main(["report", str(folder), "--out", str(folder / "pages")]) == 0
    assert sorted(p.name for p in (folder / "pages").glob("*.html")) == ["probation_session.html"]
    assert "already used" not in capsys.readouterr().err


def test_temporary_tables_left_by_a_killed_run_are_removed_by_the_next_run(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    left = [out / ".turns.4lya6w2u.part", out / ".utterances.eqml19r6.part"]
    for f in left:
        f.write_text("half a table")
    mine = out / ".notes.part"  # not a name mi-coder writes: left alone
    mine.write_text("mine")
    assert main(["segment", str(EXAMPLES / "probation_session.txt"), "--out", str(out)]) == 0
    assert not any(f.exists() for f in left) and mine.exists()


def test_an_empty_out_is_a_usage_error(capsys):
    assert main(["segment", str(EXAMPLES / "probation_session.txt"), "--out", ""]) == 2
    assert "--out is empty" in capsys.readouterr().err


@pytest.mark.parametrize("option", [["--C", "-1"], ["--C", "0"], ["--C", "nan"], ["--add-weight", "-1"],
                                    ["--add-weight", "nan"]])
def test_train_refuses_a_nonpositive_or_nan_number_before_training(tmp_path, capsys, option):
    code = main(["train", str(EXAMPLES / "probation_session.txt"), "--out", str(tmp_path / "m"), *option])
    assert code == 2 and "must be a positive number" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_segmentation_evaluation_of_a_file_without_reference_utterances_is_refused(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    path.write_text("session_id,speaker,text\ns1,T,How are you?\ns1,C,I want to quit.\ns1,T,So quitting matters.\n")
    assert main(["evaluate", "--segmentation", str(path)]) == 2
    err = capsys.readouterr().err
    assert "plain.csv: no turn holds two or more utterances" in err and "F1 0.0" not in err


def test_score_treats_sessions_as_code_does_unique_ids_across_files_and_left_out_sessions_as_errors(tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("session_id,speaker,text,code\ns1,T,How are you?,OQ\ns1,C,Fine.,FN\n")
    b.write_text("session_id,speaker,text,code\ns1,T,What brings you in?,OQ\ns1,C,My doctor.,FN\n"
                 "s2,T,Hello?,CQ\ns2,T,Anyone there?,CQ\n")
    out = tmp_path / "out"
    assert main(["score", str(a), str(b), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "session id 's1' already used; this one is s1-2" in err
    assert list(pd.read_csv(out / "sessions.csv")["session_id"]) == ["s1", "s1-2"]
    errors = pd.read_csv(out / "errors.csv")
    assert errors["error"].str.contains(r"\[session s2\] only one speaker").all() and len(errors) == 1


def test_tables_written_in_another_format_replace_the_earlier_runs_tables_but_not_a_users_file(tmp_path):
    out = tmp_path / "out"
    example = str(EXAMPLES / "probation_session.txt")
    assert main(["segment", example, "--out", str(out)]) == 0
    (out / "errors.jsonl").write_text("mine\n")  # the user's own file of a table's name: never touched
    assert main(["segment", example, "--out", str(out), "--output-format", "jsonl"]) == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "errors.jsonl", "sessions.jsonl", "turns.jsonl", "utterances.jsonl"]


def test_no_role_check_leaves_the_role_columns_empty_and_the_report_says_it_was_not_assessed(tmp_path):
    # a nurse's supervisor: a good home visit showed four red crosses and role_clarification=False
    out = tmp_path / "out"
    assert main(["code", str(EXAMPLES / "health_session.txt"), "--out", str(out), "--report", "--no-role-check"]) == 0
    row = pd.read_csv(out / "sessions.csv").iloc[0]
    assert all(pd.isna(row[c]) for c in row.index if c.startswith("role_clarification"))
    assert pd.read_csv(out / "utterances.csv")["role_elements"].isna().all()  # the utterances' column too
    assert main(["code", str(EXAMPLES / "health_session.txt"), "--out", str(tmp_path / "j"), "--no-role-check",
                 "--output-format", "jsonl"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "j" / "utterances.jsonl").read_text().splitlines()]
    assert all(r["role_elements"] is None for r in rows)  # not assessed: null, where none found is ""
    assert main(["score", str(tmp_path / "j" / "utterances.jsonl"), "--out", str(tmp_path / "again")]) == 0  # reads
    from mi_coder.evaluate.agreement import read_coded

    again = read_coded(tmp_path / "j" / "utterances.jsonl")  # not labelled, rather than labelled "none found"
    assert not any("human_roles" in u.meta for s in again for _, u in s.utterances())
    page = next((out / "reports").glob("*.html")).read_text()
    assert "id='roles-not-assessed'" in page and "not found in the session" not in page
    plain = tmp_path / "plain"
    assert main(["code", str(EXAMPLES / "health_session.txt"), "--out", str(plain)]) == 0
    assert pd.read_csv(plain / "sessions.csv").iloc[0]["role_clarification_elements"] >= 0
    assert pd.read_csv(plain / "utterances.csv")["role_elements"].notna().any()


def test_the_help_names_every_extension_a_folder_scan_reads():
    """The help's list is kept by hand (importing the pipeline would slow --help); a new reader's extension (.sbv) had
    to be added to both."""
    from mi_coder.cli import SCANNED
    from mi_coder.pipeline import READ_EXTENSIONS

    assert set(SCANNED.split()) == set(READ_EXTENSIONS)
