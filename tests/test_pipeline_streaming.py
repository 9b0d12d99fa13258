"""Large inputs stream: chunked coding, incremental scoring and appended tables equal the in-memory pipeline."""

from __future__ import annotations

import copy
import math
import random

import pytest

from mi_coder import pipeline
from mi_coder.codes import CLIENT_CODES, PRACTITIONER_CODES
from mi_coder.io.reader import read_transcript
from mi_coder.io.writer import MANIFEST, TableWriter, frames_from_rows, write_tables
from mi_coder.records import Session, Turn
from mi_coder.scoring import SessionScorer, session_scores

from .conftest import EXAMPLES


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


def test_incremental_scorer_equals_session_scores_on_varied_sessions(coder):
    sessions = [s for p in sorted(EXAMPLES.glob("*.txt")) for s in read_transcript(p)]
    coder.code(sessions)
    rng = random.Random(3)
    for trial in range(60):
        s = copy.deepcopy(rng.choice(sessions))
        k = rng.randint(1, len(s.turns))
        s.turns = s.turns[:k] if rng.random() < 0.5 else s.turns[-k:]
        for t in s.turns:
            if rng.random() < 0.1:
                t.role = rng.choice(["practitioner", "client", "other"])
            for u in t.utterances:
                if rng.random() < 0.3:
                    u.code = rng.choice(PRACTITIONER_CODES if t.role == "practitioner" else CLIENT_CODES)
            if rng.random() < 0.1:
                t.meta.pop("main_code", None)
            if rng.random() < 0.05:
                t.text += " --"
        scorer = SessionScorer()
        for t in s.turns:
            scorer.add(t)
        assert _same(scorer.scores(), session_scores(s)), trial


def test_incremental_scorer_of_no_turns_equals_session_scores():
    assert _same(SessionScorer().scores(), session_scores(Session("s", "x")))


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
    out = tmp_path / "out"
    with TableWriter(out) as writer:
        writer.append("utterances", [{"session_id": "s", "text": "hi"}])
    assert list(out.iterdir()) == []


def test_table_writer_commits_atomically_into_the_manifest(tmp_path):
    out = tmp_path / "out"
    with TableWriter(out) as writer:
        writer.append("turns", [{"session_id": "s", "turn_id": "1", "text": "hi"}])
        writer.append_session({"session_id": "s", "source": "x", "n_turns": 1, "n_utterances": 0})
        written = writer.commit()
    assert [p.name for p in written] == ["utterances.csv", "turns.csv", "sessions.csv"]
    assert sorted(p.name for p in out.iterdir()) == sorted([MANIFEST, "utterances.csv", "turns.csv", "sessions.csv"])
    assert (out / "utterances.csv").read_text().startswith("session_id,turn_id,utterance_id")
