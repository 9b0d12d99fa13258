"""Large inputs stream: chunked coding, incremental scoring and appended tables equal the in-memory pipeline."""

from __future__ import annotations

import copy
import csv
import io
import math
import random
import warnings

import pytest

from mi_coder import pipeline
from mi_coder.codes import CLIENT_CODES, PRACTITIONER_CODES
from mi_coder.io.base import ReadOptions
from mi_coder.io.reader import read_transcript
from mi_coder.io.writer import MANIFEST, TableWriter, frames_from_rows, write_tables
from mi_coder.records import Session, Turn
from mi_coder.scoring import SessionScorer, session_scores

from .conftest import EXAMPLES, FIXTURES


@pytest.fixture(scope="module")
def coder():  # type: ignore[no-untyped-def]
    from mi_coder.model.store import load_coder

    return load_coder()


def _long_transcript(path, n_turns: int, seed: int = 0) -> None:
    """A single-session transcript of ``n_turns`` turns made of the examples' turns in a shuffled order."""
    rng = random.Random(seed)
    turns = [t for p in sorted(EXAMPLES.glob("*.txt")) for t in read_transcript(p)[0].turns]
    label = {"practitioner": "Counselor", "client": "Client"}
    lines = []
    for k in range(n_turns):
        role = ("practitioner", "client")[k % 2]
        t = rng.choice([t for t in turns if t.role == role])
        lines.append(f"{label[role]}: {t.text}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _same(a: dict, b: dict) -> bool:
    def eq(x, y):  # type: ignore[no-untyped-def]
        return x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))

    return list(a) == list(b) and all(eq(a[k], b[k]) for k in a)


