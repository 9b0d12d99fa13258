"""The package as a researcher uses it from Python: the README's records and calls, and mistakes that get the
package's own errors (``mi_coder.MiCoderError``) with a message that says what to pass, not a raw TypeError."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

import mi_coder
from mi_coder import ModelError, Session, Turn, UsageError, Utterance

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "examples" / "probation_session.txt"
README = Path(__file__).resolve().parents[1] / "README.md"


def test_segment_stays_callable_after_the_segment_module_is_imported_by_coding():
    session = mi_coder.read_transcript(EXAMPLE)
    mi_coder.segment(session)
    mi_coder.load_coder().code(session)  # imports mi_coder.segment, the module
    mi_coder.segment(session)  # used to fail: 'module' object is not callable
    assert callable(mi_coder.segment)


def test_the_readmes_record_fields_are_the_records_fields_in_order():
    text = " ".join(README.read_text().split())
    for record in (Session, Turn, Utterance):
        fields = ", ".join(f.name for f in dataclasses.fields(record))
        assert f"`{record.__name__}({fields})`" in text


@pytest.mark.parametrize("call, message", [
    (lambda: mi_coder.read_transcript(None), "expects a file path .* not NoneType; .*mi_coder.read_text"),
    (lambda: mi_coder.read_transcript(io.StringIO("T: hi")), "expects a file path .* not StringIO"),
    (lambda: mi_coder.read_transcript(EXAMPLE, format="text"), r"unknown option\(s\) format; .*fmt=\.\.\."),
    (lambda: mi_coder.session_scores(None), "expects a coded Session"),
    (lambda: mi_coder.session_scores(mi_coder.read_transcript(EXAMPLE), thresholds={"r_q": "x"}),
     "threshold 'r_q' must be one of"),
    (lambda: mi_coder.session_scores(mi_coder.read_transcript(EXAMPLE), thresholds={"r_q": {"fair": 3, "good": 2}}),
     "'fair' .* is above 'good'"),
    (lambda: mi_coder.to_frames(mi_coder.read_transcript(EXAMPLE), scores=True), "takes a function"),
    (lambda: mi_coder.load_coder().code("T: hi"), "expects a Session or a list of Sessions"),
    (lambda: mi_coder.load_coder().code(None), "expects a Session or a list of Sessions .* not NoneType"),
    (lambda: mi_coder.load_coder().code(5), "expects a Session or a list of Sessions .* not int"),
    (lambda: mi_coder.segment("hello"), "segment expects a Session or a list of Sessions"),
    (lambda: mi_coder.segment(None), "segment expects a Session"),
    (lambda: mi_coder.read_transcript(EXAMPLE, fmt="pdf"), r"unknown format 'pdf' \(--format; in Python, fmt=\.\.\.\)"),
    (lambda: mi_coder.read_transcript(EXAMPLE, utterances="x"), r"utterances=\.\.\.\) must be 'auto' or 'given'"),
    (lambda: mi_coder.read_transcript(EXAMPLE, practitioner=5), "a role is given by a speaker's name"),
    (lambda: mi_coder.load_coder().code(Session("s", "mem", [Turn("1", "T", "therapist", "Hi there.")])),
     "turn '1' has role 'therapist'; a turn's role is one of practitioner, client, other"),
    (lambda: mi_coder.segment(Session("s", "mem", [Turn("1", "T", "practitioner", 5)])), "text of type int"),
])
def test_library_mistakes_are_usage_errors_that_say_what_to_pass(call, message):
    with pytest.raises(UsageError, match=message):
        call()


def test_probabilities_give_every_coded_utterance_a_row_whose_likeliest_code_is_its_code():
    session = mi_coder.read_transcript(EXAMPLE)
    frame = mi_coder.load_coder().probabilities(session)
    utts = [(t, u) for t in session.turns if t.role in ("practitioner", "client") for u in t.utterances]
    assert list(frame.columns[:4]) == ["session_id", "turn_id", "utterance_id", "role"] and len(frame) == len(utts)
    codes = list(frame.columns[4:])
    assert codes == list(mi_coder.codes.PRACTITIONER_CODES + mi_coder.codes.CLIENT_CODES)
    assert abs(frame[codes].sum(axis=1) - 1).max() < 1e-6
    for (t, u), (_, row) in zip(utts, frame.iterrows()):
        assert (row["turn_id"], row["utterance_id"]) == (t.id, u.id)
        likeliest = row[codes].astype(float).idxmax()
        # a question the model reads as SEEK or EA is coded as the question, SEEK or EA second (MITI)
        assert likeliest == u.code or (likeliest == u.meta.get("code2") and u.code in ("OQ", "CQ")), u.text
        assert abs(float(row[u.code if likeliest == u.code else likeliest]) - u.confidence) < 1e-6


def test_a_misspelled_record_field_is_an_error_not_a_new_attribute():
    u = Utterance("1", "You made it.", 0, 12)
    with pytest.raises(AttributeError):
        u.cod = "AF"  # used to create u.cod silently and leave u.code unset
    with pytest.raises(AttributeError):
        Turn("1", "PO", "practitioner", "Hi.").utterance = []


def test_sessions_given_as_a_generator_are_all_coded_and_tabled():
    sessions = [mi_coder.read_transcript(EXAMPLE), mi_coder.read_transcript(EXAMPLE)]
    coded = mi_coder.load_coder().code(s for s in sessions)  # used to return [] and code nothing
    assert len(coded) == 2 and all(u.code for s in coded for t in s.turns if t.role != "other" for u in t.utterances)
    frames = mi_coder.to_frames(s for s in coded)
    assert len(frames["utterances"]) == sum(len(t.utterances) for s in coded for t in s.turns) > 0


def test_a_model_path_that_is_not_a_path_is_a_model_error():
    with pytest.raises(ModelError, match="expects a model folder's path"):
        mi_coder.load_coder(["models"])


def test_thresholds_given_in_code_may_name_one_score_and_keep_the_others():
    session = mi_coder.read_transcript(EXAMPLE)
    mi_coder.load_coder().code(session)
    default = mi_coder.session_scores(session)
    lenient = mi_coder.session_scores(session, thresholds={"r_q": {"fair": 0.01, "good": 0.02}})
    bands = [k for k in default if "band" in k]
    r_q = [k for k in bands if "r_q" in k]
    assert r_q and default["r_q"] == lenient["r_q"] and 0.02 <= lenient["r_q"] < 1.0
    assert all(default[k] == "below" and lenient[k] == "good" for k in r_q)
    assert all(default[k] == lenient[k] for k in bands if k not in r_q)  # the scores not named keep the defaults


def test_a_transcript_held_in_memory_is_read_as_the_file_it_is_named(recwarn):
    text = "Dana: How was the week?\nMarcus: Rough. I slipped twice.\nDana: You slipped twice.\n"
    sessions = mi_coder.read_text(text, name="s12.txt")
    assert [(s.id, s.source) for s in sessions] == [("s12", "s12.txt")]
    assert [t.speaker for t in sessions[0].turns] == ["Dana", "Marcus", "Dana"]
    assert any("s12.txt" in str(w.message) for w in recwarn) and not any("mi-coder-" in str(w.message)
                                                                         for w in recwarn)  # roles inferred, said so
    vtt = ("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\nDana: hi\n\n00:00:03.000 --> 00:00:05.000\nMarcus: hey\n\n"
           "00:00:05.000 --> 00:00:07.000\nDana: how are you\n\n00:00:07.000 --> 00:00:09.000\nMarcus: fine\n")
    assert mi_coder.read_text(vtt, name="call.vtt", practitioner="Dana")[0].turns[1].start == 3.0
    with pytest.raises(mi_coder.InputError, match=r"^empty.txt: file is empty$"):
        mi_coder.read_text("", name="empty.txt")
    with pytest.raises(UsageError, match="without folders"):
        mi_coder.read_text(text, name="../x.txt")
