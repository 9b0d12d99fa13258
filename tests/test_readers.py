"""Each reader on tiny fixture transcripts written for these tests, including the quirks of real exports."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from mi_coder import InputError, RoleError
from mi_coder.io.base import parse_time
from mi_coder.io.reader import detect_format, read_transcript

from .conftest import FIXTURES


def one(path: Path, **kw):
    sessions = read_transcript(path, **kw)
    assert len(sessions) == 1
    return sessions[0]


def summary(session):
    return [(t.speaker, t.role) for t in session.turns]


def test_labelled_text_continuation_lines_join_the_previous_turn_and_header_is_kept():
    s = one(FIXTURES / "labelled_tc.txt")
    assert [t.role for t in s.turns] == ["practitioner", "client"] * 3
    assert s.turns[1].text == ("My doctor said I should talk to someone about my drinking. "
                               "It's been, um, kind of a lot lately.")
    # A one-off "Note:" label is text of the turn, not a third speaker.
    assert s.turns[4].text.startswith("Note: this next part")
    assert s.meta["header"] == ["Session 4 - intake (recorded with consent)"]
    assert s.id == "labelled_tc"


def test_timestamps_in_brackets_or_bare_give_turn_start_seconds():
    s = one(FIXTURES / "timestamps_po.txt")
    assert [t.start for t in s.turns] == [5.0, 19.0, 21.0, 62.0, 70.0]
    assert summary(s)[:2] == [("PO", "practitioner"), ("Probationer", "client")]


def test_full_names_get_roles_inferred_from_text_with_a_warning():
    with pytest.warns(UserWarning, match="inferred"):
        s = one(FIXTURES / "fullnames.txt")
    assert s.speakers == {"Sarah Jones": "practitioner", "Mike Brown": "client"}


def test_roles_inferred_from_a_few_turns_are_called_a_weak_guess(tmp_path):
    path = tmp_path / "short.txt"
    path.write_text("Tom: How did the week go?\nJess: Fine. I went to two meetings.\nTom: What helped?\n"
                    "Jess: My sister drove me.\n")
    with pytest.warns(UserWarning, match=r"roles inferred from the text .*a weak guess: a speaker has only 2 turn"):
        (s,) = read_transcript(path)
    assert s.speakers == {"Tom": "practitioner", "Jess": "client"}
    path.write_text("".join(f"Tom: What happened on day {k}?\nJess: I went to a meeting on day {k}.\n"
                            for k in range(6)))
    with pytest.warns(UserWarning) as said:  # six turns each: inferred, not called weak
        (s,) = read_transcript(path)
    assert s.speakers == {"Tom": "practitioner", "Jess": "client"}
    assert any("roles inferred" in str(w.message) for w in said)
    assert not any("weak guess" in str(w.message) for w in said)


def test_practitioner_flag_overrides_inference_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = one(FIXTURES / "fullnames.txt", practitioner="Mike Brown")
    assert s.speakers == {"Sarah Jones": "client", "Mike Brown": "practitioner"}


def test_naming_the_speaker_labelled_client_as_practitioner_says_why_the_other_is_not_the_client(tmp_path):
    path = tmp_path / "swapped.txt"
    path.write_text("Client: How are you today?\nTherapist: I am fine, I guess.\nClient: What brings you in?\n")
    with pytest.raises(RoleError, match=r"no client found among speakers; .*'Therapist' is not taken for it because "
                                        r"its label names a practitioner: if the labels are wrong, name it with "
                                        r"--client 'Therapist'"):
        read_transcript(path, practitioner="Client")
    assert read_transcript(path, practitioner="Client", client="Therapist")[0].speakers == {
        "Client": "practitioner", "Therapist": "client"}


def test_unknown_practitioner_name_is_an_error_naming_the_speakers():
    with pytest.raises(RoleError, match="'Nobody' is not a speaker here"):
        one(FIXTURES / "fullnames.txt", practitioner="Nobody")


def test_zoom_vtt_merges_consecutive_cues_of_one_speaker_and_keeps_times():
    with pytest.warns(UserWarning):
        s = one(FIXTURES / "zoom.vtt")
    assert len(s.turns) == 3
    first = s.turns[0]
    assert (first.start, first.end) == (1.2, 7.1)
    assert first.text == "Hi Sam, thanks for joining. How are you doing today? I wanted to check in about the smoking."


def test_teams_vtt_voice_tags_give_speakers_and_roles():
    s = one(FIXTURES / "teams.vtt")
    assert summary(s) == [("Counselor Amy", "practitioner"), ("Patient", "client"), ("Counselor Amy", "practitioner")]
    assert s.turns[1].text == "I keep forgetting my evening metformin. Like, most nights."
    assert s.turns[1].end == 11.0


def test_broken_vtt_cue_is_an_error_naming_the_line():
    with pytest.raises(InputError, match=r"broken.vtt: line 8: broken cue timing"):
        read_transcript(FIXTURES / "broken.vtt")


def test_srt_with_diarization_labels():
    with pytest.warns(UserWarning, match="SPEAKER_00' as practitioner"):
        s = one(FIXTURES / "diarized.srt")
    assert [t.speaker for t in s.turns] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00", "SPEAKER_01"]
    assert s.turns[1].text == "I got a DUI and the court said I have to do this. I don't think I have a problem."
    assert (s.turns[1].start, s.turns[1].end) == (3.2, 10.0)


def test_otter_export_heads_times_and_multiline_text():
    s = one(FIXTURES / "otter.txt")
    assert s.meta["format"] == "otter"
    assert summary(s) == [("Nurse Kim", "practitioner"), ("Patient", "client")] * 2
    assert s.turns[1].text == "Up and down. I skipped a couple of doses. Mostly at night."
    assert s.turns[3].start == 62.0


def test_otter_speech_ending_in_a_clock_time_stays_speech_and_the_footer_is_not_coded(tmp_path):
    path = tmp_path / "otter_export.txt"
    path.write_text("Lena Fischer  0:02\nWhat time is your appointment?\n\n"
                    "Tom Becker  0:07\nIt's tomorrow at 3:30\nand I'm dreading it.\n\n"
                    "Lena Fischer  0:12\nYou're expecting a hard talk.\n\n"
                    "Tom Becker  0:18\nYeah.\nI have a doctor appointment at 3:30\n\n"
                    "Lena Fischer  0:26\nWhat would help?\n\nTranscribed by https://otter.ai\n")
    s = read_transcript(path, practitioner="Lena Fischer")[0]
    assert s.meta["format"] == "otter"
    assert [t.speaker for t in s.turns] == ["Lena Fischer", "Tom Becker"] * 2 + ["Lena Fischer"]
    assert s.turns[1].text == "It's tomorrow at 3:30 and I'm dreading it."
    assert s.turns[3].text == "Yeah. I have a doctor appointment at 3:30"
    assert s.turns[-1].text == "What would help?"
    assert "Transcribed by https://otter.ai" in s.meta["header"]


def test_json_list_of_turns():
    s = one(FIXTURES / "turns.json")
    assert summary(s)[0] == ("Officer", "practitioner")
    assert s.turns[2].end == 7.0


def test_whisperx_segments_without_speaker_continue_the_previous_speaker():
    with pytest.warns(UserWarning):
        s = one(FIXTURES / "whisperx.json")
    assert len(s.turns) == 4
    assert s.turns[1].text == "I think my anxiety, it's been really bad at work. Like every day."
    assert s.turns[0].role == "practitioner"


def test_multi_session_csv_gives_one_session_per_id_in_input_order_with_turn_ids_kept():
    sessions = read_transcript(FIXTURES / "multi_session.csv")
    assert [s.id for s in sessions] == ["s1", "s2"]
    assert [t.id for t in sessions[0].turns] == ["0", "1", "2"]
    assert sessions[0].turns[0].role == "practitioner"
    assert sessions[1].turns[1].start == 6.0


def test_tsv_per_utterance_given_keeps_input_segmentation_and_ids():
    s = one(FIXTURES / "per_utterance.tsv", utterances="given")
    assert [t.id for t in s.turns] == ["1", "2", "3"]
    client = s.turns[1]
    assert [u.id for u in client.utterances] == ["2a", "2b"]
    assert [client.text[u.start_char:u.end_char] for u in client.utterances] == ["Not great.", "I missed two groups."]
    assert client.utterances[1].meta["code"] == "ST"


def test_csv_without_text_column_names_the_problem():
    with pytest.raises(InputError, match="no_text_column.csv: no text column"):
        read_transcript(FIXTURES / "no_text_column.csv")


def test_column_override_flag_reads_an_unusual_text_column(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("who,said\nTherapist,How are you?\nClient,Fine.\n")
    s = one(path, columns={"text": "said", "speaker": "who"})
    assert s.turns[1].text == "Fine."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_encodings_read_correctly(tmp_path, encoding):
    text = "T: Café at 5? That’s “fine”.\nC: Sí — I’ll be there.\n"
    path = tmp_path / f"enc_{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    s = one(path)
    assert s.turns[0].text == "Café at 5? That’s “fine”."
    assert s.turns[1].text == "Sí — I’ll be there."


def test_a_classic_mac_csv_with_lines_ended_by_cr_reads_mac_roman_and_a_utf8_one_stays_utf8(tmp_path):
    # Excel for Mac's "CSV (Macintosh)": Mac Roman, lines ended by CR alone ("María" was read as cp1252 "Mar’a")
    rows = "session_id,speaker,text\rs1,nurse,\"Hi María, how’s the week been?\"\rs1,patient,Not great.\r"
    path = tmp_path / "mac.csv"
    path.write_bytes(rows.encode("mac_roman"))
    s = one(path)
    assert s.turns[0].text == "Hi María, how’s the week been?"
    path.write_bytes(rows.encode("utf-8"))
    assert one(path).turns[0].text == "Hi María, how’s the week been?"
    from mi_coder.io.base import iter_lines

    path.write_bytes(rows.encode("mac_roman") * 40)  # read in blocks, as large files are
    assert "Hi María, how’s the week been?" in "".join(iter_lines(path, str(path), block=37))


def test_mixed_utf8_and_cp1252_lines_both_decode(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_bytes("T: It’s okay.\n".encode("utf-8") + "C: I’m not sure.\n".encode("cp1252"))
    s = one(path)
    assert s.turns[1].text == "I’m not sure."


def test_utf8_and_cp1252_mixed_within_one_line_keep_both_characters(tmp_path):
    # "Café" pasted from a UTF-8 source beside a cp1252 curly apostrophe in the same line
    path = tmp_path / "mixed_line.txt"
    path.write_bytes(b"T: See you at the " + "Café".encode("utf-8") + b" at 5.\n"
                     + b"C: I" + "’".encode("cp1252") + b"ll be at the " + "Café".encode("utf-8") + b".\n")
    s = one(path)
    assert s.turns[0].text == "See you at the Café at 5."
    assert s.turns[1].text == "I’ll be at the Café."


def test_mixed_line_decodes_the_same_when_the_file_is_read_in_blocks(tmp_path):
    from mi_coder.io.base import decode_bytes, iter_lines

    raw = ("T: Caf\u00e9 one.\n".encode("utf-8") + b"C: It\x92s fine \xe2\x80\x94 " + "na\u00efve".encode("utf-8")
           + b".\n") * 50
    path = tmp_path / "blocks.txt"
    path.write_bytes(raw)
    whole = decode_bytes(raw, str(path))
    assert "It’s fine — naïve." in whole
    assert "".join(iter_lines(path, str(path), block=37)) == whole


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "file is empty"),
        (b"   \n\n", "file is empty"),
        (bytes(range(256)) * 20, "binary file"),
        (b"T: I am the only one talking.\nT: Still me.\n", "only one speaker ('T')"),
        (b"Counselor:\nClient:\n", "speakers are named but nothing is said"),
    ],
)
def test_bad_input_gives_a_one_line_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_transcript(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path))
    assert "\n" not in str(info.value)


def test_labels_without_speech_are_an_error_when_the_file_is_read_lazily_too(tmp_path):
    from mi_coder.io.reader import stream_transcript

    path = tmp_path / "labels.txt"
    path.write_text("Counselor:\nClient:\nCounselor:\n", encoding="utf-8")
    with pytest.raises(InputError, match="nothing is said"):
        next(stream_transcript(path, min_bytes=0))


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_transcript(tmp_path / "nope.txt")


def test_two_speakers_labelled_as_clients_are_both_coded_with_a_warning_and_client_picks_one(tmp_path):
    path = tmp_path / "family.txt"
    path.write_text("Counselor: What brings you both in?\nClient: My mom made me come.\n"
                    "Mother: He's been skipping school.\nClient: Whatever.\n")
    with pytest.warns(UserWarning, match=r"2 speakers are coded as the client \('Client', 'Mother'\)"):
        s = one(path)
    assert s.speakers == {"Counselor": "practitioner", "Client": "client", "Mother": "client"}
    # naming the client keeps the mother as another speaker, said (her words are not coded), and the counsellor's
    # label still says who they are
    with pytest.warns(UserWarning, match=r"'Mother' \(1 turns, 4 words\): 27% of the words are kept as other speakers"):
        (s,) = read_transcript(path, client="Client")
    assert s.speakers == {"Counselor": "practitioner", "Client": "client", "Mother": "other"}


def test_several_named_clients_are_all_coded_and_names_joined_by_a_comma_point_to_naming_each(tmp_path):
    path = tmp_path / "family.txt"
    path.write_text("Counselor: What brings you both in?\nMom: He got caught drinking again.\n"
                    "Receptionist: Sorry to interrupt.\nJake: It was one time.\n"
                    "Counselor: You feel it's blown out of proportion.\nJake: Kind of.\n"
                    "Receptionist: Your ride is here.\n")
    with pytest.warns(UserWarning) as said:
        (s,) = read_transcript(path, client=("Jake", "Mom"))
    assert s.speakers == {"Counselor": "practitioner", "Mom": "client", "Jake": "client", "Receptionist": "other"}
    # no role inferred, no "counted together" (the user named both clients); only the receptionist's words, said
    assert [str(w.message).split(": ", 1)[1][:15] for w in said] == ["'Receptionist' "]
    (s,) = read_transcript(path, client=("Jake", "Mom"), practitioner=("Counselor", "Receptionist"))
    assert s.speakers == {"Counselor": "practitioner", "Mom": "client", "Jake": "client",
                          "Receptionist": "practitioner"}
    with pytest.raises(RoleError, match=r"--client 'Jake,Mom' is not a speaker here; to name several, give --client "
                                        r"once for each \(--client 'Jake' --client 'Mom'\)"):
        read_transcript(path, client="Jake,Mom")
    with pytest.raises(RoleError, match=r"--practitioner and --client both name 'Jake'"):
        read_transcript(path, client=("Mom", "Jake"), practitioner="Jake")


def test_a_second_practitioner_by_label_is_never_inferred_to_be_the_client(tmp_path):
    # an audit: with --practitioner "PO Smith", "Counselor Lee" (who talks most) was made the client, Tyrone other
    path = tmp_path / "cofac.txt"
    path.write_text("PO Smith: Morning Tyrone. This is Counselor Lee from the treatment program.\n"
                    "Counselor Lee: Good to meet you. I hear things have been rough since the job ended, and I want to "
                    "understand what has been going on for you in your own words before we talk about any plan.\n"
                    "Tyrone: Yeah. It's been bad.\nPO Smith: What's been hardest?\nTyrone: Money. And my kid.\n"
                    "Counselor Lee: Your kid is a big part of why this matters so much to you right now, and it sounds "
                    "like the money worries are weighing on you every single day.\nTyrone: Yeah.\n")
    with pytest.warns(UserWarning, match=r"'Counselor Lee' \(2 turns, \d+ words\): \d+% of the words are kept as "
                                         r"other speakers"):
        (s,) = read_transcript(path, practitioner="PO Smith")
    assert s.speakers == {"PO Smith": "practitioner", "Counselor Lee": "other", "Tyrone": "client"}
    # by their labels both are practitioners, counted together; a practitioner id would take both, which is said
    with pytest.warns(UserWarning, match=r"--practitioner-id 'jsmith' names the practitioner, and 2 speakers are the "
                                         r"practitioner \('PO Smith', 'Counselor Lee'\)"):
        (s,) = read_transcript(path, practitioner_id="jsmith")
    assert s.speakers["Counselor Lee"] == "practitioner"


def test_a_role_column_speaks_for_the_speakers_not_named_and_its_pooled_roles_are_said(tmp_path):
    path = tmp_path / "roles.csv"
    path.write_text("speaker,role,text\nDana,counselor,What brings you both in?\nRiley,client,My mom made me.\n"
                    "Karen,parent,He's been skipping school and I am worried sick about him.\n"
                    "Dana,counselor,You're both here for different reasons.\nRiley,client,I guess.\n"
                    "Jo,interpreter,She says she is worried.\n")
    with pytest.warns(UserWarning, match=r"2 speakers are coded as the client \('Riley', 'Karen'\) and counted "
                                         "together"):
        (s,) = read_transcript(path)
    assert s.speakers == {"Dana": "practitioner", "Riley": "client", "Karen": "client", "Jo": "other"}
    # naming the practitioner used to drop the role column: Karen, who talks most, became the only client
    with pytest.warns(UserWarning, match="counted together"):
        (s,) = read_transcript(path, practitioner="Dana")
    assert s.speakers == {"Dana": "practitioner", "Riley": "client", "Karen": "client", "Jo": "other"}
    (s,) = read_transcript(path, client="Riley")
    assert s.speakers == {"Dana": "practitioner", "Riley": "client", "Karen": "other", "Jo": "other"}


def test_labels_that_make_the_client_the_practitioner_are_warned_about_when_the_talk_reads_the_other_way(tmp_path):
    # a physician health programme: the client is "Dr. Evans", the counsellor has no role word in her label
    counsellor = ["How have the past few weeks been?", "What do you make of that?", "You've noticed the pull.",
                  "What would help you on the nights?", "How did your sponsor react?", "You want to keep your license."]
    client = ["Honestly, I'm exhausted and I've thought about the pills.", "I'm not sure what I make of it.",
              "I have, yes. I noticed it at work.", "I don't know. Maybe I call my sponsor.", "I didn't tell him yet.",
              "I worked too hard for it. I'm not throwing it away."]
    path = tmp_path / "php.txt"
    path.write_text("".join(f"Sarah Cole: {a}\nDr. Evans: {b}\n" for a, b in zip(counsellor, client)))
    with pytest.warns(UserWarning) as said:
        (s,) = read_transcript(path)
    assert s.speakers == {"Sarah Cole": "client", "Dr. Evans": "practitioner"}  # the label decides, as before
    assert any("'Dr. Evans' is taken as the practitioner and 'Sarah Cole' as the client" in str(w.message)
               and "--practitioner 'Sarah Cole' --client 'Dr. Evans'" in str(w.message) for w in said)
    path.write_text("".join(f"Dr. Evans: {a}\nPatient: {b}\n" for a, b in zip(counsellor, client)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # labels and talk agree: nothing to say
        (s,) = read_transcript(path)
    assert s.speakers == {"Dr. Evans": "practitioner", "Patient": "client"}


def test_a_role_column_filled_for_one_speaker_gives_that_role_and_a_swapped_column_is_warned_about(tmp_path):
    counsellor = ["How have the past few weeks been?", "What do you make of that?", "You've noticed the pull.",
                  "What would help you on the nights?", "How did your sponsor react?", "You want to keep your license."]
    client = ["Honestly, I'm exhausted and I've thought about the pills.", "I'm not sure what I make of it.",
              "I have, yes. I noticed it at work.", "I don't know. Maybe I call my sponsor.", "I didn't tell him yet.",
              "I worked too hard for it. I'm not throwing it away."]
    path = tmp_path / "partial.csv"
    rows = "".join(f'Reyes,Probation Officer,"{a}"\nDontae,,"{b}"\n' for a, b in zip(client, counsellor))
    path.write_text("speaker,role,text\n" + rows)  # the officer is the one who says "I"; only his rows say so
    with pytest.warns(UserWarning) as said:
        (s,) = read_transcript(path)
    assert s.speakers == {"Reyes": "practitioner", "Dontae": "client"}  # the column, not the text, decides
    assert any("talk reads the other way round" in str(w.message) for w in said)  # and the text's doubt is said
    swapped = tmp_path / "swapped.csv"
    swapped.write_text("speaker,role,text\n" + "".join(f'Liz,counselor,"{b}"\nRenee,client,"{a}"\n'
                                                        for a, b in zip(counsellor, client)))
    with pytest.warns(UserWarning, match="'Liz' is taken as the practitioner and 'Renee' as the client"):
        (s,) = read_transcript(swapped)
    assert s.speakers == {"Liz": "practitioner", "Renee": "client"}


def test_labels_a_diarizer_swapped_halfway_are_warned_about_and_a_steady_session_is_not(tmp_path):
    asks = ["How have the past few weeks been?", "What do you make of that?", "You've noticed the pull.",
            "What would help you on the nights?", "How did your sponsor react?", "You want to keep your license.",
            "What else would you like to change?", "How sure are you about that?", "You sound ready.",
            "What's the next step for you?"]
    tells = ["Honestly, I'm exhausted and I've thought about the pills.", "I'm not sure what I make of it.",
             "I have, yes. I noticed it at work.", "I don't know. Maybe I call my sponsor.", "I didn't tell him yet.",
             "I worked too hard for it. I'm not throwing it away.", "I want my mornings back.", "I'm pretty sure.",
             "I think I am.", "I'll call my sponsor tonight."]
    steady = "".join(f"Speaker 1: {a}\nSpeaker 2: {b}\n" for a, b in zip(asks, tells))
    path = tmp_path / "steady.txt"
    path.write_text(steady)
    with pytest.warns(UserWarning) as said:
        read_transcript(path)
    assert not any("trades places" in str(w.message) for w in said)
    swapped = "".join(f"Speaker 1: {a}\nSpeaker 2: {b}\n" if k < 5 else f"Speaker 1: {b}\nSpeaker 2: {a}\n"
                      for k, (a, b) in enumerate(zip(asks, tells)))
    path.write_text(swapped)
    with pytest.warns(UserWarning,
                      match="trades places halfway: 'Speaker 1' talks like the practitioner in the first half"):
        read_transcript(path)
    path.write_text(swapped.replace("Speaker 1", "Counselor").replace("Speaker 2", "Client"))  # labelled roles too
    with pytest.warns(UserWarning, match="trades places halfway"):
        read_transcript(path)


def test_labels_that_differ_only_in_case_or_spacing_are_one_speaker(tmp_path):
    path = tmp_path / "case.txt"
    path.write_text("THERAPIST: What brings you in?\nClient: My drinking.\nTherapist: Say more.\n"
                    "CLIENT: I drink most nights.\nclient : And on weekends.\nTherapist: How do you feel about it?\n"
                    "Client: Not great.\n")
    with pytest.warns(UserWarning, match=r"differ only in case or spacing are read as one speaker \('Therapist' as "
                                         r"'THERAPIST'; 'CLIENT', 'client' as 'Client'\)"):
        (s,) = read_transcript(path)
    assert s.speakers == {"THERAPIST": "practitioner", "Client": "client"}
    assert [t.speaker for t in s.turns] == ["THERAPIST", "Client", "THERAPIST", "Client", "THERAPIST", "Client"]
    table = tmp_path / "case.csv"
    table.write_text("speaker,text\nCounselor,What brings you in?\nclient,My drinking.\nCOUNSELOR,Say more.\n"
                     "Client,I drink most nights.\n")
    with pytest.warns(UserWarning, match="read as one speaker"):
        (s,) = read_transcript(table)
    assert s.speakers == {"Counselor": "practitioner", "client": "client"}


def test_titles_before_a_name_and_a_second_label_of_the_practitioner_do_not_make_the_client(tmp_path):
    path = tmp_path / "po.txt"
    path.write_text("P.O. Smith: Have a seat, Tyler. How has the week gone?\nTyler: Fine. I went to work.\n"
                    "Ofc. Reyes: I'm just riding along today.\nTyler: Okay.\nP.O. Smith: What got in the way?\n")
    with pytest.warns(UserWarning):
        (s,) = read_transcript(path)
    assert s.speakers == {"P.O. Smith": "practitioner", "Tyler": "client", "Ofc. Reyes": "practitioner"}
    # "Daniels" is the officer's second label (a lecture, more words than the client): the client is Marcus
    lecture = ("You need to understand that the court expects you to report every week, and you have missed two "
               "appointments, so you are going to sign this plan and you will call me if anything comes up. ") * 3
    path = tmp_path / "two_labels.txt"
    path.write_text(f"Officer Daniels: How are you doing, Marcus?\nMarcus: I'm tired. I work nights now.\n"
                    f"Daniels: {lecture}\nMarcus: I know. I messed up. I'll be there.\nDaniels: {lecture}\n"
                    "Officer Daniels: What would help you get here?\nMarcus: I need a later slot, my shift ends at 9.\n")
    with pytest.warns(UserWarning, match="'Daniels'.*kept as other speakers"):
        (s,) = read_transcript(path)
    assert s.speakers == {"Officer Daniels": "practitioner", "Marcus": "client", "Daniels": "other"}


def test_an_interpreter_is_neither_role_and_speech_that_is_not_english_is_said(tmp_path):
    # an audit: the interpreter talked most and was made the client, its Spanish renderings of the officer coded CT/ST
    path = tmp_path / "interpreted.txt"
    turns = [("Officer Brennan", "Good morning. How are things going with the job search this week?"),
             ("Interpreter", "Buenos días. ¿Cómo va la búsqueda de trabajo esta semana?"),
             ("Mr. Garcia", "Pues, la verdad, no muy bien. No he encontrado nada todavía."),
             ("Interpreter", "Honestly, not very well. I haven't found anything yet."),
             ("Officer Brennan", "It's been discouraging not finding work yet."),
             ("Interpreter", "Ha sido desalentador no encontrar trabajo todavía, señor."),
             ("Mr. Garcia", "Sí. Y cuando estoy en casa sin hacer nada, me dan ganas de tomar. [speaks quietly]"),
             ("Interpreter", "Yes. And when I'm at home doing nothing, I feel like drinking.")]
    path.write_text("".join(f"{who}: {said}\n" for who, said in turns))
    with pytest.warns(UserWarning) as said:
        (s,) = read_transcript(path)
    assert s.speakers == {"Officer Brennan": "practitioner", "Interpreter": "other", "Mr. Garcia": "client"}
    messages = " ".join(str(w.message) for w in said)
    assert "4 of 8 turns do not read as English (the first: 'Buenos días." in messages
    assert s.turns[6].text.endswith("me dan ganas de tomar.")  # the transcriber's note is not speech
    # the interpreter's renderings can be coded as the client's talk when asked; with only the interpreter speaking
    # for the client, the error says so
    (s,) = read_transcript(path, client="Interpreter")
    assert s.speakers["Interpreter"] == "client"
    path.write_text("PO: How has the week been?\nInterpreter (Arabic): He says the week was hard.\n"
                    "PO: It was a hard week.\nInterpreter (Arabic): He says yes, very hard.\n")
    with pytest.raises(RoleError, match=r"no client found among speakers.*'Interpreter \(Arabic\)' is not taken for "
                                        r"the client by its label: .* --client 'Interpreter \(Arabic\)'"):
        read_transcript(path)


def test_a_speaker_column_that_holds_codes_is_said_to_hold_codes(tmp_path):
    path = tmp_path / "coded.csv"
    path.write_text("session_id,speaker,text,code\ns1,Therapist,What brings you in?,OQ\ns1,Client,My wife.,FN\n"
                    "s1,Therapist,She wants you here.,SR\n")
    with pytest.raises(RoleError, match=r"the speakers are codes \(OQ, FN, SR\): the column read as the speaker holds "
                                        "behaviour codes; name the speaker column with --speaker-col"):
        read_transcript(path, columns={"speaker": "code"})


def test_three_unlabelled_speakers_is_an_error_asking_for_names(tmp_path):
    path = tmp_path / "three.txt"
    path.write_text("Ann: Hi there, what brings you in?\nBob: Not much.\nCid: I came along.\n"
                    "Ann: How can I help?\nBob: Dunno.\nCid: Me neither.\n")
    with pytest.raises(RoleError, match="3 speakers with no role labels"):
        read_transcript(path)


def test_docx_export_is_read_like_its_text(tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for line in ["Team sync transcript", "Therapist  0:01", "What would you like to work on?",
                 "Client  0:05", "My sleep, mostly."]:
        document.add_paragraph(line)
    path = tmp_path / "session.docx"
    document.save(path)
    s = one(path)
    assert s.meta["format"] == "docx"
    assert summary(s) == [("Therapist", "practitioner"), ("Client", "client")]
    assert s.turns[1].start == 5.0


def test_corrupt_docx_is_an_input_error(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputError, match="not a readable .docx"):
        read_transcript(path)


def test_content_beats_extension_for_format_detection():
    assert detect_format(Path("x.txt"), "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nA: hi\n") == "vtt"
    assert detect_format(Path("x.txt"), "1\n00:00:00,000 --> 00:00:01,000\nA: hi\n") == "srt"
    assert detect_format(Path("x.txt"), "T: hi\nC: hello\n") == "text"


@pytest.mark.parametrize("value, seconds", [("00:01:23", 83.0), ("1:02:03.5", 3723.5), ("02:03", 123.0),
                                            ("00:00:01,250", 1.25), ("12.5", 12.5), ("n/a", None), (None, None)])
def test_parse_time(value, seconds):
    assert parse_time(value) == seconds


@pytest.mark.parametrize("name", ["probation_session.txt", "health_session.txt", "low_quality_session.txt"])
def test_bundled_examples_read_with_labelled_roles(name):
    path = Path(__file__).resolve().parents[1] / "data" / "examples" / name
    s = one(path)
    assert set(s.speakers.values()) == {"practitioner", "client"}
    assert len(s.turns) >= 40


def test_decimal_comma_times_are_read_and_times_that_cannot_be_read_are_warned_about(tmp_path):
    path = tmp_path / "excel_de.csv"
    path.write_text("speaker;start;text\nBerater;0,5;Was führt Sie her?\nKlient;4,25;Mein Arzt.\n"
                    "Berater;1,234;Ihr Arzt hat Sie geschickt.\nKlient;9;Ja.\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"1 start/end value\(s\) are not times .*'1,234'"):
        s = read_transcript(path, practitioner="Berater")[0]
    assert [t.start for t in s.turns] == [0.5, 4.25, None, 9.0]
    assert parse_time("4,2") == 4.2 and parse_time("00:00:01,500") == 1.5 and parse_time("1,234") is None


def test_assemblyai_millisecond_times_become_seconds(tmp_path):
    import json

    path = tmp_path / "assemblyai.json"
    path.write_text(json.dumps({"status": "completed", "audio_duration": 12, "utterances": [
        {"speaker": "A", "start": 520, "end": 3900, "text": "How have things been?"},
        {"speaker": "B", "start": 4300, "end": 11000, "text": "Honestly, hard."}]}))
    s = read_transcript(path, practitioner="A")[0]
    assert [(t.start, t.end) for t in s.turns] == [(0.52, 3.9), (4.3, 11.0)]


def _assemblyai(path, turns):
    import json

    path.write_text(json.dumps({"status": "completed", "audio_duration": 600, "utterances": [
        {"speaker": who, "start": 1000 * k, "end": 1000 * k + 900, "text": text} for k, (who, text) in enumerate(turns)]}))
    return path


OFFICER = ["So what brings you in today? How have things been since we last met?",
           "You felt the job was going well. What would help you keep it?",
           "It sounds like the hours matter to you. How do you want to handle the curfew?"]
CLIENT = ["I got the job at the warehouse and I have been showing up every day, even the early shifts.",
          "I need the hours to stay the same or I lose the bus, and then I am late and they fire me.",
          "I guess I could ask my boss for the day shift. I did not want to ask for anything yet."]


def test_assemblyai_speaker_letters_name_no_role_and_a_relative_with_one_line_is_kept_aside(tmp_path):
    # an ASR audit: the client's mother, AssemblyAI's speaker "C", was read as "C" for client and coded as the
    # client, and the real client was left out
    turns = [("A", OFFICER[0]), ("B", CLIENT[0]), ("A", OFFICER[1]), ("B", CLIENT[1]), ("A", OFFICER[2]),
             ("B", CLIENT[2])] * 3
    path = _assemblyai(tmp_path / "intake.json", turns[:2] + [("C", "He really has been trying.")] + turns[2:])
    with pytest.warns(UserWarning, match=r"'Speaker C' as another speaker \(1 turn\(s\), 5 words\)"):
        s = read_transcript(path)[0]
    assert {t.speaker: t.role for t in s.turns} == {"Speaker A": "practitioner", "Speaker B": "client",
                                                     "Speaker C": "other"}
    named = read_transcript(path, practitioner="A", client="B")[0]  # the letters the service gave still name them
    assert {t.speaker: t.role for t in named.turns}["Speaker B"] == "client"


def test_letters_written_by_hand_that_do_not_run_from_a_keep_their_meaning(tmp_path):
    path = _assemblyai(tmp_path / "hand.json", [("T", OFFICER[0]), ("C", CLIENT[0]), ("T", OFFICER[1]),
                                                ("C", CLIENT[1])])
    s = read_transcript(path)[0]
    assert [(t.speaker, t.role) for t in s.turns[:2]] == [("T", "practitioner"), ("C", "client")]


def test_broken_json_lines_name_the_line(tmp_path):
    path = tmp_path / "turns.jsonl"
    path.write_text('{"speaker": "A", "text": "hi"}\n{"speaker": "B", "text": "hello"}\n{"speaker": "A" "text": "x"}\n')
    with pytest.raises(InputError, match=r"invalid JSON Lines \(line 3, column 17: Expecting ',' delimiter\)"):
        read_transcript(path)


def test_a_word_table_of_speaker_time_and_text_keeps_the_times(tmp_path):
    import docx

    document = docx.Document()
    table = document.add_table(rows=0, cols=3)
    for name, time, said in [("Counselor", "00:00:02", "What brings you in?"), ("Client", "00:00:06", "My doctor."),
                             ("Counselor", "00:00:12", "Your doctor sent you.")]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text, cells[2].text = name, time, said
    document.save(tmp_path / "rev.docx")
    s = read_transcript(tmp_path / "rev.docx")[0]
    assert [(t.speaker, t.start, t.text) for t in s.turns] == [
        ("Counselor", 2.0, "What brings you in?"), ("Client", 6.0, "My doctor."),
        ("Counselor", 12.0, "Your doctor sent you.")]


def test_an_excel_workbook_named_csv_is_called_what_it_is(tmp_path):
    import zipfile

    path = tmp_path / "session.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match="an Excel workbook, not a transcript file: save the sheet as CSV"):
        read_transcript(path)
    damaged = tmp_path / "codes.xlsx"  # a workbook that does not open is still named one (a scoring audit: "not a
    damaged.write_bytes(b"PK\x03\x04 cut off")  # readable .docx file")
    with pytest.raises(InputError, match="codes.xlsx: a spreadsheet workbook, not a transcript file: save the sheet"):
        read_transcript(damaged)


def test_a_third_person_who_speaks_once_in_labelled_text_is_a_speaker_but_a_header_or_note_is_not(tmp_path):
    path = tmp_path / "three.txt"
    path.write_text("Date: 3 March\nMaria Lopez: How has that gone?\nDan Whitaker: I applied to two places.\n"
                    "Ana Ruiz: Sorry, the audio cut out.\nDan Whitaker: Nobody called back.\n"
                    "Note: the client looked tired.\nMaria Lopez: That sounds discouraging.\n")
    # said in a warning: "Rule One: don't go home the long way past the bar." inside a turn reads the same
    with pytest.warns(UserWarning, match="'Ana Ruiz' label.* one line each and are read as other speakers"):
        s = one(path, practitioner="Maria Lopez", client="Dan Whitaker")
    assert summary(s) == [("Maria Lopez", "practitioner"), ("Dan Whitaker", "client"), ("Ana Ruiz", "other"),
                          ("Dan Whitaker", "client"), ("Maria Lopez", "practitioner")]
    assert s.turns[3].text == "Nobody called back. Note: the client looked tired."
    assert s.meta["header"] == ["Date: 3 March"]


@pytest.mark.parametrize("named, guessed", [("Interviewer: DW\nParticipant: P07", None),
                                           ("Interviewer: DW (Dana Wells)", "'P07' as client"),
                                           ("Participant ID: p07", "'DW' as practitioner")])
def test_a_research_header_that_names_the_speakers_roles_gives_them_without_guessing(tmp_path, named, guessed):
    path = tmp_path / "study.txt"
    # DW says little and asks nothing: the text alone would not tell who is who
    path.write_text(f"Study: Supervision Project\n{named}\nDate: 2024-03-01\n\n"
                    "DW: Okay.\nP07: So you want to know how it went. What do you think? I did everything you "
                    "asked, didn't I?\nDW: Mm-hmm. I understand.\nP07: Are you going to write that down?\n")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        s = one(path)
    assert summary(s)[:2] == [("DW", "practitioner"), ("P07", "client")]
    inferred = [str(w.message) for w in said if "roles inferred" in str(w.message)]
    assert inferred == [] if guessed is None else guessed in inferred[0]
    assert ("roles_inferred" in s.meta) == (guessed is not None)


def test_a_turn_id_that_comes_back_later_is_a_turn_of_its_own_in_file_order_with_a_warning(tmp_path):
    path = tmp_path / "pasted.csv"
    path.write_text("turn_id,speaker,text\n1,Therapist,Hello how are you?\n2,Client,Fine.\n"
                    "1,Therapist,Welcome back.\n2,Client,It got worse.\n")
    with pytest.warns(UserWarning, match=r"turn id\(s\) 1, 2 come back after other turns"):
        (session,) = read_transcript(path)
    assert [t.text for t in session.turns] == ["Hello how are you?", "Fine.", "Welcome back.", "It got worse."]
    assert len({t.id for t in session.turns}) == 4


def test_a_table_without_sessions_whose_utterance_numbers_start_again_is_said_to_be_read_as_one(tmp_path):
    rows = ["utterance_id,speaker,text"]
    for _ in range(2):  # two sessions stacked, the session column left out
        rows += [f"{k},{'PO' if k % 2 else 'Client'},Line {k}." for k in range(1, 7)]
    path = tmp_path / "stacked.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match=r"stacked.csv: no session column.*'utterance_id' numbers start again at "
                                         r"row 8.*--session-col"):
        (session,) = read_transcript(path)
    assert len(session.turns) == 12
    per_turn = tmp_path / "per_turn.csv"  # utterances numbered within each turn: no warning
    per_turn.write_text("turn_id,utterance_id,speaker,text\n1,1,PO,Hi.\n1,2,PO,How are you?\n2,1,Client,Fine.\n"
                        "3,1,PO,Good.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_transcript(per_turn)


def test_speech_above_the_first_speaker_label_is_said_to_be_left_out_and_a_title_is_not(tmp_path):
    path = tmp_path / "h.txt"
    path.write_text("Session 4, 12 March 2026\nDate: 2026-03-12\nI have been drinking a lot and my wife is upset.\n"
                    "Therapist: That sounds hard. What worries you most?\nClient: My kids.\n"
                    "Therapist: Your kids.\nClient: Yes.\n")
    with pytest.warns(UserWarning, match=r"1 line\(s\) before the first speaker label are not coded.*'I have been"):
        (session,) = read_transcript(path)
    assert session.meta["header"][0] == "Session 4, 12 March 2026"
    titled = tmp_path / "t.txt"
    titled.write_text("Session 4, 12 March 2026\nDate: 2026-03-12\nTherapist: What worries you most?\n"
                      "Client: My kids.\nTherapist: Your kids.\nClient: Yes.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_transcript(titled)


def test_labels_with_qualifiers_in_brackets_are_speakers_not_words_of_the_turn_before(tmp_path):
    path = tmp_path / "family.txt"
    path.write_text("PO: How has the week been?\nProbationer: Not great. I missed group.\n"
                    "Mother [family]: He was sick all week, I can vouch for that.\nPO: So you were unwell.\n"
                    "Probationer: Yeah. I want to go next week.\nInterpreter (Spanish): His mother says she will drive him.\n"
                    "PO: Your family is backing you.\nProbationer: They are.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = one(path)
    speakers = [t.speaker for t in s.turns]
    assert "Mother [family]" in speakers and "Interpreter (Spanish)" in speakers
    assert not any(":" in t.text for t in s.turns)  # no label left inside another speaker's words
    assert {t.role for t in s.turns if t.speaker == "Interpreter (Spanish)"} == {"other"}


@pytest.mark.parametrize("first, second", [("[SPEAKER_00]", "[SPEAKER_01]"), ("Doe, Jane (DOC)", "Lee, Marcus"),
                                           ("Dr. Jane Doe (PO)", "Client [M.L.]")])
def test_bracketed_diarization_labels_and_last_first_names_are_read_in_plain_text(tmp_path, first, second):
    path = tmp_path / "t.txt"
    path.write_text(f"{first}: How have the last two weeks been?\n{second}: Pretty rough, honestly.\n"
                    f"{first}: Rough in what way?\n{second}: I lost the job.\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = one(path)
    bare = {"[SPEAKER_00]": "SPEAKER_00", "[SPEAKER_01]": "SPEAKER_01"}
    assert [t.speaker for t in s.turns] == [bare.get(first, first), bare.get(second, second)] * 2
    assert s.turns[1].text == "Pretty rough, honestly."


def test_a_time_after_the_label_is_the_turn_start_not_words(tmp_path):
    path = tmp_path / "sonix.txt"
    path.write_text("Counselor: [00:00:01] Hi Marcus, how are things?\nClient: [00:00:07] Rough, honestly.\n")
    s = one(path)
    assert [(t.start, t.text) for t in s.turns] == [(1.0, "Hi Marcus, how are things?"), (7.0, "Rough, honestly.")]


def test_clock_times_with_am_or_pm_are_times_not_part_of_the_speakers_name(tmp_path):
    # "AM Officer Ruiz" and "PM Officer Ruiz" were two speakers, and --practitioner "Officer Ruiz" was refused
    path = tmp_path / "clock.txt"
    path.write_text("11:59:50 AM Officer Ruiz: Morning. How did the week go?\n"
                    "11:59:58 AM Jason: Okay. I worked four days.\n"
                    "12:00:41 PM Officer Ruiz: Four days in a row. What made that work?\n"
                    "12:01:02 P.M. Jason: My sister drove me.\n"
                    "1:05:00 PM Officer Ruiz: So family helps.\n")
    s = one(path, practitioner="Officer Ruiz")
    assert [t.speaker for t in s.turns] == ["Officer Ruiz", "Jason"] * 2 + ["Officer Ruiz"]
    assert [t.start for t in s.turns] == [43190.0, 43198.0, 43241.0, 43262.0, 47100.0]


def test_a_time_with_seconds_between_the_label_and_the_colon_is_the_turn_start(tmp_path):
    # "Nurse 00:00:35: What got in the way..." was appended to the patient's turn and coded as the patient's
    path = tmp_path / "name_time.txt"
    path.write_text("Nurse 00:00:03: Hi, thanks for calling back.\nPatient 00:00:09: Hi, sorry I missed you.\n"
                    "Nurse 00:00:35: What got in the way of checking your sugar?\n"
                    "Patient 00:00:41: At 10:30: the kids need me, and I forget.\n")
    s = one(path)
    assert [(t.speaker, t.start) for t in s.turns] == [("Nurse", 3.0), ("Patient", 9.0), ("Nurse", 35.0),
                                                       ("Patient", 41.0)]
    assert s.turns[3].text == "At 10:30: the kids need me, and I forget."


def test_google_meet_time_lines_and_closing_line_are_not_speech_but_a_spoken_time_is(tmp_path):
    path = tmp_path / "meet.txt"
    path.write_text("Transcript\n00:00:00\n\nCounselor: What would a good week look like?\n"
                    "Client: Work, then the group. The one that starts at\n10:30 is too late for me though.\n"
                    "00:00:49\n\nCounselor: The early one suits you better.\nClient: Yeah.\n\n"
                    "Meeting ended after 00:01:19 👋\n")
    s = one(path)
    text = " ".join(t.text for t in s.turns)
    assert "The one that starts at 10:30 is too late for me though." in text
    assert "00:00:49" not in text and "Meeting ended" not in text
    assert s.turns[-1].text == "Yeah."


@pytest.mark.parametrize("closing", ["Meeting ended after 00:01:19 \U0001F44B", "Transcription ended after 00:01:19"])
def test_google_meets_closing_lines_and_the_disclaimer_after_them_are_not_the_last_speakers_words(tmp_path, closing):
    # an export audit: Meet's 2025 ending and its disclaimer were coded as the practitioner's last two utterances
    path = tmp_path / "meet.txt"
    path.write_text("Transcript\n00:00:00\n\nCounselor: See you next Monday.\nClient: See you then.\n\n"
                    f"{closing}\n\n\nThis editable transcript was computer generated and might contain errors. "
                    "People can also change the text after it was created.\n")
    s = one(path)
    assert s.turns[-1].text == "See you then."
    assert "computer generated" not in " ".join(t.text for t in s.turns)


def test_srt_positioning_tags_are_not_words_and_do_not_hide_the_speaker(tmp_path):
    path = tmp_path / "tagged.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:04,000\nJane Doe: How have the last two weeks been?\n\n"
                    "2\n00:00:05,000 --> 00:00:08,000\n{\\an8}Marcus Lee: Pretty rough, honestly.\n\n"
                    "3\n00:00:09,000 --> 00:00:12,000\n{\\an8}Jane Doe: Rough in what way?\n\n"
                    "4\n00:00:13,000 --> 00:00:16,000\nMarcus Lee: I lost the job.\n", encoding="utf-8")
    s = one(path, practitioner="Jane Doe")
    assert [(t.speaker, t.text) for t in s.turns] == [
        ("Jane Doe", "How have the last two weeks been?"), ("Marcus Lee", "Pretty rough, honestly."),
        ("Jane Doe", "Rough in what way?"), ("Marcus Lee", "I lost the job.")]


def test_assemblyai_milliseconds_become_seconds_without_audio_duration(tmp_path):
    import json

    path = tmp_path / "aai.json"
    path.write_text(json.dumps({"utterances": [
        {"speaker": "A", "start": 1350, "end": 6720, "text": "How have the last two weeks been for you?"},
        {"speaker": "B", "start": 7100, "end": 15400, "text": "Honestly, pretty rough."},
        {"speaker": "A", "start": 16000, "end": 22300, "text": "Rough in what way?"}]}))
    with pytest.warns(UserWarning, match="times read as milliseconds"):
        s = one(path, practitioner="A")
    assert [(t.start, t.end) for t in s.turns] == [(1.35, 6.72), (7.1, 15.4), (16.0, 22.3)]
    # the same utterances saved alone, as a bare list (an ASR audit: their times had stayed milliseconds)
    bare = tmp_path / "aai_list.json"
    bare.write_text(json.dumps(json.loads(path.read_text())["utterances"]))
    with pytest.warns(UserWarning, match="times read as milliseconds"):
        s = one(bare, practitioner="A")
    assert [(t.start, t.end) for t in s.turns] == [(1.35, 6.72), (7.1, 15.4), (16.0, 22.3)]
    # a list of turns timed in seconds is left as it is, without a warning
    seconds = tmp_path / "seconds.json"
    seconds.write_text(json.dumps([{"speaker": "A", "start": 1, "end": 6, "text": "How have you been?"},
                                   {"speaker": "B", "start": 7, "end": 15, "text": "Rough."}]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [(t.start, t.end) for t in one(seconds, practitioner="A").turns] == [(1, 6), (7, 15)]


def _asr_words(spec):
    """(speaker, start, words) runs -> one (speaker, start, end, word) per word, 0.3 s each, 0.05 s apart."""
    out = []
    for speaker, start, said in spec:
        for k, word in enumerate(said.split()):
            out.append((speaker, round(start + 0.35 * k, 2), round(start + 0.35 * k + 0.3, 2), word))
    return out


_ASR_TALK = [("po", 0.5, "hi marcus how have things been"), ("cl", 3.0, "not great i lost my job"),
             ("po", 6.0, "that sounds hard what happened"), ("cl", 9.0, "they said i was late too often")]
_ASR_EXPECTED = [("hi marcus how have things been", 0.5), ("not great i lost my job", 3.0),
                 ("that sounds hard what happened", 6.0), ("they said i was late too often", 9.0)]


def _read_asr(tmp_path, name, data, **kw):
    import json

    path = tmp_path / name
    path.write_text(json.dumps(data))
    s = one(path, **kw)
    return [(t.text, t.start) for t in s.turns], s


def test_speechmatics_json_is_read_with_its_speakers_and_punctuation(tmp_path):
    """An ASR audit: Speechmatics json-v2 was taken for a Google response and refused as not diarized."""
    results = []
    for speaker, start, end, word in _asr_words(_ASR_TALK):
        results.append({"type": "word", "start_time": start, "end_time": end,
                        "alternatives": [{"content": word, "confidence": 0.9, "speaker": speaker.upper()}]})
    results.insert(6, {"type": "punctuation", "attaches_to": "previous", "start_time": 2.0, "end_time": 2.0,
                       "alternatives": [{"content": "?", "speaker": "PO"}]})
    turns, s = _read_asr(tmp_path, "sm.json", {"format": "2.9", "results": results}, practitioner="PO")
    assert turns[0] == ("hi marcus how have things been?", 0.5)
    assert turns[1:] == _ASR_EXPECTED[1:] and [t.speaker for t in s.turns] == ["PO", "CL", "PO", "CL"]


@pytest.mark.parametrize("layout", ["v2-results", "v1-operation"])
def test_google_speech_v2_speaker_labels_and_v1_operations_are_read(tmp_path, layout):
    """An ASR audit: Google v2 words carry speakerLabel (no speakerTag) and each result only its own words; a v1
    long-running operation wraps its results in "response". Both were refused."""
    words = [{"word": w, "startOffset": f"{a:.3f}s", "endOffset": f"{b:.3f}s", "speakerLabel": "1" if sp == "po" else "2"}
             for sp, a, b, w in _asr_words(_ASR_TALK)]
    if layout == "v2-results":
        data = {"results": [{"alternatives": [{"transcript": "...", "words": words[:11]}]},
                            {"alternatives": [{"transcript": "...", "words": words[11:]}]}]}
    else:  # v1: every word again, with its speaker, in the last result
        v1 = [{**{k: v for k, v in w.items() if k != "speakerLabel"}, "speakerTag": int(w["speakerLabel"])}
              for w in words]
        plain = [{k: v for k, v in w.items() if k != "speakerTag"} for w in v1]
        data = {"name": "1", "done": True, "response": {"results": [
            {"alternatives": [{"transcript": "...", "words": plain[:11]}]},
            {"alternatives": [{"transcript": "...", "words": plain[11:]}]},
            {"alternatives": [{"words": v1}]}]}}
    turns, s = _read_asr(tmp_path, "g.json", data, practitioner="Speaker 1")
    assert turns == _ASR_EXPECTED


@pytest.mark.parametrize("diarized", [False, True])
def test_a_deepgram_multichannel_response_reads_every_channel(tmp_path, diarized):
    """An ASR audit: only channel 0 was read, so the client on channel 1 was dropped (or refused as undiarized)."""
    channels = [[], []]
    for speaker, start, end, word in _asr_words(_ASR_TALK):
        w = {"word": word, "start": start, "end": end, "confidence": 0.9, "punctuated_word": word}
        channels[0 if speaker == "po" else 1].append({**w, "speaker": 0} if diarized else w)
    data = {"metadata": {"channels": 2}, "results": {"channels": [
        {"alternatives": [{"transcript": "...", "words": words}]} for words in channels]}}
    turns, s = _read_asr(tmp_path, "dg.json", data, practitioner="Channel 0")
    assert turns == _ASR_EXPECTED
    assert [t.speaker for t in s.turns] == ["Channel 0", "Channel 1"] * 2


def test_whisperx_segments_without_a_speaker_inside_the_talk_are_warned_about(tmp_path):
    """An ASR audit: a client's short answer that diarization left unattributed joined the officer's turn silently."""
    import json

    path = tmp_path / "wx.json"
    path.write_text(json.dumps({"segments": [
        {"start": 0.5, "end": 2.0, "text": " Would it help to look at some job programs?", "speaker": "SPEAKER_00"},
        {"start": 2.4, "end": 3.1, "text": " Sure."},
        {"start": 3.5, "end": 6.0, "text": " Okay, there's one at the library.", "speaker": "SPEAKER_00"},
        {"start": 6.5, "end": 8.0, "text": " I could go Tuesday.", "speaker": "SPEAKER_01"}]}))
    with pytest.warns(UserWarning, match=r"1 segment\(s\) have no speaker .* continue the speaker before them "
                                         r"\(at 2.4 s\); check them"):
        s = one(path, practitioner="SPEAKER_00")
    assert [t.speaker for t in s.turns] == ["SPEAKER_00", "SPEAKER_01"]


def test_a_zoom_participant_who_dialled_in_by_phone_is_a_speaker(tmp_path):
    path = tmp_path / "phone.vtt"
    path.write_text("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nJane Doe (she/her): How have the two weeks been?\n\n"
                    "2\n00:00:05.000 --> 00:00:08.000\n+1 (555) 201-3344: Pretty rough, honestly.\n\n"
                    "3\n00:00:09.000 --> 00:00:12.000\nJane Doe (she/her): Rough in what way?\n\n"
                    "4\n00:00:13.000 --> 00:00:16.000\n+1 (555) 201-3344: I lost the job.\n")
    s = one(path, practitioner="Jane Doe (she/her)")
    assert [t.speaker for t in s.turns] == ["Jane Doe (she/her)", "+1 (555) 201-3344"] * 2
    assert [t.role for t in s.turns] == ["practitioner", "client"] * 2
    assert s.turns[1].text == "Pretty rough, honestly."


def test_zoom_saved_transcript_names_lose_their_brackets(tmp_path):
    path = tmp_path / "zoom_saved.txt"
    path.write_text("[Jane Doe] 10:00:01\nHow have the two weeks been?\n\n[Marcus Lee] 10:00:07\nPretty rough.\n\n"
                    "[Jane Doe] 10:00:12\nRough in what way?\n\n[Marcus Lee] 10:00:15\nI lost the job.\n")
    s = one(path, practitioner="Jane Doe")
    assert [t.speaker for t in s.turns] == ["Jane Doe", "Marcus Lee"] * 2
    assert s.turns[3].text == "I lost the job."
    # its heads are clock times: seconds from the session's start, not since midnight (an export audit: 36,001 s)
    assert [t.start for t in s.turns] == [0.0, 6.0, 11.0, 14.0] and s.turns[0].meta["clock_start"] == "10:00:01"


def test_docx_paragraphs_and_tables_are_read_in_the_order_of_the_document(tmp_path):
    import docx

    document = docx.Document()
    document.add_paragraph("Counselor: How was the week?")
    document.add_paragraph("Client: Rough.")
    table = document.add_table(rows=2, cols=3)
    for row, (who, time, text) in zip(table.rows, [("Counselor", "0:10", "Rough in what way?"),
                                                   ("Client", "0:14", "I lost the job.")]):
        row.cells[0].text, row.cells[1].text, row.cells[2].text = who, time, text
    document.add_paragraph("Counselor: That sounds hard.")
    document.add_paragraph("Client: It is.")
    path = tmp_path / "mixed.docx"
    document.save(path)
    s = one(path)
    assert [t.text for t in s.turns] == ["How was the week?", "Rough.", "Rough in what way?", "I lost the job.",
                                         "That sounds hard.", "It is."]


def test_two_speakers_in_one_srt_cue_share_its_time_by_their_words(tmp_path):
    path = tmp_path / "dashes.srt"
    path.write_text("1\n00:00:01,000 --> 00:00:11,000\n- Nurse: How have the last two weeks been?\n"
                    "- Patient: Rough, honestly, really rough.\n\n"
                    "2\n00:00:12,000 --> 00:00:16,000\n- Nurse: Rough in what way?\n- Patient: I lost it.\n")
    s = one(path)
    assert [(t.speaker, t.start, t.end) for t in s.turns] == [
        ("Nurse", 1.0, 7.364), ("Patient", 7.364, 11.0), ("Nurse", 12.0, 14.286), ("Patient", 14.286, 16.0)]  # 7:4, 4:3


def test_amazon_transcribe_and_google_speech_responses_are_read_by_speaker(tmp_path):
    import json

    said = [("spk_0", 1.0, "How", "have", "you", "been?"), ("spk_1", 3.0, "Rough,", "honestly", "rough."),
            ("spk_0", 5.0, "Rough", "in", "what", "way?")]
    items, google = [], []
    for speaker, start, *words in said:
        for k, word in enumerate(words):
            t0, t1 = start + 0.4 * k, start + 0.4 * (k + 1)
            core, mark = (word[:-1], word[-1]) if word[-1] in "?,." else (word, "")
            items.append({"start_time": f"{t0:.3f}", "end_time": f"{t1:.3f}", "type": "pronunciation",
                          "alternatives": [{"content": core}], "speaker_label": speaker})
            if mark:
                items.append({"type": "punctuation", "alternatives": [{"content": mark}]})
            google.append({"startTime": f"{t0:.1f}s", "endTime": f"{t1:.1f}s", "word": word,
                           "speakerTag": int(speaker[-1]) + 1})
    aws = tmp_path / "aws.json"
    aws.write_text(json.dumps({"jobName": "x", "results": {"transcripts": [{"transcript": "..."}], "items": items}}))
    gcp = tmp_path / "google.json"
    gcp.write_text(json.dumps({"results": [{"alternatives": [{"transcript": "How have you been?"}]},
                                           {"alternatives": [{"transcript": "...", "words": google}]}]}))
    for path, names in ((aws, ("spk_0", "spk_1")), (gcp, ("Speaker 1", "Speaker 2"))):
        s = one(path, practitioner=names[0])
        assert [(t.speaker, t.text) for t in s.turns] == [
            (names[0], "How have you been?"), (names[1], "Rough, honestly rough."), (names[0], "Rough in what way?")]
        assert s.turns[1].start == pytest.approx(3.0)


def test_a_first_whisperx_segment_without_a_speaker_goes_to_the_next_speaker_with_a_warning(tmp_path):
    import json

    path = tmp_path / "wx.json"
    path.write_text(json.dumps({"segments": [
        {"start": 0.5, "end": 1.0, "text": "Okay."},
        {"start": 1.0, "end": 3.0, "text": "How have you been?", "speaker": "SPEAKER_00"},
        {"start": 3.5, "end": 5.0, "text": "Rough, honestly.", "speaker": "SPEAKER_01"},
        {"start": 5.5, "end": 7.0, "text": "Rough in what way?", "speaker": "SPEAKER_00"}]}))
    with pytest.warns(UserWarning, match="first 1 segment.*given to 'SPEAKER_00'"):
        s = one(path, practitioner="SPEAKER_00")
    assert s.turns[0].speaker == "SPEAKER_00" and s.turns[0].text == "Okay. How have you been?"


@pytest.mark.parametrize("header, said", [
    ("session_id,speaker,text,Text", "'text' and 'Text'"),
    ("session_id,speaker,text,text", "'text' (2 times)"),
    ("session_id,speaker,text,code,code", "'code' (2 times)"),
])
def test_a_header_that_names_a_column_twice_is_an_error_not_a_silent_choice(tmp_path, header, said):
    path = tmp_path / "twice.csv"
    path.write_text(header + "\n" + "\n".join(f"s1,{who},{line},{line}" + (",X" if header.endswith("code,code") else "")
                                              for who, line in (("T", "How are you?"), ("C", "Fine.")) ) + "\n")
    with pytest.raises(InputError, match=f"twice.csv: the header names one column twice, {re.escape(said)}"):
        read_transcript(path)


@pytest.mark.parametrize("name, content, said", [
    ("notes.rtf", "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\nT: How are you doing today?\\par\nC: Fine.\\par\n}",
     "a Rich Text (RTF) file"),
    ("session.txt", "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF file"),
])
def test_rtf_and_pdf_files_are_refused_with_how_to_export_them(tmp_path, name, content, said):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=f"{name}: {re.escape(said)}"):
        read_transcript(path)


def test_a_csv_cell_longer_than_the_csv_modules_default_limit_is_read(tmp_path):
    path = tmp_path / "long.csv"
    words = " ".join(["so you want to quit."] * 8000)  # about 160 KB in one cell: one unsegmented turn
    path.write_text(f"session_id,speaker,text\ns1,T,{words}\ns1,C,Yes.\n")
    session = read_transcript(path, practitioner="T")[0]
    assert session.turns[0].text == words


def test_negative_times_and_ends_before_starts_are_warned_about(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("session_id,speaker,text,start,end\ns1,T,How are you?,0,-5\ns1,C,I want to quit.,10,5\n"
                    "s1,T,Tell me more.,12,14\n")
    with pytest.warns(UserWarning, match=r"times.csv: 2 row\(s\) or piece\(s\) have a negative time or end before "
                                         r"they start \(the first: number 1\)"):
        read_transcript(path, practitioner="T")


def test_table_column_options_on_a_file_that_is_not_a_table_are_said_to_be_ignored(tmp_path):
    path = tmp_path / "talk.txt"
    path.write_text("PO: How was the week?\nClient: Rough.\n")
    with pytest.warns(UserWarning, match=r"talk.txt: --text-col name\(s\) table columns, and this file is read as "
                                         r"text \(not a table\): ignored"):
        read_transcript(path, columns={"text": "utt"})


def test_turns_left_to_an_unassigned_speaker_are_named_in_a_warning_with_their_share(tmp_path):
    # an export audit: Otter's "Unknown Speaker" blocks (three of them the officer's) went uncoded without a word
    path = tmp_path / "otter.txt"
    path.write_text("Officer Diaz  0:00\nHow did the week go with the new job?\n\n"
                    "Marcus Reed  0:05\nIt went okay, I showed up every day on time.\n\n"
                    "Unknown Speaker  0:12\nThat took some effort, with the bus schedule the way it is.\n\n"
                    "Marcus Reed  0:18\nYeah, I had to leave at six every morning.\n\n"
                    "Officer Diaz  0:25\nWhat kept you going?\n\n"
                    "Unknown Speaker  0:30\nAnd did you get to the group on Thursday, or did work get in the way?\n")
    with pytest.warns(UserWarning, match=r"'Unknown Speaker' \(2 turns, 28 words\): \d+% of the words are kept as "
                                         r"other speakers and not coded"):
        s = one(path)
    assert [t.role for t in s.turns].count("other") == 2
    # two unlabelled named speakers beside the block (Otter's "Speaker 2"): roles inferred for them, not refused as
    # three speakers to choose among
    path.write_text(path.read_text().replace("Officer Diaz", "Margaret Hill").replace("Marcus Reed", "Speaker 2"))
    with pytest.warns(UserWarning, match="roles inferred from the text"):
        s = one(path)
    assert s.speakers == {"Margaret Hill": "practitioner", "Speaker 2": "client", "Unknown Speaker": "other"}


def test_a_name_alone_on_its_line_heads_a_turn_as_otter_without_timestamps_and_old_teams_documents_write_it(tmp_path):
    # an export audit: both layouts were refused with "no speaker-labelled lines found"
    plain = tmp_path / "otter.txt"
    plain.write_text("Officer Diaz\nHow have things been?\n\nMarcus Reed\nRough. I missed group.\n\n"
                     "Officer Diaz\nWork got in the way.\n\nMarcus Reed\nYeah, the shift moved.\n")
    s = one(plain)
    assert [(t.speaker, t.text) for t in s.turns][:2] == [("Officer Diaz", "How have things been?"),
                                                          ("Marcus Reed", "Rough. I missed group.")]
    teams = tmp_path / "teams.txt"
    teams.write_text("0:0:0.0 --> 0:0:5.320\nOfficer Diaz\nHow have things been?\n\n"
                     "0:0:6.90 --> 0:0:13.560\nMarcus Reed\nRough. I missed group.\n\n"
                     "0:0:14.0 --> 0:0:18.0\nOfficer Diaz\nWork got in the way.\n\n"
                     "0:0:19.7 --> 0:0:27.900\nMarcus Reed\nYeah, the shift moved.\n")
    s = one(teams)
    assert [(t.start, t.end) for t in s.turns] == [(0.0, 5.32), (6.09, 13.56), (14.0, 18.0), (19.007, 27.9)]
    assert all("-->" not in t.text for t in s.turns)


@pytest.mark.parametrize("name, text", [
    ("plain.txt", "Officer Diaz: How is the job?\nMarcus Reed: The job. I've got my daughter every other weekend,\n"
                  ": Mm-hmm.\nMarcus Reed: and I need to pay for stuff.\nOfficer Diaz: She matters to you.\n"),
    ("otter.txt", "Officer Diaz  0:00\nHow is the job?\n\nMarcus Reed  0:06\nThe job. I've got my daughter every "
                  "other weekend,\n\n  0:40\nMm-hmm.\n\nMarcus Reed  0:41\nand I need to pay for stuff.\n\n"
                  "Officer Diaz  0:44\nShe matters to you.\n"),
])
def test_a_line_or_head_that_lost_its_speaker_name_is_an_unnamed_speakers_not_the_previous_speakers(tmp_path, name,
                                                                                                      text):
    # an export audit: "0:40 Mm-hmm." and ": Mm-hmm." became the client's words, time and colon included
    path = tmp_path / name
    path.write_text(text)
    with pytest.warns(UserWarning, match="no speaker name: read as 'Unnamed speaker'"):
        s = one(path)
    assert [(t.speaker, t.role, t.text) for t in s.turns if t.text == "Mm-hmm."] == [
        ("Unnamed speaker", "other", "Mm-hmm.")]
    assert not any("0:40" in t.text or t.text.startswith(":") for t in s.turns)


def test_a_wrapped_caption_line_that_opens_with_a_name_is_named_in_a_warning(tmp_path):
    path = tmp_path / "wrapped.srt"
    path.write_text("1\n00:00:00,000 --> 00:00:06,000\nOfficer Diaz: How is the job?\n\n"
                    "2\n00:00:06,000 --> 00:00:14,000\nMarcus Reed: My boss told me straight up,\n"
                    "Marcus: one more late and you're done.\n\n"
                    "3\n00:00:14,000 --> 00:00:19,000\nOfficer Diaz: That's a lot of pressure.\n\n"
                    "4\n00:00:19,000 --> 00:00:24,000\nMarcus Reed: It is.\n")
    with pytest.warns(UserWarning, match="'Marcus' label\\(s\\) one caption line each"):
        one(path)


def test_an_otter_file_cut_off_inside_a_speakers_head_is_said_to_be_cut_off(tmp_path):
    path = tmp_path / "otter.txt"
    path.write_text("Officer Diaz  0:00\nHow is the job?\n\nMarcus Reed  0:06\nIt's fine.\n\n"
                    "Officer Diaz  0:10\nYour daughter's a big reason you're doing all this.\n\nMarcus Re")
    with pytest.warns(UserWarning, match="ends with 'Marcus Re', the start of a speaker's head: it looks cut off"):
        s = one(path)
    assert s.turns[-1].text == "Your daughter's a big reason you're doing all this."


def test_a_label_on_its_own_line_takes_the_time_that_opens_the_next_line(tmp_path):
    path = tmp_path / "sonix.txt"
    path.write_text("Officer Diaz:\n[00:00:00] Morning, Marcus. How have things been?\n\n"
                    "Marcus Reed:\n[00:00:06] Honestly? Kind of rough.\n")
    s = one(path)
    assert [(t.start, t.text) for t in s.turns] == [(0.0, "Morning, Marcus. How have things been?"),
                                                    (6.0, "Honestly? Kind of rough.")]


def test_rev_ai_monologues_are_read_with_their_punctuation_and_times(tmp_path):
    monologues = []
    for speaker, start, said in _ASR_TALK:
        elements = []
        for _, a, b, word in _asr_words([(speaker, start, said)]):
            elements += [{"type": "text", "value": word, "ts": a, "end_ts": b, "confidence": 0.9},
                         {"type": "punct", "value": " "}]
        elements[-1] = {"type": "punct", "value": "."}
        monologues.append({"speaker": 0 if speaker == "po" else 1, "elements": elements})
    turns, s = _read_asr(tmp_path, "rev.json", {"monologues": monologues}, practitioner="Speaker 0")
    assert turns == [(text + ".", start) for text, start in _ASR_EXPECTED]
    assert s.turns[0].end == pytest.approx(0.5 + 0.35 * 5 + 0.3)


@pytest.mark.parametrize("layout", ["batch", "fast", "batch-channels"])
def test_azure_speech_batch_and_fast_transcriptions_are_read(tmp_path, layout):
    phrases = []
    for k, (speaker, start, said) in enumerate(_ASR_TALK):
        n = 0 if speaker == "po" else 1
        length = 0.35 * len(said.split())
        if layout == "fast":
            phrases.append({"speaker": n, "offsetMilliseconds": int(start * 1000),
                            "durationMilliseconds": int(length * 1000), "text": said})
        else:
            phrase = {"recognitionStatus": "Success", "channel": n if layout == "batch-channels" else 0,
                      "offsetInTicks": start * 1e7, "durationInTicks": length * 1e7,
                      "nBest": [{"lexical": said, "display": said}]}
            if layout == "batch":
                phrase["speaker"] = n + 1
            phrases.append(phrase)
    if layout == "batch-channels":  # Azure lists each channel's phrases together: put in order of time
        phrases.sort(key=lambda p: p["channel"])
    data = ({"durationMilliseconds": 12000, "combinedPhrases": [{"text": "..."}], "phrases": phrases}
            if layout == "fast" else {"combinedRecognizedPhrases": [], "recognizedPhrases": phrases})
    first = {"batch": "Speaker 1", "fast": "Speaker 0", "batch-channels": "Channel 0"}[layout]
    turns, s = _read_asr(tmp_path, "az.json", data, practitioner=first)
    assert turns == _ASR_EXPECTED and s.turns[0].speaker == first
    if layout == "batch":
        undiarized = json.loads((tmp_path / "az.json").read_text())
        for phrase in undiarized["recognizedPhrases"]:
            del phrase["speaker"]
        (tmp_path / "az.json").write_text(json.dumps(undiarized))
        with pytest.raises(InputError, match="az.json: Azure phrases carry no speaker"):
            read_transcript(tmp_path / "az.json")


@pytest.mark.parametrize("service", ["deepgram", "assemblyai", "whisperx"])
def test_utterance_times_come_from_the_asr_words_not_from_sharing_the_turns_span(tmp_path, service):
    """An ASR audit: an utterance's start and end were estimated by sharing its turn's span among the words, up to
    0.56 s off, although the file gives every word's time. A pause before the second sentence shows it."""
    from mi_coder.io.writer import utterance_times
    from mi_coder.segment import segment

    said = [("Thanks for coming in.", 0.5, 1.9), ("What brings you here today?", 4.0, 5.6)]  # 2.1 s pause between
    words = []
    for sentence, a, b in said:
        parts = sentence.split()
        step = (b - a) / len(parts)
        words += [(w, round(a + step * i, 3), round(a + step * (i + 1) - 0.05, 3)) for i, w in enumerate(parts)]
    answer = {"text": "My doctor sent me.", "start": 6.5, "end": 7.7}
    if service == "deepgram":
        data = {"results": {"channels": [{"alternatives": [{"words": [
            {"word": w.strip(".?").lower(), "punctuated_word": w, "start": a, "end": b, "speaker": 0} for w, a, b in words]
            + [{"word": w, "punctuated_word": w, "start": 6.5 + 0.3 * i, "end": 6.8 + 0.3 * i, "speaker": 1}
               for i, w in enumerate(answer["text"].split())]}]}]}}
        practitioner = "Speaker 0"
    elif service == "assemblyai":  # milliseconds, words included
        data = {"utterances": [
            {"speaker": "A", "start": 500, "end": 5600, "text": " ".join(w for w, _, _ in words),
             "words": [{"text": w, "start": int(a * 1000), "end": int(b * 1000)} for w, a, b in words]},
            {"speaker": "B", "start": 6500, "end": 7700, "text": answer["text"]}]}
        practitioner = "A"
    else:
        data = {"segments": [
            {"start": 0.5, "end": 5.6, "speaker": "SPEAKER_00", "text": " " + " ".join(w for w, _, _ in words),
             "words": [{"word": w, "start": a, "end": b, "speaker": "SPEAKER_00"} for w, a, b in words]},
            {**answer, "speaker": "SPEAKER_01"}]}
        practitioner = "SPEAKER_00"
    path = tmp_path / f"{service}.json"
    path.write_text(json.dumps(data))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # AssemblyAI without its audio length: the milliseconds warning
        s = segment([one(path, practitioner=practitioner)])[0]
    first = s.turns[0]
    assert [u.text for u in first.utterances] == [sentence for sentence, _, _ in said]
    times = [utterance_times(first, u) for u in first.utterances]
    assert times[0][0] == pytest.approx(0.5) and times[1][0] == pytest.approx(4.0)  # sharing the span gave 2.3 s
    assert times[0][1] == pytest.approx(words[3][2]) and times[1][1] == pytest.approx(words[-1][2])


