"""Automatic captions and diarized ASR as their tools export them: a Zoom transcript, YouTube auto-captions
(yt-dlp), a WhisperX JSON and a Deepgram JSON of one invented probation check-in, all lower case and
unpunctuated. Each must read as the same 34 turns of two speakers, with no caption markup in the text, and
``mi-coder code`` must split the long unpunctuated turns with the boundary model and code the questions."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from mi_coder import InputError
from mi_coder.io.reader import read_transcript
from mi_coder.segment import build_pipeline, segment

from .conftest import FIXTURES

CAPTIONS = FIXTURES / "captions"
# fixture -> (practitioner label, client label), as each tool names the two people
EXPORTS = {
    "zoom_auto_transcript.vtt": ("Dana Whitfield", "Marcus Bell"),
    "youtube_auto.en.vtt": ("Speaker 1", "Speaker 2"),
    "whisperx_diarized.json": ("SPEAKER_01", "SPEAKER_00"),
    "deepgram_diarized.json": ("Speaker 0", "Speaker 1"),
}
N_TURNS = 34  # the check-in alternates practitioner and client, practitioner first
OPEN_QUESTION = "so what brings you here today like what's been going on since we last talked"  # end of turn 1
CLOSED_QUESTION = "how many beers are we talking about on a night like that"  # end of turn 5, after a reflection
# a yes/no question after a reflection: cut by the rule since 2.18, coded a question since 2.19 (it was SR)
YES_NO_QUESTION = "do you want to set that up for this week"


def read(name: str, **options):
    sessions = read_transcript(CAPTIONS / name, practitioner=EXPORTS[name][0], **options)
    assert len(sessions) == 1
    return sessions[0]


def deepgram_transcript() -> str:
    """What Deepgram heard, as one string: every turn's words, in order, once."""
    data = json.loads((CAPTIONS / "deepgram_diarized.json").read_text())
    return data["results"]["channels"][0]["alternatives"][0]["transcript"]