def test_streamed_tables_are_byte_identical_to_the_in_memory_pipeline(tmp_path, coder):
    src = tmp_path / "long.txt"
    _long_transcript(src, 1200)
    sessions = read_transcript(src)
    write_tables(frames_from_rows(pipeline.code_rows(sessions, coder)), tmp_path / "memory")
    pipeline.stream_code([src], coder, tmp_path / "streamed", chunk_turns=256)
    for name in ("utterances.csv", "turns.csv", "sessions.csv"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name


@pytest.mark.parametrize("chunk_turns", [1, 5, 40])
def test_chunk_edges_change_no_code_or_score(tmp_path, coder, chunk_turns):
    paths = sorted(EXAMPLES.glob("*.txt"))
    sessions = [s for p in paths for s in read_transcript(p)]
    write_tables(frames_from_rows(pipeline.code_rows(sessions, coder)), tmp_path / "memory", "jsonl")
    pipeline.stream_code(paths, coder, tmp_path / "streamed", chunk_turns=chunk_turns, fmt="jsonl")
    for name in ("utterances.jsonl", "turns.jsonl", "sessions.jsonl"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name


def test_a_session_read_as_unpunctuated_speech_or_not_as_a_whole_whatever_the_chunk(tmp_path, coder):
    # captions with a few punctuated turns: the whole session holds more sentence ends than one per 100 words, so
    # its unmarked questions keep the code model's codes; a chunk and its context alone held none, and the
    # streamed tables (mi-coder code) coded a question by inversion the in-memory ones (mi-coder batch) coded SR
    turns = read_transcript(FIXTURES / "captions" / "zoom_auto_transcript.vtt", practitioner="Dana Whitfield")[0].turns
    target = next(k for k, t in enumerate(turns) if "do you want to set that up" in t.text)
    lines = [f"{'Counselor' if t.role == 'practitioner' else 'Client'}: {t.text}" for t in turns]
    lines[target - 2:target - 2] = ["Counselor: Right. Good. Okay. Thanks. Sure.",
                                    "Client: Okay. Sure. Fine. Yes. Right."]
    src = tmp_path / "mixed.txt"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sessions = read_transcript(src)
    write_tables(frames_from_rows(pipeline.code_rows(sessions, coder)), tmp_path / "memory")
    for size in (1, 2):
        pipeline.stream_code([src], coder, tmp_path / f"streamed{size}", chunk_turns=size)
        for name in ("utterances.csv", "turns.csv"):
            assert (tmp_path / f"streamed{size}" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name
    from mi_coder.io.reader import TurnStream, stream_transcript

    lazy = next(stream_transcript(src, min_bytes=0))  # a long file's turns, read from the file as they are coded
    assert isinstance(lazy.turns, TurnStream) and lazy.turns.unpunctuated is False
    streamed = [u.code for chunk in pipeline.coded_chunks(lazy, coder, chunk_turns=1) for t in chunk
                for u in t.utterances]
    assert streamed == [u.code for _, u in sessions[0].utterances()]


def test_the_scorer_agrees_with_the_volleys_and_question_runs_the_report_shows(coder):
    # The coaching report lists volleys and question runs as turns (scoring.volleys, question_runs); the
    # scorer counts them one turn at a time. Both must describe the same session.
    from mi_coder.scoring import question_runs, volleys

    sessions = [s for p in sorted(EXAMPLES.glob("*.txt")) for s in read_transcript(p)]
    coder.code(sessions)
    rng = random.Random(3)
    for trial in range(60):
        s = copy.deepcopy(rng.choice(sessions))
        k = rng.randint(1, len(s.turns))
        s.turns = s.turns[:k] if rng.random() < 0.5 else s.turns[-k:]
        for t in s.turns:
            flipped = rng.random() < 0.1
            if flipped:  # a role corrected after coding: its codes are coded again, as session_scores requires
                t.role = rng.choice(["practitioner", "client", "other"])
            for u in t.utterances:
                if flipped or rng.random() < 0.3:
                    u.code = rng.choice(PRACTITIONER_CODES if t.role == "practitioner" else CLIENT_CODES)
                    u.meta.pop("code2", None)
        scorer = SessionScorer()
        for t in s.turns:
            scorer.add(t)
        scores = scorer.scores()
        assert scores["n_volleys"] == len(volleys(s.turns)), trial
        n_prac = sum(t.role == "practitioner" for t in s.turns)
        in_runs = sum(len(run) for run in question_runs(s.turns))
        assert scores["question_run_pct"] == (in_runs / n_prac if n_prac else None), trial
        assert _same(scores, session_scores(s)), trial


def test_scores_of_a_session_without_turns_are_undefined_not_zero():
    scores = SessionScorer().scores()
    assert _same(scores, session_scores(Session("s", "x")))
    assert scores["r_q"] is None and scores["client_talk_share"] is None and scores["fidelity_index"] is None


def test_coded_chunks_respect_the_chunk_size_and_let_go_of_the_session(coder):
    session = read_transcript(EXAMPLES / "probation_session.txt")[0]
    n = len(session.turns)
    sizes = []
    for chunk in pipeline.coded_chunks(session, coder, chunk_turns=10):
        assert session.turns == []  # the session no longer holds its turns while they are coded
        assert all(isinstance(t, Turn) and t.utterances for t in chunk if t.text)
        sizes.append(len(chunk))
    assert max(sizes) == 10 and sum(sizes) == n


def test_sessions_are_read_one_file_at_a_time(tmp_path, monkeypatch):
    for k in range(3):
        (tmp_path / f"s{k}.txt").write_text("Counselor: How are you?\nClient: Fine.\n")
    calls = []
    real = pipeline.read_transcript
    monkeypatch.setattr(pipeline, "read_transcript", lambda p, **kw: calls.append(p) or real(p, **kw))
    it = pipeline.iter_sessions([tmp_path])
    next(it)
    assert len(calls) == 1  # the second file is not read before the first session is handed on
    assert len(list(it)) == 2


def test_table_writer_leaves_nothing_when_not_committed(tmp_path):
    out = tmp_path / "new" / "out"
    with TableWriter(out) as writer:
        writer.append("utterances", [{"session_id": "s", "text": "hi"}])
    assert not (tmp_path / "new").exists()  # the folders it created go too
    (tmp_path / "mine").mkdir()  # a folder the user made stays, empty
    with TableWriter(tmp_path / "mine") as writer:
        writer.append("utterances", [{"session_id": "s", "text": "hi"}])
    assert list((tmp_path / "mine").iterdir()) == []


def test_table_writer_commits_atomically_into_the_manifest(tmp_path):
    out = tmp_path / "out"
    with TableWriter(out) as writer:
        writer.append("turns", [{"session_id": "s", "turn_id": "1", "text": "hi"}])
        writer.append_session({"session_id": "s", "source": "x", "n_turns": 1, "n_utterances": 0})
        written = writer.commit()
    assert [p.name for p in written] == ["utterances.csv", "turns.csv", "sessions.csv"]
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, "utterances.csv", "turns.csv", "sessions.csv"])
    assert (out / "utterances.csv").read_text().startswith("session_id,turn_id,utterance_id")


# Large files are read lazily (io.reader.stream_transcript); stream_bytes=0 takes that path on small files.


def _memory_and_streamed(tmp_path, coder, paths, options=None, chunk_turns=7, fmt="csv"):  # type: ignore[no-untyped-def]
    """Write the in-memory pipeline's tables (as `mi-coder code --report` does) and the lazily read streamed
    ones; returns the warnings of each."""
    import pandas as pd

    with warnings.catch_warnings(record=True) as memory_warnings:
        warnings.simplefilter("always")
        result = pipeline.run(paths, coder, options)
    frames = dict(result.frames)
    if result.errors:
        frames["errors"] = pd.DataFrame(result.errors, columns=["file", "error"])
    write_tables(frames, tmp_path / "memory", fmt)
    with warnings.catch_warnings(record=True) as streamed_warnings:
        warnings.simplefilter("always")
        pipeline.stream_code(paths, coder, tmp_path / "streamed", options=options, chunk_turns=chunk_turns,
                             fmt=fmt, stream_bytes=0)
    return [str(w.message) for w in memory_warnings], [str(w.message) for w in streamed_warnings]


def _assert_same_tables(tmp_path) -> None:  # type: ignore[no-untyped-def]
    names = sorted(p.name for p in (tmp_path / "memory").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "streamed").iterdir())
    for name in names:
        if name != MANIFEST:
            assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name