# An export audit (twenty-seventh session): each layout below as the tool writes it, the same four turns.
_TALK = [("Dana Whitfield", 3, "Good morning, Marcus. How have things been?"),
         ("Marcus Reyes", 9, "Honestly? Not great. Work cut my hours again."),
         ("Dana Whitfield", 16, "Money's tight. What got in the way of the group?"),
         ("Marcus Reyes", 22, "The bus. If I take the 6:30 bus I'm late.")]


def _clock(seconds, hours=True):
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if hours else \
        f"{seconds // 60}:{seconds % 60:02d}"


@pytest.mark.parametrize("layout", ["rev", "sonix", "teams", "fireflies", "trint", "grain", "fathom", "happyscribe",
                                    "descript-interval", "sbv"])
def test_export_layouts_read_every_word_once_with_no_header_footer_or_timecode_in_the_words(tmp_path, layout):
    name = {"sbv": "talk.sbv"}.get(layout, "talk.txt")
    if layout == "rev":  # a footer after the last turn had become the client's words
        body = "Whitfield_Reyes.mp3 (Completed 04/12/24)\nTranscript by Rev.com\n\n" + "".join(
            f"{who} ({_clock(t, False)}):\n{said}\n\n" for who, t, said in _TALK) + \
            "This transcript was exported on Apr 12, 2024 - view latest version here.\n"
    elif layout == "sonix":  # so had Sonix's promotional closing paragraph
        body = ("Whitfield_Reyes.mp3 transcript powered by Sonix—easily convert your audio to text with Sonix.\n\n"
                + "".join(f"{who}: [{_clock(t)}] {said}\n\n" for who, t, said in _TALK)
                + "Sonix has many features that you'd love including world-class support. Try Sonix for free today.\n")
    elif layout == "teams":  # and Teams' closing "... stopped transcription"
        body = ("Check-in\n\nDana Whitfield started transcription\n\n"
                + "".join(f"{who}   {_clock(t, False)}\n{said}\n\n" for who, t, said in _TALK)
                + "Dana Whitfield stopped transcription\n")
    elif layout == "fireflies":  # "Name - 00:03" kept the dash in the speaker's name
        body = "Check-in with Marcus Reyes\nTranscript\n\n" + "".join(
            f"{who} - {_clock(t, False).zfill(5)}\n{said}\n\n" for who, t, said in _TALK)
    elif layout == "trint":  # "Name [00:00:03] words": refused
        body = "".join(f"{who} [{_clock(t)}] {said}\n\n" for who, t, said in _TALK)
    elif layout == "grain":  # a time, then the name, then the words below: refused
        body = "".join(f"{_clock(t)} {who}\n{said}\n\n" for who, t, said in _TALK)
    elif layout == "fathom":
        body = "Check-in - April 12\nVIEW RECORDING: https://fathom.video/share/x\n\n---\n\n" + "".join(
            f"{_clock(t, False)} - {who}\n  {said}\n\n" for who, t, said in _TALK)
    elif layout == "happyscribe":
        body = "".join(f"[{_clock(t)}.12] - {who}\n{said}\n\n" for who, t, said in _TALK)
    elif layout == "descript-interval":  # a timecode every few seconds inside the words stayed in the words
        body = "".join(f"[{_clock(t)}] {who}: {said.replace('. ', f'. [{_clock(t + 2)}] ', 1)}\n\n"
                       for who, t, said in _TALK)
    else:  # YouTube's SubViewer captions with >> speaker changes: refused
        body = "".join(f"{_clock(t, True)[1:]}.000,{_clock(t + 5, True)[1:]}.000\n>> {said}\n\n"
                       for who, t, said in _TALK)
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    practitioner = "Speaker 1" if layout == "sbv" else "Dana Whitfield"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "speakers alternate" for >> marks
        s = one(path, practitioner=practitioner)
    assert [t.text for t in s.turns] == [said for _, _, said in _TALK]
    if layout != "sbv":
        assert [t.speaker for t in s.turns] == [who for who, _, _ in _TALK]
    assert [t.role for t in s.turns] == ["practitioner", "client"] * 2
    assert [round(t.start) for t in s.turns] == [t for _, t, _ in _TALK]