@pytest.mark.parametrize("name", EXPORTS)
def test_each_export_reads_as_alternating_turns_of_the_two_named_speakers(name):
    s = read(name)
    practitioner, client = EXPORTS[name]
    assert len(s.turns) == N_TURNS
    assert s.speakers == {practitioner: "practitioner", client: "client"}
    assert [t.role for t in s.turns] == ["practitioner", "client"] * (N_TURNS // 2)


@pytest.mark.parametrize("name", EXPORTS)
def test_each_export_keeps_every_word_once_and_no_caption_markup(name):
    s = read(name)
    text = " ".join(t.text for t in s.turns)
    assert text == deepgram_transcript()  # no rolling repeats, timing tags, "&gt;&gt;" or ">>" left over
    assert s.turns[0].text.endswith(OPEN_QUESTION)


def test_youtube_rolling_captions_give_each_caption_line_once():
    s = read("youtube_auto.en.vtt")
    text = " ".join(t.text for t in s.turns)
    for markup in ("<", ">", "&gt;", "align:", "00:0"):
        assert markup not in text
    # this caption line is on three cues of the file: its new words, a 10 ms re-show, rolled up above the next
    assert text.count("it's early for you so what brings you") == 1
    assert len(text.split()) == len(deepgram_transcript().split())


def test_youtube_speaker_change_inside_a_caption_line_starts_the_turn_at_that_word():
    s = read("youtube_auto.en.vtt")
    # "... since we last talked >> yeah no problem" is one caption line; "yeah" is timed 00:00:12.128
    assert s.turns[0].text.endswith("since we last talked")
    assert s.turns[1].text.startswith("yeah no problem")
    assert s.turns[0].end == s.turns[1].start == pytest.approx(12.128)
    # cue-level times would make every mid-line change look like an interruption
    assert all(b.start >= a.end for a, b in zip(s.turns, s.turns[1:]))


def test_whisperx_segment_holding_two_speakers_is_cut_where_its_words_change_speaker():
    s = read("whisperx_diarized.json")
    # one WhisperX segment (majority speaker SPEAKER_01) holds the reflection and the client's reply
    reflection, reply = s.turns[10], s.turns[11]
    assert (reflection.speaker, reflection.text) == ("SPEAKER_01", "she's noticing and that matters a lot to you")
    assert (reply.speaker, reply.text) == ("SPEAKER_00", "yeah it does")
    assert reply.start == pytest.approx(105.192)  # from the word times, not the segment's


def test_deepgram_words_give_speaker_numbered_turns_with_word_times():
    s = read("deepgram_diarized.json")
    assert s.turns[1].speaker == "Speaker 1"
    assert (s.turns[1].start, s.turns[1].end) == (pytest.approx(12.128), pytest.approx(25.899))


def test_deepgram_response_without_diarization_is_a_one_line_error(tmp_path):
    data = json.loads((CAPTIONS / "deepgram_diarized.json").read_text())
    for w in data["results"]["channels"][0]["alternatives"][0]["words"]:
        del w["speaker"], w["speaker_confidence"]
    path = tmp_path / "no_diarize.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as info:
        read_transcript(path)
    assert str(info.value) == (f"{path}: Deepgram words carry no speaker (transcribe with diarize=true, or with "
                               "multichannel=true when each speaker has a channel)")


def test_youtube_captions_without_speaker_changes_are_a_one_line_error(tmp_path):
    text = (CAPTIONS / "youtube_auto.en.vtt").read_text().replace("&gt;&gt; ", "")
    path = tmp_path / "no_changes.en.vtt"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_transcript(path)
    assert str(info.value).startswith(f"{path}: cues carry no speaker names")
    assert "'>>' speaker changes" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("marker", ["&gt;&gt; ", "&gt;&gt;"])
def test_speaker_change_marks_next_to_a_word_timing_are_read(tmp_path, marker):
    path = tmp_path / "tight.vtt"
    path.write_text(
        "WEBVTT\nKind: captions\nLanguage: en\n\n"
        "00:00:01.000 --> 00:00:03.000 align:start position:0%\n \n"
        f"so<00:00:01.400><c> how</c><00:00:01.800><c> are</c><00:00:02.000><c> you</c><00:00:02.400><c>{marker}good</c>\n\n"
        "00:00:03.000 --> 00:00:03.010 align:start position:0%\n"
        f"so how are you {marker}good\n \n"
    )
    with pytest.warns(UserWarning, match="inferred"):
        s = read_transcript(path)[0]
    assert [(t.speaker, t.text, t.start) for t in s.turns] == [("Speaker 1", "so how are you", 1.0),
                                                               ("Speaker 2", "good", 2.4)]


def test_speaker_change_marks_in_captions_with_names_are_dropped(tmp_path):
    path = tmp_path / "named.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\n&gt;&gt; Officer Ruiz: how was the week\n\n"
                    "2\n00:00:03.500 --> 00:00:05.000\n&gt;&gt; Client: fine\n\n"
                    "3\n00:00:05.000 --> 00:00:06.000\nmostly fine\n")
    s = read_transcript(path)[0]
    assert [(t.speaker, t.text) for t in s.turns] == [("Officer Ruiz", "how was the week"),
                                                      ("Client", "fine mostly fine")]


def _question_utterances(texts: list[str], question: str) -> list[str] | None:
    """The utterances that make up ``question`` exactly (nothing of the run before or after it), or None. A
    question restated in one breath ("what brings you here today like what's been going on") may come out as
    two question utterances; MITI counts questions once per volley, so that costs no count, but a question
    run together with a statement, or cut mid-phrase, is lost."""
    for i in range(len(texts)):
        for j in (i + 1, i + 2):
            if " ".join(texts[i:j]) == question:
                return texts[i:j]
    return None


def test_the_boundary_model_not_the_old_rules_isolates_the_questions_in_long_runs():
    # in-process, to compare with --captions off: the 1.x rules cut these turns by length, mid-question
    for mode, isolated in (("auto", True), ("off", False)):
        s = read("youtube_auto.en.vtt", captions=mode)
        segment([s], nlp=build_pipeline(captions=mode))
        texts = [u.text for t in s.turns for u in t.utterances]
        kept = all(_question_utterances(texts, q) for q in (OPEN_QUESTION, CLOSED_QUESTION))
        assert kept is isolated, (mode, texts[:12])