def _text_lines(n_turns: int, labels=("Counselor", "Client"), notes: bool = True,  # type: ignore[no-untyped-def]
                seed: int = 0) -> list[str]:
    """A long transcript's lines with what the text reader handles: a header, timestamps, continuation
    lines, blank lines, runs of lines by one speaker, and 'Note:' lines (a one-off label continues the
    turn; with ``notes``, 'Note' is a third speaker)."""
    rng = random.Random(seed)
    turns = [t for p in sorted(EXAMPLES.glob("*.txt")) for t in read_transcript(p)[0].turns]
    pools = {r: [t.text for t in turns if t.role == r] for r in ("practitioner", "client")}
    lines = ["Session 12 - follow-up", "recorded with consent", ""]
    for k in range(n_turns):
        role = ("practitioner", "client")[k % 2]
        label = labels[k % 2]
        stamp = f"[00:{k // 60 % 60:02d}:{k % 60:02d}] " if k % 5 == 0 else ""
        lines.append(f"{stamp}{label}: {rng.choice(pools[role])}")
        if k % 7 == 3:
            lines.append(f"{label}: {rng.choice(pools[role])}")  # the same speaker again: one turn
        if k % 11 == 5:
            lines.append("and then, um, the rest of it")  # a continuation line
        if k == 50 or (notes and k % 97 == 50):
            lines += ["", "Note: the client laughs"]
    return lines


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-bom-crlf", "cp1252-mixed", "utf-16"])
def test_lazily_read_text_is_coded_byte_identical_to_the_in_memory_pipeline(tmp_path, coder, monkeypatch,
                                                                            encoding):
    monkeypatch.setattr("mi_coder.io.base.READ_BLOCK", 4096)  # many block edges, inside lines and characters
    lines = _text_lines(500)
    lines[40] = "Client: It costs too much \u2013 \u00a3200 a month, caf\u00e9 prices."
    if encoding == "utf-8":
        raw = "\n".join(lines).encode()
    elif encoding == "utf-8-bom-crlf":
        raw = b"\xef\xbb\xbf" + "\r\n".join(lines).encode()
    elif encoding == "cp1252-mixed":  # a UTF-8 file with one pasted cp1252 line
        raw = "\n".join(lines[:40]).encode() + b"\n" + lines[40].encode("cp1252") + b"\n" + \
            "\n".join(lines[41:]).encode() + b"\n"
    else:
        raw = "\n".join(lines).encode("utf-16")
    src = tmp_path / "long.txt"
    src.write_bytes(raw)
    memory_warnings, streamed_warnings = _memory_and_streamed(tmp_path, coder, [src], chunk_turns=37)
    _assert_same_tables(tmp_path)
    assert streamed_warnings == memory_warnings


