"""Batch coding: fault isolation, resumability, identical results whatever the workers, and a real Dask cluster."""

from __future__ import annotations

from contextlib import suppress
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

from mi_coder.batch import PARTS, run_batch
from mi_coder.cli import main

from .conftest import EXAMPLES, FIXTURES


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "in"
    (folder / "nested").mkdir(parents=True)
    shutil.copy(EXAMPLES / "health_session.txt", folder / "a_health.txt")
    shutil.copy(FIXTURES / "teams.vtt", folder / "b_teams.vtt")
    shutil.copy(FIXTURES / "multi_session.csv", folder / "nested" / "c_multi.csv")
    (folder / "d_empty.txt").write_text("")
    (folder / "e_broken.vtt").write_text("WEBVTT\n\n1\n00:00:01 -> 00:00:02\nA: hi\n")
    return folder


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("utterances", "turns", "sessions", "errors")}


def test_bad_files_are_reported_and_the_rest_are_coded(corpus, tmp_path):
    out = tmp_path / "out"
    summary = run_batch([str(corpus)], out, jobs=1, progress=False)
    t = tables(out)
    assert summary.coded == 3 and summary.failed == 2
    assert sorted(Path(f).name for f in t["errors"]["file"]) == ["d_empty.txt", "e_broken.vtt"]
    assert "broken cue timing" in " ".join(t["errors"]["error"])
    assert list(t["sessions"]["session_id"]) == ["a_health", "b_teams", "s1", "s2"]
    assert t["utterances"]["code"].ne("").all()


def test_rerun_skips_done_files_and_recodes_a_changed_one(corpus, tmp_path):
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    first = tables(out)
    again = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert (again.coded, again.skipped) == (0, 3)
    assert tables(out)["utterances"].equals(first["utterances"])
    with open(corpus / "b_teams.vtt", "a") as f:
        f.write("\nb6f1a7c3-0005/2-0\n00:00:16.000 --> 00:00:18.000\n<v Patient>Maybe I could set an alarm.</v>\n")
    third = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert (third.coded, third.skipped) == (1, 2)
    assert "Maybe I could set an alarm." in " ".join(tables(out)["utterances"]["text"])


def test_saved_results_of_changed_or_removed_files_are_pruned_after_the_tables_are_written(corpus, tmp_path):
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    before = {p.name for p in (out / PARTS).glob("*.json")}
    assert len(before) == 3
    with open(corpus / "b_teams.vtt", "a") as f:
        f.write("\nb6f1a7c3-0005/2-0\n00:00:16.000 --> 00:00:18.000\n<v Patient>Maybe I could set an alarm.</v>\n")
    run_batch([str(corpus)], out, jobs=1, progress=False)
    after = {p.name for p in (out / PARTS).glob("*.json")}
    assert len(after) == 3 and len(after & before) == 2  # the changed file's old result is gone, not kept beside
    (corpus / "b_teams.vtt").unlink()
    again = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert (again.coded, again.skipped) == (0, 2)
    assert len(list((out / PARTS).glob("*.json"))) == 2


def test_an_interrupted_run_resumes_to_the_same_tables_as_a_clean_run(corpus, tmp_path):
    clean = tmp_path / "clean"
    run_batch([str(corpus)], clean, jobs=1, progress=False)
    crashed = tmp_path / "crashed"
    run_batch([str(corpus)], crashed, jobs=1, progress=False)
    parts = sorted((crashed / PARTS).glob("*.json"))
    parts[0].unlink()  # as if the run died before this file was finished
    (crashed / PARTS / ".half.123.tmp").write_text("{")  # and left a half-written temporary file
    run_batch([str(corpus)], crashed, jobs=1, progress=False)
    for name in ("utterances", "turns", "sessions", "errors"):
        assert tables(crashed)[name].drop(columns=[c for c in ("source", "file") if c in tables(crashed)[name]]) \
            .equals(tables(clean)[name].drop(columns=[c for c in ("source", "file") if c in tables(clean)[name]]))


def test_results_are_identical_with_one_or_two_workers(corpus, tmp_path):
    run_batch([str(corpus)], tmp_path / "one", jobs=1, progress=False)
    run_batch([str(corpus)], tmp_path / "two", jobs=2, progress=False)
    for name in ("utterances", "turns", "sessions", "errors"):
        assert tables(tmp_path / "one")[name].equals(tables(tmp_path / "two")[name]), name


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_serial_output(corpus, tmp_path):
    pytest.importorskip("distributed")
    run_batch([str(corpus)], tmp_path / "serial", jobs=1, progress=False)
    run_batch([str(corpus)], tmp_path / "dask", dask_local=2, progress=False)
    for name in ("utterances", "turns", "sessions", "errors"):
        assert tables(tmp_path / "serial")[name].equals(tables(tmp_path / "dask")[name]), name