@pytest.fixture(scope="module", params=list(EXPORTS))
def coded(request, tmp_path_factory):
    """``mi-coder code FILE --practitioner NAME`` run as a user runs it; its tables and its stderr."""
    name = request.param
    out = tmp_path_factory.mktemp("coded") / "out"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "code", str(CAPTIONS / name), "--out", str(out),
                             "--practitioner", EXPORTS[name][0]], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return name, out, result


def test_code_writes_the_tables_with_every_turn_and_no_role_warning(coded):
    name, out, result = coded
    for table in ("utterances.csv", "turns.csv", "sessions.csv"):
        assert (out / table).is_file(), table
    turns = pd.read_csv(out / "turns.csv")
    assert len(turns) == N_TURNS
    assert set(turns["speaker"]) == set(EXPORTS[name])
    assert pd.read_csv(out / "sessions.csv").loc[0, "n_turns"] == N_TURNS
    assert "inferred" not in result.stderr  # --practitioner named the practitioner


def test_code_cuts_long_unpunctuated_turns_and_codes_the_questions_inside_them_as_questions(coded):
    _, out, _ = coded
    utts = pd.read_csv(out / "utterances.csv", dtype={"turn_id": str})
    per_turn = utts.groupby("turn_id", sort=False).size()
    assert per_turn.loc["1"] >= 2 and per_turn.loc["5"] >= 2  # the boundary model cut them
    texts = utts["text"].tolist()
    for question in (OPEN_QUESTION, CLOSED_QUESTION, YES_NO_QUESTION):
        parts = _question_utterances(texts, question)  # nothing of the run before or after it
        assert parts, (question, texts[:12])
        rows = utts[utts["text"].isin(parts)]
        assert set(rows["role"]) == {"practitioner"}
        assert set(rows["code"]) <= {"OQ", "CQ"}, (question, rows["code"].tolist())


@pytest.mark.parametrize("name", EXPORTS)
def test_without_practitioner_the_roles_are_inferred_right_with_a_warning(name):
    with pytest.warns(UserWarning, match="roles inferred from the text"):
        sessions = read_transcript(CAPTIONS / name)
    practitioner, client = EXPORTS[name]
    assert sessions[0].speakers == {practitioner: "practitioner", client: "client"}


@pytest.mark.parametrize("ext, lines", [
    ("vtt", ["Therapist: How has the week been?", "Client: Not bad, actually."]),
    ("srt", ["- Nurse: How has the week been?", "- Patient: Not bad, actually."]),  # SRT dialogue dashes
])
def test_two_speakers_in_one_cue_are_two_turns(tmp_path, ext, lines):
    sep = "." if ext == "vtt" else ","
    head = "WEBVTT\n\n" if ext == "vtt" else ""
    path = tmp_path / f"two.{ext}"
    path.write_text(f"{head}1\n00:00:01{sep}000 --> 00:00:05{sep}000\n" + "\n".join(lines) + "\n\n"
                    f"2\n00:00:05{sep}500 --> 00:00:09{sep}000\n{lines[0].lstrip('- ').split(':')[0]}: Not bad?\n")
    s = read_transcript(path)[0]
    assert [t.text for t in s.turns] == ["How has the week been?", "Not bad, actually.", "Not bad?"]
    assert [t.role for t in s.turns] == ["practitioner", "client", "practitioner"]


def test_a_third_person_who_speaks_once_is_a_speaker_not_text_of_the_turn_before(tmp_path):
    path = tmp_path / "three.vtt"
    cues = [("Maria Lopez", "and how has that gone"), ("Dan Whitaker", "i applied to two places"),
            ("Interpreter Ana", "sorry the audio cut out"), ("Dan Whitaker", "nobody called me back"),
            ("Maria Lopez", "so you took the first step"), ("Dan Whitaker", "yeah")]
    path.write_text("WEBVTT\n\n" + "\n".join(f"{k + 1}\n00:00:{k:02d}.000 --> 00:00:{k:02d}.900\n{n}: {t}\n"
                                              for k, (n, t) in enumerate(cues)))
    s = read_transcript(path, practitioner="Maria Lopez", client="Dan Whitaker")[0]
    assert [(t.speaker, t.role) for t in s.turns][2:4] == [("Interpreter Ana", "other"), ("Dan Whitaker", "client")]
    assert len(s.turns) == 6
    note = tmp_path / "note.vtt"  # a capitalised word that names no one stays text
    note.write_text(path.read_text().replace("Interpreter Ana: sorry", "Note: sorry"))
    turns = read_transcript(note, practitioner="Maria Lopez", client="Dan Whitaker")[0].turns
    assert len(turns) == 4 and "Note: sorry the audio cut out" in turns[1].text