def test_lazily_read_text_infers_the_same_roles_with_the_same_warning(tmp_path, coder):
    src = tmp_path / "diarized.txt"
    src.write_text("\n".join(_text_lines(300, labels=("SPEAKER_01", "SPEAKER_00"), notes=False)) + "\n", encoding="utf-8")
    memory_warnings, streamed_warnings = _memory_and_streamed(tmp_path, coder, [src], chunk_turns=50)
    _assert_same_tables(tmp_path)
    inferred = [w for w in streamed_warnings if "roles inferred from the text" in w]
    assert inferred == [w for w in memory_warnings if "roles inferred from the text" in w]
    assert inferred and "'SPEAKER_01' as practitioner" in inferred[0]


def _write_table(path, n_sessions: int, seed: int = 0, contiguous: bool = True) -> None:  # type: ignore[no-untyped-def]
    """A multi-session CSV (BOM, CRLF, a quoted text with a line break, an empty-text row, one cp1252 row)."""
    rng = random.Random(seed)
    turns = [t for p in sorted(EXAMPLES.glob("*.txt")) for t in read_transcript(p)[0].turns]
    pools = {r: [t.text for t in turns if t.role == r] for r in ("practitioner", "client")}
    rows = []
    for s in range(n_sessions):
        for k in range(rng.randint(5, 60)):
            role = ("practitioner", "client")[k % 2]
            speaker = "therapist" if role == "practitioner" else "client"
            rows.append((f"s{s}", str(k), speaker, f"00:{k // 60:02d}:{k % 60:02d}", rng.choice(pools[role])))
    rows[3] = rows[3][:4] + ("So you want\nto try again.",)
    rows[8] = rows[8][:4] + ("",)
    if not contiguous:
        rows.append(("s0", "999", "client", "", "One more thing."))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    body = out.getvalue().encode()
    cp1252 = f's{n_sessions - 1},998,client,,"It was '.encode() + b'\x93fine\x94, I suppose."\r\n'
    path.write_bytes(b"\xef\xbb\xbftranscript_id,utterance_id,interlocutor,timestamp,utterance_text\r\n" + body + cp1252)


@pytest.mark.parametrize(("contiguous", "utterances"), [(True, "auto"), (True, "given"), (False, "auto")])
def test_lazily_read_table_is_coded_byte_identical_to_the_in_memory_pipeline(tmp_path, coder, monkeypatch,
                                                                             contiguous, utterances):
    monkeypatch.setattr("mi_coder.io.base.READ_BLOCK", 4096)
    src = tmp_path / "many.csv"
    _write_table(src, 25, contiguous=contiguous)
    if contiguous:  # read lazily, never whole
        monkeypatch.setattr("mi_coder.io.reader.read_transcript", None)
    options = ReadOptions(utterances=utterances)
    memory_warnings, streamed_warnings = _memory_and_streamed(tmp_path, coder, [src], options, chunk_turns=9,
                                                              fmt="jsonl")
    _assert_same_tables(tmp_path)
    assert streamed_warnings == memory_warnings
    assert any("skipped 1 row(s) with empty text" in w for w in streamed_warnings)


def test_lazily_read_table_with_a_session_that_has_no_client_codes_the_others_and_reports_it(tmp_path, coder):
    bad = tmp_path / "bad.csv"
    bad.write_text("session_id,speaker,text\na,therapist,How are you?\na,client,Fine.\n"
                   "b,therapist,Hello?\nb,therapist,Anyone there?\n", encoding="utf-8")
    good = tmp_path / "good.txt"
    good.write_text("\n".join(_text_lines(30)) + "\n", encoding="utf-8")
    _memory_and_streamed(tmp_path, coder, [bad, good])
    _assert_same_tables(tmp_path)
    errors = (tmp_path / "streamed" / "errors.csv").read_text()
    assert "bad.csv" in errors and "[session b]" in errors and "[session a]" not in errors
    import pandas as pd

    sessions = pd.read_csv(tmp_path / "streamed" / "sessions.csv", keep_default_na=False)
    assert "a" in set(sessions["session_id"]) and "b" not in set(sessions["session_id"])