def test_batch_command_exits_2_when_some_files_failed_and_reports_them(corpus, tmp_path, capsys):
    assert main(["batch", str(corpus / "*.vtt"), "--out", str(tmp_path / "o"), "--jobs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "e_broken.vtt: line 4: broken cue timing" in err
    assert "2 file(s): 1 coded" in err


def test_batch_with_no_matching_files_is_a_usage_error(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nothing" / "*.txt"), "--out", str(tmp_path / "o")]) == 2
    assert "no transcript files found" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("workers", [["--jobs", "2"], ["--dask-local", "2"]], ids=["processes", "dask"])
def test_ctrl_c_during_a_run_exits_130_with_one_line_and_the_next_run_resumes(corpus, tmp_path, workers):
    if workers[0] == "--dask-local":
        pytest.importorskip("distributed")
    import os
    import signal
    import subprocess
    import sys
    import time

    copies = 150  # enough work (several seconds) that the interrupt lands mid-run even on a fast machine
    text = (EXAMPLES / "probation_session.txt").read_text()
    for k in range(copies):  # distinct files: identical copies would share one part (a part is keyed by content)
        (corpus / f"z_{k:03d}.txt").write_text(text + f"\nClient: Copy {k}.\n")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "mi_coder", "batch", str(corpus), "--out", str(out), *workers, "--quiet"]

    def default_ctrl_c() -> None:
        # As from a terminal: Ctrl-C neither ignored nor blocked, whatever this test process inherited or set
        # (a process started with SIGINT ignored keeps ignoring it, as a shell's background job should).
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    import socket

    busy = socket.socket()  # Dask's default dashboard port taken, as by another cluster: no warning about it either
    with suppress(OSError):
        busy.bind(("127.0.0.1", 8787))
        busy.listen()
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=default_ctrl_c)
    parts = out / PARTS
    deadline = time.time() + 120
    # Interrupt once the run is under way (five files done, workers up), not while it is still starting.
    while time.time() < deadline and len(list(parts.glob("*.json")) if parts.exists() else []) < 5:
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before five files were reported done: parts are not written as files finish"
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    busy.close()
    assert proc.returncode == 130, err
    # one line, from mi-coder: no traceback from a worker process (each got the Ctrl-C too) or from Dask
    assert err.strip().splitlines() == ["mi-coder: interrupted; run the same command again to resume"], err
    assert not (out / "utterances.csv").exists()  # nothing half-written is visible as a result
    done = len(list(parts.glob("*.json")))
    summary = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert summary.skipped == done and summary.coded == 3 + copies - done


def test_worker_processes_ignore_ctrl_c_so_only_the_main_process_reports_it():
    # A terminal's Ctrl-C reaches every process of the group; a worker that took it between two files printed a
    # traceback of loky's above mi-coder's one line (seen in CI). The main process keeps Ctrl-C.
    import signal

    from joblib import delayed
    from joblib.externals.loky import reusable_executor

    from mi_coder.batch import _worker_pool

    # workers another test of this process left running would answer instead of the pool's own (this test failed
    # twice in six full runs of the suite in the forty-third session, passing alone): start from none
    if reusable_executor._executor is not None:
        reusable_executor._executor.shutdown(wait=True, kill_workers=True)
    # the test run itself may have Ctrl-C ignored: a shell starts a background job so ("nohup pytest &", CI
    # runners), and the suite then fails here while passing from a terminal (the forty-fourth session found
    # this, with every test's handler logged: no test changes it). Set the terminal's handler; the pool must
    # give back the handler it found
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with _worker_pool(2) as run:
            seen = set(run(delayed(signal.getsignal)(signal.SIGINT) for _ in range(6)))
        here = signal.getsignal(signal.SIGINT)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert seen == {signal.SIG_IGN}, f"the workers' Ctrl-C handlers: {seen}"
    assert here is signal.default_int_handler, f"this process's Ctrl-C handler: {here}"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers end with their parent through Linux's prctl")
def test_workers_end_with_a_batch_killed_outright(corpus, tmp_path):
    # SIGKILL (or the out-of-memory killer) gives the main process no chance to stop its workers: they held a few
    # hundred MB each until loky's idle timeout.
    import os
    import signal
    import subprocess
    import time

    text = (EXAMPLES / "probation_session.txt").read_text()
    for k in range(150):
        (corpus / f"z_{k:03d}.txt").write_text(text + f"\nClient: Copy {k}.\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "mi_coder", "batch", str(corpus), "--out", str(out), "--jobs", "2",
                             "--quiet"], stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / PARTS).glob("*.json")) if (out / PARTS).exists() else []) < 5:
        time.sleep(0.05)
    children = [int(pid) for pid in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
    assert proc.poll() is None and len(children) >= 2, "the run ended, or started no workers, before the kill"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    def running(pid: int) -> bool:  # a zombie waiting to be reaped by whoever adopted it has ended
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    deadline = time.time() + 20
    while time.time() < deadline and any(running(pid) for pid in children):
        time.sleep(0.1)
    alive = [pid for pid in children if running(pid)]
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, "worker processes outlived the killed batch"


def test_rerunning_with_new_thresholds_recodes_and_matches_code(corpus, tmp_path):
    import json

    from mi_coder.scoring import load_thresholds

    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False, thresholds=load_thresholds())
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"r_q": {"fair": 50.0, "good": 60.0}}))
    again = run_batch([str(corpus)], out, jobs=1, progress=False, thresholds=load_thresholds(strict))
    assert again.coded == 3 and again.skipped == 0  # the thresholds are part of every file's key
    bands = set(tables(out)["sessions"]["r_q_band"]) - {""}
    assert bands == {"below"}, bands