def test_a_webvtt_header_without_a_blank_line_before_the_first_cue_keeps_that_cue(tmp_path):
    path = tmp_path / "tight.vtt"
    path.write_text("WEBVTT\n00:00:01.000 --> 00:00:04.000\nCounselor: What brings you in today?\n\n"
                    "00:00:04.500 --> 00:00:08.000\nClient: My blood pressure.\n")
    s = read_transcript(path)[0]
    assert [t.text for t in s.turns] == ["What brings you in today?", "My blood pressure."]


def _without_word_timings(vtt: str) -> str:
    """The YouTube file as ``yt-dlp --convert-subs`` leaves it: the rolling cues kept, their word timings gone."""
    import re

    return re.sub(r"<\d\d:\d\d:\d\d\.\d{3}>|</?c>", "", vtt)


def _as_srt(vtt: str) -> str:
    """The same cues as SRT, as ffmpeg writes them (numbered, comma decimals, entities decoded: "&gt;&gt;" -> ">>")."""
    import html

    blocks = [html.unescape(b) for b in vtt.split("\n\n")[1:] if "-->" in b]
    out = []
    for k, block in enumerate(blocks, 1):
        lines = [ln for ln in block.split("\n") if ln.strip()]
        timing = lines[0].split(" align")[0].replace(".", ",")
        out.append(f"{k}\n{timing}\n" + "\n".join(lines[1:]))
    return "\n\n".join(out) + "\n"


@pytest.mark.parametrize("ext", ["vtt", "srt"])
def test_rolling_captions_without_word_timings_give_each_line_once_and_the_right_speakers(tmp_path, ext):
    vtt = _without_word_timings((CAPTIONS / "youtube_auto.en.vtt").read_text())
    path = tmp_path / f"rolling.en.{ext}"
    path.write_text(vtt if ext == "vtt" else _as_srt(vtt))
    s = read_transcript(path, practitioner="Speaker 1")[0]
    assert " ".join(t.text for t in s.turns) == deepgram_transcript()  # every word once, none tripled
    assert len(s.turns) == N_TURNS
    assert [t.role for t in s.turns] == ["practitioner", "client"] * (N_TURNS // 2)


def test_sound_tags_in_captions_are_neither_speakers_nor_words(tmp_path):
    vtt = (CAPTIONS / "youtube_auto.en.vtt").read_text()
    music = ("00:00:00.000 --> 00:00:01.230 align:start position:0%\n \n[Music]\n\n"
             "00:00:01.230 --> 00:00:01.240 align:start position:0%\n[Music]\n \n\n")
    head, body = vtt.split("\n\n", 1)
    path = tmp_path / "music.en.vtt"
    path.write_text(f"{head}\n\n{music}{body.rstrip()}\n\n99:00:00.000 --> 99:00:02.000\n[Music]\n\n"
                    "99:00:02.000 --> 99:00:03.000\n[Applause] [Laughter]\n")
    s = read_transcript(path, practitioner="Speaker 1")[0]  # "[Music]" twice used to be read as a speaker
    assert " ".join(t.text for t in s.turns) == deepgram_transcript()
    assert s.turns[0].start == pytest.approx(1.24)  # the jingle before the talk is not the first turn's start


def test_transcribers_notes_are_left_out_of_the_words_and_a_turn_that_is_only_a_note_is_no_turn(tmp_path):
    path = tmp_path / "rev.txt"
    path.write_text("Counselor: How often do you drink in a usual week?\n"
                    "Client: Maybe three or four [inaudible 00:01:31] beers. (laughs)\n"
                    "Counselor: [crosstalk 00:01:40]\n"
                    "Client: On a Friday, anyway.\n"
                    "Counselor: ♪ So Fridays are the big night. ♪\n")
    s = read_transcript(path)[0]
    assert [t.text for t in s.turns] == ["How often do you drink in a usual week?",
                                         "Maybe three or four beers. On a Friday, anyway.",
                                         "So Fridays are the big night."]


def test_a_lower_case_title_abbreviation_does_not_make_an_unpunctuated_turn_punctuated():
    nlp = build_pipeline()
    doc = nlp("dr. patel said i had to come because i keep missing my insulin and so you moved back to st. louis "
              "and you want to find work what kind of job are you looking for")
    sentences = [s.text for s in doc.sents]
    assert not any(s.endswith(("dr.", "st.")) for s in sentences)  # the boundary model decided, not the full stops
    assert any(s.startswith("what kind of job") for s in sentences)


def test_an_impossible_cue_time_is_an_error_and_a_backwards_cue_a_warning(tmp_path):
    bad = tmp_path / "bad.vtt"
    bad.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nJane: hi there\n\n"
                   "00:00:75.240 --> 00:00:79.390\nAli: hello\n")
    with pytest.raises(InputError, match=r"bad\.vtt: line 6: impossible cue time '00:00:75\.240'"):
        read_transcript(bad)
    backwards = tmp_path / "backwards.vtt"
    backwards.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nJane: hi there\n\n"
                         "00:00:19.390 --> 00:00:15.240\nAli: hello\n\n00:00:20.000 --> 00:00:22.000\nJane: so\n")
    with pytest.warns(UserWarning, match=r"1 cue\(s\) end before they start \(first at line 6\)"):
        s = read_transcript(backwards)[0]
    assert s.turns[1].start == s.turns[1].end == pytest.approx(19.39)