@pytest.mark.parametrize("block", [4096, 4099, 1 << 20])
@pytest.mark.parametrize("raw", [
    "T: caf\u00e9\r\nC: ok\rT: fine\n\nC: last".encode(),
    b"\xef\xbb\xbfT: one\r\nC: two\xe9\r\n",
    "T: w\u00f6rd\nC: \u20ac\n".encode() + b"T: caf\xe9\r\n" * 3000 + b"C: end\r",
    "T: hi\r\nC: \u00e9t\u00e9\r\n".encode("utf-16") * 2000,
    ("T: hi\nC: \u00e9t\u00e9\n" * 2000).encode("utf-16-le"),
], ids=["utf-8", "bom", "mixed-cp1252", "utf-16-bom", "utf-16-le"])
def test_lines_read_in_blocks_equal_the_lines_of_the_decoded_file(tmp_path, raw, block):
    from mi_coder.io.base import decode_bytes, iter_lines

    src = tmp_path / "t.txt"
    src.write_bytes(raw)
    assert list(iter_lines(src, str(src), block)) == io.StringIO(decode_bytes(raw, str(src))).readlines()


def test_coded_chunks_read_a_lazily_read_session_about_one_chunk_ahead(tmp_path, coder):
    from mi_coder.io.reader import TurnStream, stream_transcript

    src = tmp_path / "long.txt"
    src.write_text("\n".join(_text_lines(400)) + "\n", encoding="utf-8")
    session = next(stream_transcript(src, min_bytes=0))
    assert isinstance(session.turns, TurnStream)
    stream, made = session.turns, []

    def counted():  # type: ignore[no-untyped-def]
        for t in iter(stream):
            made.append(t.id)
            yield t

    # the whole session's punctuation is read by a pass of its own, before coding (not a read-ahead: nothing kept)
    session.turns = TurnStream(counted, len(stream), stream.last_index, stream.unpunctuated)
    coded = 0
    for chunk in pipeline.coded_chunks(session, coder, chunk_turns=25):
        coded += len(chunk)
        assert len(made) <= coded + 25 + 2  # the next chunk, and the context turns after it
    assert coded == len(made) == len(stream) == len(read_transcript(src)[0].turns)


def test_small_files_and_other_formats_are_read_whole(tmp_path):
    from mi_coder.io.reader import stream_transcript

    src = tmp_path / "short.txt"
    src.write_text("\n".join(_text_lines(20)) + "\n", encoding="utf-8")
    assert isinstance(next(stream_transcript(src)).turns, list)  # below the size threshold
    with pytest.warns(UserWarning, match="roles inferred"):
        assert isinstance(next(stream_transcript(FIXTURES / "zoom.vtt", min_bytes=0)).turns, list)
    assert [s.id for s in stream_transcript(FIXTURES / "multi_session.csv", min_bytes=0)] == \
        [s.id for s in read_transcript(FIXTURES / "multi_session.csv")]


@pytest.mark.parametrize("chunk_turns", [60, 150, 10_000])
def test_short_sessions_coded_together_give_the_in_memory_tables(tmp_path, coder, chunk_turns):
    # Sessions shorter than a chunk are batched for the coder (one featurization per batch, not per session).
    paths = sorted(EXAMPLES.glob("*.txt"))
    sessions = [s for p in paths for s in read_transcript(p)]
    assert min(len(s.turns) for s in sessions) < chunk_turns  # the batched path runs
    write_tables(frames_from_rows(pipeline.code_rows(sessions, coder)), tmp_path / "memory")
    pipeline.stream_code(paths, coder, tmp_path / "streamed", chunk_turns=chunk_turns)
    for name in ("utterances.csv", "turns.csv", "sessions.csv"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "memory" / name).read_bytes(), name