def test_a_numbered_research_transcript_with_a_header_reads_its_turns_without_numbers_or_header(tmp_path):
    """An export audit: with a line number on every line the whole interview was one turn with the numbers and labels
    as words; the header's "Interviewer: DW" and "Participant ID: P07" were turns of two more speakers."""
    lines = ["Participant ID: P07", "Interviewer: DW", "Date of interview: 12 April 2024", "",
             "INTERVIEWER: Good morning. Thanks for coming in on time", "today. How have things been?", "",
             "PARTICIPANT: Honestly? Not great. Work cut my hours", "again.", "",
             "INTERVIEWER: Money's tight. What got in the way?", "",
             "PARTICIPANT: The bus. I'm late if I take the 6:30."]
    for numbered in (False, True):
        text = "\n".join(f"{k}\t{line}" if numbered else line for k, line in enumerate(lines[4:], 1))
        path = tmp_path / f"interview_{numbered}.txt"
        path.write_text("\n".join(lines[:4]) + "\n" + text + "\n", encoding="utf-8")
        s = one(path)
        assert [t.speaker for t in s.turns] == ["INTERVIEWER", "PARTICIPANT"] * 2, numbered
        assert s.turns[0].text == "Good morning. Thanks for coming in on time today. How have things been?"
        assert s.turns[3].text == "The bus. I'm late if I take the 6:30."
        assert "Interviewer: DW" in s.meta["header"]
    # a count that is not a line numbering (a list of reasons someone dictated) stays words
    path = tmp_path / "list.txt"
    path.write_text("Counselor: What are your reasons?\nClient: Three reasons.\n1 my kids\n2 my job\n"
                    "Counselor: Those matter.\n", encoding="utf-8")
    assert one(path).turns[1].text == "Three reasons. 1 my kids 2 my job"