def test_cue_times_carry_no_floating_point_noise():
    from mi_coder.io.base import parse_time

    assert repr(parse_time("00:01:33.240")) == "93.24" and repr(parse_time("00:01:48,990")) == "108.99"


def test_a_caption_file_cut_off_inside_a_tag_is_read_with_a_warning_and_no_markup(tmp_path):
    path = tmp_path / "cut.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Jane Doe>so how was the week</v>\n\n"
                    "00:00:04.000 --> 00:00:07.000\n<v Ali Khan>not bad everyone\n<v Ali")
    with pytest.warns(UserWarning, match=r"cut\.vtt: the last cue ends inside a tag"):
        s = read_transcript(path, practitioner="Jane Doe")[0]
    assert [t.text for t in s.turns] == ["so how was the week", "not bad everyone"]


def test_an_assemblyai_response_without_speaker_labels_says_how_to_get_them(tmp_path):
    path = tmp_path / "aai.json"
    path.write_text(json.dumps({"id": "x", "status": "completed", "audio_url": "https://example.org/a.mp3",
                                "text": "hi there", "utterances": None,
                                "words": [{"text": "hi", "start": 0, "end": 300}]}))
    with pytest.raises(InputError, match="aai.json: AssemblyAI response without speaker labels .*speaker_labels=true"):
        read_transcript(path)


def test_speakers_read_from_alternating_change_marks_come_with_a_warning_that_a_missed_mark_swaps_them(tmp_path):
    path = tmp_path / "marks.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n&gt;&gt; so how was the week\n\n"
                    "00:00:04.000 --> 00:00:07.000\n&gt;&gt; not bad i guess\n\n"
                    "00:00:07.000 --> 00:00:09.000\n&gt;&gt; okay tell me more\n")
    with pytest.warns(UserWarning, match=r"marks\.vtt: the captions name no one, so the speakers alternate at each "
                                         r"'>>' mark .* one missed or extra mark swaps every later turn"):
        s = read_transcript(path, practitioner="Speaker 1")[0]
    assert [t.speaker for t in s.turns] == ["Speaker 1", "Speaker 2", "Speaker 1"]