def test_parquet_tables_stream_with_the_rows_of_the_csv_tables(tmp_path, coder):
    from mi_coder.io.writer import formula_guarded

    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    paths = [*sorted(EXAMPLES.glob("*.txt")), FIXTURES / "teams.vtt"]  # with and without times
    pipeline.stream_code(paths, coder, tmp_path / "csv", chunk_turns=7)
    pipeline.stream_code(paths, coder, tmp_path / "parquet", chunk_turns=7, fmt="parquet")
    for name in ("utterances", "turns", "sessions"):
        want = pd.read_csv(tmp_path / "csv" / f"{name}.csv", dtype=str, keep_default_na=False)
        got = pd.read_parquet(tmp_path / "parquet" / f"{name}.parquet")
        assert list(got.columns) == list(want.columns), name
        assert len(got) == len(want), name
        for column in want.columns:
            as_csv = io.StringIO()
            formula_guarded(got[[column]]).to_csv(as_csv, index=False)  # the CSV tables guard "-- no, ..." as "'-- no"
            back = pd.read_csv(io.StringIO(as_csv.getvalue()), dtype=str, keep_default_na=False)[column]
            assert back.tolist() == want[column].tolist(), (name, column)
    utterances = pd.read_parquet(tmp_path / "parquet" / "utterances.parquet")
    assert str(utterances["start"].dtype) == "float64" and utterances["start"].notna().any()


def test_parquet_sessions_tables_of_two_runs_have_one_schema_and_join_the_utterances(tmp_path, coder):
    # a data engineer's audit: a column with no defined value in a run was written as Arrow's null type (a one-file
    # run's role_clarification_at, another's double), and the sessions' text columns as large_string, so two runs
    # would not stack and session_id would not join the utterances' session_id
    pq = pytest.importorskip("pyarrow.parquet")
    pipeline.stream_code([FIXTURES / "teams.vtt"], coder, tmp_path / "one", fmt="parquet")
    pipeline.stream_code(sorted(EXAMPLES.glob("*.txt")), coder, tmp_path / "all", fmt="parquet")
    one, every = (pq.read_schema(tmp_path / run / "sessions.parquet") for run in ("one", "all"))
    assert one == every
    assert not [f.name for f in one if str(f.type) in ("null", "large_string")]
    assert one.field("session_id").type == pq.read_schema(tmp_path / "one" / "utterances.parquet").field(
        "session_id").type


def test_parquet_output_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch, capsys):
    import importlib.util

    from mi_coder.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    rc = main(["code", str(EXAMPLES / "health_session.txt"), "--out", str(tmp_path / "out"),
               "--output-format", "parquet"])
    err = capsys.readouterr().err
    assert rc == 2 and "needs pyarrow" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # no empty --out folder left behind
    from mi_coder import batch

    coded = []
    monkeypatch.setattr(batch, "_run_local", lambda todo, *a: coded.extend(todo))
    rc = main(["batch", str(EXAMPLES), "--out", str(tmp_path / "bout"), "--output-format", "parquet"])
    err = capsys.readouterr().err
    assert rc == 2 and "needs pyarrow" in err and not coded  # said before any file is coded, not after all


def test_reports_are_written_session_by_session_and_a_session_too_long_for_one_is_listed(tmp_path, coder):
    long, short = tmp_path / "long.txt", tmp_path / "short.txt"
    _long_transcript(long, 60)
    _long_transcript(short, 12, seed=1)
    reported: list[Session] = []
    result = pipeline.stream_code([short, long], coder, tmp_path / "out",
                                  chunk_turns=16, on_session=reported.append, report_max_turns=50)
    assert [s.id for s in reported] == ["short"]
    assert all(u.code for t in reported[0].turns for u in t.utterances)
    assert result.unreported == [("long", 60)]
    reported.clear()
    result = pipeline.stream_code([long], coder, tmp_path / "out2", chunk_turns=16, on_session=reported.append,
                                  report_max_turns=60)
    assert [len(s.turns) for s in reported] == [60] and not result.unreported


def test_code_with_reports_writes_the_reports_of_the_report_command(tmp_path):
    from mi_coder.cli import main

    inputs = [str(p) for p in sorted(EXAMPLES.glob("*.txt"))]
    assert main(["code", *inputs, "--out", str(tmp_path / "code"), "--report"]) == 0
    assert main(["report", *inputs, "--out", str(tmp_path / "report")]) == 0
    names = sorted(p.name for p in (tmp_path / "report").glob("*.html"))
    assert names == sorted(p.name for p in (tmp_path / "code" / "reports").glob("*.html"))
    assert "index.html" in names and len(names) == len(inputs) + 1
    for name in names:
        if name != "index.html":
            assert name[:-5] in (tmp_path / "code" / "reports" / name).read_text()