def test_an_amazon_transcribe_response_made_with_channel_identification_reads_each_channel_as_a_speaker(tmp_path):
    """A batch over the ASR audit's files: channel identification (a speaker per channel, no speaker labels) was
    refused as undiarized."""
    channels = {"ch_0": [], "ch_1": []}
    for speaker, start, end, word in _asr_words(_ASR_TALK):
        label = "ch_0" if speaker == "po" else "ch_1"
        channels[label].append({"type": "pronunciation", "start_time": str(start), "end_time": str(end),
                                "alternatives": [{"confidence": "0.9", "content": word}], "channel_label": label})
    channels["ch_0"].insert(6, {"type": "punctuation", "alternatives": [{"content": "?"}], "channel_label": "ch_0"})
    items = sorted((i for c in channels.values() for i in c if "start_time" in i), key=lambda i: float(i["start_time"]))
    data = {"results": {"transcripts": [{"transcript": "..."}], "items": items, "channel_labels": {
        "number_of_channels": 2, "channels": [{"channel_label": k, "items": v} for k, v in channels.items()]}}}
    turns, s = _read_asr(tmp_path, "aws.json", data, practitioner="ch_0")
    assert turns == [("hi marcus how have things been?", 0.5)] + _ASR_EXPECTED[1:]
    assert [t.speaker for t in s.turns] == ["ch_0", "ch_1"] * 2