def test_batch_reports_guessed_roles_per_file_on_stderr_and_in_a_warnings_table(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "anon.txt").write_text(
        "A: Hi, thanks for coming in. What would you like to talk about today?\n"
        "B: I guess my drinking. My wife is on me about it.\nA: She's worried, and you're not sure she's right.\n"
        "B: Yeah. I mean I could cut down, I just don't see the point.\n")
    shutil.copy(EXAMPLES / "health_session.txt", folder / "labelled.txt")
    rc = main(["batch", str(folder), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 0
    assert "warning:" in err and "anon.txt" in err and "1 with warnings" in err
    warned = pd.read_csv(tmp_path / "out" / "warnings.csv")
    assert [Path(f).name for f in warned["file"]] == ["anon.txt"]
    # the sessions table says which sessions' roles were guessed, for whoever reads it without the warnings
    sessions = pd.read_csv(tmp_path / "out" / "sessions.csv", keep_default_na=False)
    inferred = dict(zip(sessions["session_id"], sessions["roles_inferred"]))
    assert inferred["labelled"] == "" and inferred["anon"] == "'A' as practitioner, 'B' as client"


def test_a_saved_results_warning_names_the_file_it_is_reused_for(tmp_path):
    # an identical file of the same name in two folders (one result, coded once) and a file moved between runs:
    # warnings.csv had said one folder's file's warning of the other's
    text = ("A: Hi, thanks for coming in. What would you like to talk about today?\n"
            "B: I guess my drinking. My wife is on me about it.\nA: She's worried, and you're not sure she's right.\n")
    for site in ("site_a", "site_b"):
        (tmp_path / site).mkdir()
        (tmp_path / site / "anon.txt").write_text(text)
    run_batch([str(tmp_path / "site_a"), str(tmp_path / "site_b")], tmp_path / "out", jobs=1, progress=False)
    warned = pd.read_csv(tmp_path / "out" / "warnings.csv")
    roles = warned[warned["warning"].str.contains("roles inferred")]
    assert len(roles) == 2
    for file, warning in zip(roles["file"], roles["warning"]):
        assert warning.startswith(f"{file}: ")
    (tmp_path / "site_a" / "moved").mkdir()
    (tmp_path / "site_a" / "anon.txt").rename(tmp_path / "site_a" / "moved" / "anon.txt")
    summary = run_batch([str(tmp_path / "site_a")], tmp_path / "out", jobs=1, progress=False)
    moved = str(tmp_path / "site_a" / "moved" / "anon.txt")
    assert summary.skipped == 1 and [w.startswith(f"{moved}: ") for f, w in summary.warnings if "roles" in w] == [True]


def test_a_table_none_of_whose_sessions_can_be_coded_names_every_sessions_problem(tmp_path, capsys):
    table = tmp_path / "all_bad.csv"
    table.write_text("session_id,speaker,text\ns1,therapist,How are you?\ns1,therapist,Hello?\n"
                     "s2,therapist,Hello there.\ns2,therapist,Anyone?\n")
    rc = main(["batch", str(table), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    line = next(line for line in err.splitlines() if "all_bad.csv" in line)  # one line for the file
    assert rc == 2 and "none of its 2 sessions can be coded" in line and "[session s2]" in line


def test_tables_appended_file_by_file_are_the_whole_tables(corpus, tmp_path):
    # CSV and JSONL tables are written one coded file at a time (memory holds one file's rows); they must be
    # the bytes the whole-table writer gives from the same parts, session ids made unique across files.
    from mi_coder.batch import assemble
    from mi_coder.io.writer import write_tables

    shutil.copy(corpus / "a_health.txt", corpus / "nested" / "a_health.txt")  # the same session id twice
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"out-{fmt}"
        summary = run_batch([str(corpus)], out, jobs=1, progress=False, output_format=fmt)
        assert (summary.coded, summary.failed) == (4, 2)
        paths, keys = _paths_and_keys(corpus)
        frames = assemble(paths, keys, out / PARTS, {}, {})
        write_tables({k: frames[k] for k in ("utterances", "turns", "sessions")}, tmp_path / f"whole-{fmt}", fmt)
        for name in ("utterances", "turns", "sessions"):
            streamed = (out / f"{name}.{fmt}").read_bytes()
            assert streamed == (tmp_path / f"whole-{fmt}" / f"{name}.{fmt}").read_bytes(), (fmt, name)
        assert b"a_health-2" in (out / f"sessions.{fmt}").read_bytes()
        assert b"broken cue timing" in (out / f"errors.{fmt}").read_bytes()


def _paths_and_keys(corpus: Path):  # type: ignore[no-untyped-def]
    from mi_coder.batch import expand_inputs, part_key
    from mi_coder.io.base import ReadOptions
    from mi_coder.model.store import default_model_dir, sha256
    from mi_coder.scoring import load_thresholds

    model_id = sha256(default_model_dir() / "meta.json")
    paths = [p for p in expand_inputs([str(corpus)]) if p.name not in ("d_empty.txt", "e_broken.vtt")]
    return paths, [part_key(p, ReadOptions(), model_id, load_thresholds()) for p in paths]


def test_a_stale_warnings_table_from_an_earlier_run_is_removed(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES / "health_session.txt", folder / "a.txt")
    (folder / "roles.txt").write_text("Sam: I drink a bit.\nAlex: How much?\nSam: Most nights.\nAlex: Okay.\n")
    out = tmp_path / "out"
    first = run_batch([str(folder)], out, jobs=1, progress=False)
    assert first.warnings and (out / "warnings.csv").exists()
    (folder / "roles.txt").unlink()
    second = run_batch([str(folder)], out, jobs=1, progress=False)
    assert not second.warnings and not (out / "warnings.csv").exists()
    (folder / "roles.txt").write_text("Sam: I drink a bit.\nAlex: How much?\nSam: Most nights.\nAlex: Okay.\n")
    assert run_batch([str(folder)], out, jobs=1, progress=False).warnings and (out / "warnings.csv").exists()
    assert main(["code", str(folder), "--out", str(out)]) == 0  # code writes no warnings table:
    assert not (out / "warnings.csv").exists()  # batch's would sit beside tables it did not write


def test_batch_with_a_profile_codes_anew_rather_than_reusing_the_default_profiles_parts(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(EXAMPLES / "probation_session.txt", inputs / "a.txt")
    out = tmp_path / "out"
    first = run_batch([str(inputs)], out, progress=False)
    again = run_batch([str(inputs)], out, profile="sessions", progress=False)
    assert (first.coded, again.coded, again.skipped) == (1, 1, 0)
    def reflections(folder: Path) -> int:
        return int(pd.read_csv(folder / "utterances.csv", dtype=str)["code"].isin(["SR", "CR"]).sum())

    run_batch([str(inputs)], tmp_path / "plain", progress=False)
    assert reflections(out) < reflections(tmp_path / "plain")


def test_the_practitioner_id_names_every_session_and_a_new_id_recodes(corpus, tmp_path):
    from mi_coder.io.base import ReadOptions

    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    assert tables(out)["sessions"]["practitioner_id"].eq("").all()  # the column is there, empty, when not given
    # a trainer's audit: without --practitioner-id nothing said whose session a row was; the transcripts say it
    named = dict(zip(tables(out)["sessions"]["session_id"], tables(out)["sessions"]["practitioner"]))
    assert named["b_teams"] and all(named.values())
    again = run_batch([str(corpus)], out, jobs=1, progress=False, options=ReadOptions(practitioner_id="po-117"))
    assert again.coded == 3 and again.skipped == 0  # the id is in the tables, so in every file's key
    assert tables(out)["sessions"]["practitioner_id"].eq("po-117").all()
    single = tmp_path / "single"
    assert main(["code", str(corpus / "a_health.txt"), "--practitioner-id", "po-117", "--out", str(single)]) == 0
    assert tables(out)["sessions"].iloc[:1].equals(
        pd.read_csv(single / "sessions.csv", dtype=str, keep_default_na=False))


def test_an_unexpected_failure_in_one_file_is_reported_and_the_rest_are_coded(corpus, tmp_path, monkeypatch):
    import mi_coder.pipeline as pipeline

    original = pipeline.code_rows

    def flaky(sessions, *a, **kw):  # a bug of ours on one file (not a MiCoderError) must not end the batch
        if any(s.id == "b_teams" for s in sessions):
            raise RuntimeError("something we did not foresee")
        return original(sessions, *a, **kw)

    monkeypatch.setattr(pipeline, "code_rows", flaky)
    summary = run_batch([str(corpus)], tmp_path / "out", jobs=1, progress=False)
    errors = tables(tmp_path / "out")["errors"]
    assert summary.coded == 2 and summary.failed == 3
    assert "RuntimeError: something we did not foresee" in errors.set_index(
        errors["file"].map(lambda f: Path(f).name))["error"]["b_teams.vtt"]


def test_a_utf16_file_cut_short_is_coded_with_a_warning_instead_of_ending_the_batch(corpus, tmp_path):
    text = "Therapist: Hi, how are you doing today?\nClient: Not great, honestly.\n"
    (corpus / "f_cut.txt").write_bytes(text.encode("utf-16") + b"A")
    summary = run_batch([str(corpus)], tmp_path / "out", jobs=1, progress=False)
    assert summary.coded == 4
    assert any("not valid UTF-16" in w for f, w in summary.warnings if f.endswith("f_cut.txt"))


def test_a_second_run_with_out_inside_the_input_folder_does_not_code_its_own_tables(corpus, tmp_path):
    out = corpus / "results"
    first = run_batch([str(corpus)], out, jobs=1, progress=False)
    again = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert (again.files, again.failed, again.sessions) == (first.files, first.failed, first.sessions)


def test_transcripts_in_the_out_folder_or_below_it_are_coded_and_its_own_tables_are_not(corpus, tmp_path):
    # an audit: `batch site_a ../site_b --out .` coded site_b alone, and `batch transcripts --out transcripts`
    # said "no transcript files found"; both now code every transcript, as `code` does
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.copy(EXAMPLES / "probation_session.txt", other / "p.txt")
    above = run_batch([str(corpus), str(other)], corpus.parent, jobs=1, progress=False)
    alone = run_batch([str(corpus), str(other)], tmp_path / "apart", jobs=1, progress=False)
    assert (above.files, above.coded, above.failed, above.sessions) == \
        (alone.files, alone.coded, alone.failed, alone.sessions)
    same = run_batch([str(corpus)], corpus, jobs=1, progress=False)
    again = run_batch([str(corpus)], corpus, jobs=1, progress=False)  # its own tables are in the folder now
    assert (same.files, same.failed, same.sessions) == (again.files, again.failed, again.sessions) != (0, 0, 0)
    assert same.sessions == alone.sessions - 1  # every session of the folder, without the one of elsewhere/


def test_a_pattern_that_matches_no_file_among_other_inputs_is_reported(corpus, tmp_path):
    summary = run_batch([str(corpus / "a_health.txt"), str(corpus / "*.vttx")], tmp_path / "out", jobs=1,
                        progress=False)
    assert summary.coded == 1 and summary.failed == 1
    errors = tables(tmp_path / "out")["errors"]
    assert errors.to_dict("records") == [{"file": str(corpus / "*.vttx"), "error": "a pattern that matches no file"}]


def test_a_second_batch_into_a_folder_another_batch_is_using_is_refused_with_one_line(corpus, tmp_path, capsys):
    import multiprocessing

    out = tmp_path / "out"
    (out / PARTS).mkdir(parents=True)
    started, release = multiprocessing.Event(), multiprocessing.Event()
    holder = multiprocessing.get_context("fork").Process(target=_hold_lock, args=(out, started, release))
    holder.start()
    try:
        assert started.wait(30)
        rc = main(["batch", str(corpus), "--out", str(out)])
        err = capsys.readouterr().err
        assert rc == 2 and f"another mi-coder batch is writing to this folder (pid {holder.pid})" in err
        assert err.count("\n") == 1 and not (out / "sessions.csv").exists()
    finally:
        release.set()
        holder.join(30)
    assert run_batch([str(corpus)], out, jobs=1, progress=False).coded > 0  # free again once the first run ends


def _hold_lock(out, started, release):  # type: ignore[no-untyped-def]
    from mi_coder.batch import _out_lock

    with _out_lock(out, out / PARTS):
        started.set()
        release.wait(30)


def test_a_renamed_file_is_coded_again_under_its_new_name(corpus, tmp_path):
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    (corpus / "a_health.txt").rename(corpus / "z_health.txt")
    again = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert again.coded == 1
    assert "z_health" in set(tables(out)["sessions"]["session_id"])


@pytest.mark.parametrize("name", ["turns.csv", "errors.csv"])  # errors and warnings were found only after coding
def test_a_table_in_out_that_mi_coder_did_not_write_stops_the_batch_before_any_coding(corpus, tmp_path, monkeypatch,
                                                                                       name):
    import mi_coder.batch as batch
    from mi_coder.errors import UsageError

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / name).write_text("mine\n")
    monkeypatch.setattr(batch, "code_file", lambda *a, **kw: pytest.fail("coded before the check"))
    with pytest.raises(UsageError, match=f"{name} already exist"):
        run_batch([str(corpus)], tmp_path / "out", jobs=1, progress=False)


def test_a_damaged_saved_result_is_reported_removed_and_coded_on_the_next_run(corpus, tmp_path):
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    part = sorted((out / PARTS).glob("*.json"))[0]
    part.write_text(part.read_text()[:100])  # cut short, as a full disk or a killed writer leaves it
    damaged = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert any("damaged" in e for _, e in damaged.errors) and not part.exists()
    # each file is counted once: the damaged one as failed, not also as already done
    assert damaged.coded + damaged.skipped + damaged.failed == damaged.files
    healed = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert healed.coded == 1 and healed.failed == 2  # the two bad files of the corpus


def test_linked_folders_are_scanned_and_dangling_links_and_pipes_are_reported_not_hung_on(tmp_path):
    import os

    elsewhere, folder = tmp_path / "elsewhere", tmp_path / "in"
    elsewhere.mkdir()
    folder.mkdir()
    shutil.copy(EXAMPLES / "health_session.txt", elsewhere / "a_health.txt")
    shutil.copy(EXAMPLES / "probation_session.txt", folder / "b_probation.txt")
    (folder / "linked").symlink_to(elsewhere, target_is_directory=True)
    (folder / "loop").symlink_to(folder, target_is_directory=True)  # a link back up is scanned once, not forever
    (folder / "c_gone.txt").symlink_to(tmp_path / "missing.txt")
    os.mkfifo(folder / "d_pipe.txt")
    summary = run_batch([str(folder)], tmp_path / "out", jobs=1, progress=False)
    t = tables(tmp_path / "out")
    assert sorted(t["sessions"]["session_id"]) == ["a_health", "b_probation"] and summary.coded == 2
    reasons = dict(zip(t["errors"]["file"].map(lambda f: Path(f).name), t["errors"]["error"]))
    assert reasons == {"c_gone.txt": "skipped: a link to a missing file", "d_pipe.txt": "skipped: not a regular file"}
    named = run_batch([str(folder / "d_pipe.txt"), str(folder / "b_probation.txt")], tmp_path / "out2", jobs=1,
                      progress=False)
    assert named.coded == 1 and "not a regular file" in named.errors[0][1]


def test_a_session_that_cannot_be_coded_is_an_error_and_the_files_other_sessions_are_coded(tmp_path, capsys):
    # one single-speaker session used to throw away the whole multi-session table, in code and in batch
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "sessions.csv").write_text(
        "session_id,speaker,text\ns1,Therapist,What brings you in?\ns1,Client,My wife.\n"
        "s2,Therapist,Hello? Are you there?\ns3,Therapist,How are you?\ns3,Client,Fine.\n", encoding="utf-8")
    (folder / "nobody.csv").write_text(
        "session_id,speaker,text\nx,Therapist,Hello?\ny,Therapist,Hi?\n", encoding="utf-8")
    for command, out in (("batch", tmp_path / "b"), ("code", tmp_path / "c")):
        assert main([command, str(folder), "--out", str(out)]) == 2
        sessions = pd.read_csv(out / "sessions.csv", keep_default_na=False)
        assert sorted(sessions["session_id"]) == ["s1", "s3"]
        errors = pd.read_csv(out / "errors.csv", keep_default_na=False)
        by_file = {Path(f).name: e for f, e in zip(errors["file"], errors["error"])}
        assert by_file["sessions.csv"].startswith("[session s2] only one speaker")
        # none codable: the file fails, naming each session's problem
        assert by_file["nobody.csv"].startswith("none of its 2 sessions can be coded: [session x] only one speaker")
        assert "; [session y] only one speaker" in by_file["nobody.csv"]
        assert len(errors) == 2
    assert "1 session(s) of coded files could not be coded" in capsys.readouterr().err
    # a rerun of the batch reads the saved results and reports the left-out session again
    assert main(["batch", str(folder), "--out", str(tmp_path / "b")]) == 2
    assert "[session s2]" in (tmp_path / "b" / "errors.csv").read_text()


def test_hidden_files_and_folders_in_a_scanned_folder_are_not_read_or_reported(tmp_path):
    # .DS_Store and macOS's ._name.txt copies made a folder of good transcripts exit 2
    folder = tmp_path / "in"
    (folder / ".git").mkdir(parents=True)
    shutil.copy(EXAMPLES / "health_session.txt", folder / "health.txt")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "._health.txt").write_bytes(b"\x00\x05\x16\x07\x00\x02")
    (folder / ".git" / "notes.txt").write_text("T: hi\nC: hi\n")
    (folder / "README").write_text("notes")  # not hidden: still listed as skipped, never dropped silently
    assert main(["batch", str(folder), "--out", str(tmp_path / "b"), "--quiet"]) == 2
    errors = pd.read_csv(tmp_path / "b" / "errors.csv")
    assert [Path(f).name for f in errors["file"]] == ["README"]
    assert list(pd.read_csv(tmp_path / "b" / "sessions.csv")["session_id"]) == ["health"]


def test_a_mistyped_path_leaves_the_tables_of_an_earlier_run_as_they_were(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    before = {name: (out / f"{name}.csv").read_bytes() for name in ("utterances", "turns", "sessions")}
    assert main(["batch", str(corpus / "typo.txt"), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "typo.txt: no such file" in err and "no table was written" in err
    assert {name: (out / f"{name}.csv").read_bytes() for name in before} == before
    # into a new folder: nothing is left behind, not even the empty folders the run made
    assert main(["batch", str(corpus / "typo.txt"), "--out", str(tmp_path / "new"), "--quiet"]) == 2
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("content", ['{"x": 1}', "[1, 2]", "null", '{"utterances": [], "turns": [], "sessions": [1]}'])
def test_a_saved_result_of_the_wrong_shape_is_treated_as_damaged_not_a_crash(corpus, tmp_path, content):
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    part = sorted((out / PARTS).glob("*.json"))[0]
    part.write_text(content)
    damaged = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert any("damaged" in e for _, e in damaged.errors) and not part.exists()


def test_more_jobs_than_files_or_cores_codes_with_a_warning(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    jobs = str((__import__("os").cpu_count() or 1) + 1)
    assert main(["batch", str(corpus / "a_health.txt"), "--out", str(out), "--quiet", "--jobs", jobs]) == 0
    assert "is more than this machine's" in capsys.readouterr().err
    assert len(pd.read_csv(out / "sessions.csv")) == 1


def test_a_session_id_two_files_share_is_renamed_with_a_warning_in_the_warnings_table(tmp_path):
    # a researcher's audit: raw/s000.txt and raw/sub/s000.vtt became s000 and s000-2 without a word
    corpus = tmp_path / "raw"
    (corpus / "sub").mkdir(parents=True)
    shutil.copy(EXAMPLES / "probation_session.txt", corpus / "s000.txt")
    shutil.copy(EXAMPLES / "health_session.txt", corpus / "sub" / "s000.txt")
    out = tmp_path / "out"
    run_batch([str(corpus)], out, jobs=1, progress=False)
    assert sorted(pd.read_csv(out / "sessions.csv")["session_id"]) == ["s000", "s000-2"]
    warned = pd.read_csv(out / "warnings.csv")
    assert warned["warning"].str.contains("session id 's000' already used by a file earlier in the input order; "
                                          "this one is s000-2").any()
    # a data engineer's audit: a file added before another renamed it, and no column kept the id its file gave it
    sessions = pd.read_csv(out / "sessions.csv", dtype=str)
    assert sessions["given_session_id"].tolist() == ["s000", "s000"]
    single = tmp_path / "single"
    assert main(["code", str(corpus / "s000.txt"), str(corpus / "sub" / "s000.txt"), "--out", str(single)]) == 0
    assert pd.read_csv(single / "sessions.csv", dtype=str)[["session_id", "given_session_id"]].values.tolist() == \
        [["s000", "s000"], ["s000-2", "s000"]]


def test_a_folder_that_cannot_be_listed_is_reported_not_silently_passed_over(tmp_path, monkeypatch):
    # as root chmod 000 does not stop reading, so the failure os.walk reports is simulated
    import errno
    import os

    from mi_coder.errors import InputError
    from mi_coder.pipeline import expand_paths

    folder = tmp_path / "visits"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(EXAMPLES / "health_session.txt", folder / "a.txt")
    shutil.copy(EXAMPLES / "health_session.txt", folder / "locked" / "b.txt")
    real_walk = os.walk

    def walk(top, topdown=True, onerror=None, followlinks=False):  # type: ignore[no-untyped-def]
        for root, dirs, files in real_walk(top, topdown, onerror, followlinks):
            if Path(root).name == "locked":
                onerror(PermissionError(errno.EACCES, "Permission denied", root))
                continue
            yield root, dirs, files

    monkeypatch.setattr(os, "walk", walk)
    skipped: list = []
    assert expand_paths([folder], skipped) == [folder / "a.txt"]
    assert skipped == [(str(folder / "locked"), "a folder that cannot be read (Permission denied): its files were "
                                                "not scanned")]
    with pytest.raises(InputError, match="locked: cannot be read \\(Permission denied\\)"):
        expand_paths([folder])


def test_a_dask_worker_codes_only_the_file_this_machine_hashed_and_names_it_as_given(tmp_path, monkeypatch):
    # a worker started in another folder, or on another machine, must not code another file of the same name
    from mi_coder.batch import _code_same_file, _digest, code_file
    from mi_coder.io.base import ReadOptions
    from mi_coder.model.store import default_model_dir

    monkeypatch.chdir(tmp_path)
    Path("visit.txt").write_text((EXAMPLES / "health_session.txt").read_text())
    args = (ReadOptions(), str(default_model_dir()), False, None, None)
    here = code_file("visit.txt", *args)
    there = _code_same_file(str(Path("visit.txt").resolve()), "visit.txt", _digest(Path("visit.txt")), *args)
    assert there == here  # the same rows, the source named as the user gave it
    other = tmp_path / "elsewhere.txt"
    other.write_text((EXAMPLES / "probation_session.txt").read_text())
    wrong = _code_same_file(str(other), "visit.txt", _digest(Path("visit.txt")), *args)
    assert wrong == {"source": "visit.txt", "error": f"a Dask worker found a different file at {other}; workers "
                                                      "must see the same input files at the same paths"}
    gone = _code_same_file(str(tmp_path / "missing.txt"), "missing.txt", "0" * 64, *args)
    assert gone["error"].startswith(f"a Dask worker cannot read it at {tmp_path / 'missing.txt'}")


def test_a_killed_worker_stops_the_batch_with_one_line_and_keeps_finished_files(tmp_path, monkeypatch, capsys):
    import joblib
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        shutil.copy(EXAMPLES / "health_session.txt", folder / f"{name}.txt")
        (folder / f"{name}.txt").write_text((folder / f"{name}.txt").read_text() + f"\nClient: {name}.\n")

    class DiesAfterOne:  # the first file comes back, then the system kills a worker
        def __init__(self, *args, **kwargs) -> None:
            pass

        def __enter__(self):  # type: ignore[no-untyped-def]
            return self

        def __exit__(self, *exc) -> None:  # type: ignore[no-untyped-def]
            return None

        def __call__(self, tasks):  # type: ignore[no-untyped-def]
            tasks = iter(tasks)
            fn, args, kwargs = next(tasks)
            yield fn(*args, **kwargs)
            raise TerminatedWorkerError("A worker process managed by the executor was unexpectedly terminated.")

    monkeypatch.setattr(joblib, "Parallel", DiesAfterOne)
    code = main(["batch", str(folder), "--out", str(tmp_path / "out"), "--jobs", "2"])
    err = capsys.readouterr().err
    assert code != 0
    assert "a worker process was killed while coding" in err and "--jobs 1" in err and "Traceback" not in err
    assert len(list((tmp_path / "out" / PARTS).glob("*.json"))) == 1  # the finished file is kept for the next run


def test_a_file_name_with_a_newline_is_reported_on_one_line(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(EXAMPLES / "health_session.txt", folder / "good.txt")
    (folder / "bad\nname.txt").write_text("")
    assert main(["batch", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    line = next(x for x in err.splitlines() if "error:" in x)
    assert "bad\\nname.txt" in line and "empty" in line.lower()


def test_a_file_changed_while_it_is_coded_is_not_saved_under_its_earlier_contents(corpus, tmp_path, monkeypatch):
    # a batch audit: the file was hashed, then changed before its worker read it; the result was saved under the
    # first contents' key, and served for the file once its first contents were back
    import mi_coder.batch as batch

    target = corpus / "b_teams.vtt"
    first = target.read_text()
    original = batch.code_file

    def changed_meanwhile(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == target.name:
            target.write_text(first.replace("WEBVTT", "WEBVTT\n\nNOTE an export still being written", 1))
        return original(path, *args, **kwargs)

    monkeypatch.setattr(batch, "code_file", changed_meanwhile)
    out = tmp_path / "out"
    summary = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert "b_teams.vtt" in " ".join(Path(f).name for f, _ in summary.errors)
    assert "changed while it was being coded" in dict((Path(f).name, e) for f, e in summary.errors)["b_teams.vtt"]
    monkeypatch.setattr(batch, "code_file", original)
    target.write_text(first)
    again = run_batch([str(corpus)], out, jobs=1, progress=False)
    assert again.coded == 1  # coded now, not served from a result of other contents


def test_a_recursive_glob_visits_a_folder_linked_back_up_the_tree_once(tmp_path):
    # a batch audit: the README's own 'recordings/**/*.vtt' over a folder with a link back up ran forever
    rec = tmp_path / "recordings" / "rec"
    rec.mkdir(parents=True)
    shutil.copy(FIXTURES / "teams.vtt", rec / "s1.vtt")
    (rec / "parent_link").symlink_to("..")
    (rec / "self_link").symlink_to(".")
    from mi_coder.batch import expand_inputs

    found = expand_inputs([str(tmp_path / "recordings" / "**" / "*.vtt")])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["recordings/rec/s1.vtt"]


def test_a_file_whose_name_is_not_utf8_is_listed_as_an_error_and_the_rest_are_coded(corpus, tmp_path):
    import os

    bad = os.path.join(os.fsencode(corpus), b"caf\xe9_session.txt")
    with open(bad, "wb") as f:
        f.write((EXAMPLES / "health_session.txt").read_bytes())
    out = tmp_path / "out"
    summary = run_batch([str(corpus)], out, jobs=1, progress=False)
    errors = tables(out)["errors"]
    row = errors[errors["file"].str.endswith("caf\\xe9_session.txt")]
    assert len(row) == 1 and "not valid UTF-8" in row["error"].iloc[0]
    assert summary.coded == 3  # the others, as without it


def test_a_link_to_a_file_in_the_same_folder_is_skipped_with_a_reason_and_the_file_coded_under_its_own_name(
        tmp_path):
    folder = tmp_path / "in"
    (folder / "probation").mkdir(parents=True)
    shutil.copy(EXAMPLES / "health_session.txt", folder / "probation" / "visit1.txt")
    (folder / "alias.txt").symlink_to(folder / "probation" / "visit1.txt")  # sorts first
    from mi_coder.batch import expand_inputs

    skipped: list = []
    found = expand_inputs([str(folder)], skipped)
    assert [p.name for p in found] == ["visit1.txt"]
    assert [(Path(f).name, why) for f, why in skipped] == [
        ("alias.txt", f"skipped: the same file as {folder / 'probation' / 'visit1.txt'}, which is coded")]


def test_a_run_in_which_every_file_fails_writes_no_table(corpus, tmp_path, monkeypatch):
    # mutation audit: the test above covers paths that do not exist; files that exist but cannot be coded take
    # another way through run_batch, which wrote empty tables (over those of an earlier run)
    monkeypatch.setattr("mi_coder.batch._coder", lambda *args: None)  # neither file gets as far as the model
    out = tmp_path / "out"
    summary = run_batch([str(corpus / "e_broken.vtt"), str(corpus / "d_empty.txt")], out, jobs=1, progress=False)
    assert summary.nothing_written and summary.coded == 0
    assert sorted(Path(f).name for f, _ in summary.errors) == ["d_empty.txt", "e_broken.vtt"]
    assert not out.exists()  # not even the folders the run made


def test_a_file_whose_saved_result_is_missing_is_reported_as_not_coded(tmp_path):
    # mutation audit: a file left without a saved result (a run interrupted) must be named, not left out in silence
    from mi_coder.batch import _coded_parts

    errors: dict[str, str] = {}
    assert list(_coded_parts([tmp_path / "a.txt"], ["key"], tmp_path, errors, {})) == []
    assert list(errors) == [str(tmp_path / "a.txt")] and errors[str(tmp_path / "a.txt")].startswith("not coded")


def test_batch_takes_the_shipped_model_by_its_name_default(corpus, tmp_path):
    # a code review: `batch --model default` loaded the model, then hashed ./default/meta.json and failed
    assert main(["batch", str(corpus / "a_health.txt"), "--model", "default", "--out", str(tmp_path / "out"),
                 "--quiet"]) == 0
    assert len(pd.read_csv(tmp_path / "out" / "sessions.csv")) == 1