def test_a_terminated_run_removes_its_half_written_tables_as_ctrl_c_does(tmp_path):
    """kill, timeout and batch schedulers stop a run with SIGTERM: no hidden partial table (with transcript text)
    may stay behind in --out."""
    import signal
    import subprocess
    import sys
    import time

    text = (EXAMPLES / "probation_session.txt").read_text()
    big = tmp_path / "big.txt"
    big.write_text("\n".join(text for _ in range(60)))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "mi_coder", "code", str(big), "--out", str(out)],
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out.exists() and any(out.glob(".*.part"))):
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it started writing"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert not out.exists() or not [p.name for p in out.iterdir() if p.name != ".mi-coder-written.json"]


def test_a_write_that_fails_half_way_leaves_no_partial_table_and_no_empty_folder(tmp_path, monkeypatch):
    """A full disk fails the writes and the last flush alike: the run ends with one error line, and neither a
    hidden partial table nor the --out folder it created is left."""
    import errno

    from mi_coder.cli import main

    real_open = TableWriter._file

    def full_disk(self, name):  # type: ignore[no-untyped-def]
        f = real_open(self, name)

        class Full:
            closed = False

            def write(self, data):  # type: ignore[no-untyped-def]
                raise OSError(errno.ENOSPC, "No space left on device")

            def close(self):  # type: ignore[no-untyped-def]
                f.close()
                raise OSError(errno.ENOSPC, "No space left on device")

        self.files[name] = Full()  # what the writer closes at the end is the failing file too
        return self.files[name]

    monkeypatch.setattr(TableWriter, "_file", full_disk)
    out = tmp_path / "new" / "out"
    assert main(["code", str(EXAMPLES / "probation_session.txt"), "--out", str(out)]) == 1
    assert not (tmp_path / "new").exists()


def test_a_stop_whose_interrupt_python_swallowed_still_stops_the_run(tmp_path, monkeypatch, capsys):
    # SIGTERM's KeyboardInterrupt can be raised inside a callback Python runs during an import, where it is only
    # reported ("Exception ignored in ... _get_module_lock") and the run went on to write its tables, exit 0 (CI).
    from mi_coder.cli import main
    from mi_coder.errors import STOP_REQUESTED
    from mi_coder.scoring import SessionScorer

    add = SessionScorer.add

    def lost_interrupt(self, turn):  # the handler ran (the flag is set) but its exception never reached the run
        STOP_REQUESTED.set()
        return add(self, turn)

    monkeypatch.setattr(SessionScorer, "add", lost_interrupt)
    out = tmp_path / "out"
    assert main(["code", str(EXAMPLES / "probation_session.txt"), "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "mi-coder: interrupted"
    assert not out.exists() or not [p.name for p in out.iterdir() if p.name != ".mi-coder-written.json"]
    assert not STOP_REQUESTED.is_set()  # this run's stop: a library call after it in this process runs (it had stopped)


def test_score_reads_mi_coders_own_parquet_utterances_as_it_reads_the_csv(tmp_path, capsys):
    # a data engineer's audit: `score out/utterances.parquet` was refused as "a binary file, not a transcript"
    pytest.importorskip("pyarrow")
    from mi_coder.cli import main

    for fmt in ("csv", "parquet"):
        assert main(["code", str(EXAMPLES / "health_session.txt"), "--out", str(tmp_path / fmt),
                     "--output-format", fmt]) == 0
        assert main(["score", str(tmp_path / fmt / f"utterances.{fmt}"), "--out", str(tmp_path / f"scored_{fmt}")]) == 0
    import pandas as pd

    a, b = (pd.read_csv(tmp_path / f"scored_{fmt}" / "sessions.csv").drop(columns=["source"]) for fmt in ("csv",
                                                                                                         "parquet"))
    pd.testing.assert_frame_equal(a, b)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes((tmp_path / "parquet" / "utterances.parquet").read_bytes()[:200])
    assert main(["score", str(cut), "--out", str(tmp_path / "bad")]) == 2
    assert "cut.parquet: cannot be read as a Parquet table" in capsys.readouterr().err