def test_an_utterance_gets_times_from_its_own_cues_not_the_whole_turns(tmp_path):
    from mi_coder.io.writer import to_frames

    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nJane Doe: hi alice thanks for coming in\n\n"
                    "00:00:04.000 --> 00:00:07.000\nJane Doe: so what brings you here today\n\n"
                    "00:00:07.500 --> 00:00:09.000\nAli Khan: my doctor sent me\n\n"
                    "00:00:09.000 --> 00:00:12.000\nJane Doe: your doctor sent you. what did she say\n\n"
                    "00:00:12.500 --> 00:00:14.000\nAli Khan: that my sugar is high\n")
    session = read_transcript(path, practitioner="Jane Doe")[0]
    segment([session])
    rows = to_frames([session])["utterances"].set_index("text")
    assert (rows.loc["hi alice thanks for coming in", ["start", "end"]].tolist() == [1.0, 4.0])
    assert (rows.loc["so what brings you here today", ["start", "end"]].tolist() == [4.0, 7.0])
    # one cue of two sentences: its span shared among its words by count (4 words of 8, then 4)
    assert rows.loc["your doctor sent you.", "start"] == 9.0 and rows.loc["what did she say", "end"] == 12.0
    assert rows.loc["your doctor sent you.", "end"] == pytest.approx(9.0 + 4 * 3 / 8, abs=1e-3)
    turns = to_frames([session])["turns"]
    assert turns.loc[0, ["start", "end"]].tolist() == [1.0, 7.0]  # the turn keeps its own span


def test_youtube_utterances_start_at_their_first_words_own_timing_not_a_share_of_the_turn():
    from mi_coder.io.writer import to_frames

    path = CAPTIONS / "youtube_auto.en.vtt"
    session = read_transcript(path)[0]
    segment([session])
    rows = to_frames([session])["utterances"].set_index("text")
    # the words' own timings in the file ("<00:00:04.130><c> i</c>", "<00:00:52.376><c> how</c>"); sharing the
    # turn's span by word count gave 4.643 and 53.178
    assert rows.loc["i know it's it's early for you", "start"] == 4.13
    assert rows.loc["how many beers", "start"] == 52.376
    assert rows.loc["hi marcus um thanks for getting on the call today", "end"] == 4.13


def test_unnamed_cues_joined_into_one_turn_keep_each_cues_own_times(tmp_path):
    from mi_coder.io.writer import to_frames

    path = tmp_path / "run.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:03,000\nJane: how have things been at home\n\n"
                    "2\n00:00:03,000 --> 00:00:10,000\nsince the move\n\n"
                    "3\n00:00:20,000 --> 00:00:22,000\nwhat made it hard\n\n"
                    "4\n00:00:23,000 --> 00:00:25,000\nAli: the noise mostly\n\n"
                    "5\n00:00:25,000 --> 00:00:27,000\nJane: the noise\n\n"
                    "6\n00:00:27,000 --> 00:00:29,000\nAli: yeah\n")
    session = read_transcript(path, practitioner="Jane")[0]
    segment([session])
    rows = to_frames([session])["utterances"]
    question = rows[rows["text"].str.startswith("what made")].iloc[0]
    # the third cue's words keep its 20-22 s, not a word-count share of the whole 1-22 s turn (about 15.5 s)
    assert (question["start"], question["end"]) == (20.0, 22.0)
    assert rows.iloc[0]["start"] == 1.0


def test_teams_unpadded_cue_times_read_the_digits_after_the_dot_as_milliseconds(tmp_path, recwarn):
    # older Teams downloads and the Graph transcript API: "0:0:6.90" is 6.090 s (an export audit read 6.9 s, and
    # warned that "0:0:40.60 --> 0:0:40.500" ends before it starts)
    path = tmp_path / "teams.vtt"
    path.write_text("WEBVTT\n\n0:0:0.0 --> 0:0:5.320\n<v Officer Diaz>How have things been?</v>\n\n"
                    "0:0:6.90 --> 0:0:13.560\n<v Marcus Reed>Rough. I missed group.</v>\n\n"
                    "0:0:19.7 --> 0:0:27.900\n<v Officer Diaz>Work got in the way.</v>\n\n"
                    "0:0:40.60 --> 0:0:40.500\n<v Marcus Reed>Mm-hmm.</v>\n")
    s = read_transcript(path, practitioner="Officer Diaz")[0]
    assert [(t.start, t.end) for t in s.turns] == [(0.0, 5.32), (6.09, 13.56), (19.007, 27.9), (40.06, 40.5)]
    assert not any("end before they start" in str(w.message) for w in recwarn)


