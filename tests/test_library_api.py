"""The package as a researcher uses it from Python: the README's records and calls, and mistakes that get the
package's own errors (``mi_coder.MiCoderError``) with a message that says what to pass, not a raw TypeError."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

import mi_coder
from mi_coder import Session, Turn, UsageError, Utterance

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
     "threshold 'r_q' needs both 'fair' and 'good'"),
    (lambda: mi_coder.session_scores(mi_coder.read_transcript(EXAMPLE), thresholds={"rq": {"fair": 1, "good": 2}}),
     "threshold 'rq' is not a score with thresholds .*r_q"),
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
    # a single Session was not checked at all: its 'Practitioner' turn was left uncoded without a word
    (lambda: mi_coder.load_coder().code(Session("s", "mem", [Turn("1", "T", "Practitioner", "Hi there.")])),
     "turn '1' has role 'Practitioner'"),
    (lambda: mi_coder.to_frames(Session("s", "mem", [Turn("1", "T", "practitioner", "Hi.", utterances=["Hi."])])),
     "utterances must be a list of mi_coder.Utterance records"),
    (lambda: mi_coder.read_transcript(EXAMPLE, role_check="off"), "role_check must be True or False, not 'off'"),
    (lambda: mi_coder.read_transcript(EXAMPLE, practitioner_id=["Smith"]), "practitioner_id must be a string"),
    (lambda: mi_coder.read_transcript(EXAMPLE, columns={"speaker_col": "Who"}),
     "unknown column role.*'speaker_col'; the roles are session, .*speaker"),
    (lambda: mi_coder.read_transcript(EXAMPLE, columns="text"), "columns takes a dict"),
    (lambda: mi_coder.read_transcript(EXAMPLE, read_options={"fmt": "text"}), "read_options takes a"),
    (lambda: mi_coder.read_text("T: hi", name=5), "name must be a file name as a str"),
    (lambda: mi_coder.segment(mi_coder.read_transcript(EXAMPLE), nlp="en"), "nlp must be a spaCy pipeline"),
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
    sessions[1].id = "copy"
    coded = mi_coder.load_coder().code(s for s in sessions)  # used to return [] and code nothing
    assert len(coded) == 2 and all(u.code for s in coded for t in s.turns if t.role != "other" for u in t.utterances)
    frames = mi_coder.to_frames(s for s in coded)
    assert len(frames["utterances"]) == sum(len(t.utterances) for s in coded for t in s.turns) > 0


def test_a_model_path_that_is_not_a_path_is_a_usage_error():
    with pytest.raises(UsageError, match="expects a model folder's path"):
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


def test_options_given_both_as_read_options_and_as_keywords_are_refused_not_half_ignored():
    from mi_coder.io.base import ReadOptions

    with pytest.raises(UsageError, match="either as read_options or as keywords.*practitioner would be ignored"):
        mi_coder.read_transcript(EXAMPLE, read_options=ReadOptions(), practitioner="Dr X")


def test_two_sessions_with_one_id_are_refused_by_to_frames_rather_than_pooled(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for folder in ("a", "b"):
        (tmp_path / folder / "s01.txt").write_text("Counselor: What brings you in?\nClient: My PO sent me.\n")
    first, second = (mi_coder.read_transcript(tmp_path / f / "s01.txt") for f in ("a", "b"))
    with pytest.raises(UsageError, match="two sessions share the id 's01'"):
        mi_coder.to_frames([first, second])
    second.id = "s01-b"
    assert set(mi_coder.to_frames([first, second])["sessions"]["session_id"]) == {"s01", "s01-b"}


def test_coding_keeps_the_utterances_you_gave_a_turn_when_other_turns_still_need_splitting():
    turns = [Turn("1", "T", "practitioner", "How are you? You seem tired.",
                  utterances=[Utterance("1.1", "How are you? You seem tired.", 0, 28)]),
             Turn("2", "C", "client", "I am. Work was long. I barely slept.")]
    session = Session("s", "mem", turns)
    mi_coder.load_coder().code(session)
    assert [u.text for u in turns[0].utterances] == ["How are you? You seem tired."]  # yours, coded as one
    assert turns[0].utterances[0].code is not None
    assert len(turns[1].utterances) > 1  # the unsplit turn was split


def test_session_scores_refuse_a_code_no_count_knows():
    session = mi_coder.read_transcript(EXAMPLE)
    mi_coder.load_coder().code(session)
    first = next(u for t in session.turns if t.role == "practitioner" for u in t.utterances)
    first.code = first.code.lower()  # "sr" was dropped from every count: R:Q and the indices silently wrong
    with pytest.raises(UsageError, match=f"unknown practitioner code '{first.code}'.*upper case"):
        mi_coder.session_scores(session)


def test_a_table_of_several_sessions_counts_those_that_cannot_be_coded(tmp_path):
    table = tmp_path / "multi.csv"
    table.write_text("session_id,speaker,text\ns1,Counselor,What brings you in?\ns1,Client,My PO sent me.\n"
                     "s2,Counselor,Hello?\ns3,Counselor,How was the week?\ns3,Client,Rough.\n")
    with pytest.raises(mi_coder.InputError, match=r"holds 3 sessions \('s1', 's3' and 1 that cannot be coded\)"):
        mi_coder.read_transcript(table)


def test_frames_have_float_time_columns_where_the_transcript_has_no_times():
    session = mi_coder.read_transcript(EXAMPLE)
    mi_coder.load_coder().code(session)
    frames = mi_coder.to_frames(session, scores=mi_coder.session_scores)
    for name in ("utterances", "turns"):
        assert frames[name]["start"].dtype == float and frames[name]["end"].dtype == float
    assert (frames["utterances"]["end"] - frames["utterances"]["start"]).dtype == float


def test_reading_warnings_point_at_the_callers_line_not_inside_the_library(tmp_path):
    # In a notebook the warning showed mi_coder/io/reader.py and a library source line, not the cell that read
    path = tmp_path / "names.txt"
    path.write_text("Ana: What brings you in today?\nDana: My doctor said I should cut down.\n"
                    "Ana: What do you make of that?\nDana: I guess she has a point.\n")
    with pytest.warns(UserWarning, match="roles inferred from the text") as caught:
        mi_coder.read_transcript(path)
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="roles inferred from the text") as caught:
        mi_coder.read_sessions(path)
    assert caught[0].filename == __file__