def test_timecodes_inside_a_turn_time_the_words_after_them_and_stay_out_of_the_text(tmp_path):
    # an ASR audit: Descript writes "[00:00:16]" inside the words every few seconds; only turns whose label line
    # carried a time got one (12 of 69 utterances)
    path = tmp_path / "descript.txt"
    path.write_text("Jordan Kim: [00:00:01] Okay, so we're recording. Where are you at with the application?\n\n"
                    "Amira Hassan: I still need the [00:00:16] pay stubs. My job does them online [00:00:21] and I "
                    "can't get into the portal.\n\n"
                    "Jordan Kim: (laughs) [00:00:30]\n\n"
                    "Jordan Kim: So the portal is what's holding it up.\n")
    s = read_transcript(path, practitioner="Jordan Kim")[0]
    assert [t.text for t in s.turns] == [
        "Okay, so we're recording. Where are you at with the application?",
        "I still need the pay stubs. My job does them online and I can't get into the portal.",
        "So the portal is what's holding it up."]  # a line of a note and a timecode is no silent turn
    assert [t.start for t in s.turns[:2]] == [1.0, 16.0]
    from mi_coder.io.writer import to_frames
    from mi_coder.segment import segment

    segment([s])
    rows = to_frames([s])["utterances"]
    second = rows[rows["turn_id"].astype(str) == "2"]
    # "My job ..." starts between the marks that frame it (16 s and 21 s), not at the turn's start
    assert 16.0 < second["start"].tolist()[-1] < 21.0