def test_padded_webvtt_times_keep_their_decimal_fraction(tmp_path):
    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n00:00:06.9 --> 00:00:13.560\n<v Officer Diaz>How have things been?</v>\n\n"
                    "00:00:14.5 --> 00:00:15.000\n<v Marcus Reed>Rough.</v>\n")
    s = read_transcript(path, practitioner="Officer Diaz")[0]
    assert [t.start for t in s.turns] == [6.9, 14.5]


def test_a_backchannel_inside_the_speakers_cue_leaves_the_speakers_sentence_one_turn(tmp_path):
    # an ASR audit: Zoom broke the nurse's question where the client said "mm-hmm", and the question became two
    # turns, coded twice, and the "mm-hmm" an interruption
    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:06.000\nNurse Patel: how have things been going with\n\n"
                    "2\n00:00:03.500 --> 00:00:04.000\nLinda: mm-hmm\n\n"
                    "3\n00:00:06.100 --> 00:00:08.000\nNurse Patel: the diabetes since we last met\n\n"
                    "4\n00:00:09.000 --> 00:00:13.000\nLinda: oh you know up and down mostly down i guess\n\n"
                    "5\n00:00:14.000 --> 00:00:15.000\nLinda: mm-hmm\n\n"
                    "6\n00:00:16.000 --> 00:00:17.000\nNurse Patel: a rough stretch\n")
    with pytest.warns(UserWarning, match="1 backchannel"):
        s = read_transcript(path, practitioner="Nurse Patel")[0]
    assert [(t.speaker, t.text, t.start) for t in s.turns[:3]] == [
        ("Nurse Patel", "how have things been going with the diabetes since we last met", 1.0),
        ("Linda", "mm-hmm", 3.5), ("Linda", "oh you know up and down mostly down i guess mm-hmm", 9.0)]
    # the "mm-hmm" said over nobody joins its speaker's turn, as before


def test_opening_cues_without_a_name_are_an_unnamed_speakers_not_a_refused_file(tmp_path):
    # an ASR audit: a 48-turn Zoom session was refused whole because its first cue named no one
    path = tmp_path / "zoom.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.200 --> 00:00:04.900\nhey tyler come on in have a seat\n\n"
                    "2\n00:00:06.100 --> 00:00:09.800\nTyler Brooks: i got the letter so i'm here\n\n"
                    "3\n00:00:10.500 --> 00:00:12.900\nOfficer Reyes: so the letter is what got you in\n\n"
                    "4\n00:00:13.000 --> 00:00:15.000\nTyler Brooks: yeah pretty much\n")
    with pytest.warns(UserWarning, match=r"the first 1 cue\(s\) name no speaker: read as 'Unnamed speaker'"):
        s = read_transcript(path)[0]
    assert [(t.speaker, t.role) for t in s.turns[:3]] == [("Unnamed speaker", "other"), ("Tyler Brooks", "client"),
                                                          ("Officer Reyes", "practitioner")]
    assert s.turns[0].text == "hey tyler come on in have a seat"  # kept, not coded


def test_a_vtt_that_lost_its_header_is_read_from_its_cue_timings_with_a_warning(tmp_path):
    path = tmp_path / "noheader.vtt"
    path.write_text("00:00:01.000 --> 00:00:04.000\nOfficer Diaz: what brings you in today\n\n"
                    "00:00:05.000 --> 00:00:08.000\nSam: my lawyer said i should come\n")
    with pytest.warns(UserWarning, match="no 'WEBVTT' first line"):
        s = read_transcript(path, practitioner="Officer Diaz")[0]
    assert [t.text for t in s.turns] == ["what brings you in today", "my lawyer said i should come"]


@pytest.mark.parametrize("name, content, said", [
    ("captions.en.json3", '{"wireMagic": "pb3", "events": [{"tStartMs": 0, "segs": [{"utf8": "hi"}]}]}',
     "YouTube json3 captions"),
    ("captions.en.srv3", '<?xml version="1.0" encoding="utf-8" ?><timedtext format="3">\n<body><p t="0">hi</p>'
                         "</body></timedtext>\n", "XML captions"),
])
def test_youtube_caption_formats_mi_coder_does_not_read_are_named_with_what_to_download(tmp_path, name, content, said):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=f"{said}.*download the captions as VTT"):
        read_transcript(path)