@pytest.mark.filterwarnings("ignore:.*'code' column is not read")
def test_every_team_corpus_session_file_reads_every_session_with_its_labelled_speakers():
    # The team layout's "role" column holds role-clarification labels ("client_role", "purpose;practitioner_role"):
    # read as who speaks, a practitioner whose first label was "client_role" became the client, and sessions s-04 and
    # y-02 were refused (the model card's team hold-out figures no longer reproduced).
    import csv

    from .conftest import ROOT

    for path in sorted((ROOT / "data" / "corpus" / "sessions").glob("*_utterances.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        sessions = read_transcript(path)
        assert [s.id for s in sessions] == list(dict.fromkeys(r["session_id"] for r in rows)), path.name
        for s in sessions:
            speakers = {t.speaker: t.role for t in s.turns}
            assert all(role == speaker for speaker, role in speakers.items() if speaker in ("practitioner", "client")), \
                (path.name, s.id, speakers)


# Tests added by a mutation audit: damaged files are errors that name the file and the place, never read as fewer
# (or no) turns without a word.


@pytest.mark.parametrize("content, message", [
    ('speaker,text\nPractitioner,How are you?\nClient,I am fine, thanks\n', "row 3 has more fields than the header"),
    ('speaker,text\nPractitioner,"How are you?\nClient,Fine.\n', r"malformed CSV \(unexpected end of data\)"),
])
def test_a_damaged_table_is_an_error_naming_the_file_not_fewer_rows(tmp_path, content, message):
    path = tmp_path / "damaged.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=rf"damaged\.csv: {message}"):
        read_transcript(path)


@pytest.mark.parametrize("second_cue, message", [
    ("00:00:05.000 --> 00:00:0x.000", r"line 6: broken cue timing '00:00:05\.000 --> 00:00:0x\.000'"),
    ("00:00:05.000 --> 00:00:60.000", r"line 6: impossible cue time '00:00:60\.000'"),  # seconds run to 59
])
def test_a_cue_whose_timing_cannot_be_read_is_an_error_naming_the_line_not_a_cue_left_out(tmp_path, second_cue,
                                                                                         message):
    path = tmp_path / "cues.vtt"
    path.write_text(f"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nJane: hi there\n\n{second_cue}\nAli: hello\n")
    with pytest.raises(InputError, match=rf"cues\.vtt: {message}"):
        read_transcript(path)


def test_captions_whose_cues_hold_no_text_are_an_error_not_an_empty_transcript(tmp_path):
    path = tmp_path / "silent.vtt"
    path.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n\n00:00:05.000 --> 00:00:06.000\n\n")
    with pytest.raises(InputError, match=r"silent\.vtt: no cues with text found"):
        read_transcript(path)


def test_transcribers_notes_in_an_otter_export_are_not_read_as_speech(tmp_path):
    # a supervisor's audit: "[inaudible 00:01:31]", "[crosstalk]" and "(laughs)" stayed in the words of the
    # "Name  0:02" layout (the other text layouts drop them), and a head with only "[inaudible]" became an utterance
    path = tmp_path / "visit.txt"
    path.write_text("Greg Halvorsen  0:02\nDid you bring your pay stubs? (laughs)\n\n"
                    "Luis Ortega  0:09\nThe twelfth, [inaudible 00:01:31] my sister's car broke down.\n\n"
                    "Greg Halvorsen  0:15\n[inaudible]\n\n"
                    "Luis Ortega  0:18\n[crosstalk] I follow the\n\n"
                    "Greg Halvorsen  0:20\nLet me finish.\n", encoding="utf-8")
    (s,) = read_transcript(path)
    # the note-only head is no turn, so the client's two heads are one turn
    assert [t.text for t in s.turns] == ["Did you bring your pay stubs?",
                                         "The twelfth, my sister's car broke down. I follow the", "Let me finish."]


def test_an_interpreters_share_of_the_words_is_said_with_how_to_code_it_as_the_clients_talk(tmp_path):
    # a supervisor's audit: the warning about an interpreter's words spoke only of relabelling and family sessions
    path = tmp_path / "interpreted.txt"
    path.write_text("Officer: How are you?\nClient: Fine.\n"
                    "Ana Ruiz (Interpreter): He says the bus was late and he could not come, and he is sorry.\n"
                    "Officer: Thanks.\nAna Ruiz (Interpreter): He says he will come next week, he promises.\n",
                    encoding="utf-8")
    with pytest.warns(UserWarning, match=r"kept as other speakers .* an interpreter's renderings of the client are "
                                         r"coded as the client's talk with --client NAME naming the interpreter"):
        read_transcript(path)


@pytest.mark.parametrize("name, header, date", [
    ("maria_pre.txt", "Date: 2025-01-14\nTrainee: Maria Lopez\n\n", "2025-01-14"),
    ("maria_pre.txt", "Session date: 14 January 2025\n\n", "2025-01-14"),
    ("maria_pre.txt", "Recorded on Feb 3, 2025 at 10:00\n\n", None),  # no label and colon: a header line, not read
    ("maria_2025-03-18_post.txt", "", "2025-03-18"),
    ("visit_20250114.txt", "", "2025-01-14"),
    ("maria_pre.txt", "", None),
])
def test_a_sessions_date_is_read_from_a_date_line_above_the_talk_or_from_its_file_name(tmp_path, name, header, date):
    # a trainer's audit: trends are drawn in date order, but no reader set a date, so pre/mid/post sorted by name
    path = tmp_path / name
    path.write_text(header + "Maria Lopez: Hi Jordan, what brings you in?\nJordan: My doctor sent me.\n"
                    "Maria Lopez: What did she say?\nJordan: That my liver numbers are high.\n", encoding="utf-8")
    (s,) = read_transcript(path, practitioner="Maria Lopez")
    assert s.meta.get("date") == date


def test_a_date_line_that_reads_two_ways_is_said_and_not_used(tmp_path):
    path = tmp_path / "maria_pre.txt"
    path.write_text("Date: 01/02/2025\n\nMaria Lopez: Hi Jordan, what brings you in?\nJordan: My doctor.\n"
                    "Maria Lopez: What did she say?\nJordan: That my liver numbers are high.\n", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"maria_pre\.txt: the date line '01/02/2025' can be read two ways .* write "
                                         r"it as 2025-01-14"):
        (s,) = read_transcript(path, practitioner="Maria Lopez")
    assert "date" not in s.meta


def _tom_visit(tmp_path):
    """A short visit whose practitioner is Tom Becker."""
    path = tmp_path / "tom.txt"
    path.write_text("Tom Becker: What brings you in?\nSam: My doctor.\nTom Becker: What did she say?\n"
                    "Sam: That my liver numbers are high.\n", encoding="utf-8")
    return path


def test_several_practitioner_names_for_a_folder_need_only_one_of_them_in_each_transcript(tmp_path):
    # a trainer's audit: --practitioner for each of three trainees refused every file for lacking the other two
    path = _tom_visit(tmp_path)
    with pytest.warns(UserWarning, match=r"tom\.txt: --practitioner names 2 speaker\(s\) not in this transcript "
                                         r"\('Maria Lopez', 'Aisha Khan'\); 'Tom Becker' is the practitioner here"):
        (s,) = read_transcript(path, practitioner=["Maria Lopez", "Tom Becker", "Aisha Khan"])
    assert s.speakers == {"Tom Becker": "practitioner", "Sam": "client"}
    with pytest.raises(RoleError, match=r"none of the --practitioner names is a speaker here \('Maria Lopez', "
                                        r"'Aisha Khan'; speakers: 'Tom Becker', 'Sam'\)"):
        read_transcript(path, practitioner=["Maria Lopez", "Aisha Khan"])
    with pytest.raises(RoleError, match=r"--practitioner 'Maria Lopez' is not a speaker here"):
        read_transcript(path, practitioner="Maria Lopez")  # one name given: it must be there


def test_a_practitioner_id_naming_another_person_than_the_transcripts_practitioner_is_said(tmp_path):
    # a trainer's audit: one trainee's id given to a folder of three trainees' files drew one trend over all of them
    path = _tom_visit(tmp_path)
    with pytest.warns(UserWarning, match=r"--practitioner-id 'Maria Lopez' credits this session to that person, but "
                                         r"the transcript names its practitioner 'Tom Becker'"):
        read_transcript(path, practitioner="Tom Becker", practitioner_id="Maria Lopez")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an id that is no name, or the same person, says nothing
        read_transcript(path, practitioner="Tom Becker", practitioner_id="po-117")
        read_transcript(path, practitioner="Tom Becker", practitioner_id="Tom")


def test_a_label_used_once_that_misspells_a_speakers_name_is_said_to_be_misspelled(tmp_path):
    # a trainer's audit: "Aisah Khan:" was said to be speech whose colon should go, which would give the nurse's
    # words to the patient before it
    path = tmp_path / "typo.txt"
    path.write_text("Aisha Khan: Hi Ravi, how are your sugars?\nRavi: Not great.\nAisha Khan: What has been going on?\n"
                    "Ravi: Work.\nAisah Khan: Work has been hard on you.\nRavi: Yeah.\nAisha Khan: Tell me more.\n",
                    encoding="utf-8")
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        (s,) = read_transcript(path, practitioner="Aisha Khan", client="Ravi")
    messages = [str(w.message) for w in said]
    assert any("'Aisah Khan' (one line) looks like 'Aisha Khan' misspelled" in m and "correct the label" in m
               for m in messages)
    assert not any("remove the colon" in m for m in messages)
    assert s.speakers["Aisah Khan"] == "other"


def test_a_tables_date_column_dates_each_session_and_a_day_month_order_that_reads_one_way_is_read(tmp_path):
    path = tmp_path / "visits.csv"
    rows = [("v1", "2025-02-11"), ("v2", "14/03/2025"), ("v3", "01/02/2025")]
    path.write_text("session_id,date,speaker,text\n" + "".join(
        f"{sid},{date},{who},{text}\n" for sid, date in rows
        for who, text in (("PO", "How did the week go?"), ("Client", "Fine."), ("PO", "What went well?"),
                          ("Client", "Work."))), encoding="utf-8")
    with pytest.warns(UserWarning, match=r"session v3\]: the date line '01/02/2025' can be read two ways"):
        sessions = read_transcript(path, practitioner="PO")
    assert {s.id: s.meta.get("date") for s in sessions} == {"v1": "2025-02-11", "v2": "2025-03-14", "v3": None}


@pytest.mark.parametrize("value, why", [("30/02/2025", "is no date on the calendar"),
                                        ("14/03/25", "has a two-digit year"),
                                        ("soon", "is not a date read here")])
def test_a_date_line_that_is_no_date_is_said_for_what_it_is(tmp_path, value, why):
    # a code review: "30/02/2025" was said to read two ways
    from mi_coder.io.dates import session_date

    when, problem = session_date([f"Date: {value}"])
    assert when is None and problem.startswith(f"the date line {value!r} {why}") and "two ways" not in problem
