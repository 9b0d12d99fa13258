"""A researcher's own coded tables: second-code columns however named, rows pasted twice, MISC valence columns,
double codes read the same way by training as by evaluation, and review downloads added to training whatever
their row order."""

from __future__ import annotations

import pandas as pd
import pytest

from mi_coder import InputError
from mi_coder.cli import main
from mi_coder.evaluate.agreement import read_coded
from mi_coder.train.examples import coded_table_examples

SESSION = [("Counselor", "Hi, thanks for coming in today.", "NC", ""),
           ("Counselor", "What would you like to talk about?", "OQ", "SEEK"),
           ("Client", "I guess my drinking. My wife is on my case.", "FN", ""),
           ("Counselor", "Your wife is worried about you.", "SR", ""),
           ("Client", "She is. I could cut down, I suppose.", "CT", ""),
           ("Counselor", "How many drinks on a weekend?", "CQ", ""),
           ("Client", "Maybe ten.", "FN", "")]


def _table(path, header=("Session ID", "Speaker", "Utterance", "Code", "Code 2"), rows=SESSION, ids=False):
    frame = pd.DataFrame([("S1", *r) for r in rows], columns=list(header))
    if ids:
        frame.insert(1, "utterance_id", range(1, len(frame) + 1))
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("second", ["Code 2", "Code2", "code_2", "Second Code", "MITI Code 2"])
def test_a_second_code_column_is_read_however_its_header_is_spelled(tmp_path, second):
    path = _table(tmp_path / "s.csv", header=("Session ID", "Speaker", "Utterance", "Code", second))
    (s,) = read_coded(path)
    codes = [(u.code, u.meta.get("code2", "")) for _, u in s.utterances()]
    assert codes[1] == ("OQ", "SEEK")
    assert main(["score", str(path), "--out", str(tmp_path / "o")]) == 0
    row = pd.read_csv(tmp_path / "o" / "sessions.csv").iloc[0]
    assert row["mi_adherent"] == 1  # the SEEK of the second column counts


def test_a_row_pasted_again_further_down_is_refused_not_counted_twice(tmp_path):
    rows = SESSION + SESSION[3:]  # more rows so the ids read as numbered through the session
    frame = pd.DataFrame([("S1", k + 1, *r[:3]) for k, r in enumerate(rows * 2)],
                         columns=["session_id", "utterance_id", "speaker", "text", "code"])
    frame = pd.concat([frame, frame.iloc[[5]]])  # utterance 6 pasted again at the end
    frame.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(InputError, match="utterance 6 is listed twice"):
        read_coded(tmp_path / "dup.csv")
    with pytest.raises(InputError, match="utterance 6 is listed twice"):
        coded_table_examples(tmp_path / "dup.csv")
    # ids numbered per turn (1, 2 in each turn) come back in every turn and are not a pasted row
    per_turn = frame.iloc[:-1].assign(turn_id=[k // 2 for k in range(len(frame) - 1)],
                                      utterance_id=[k % 2 + 1 for k in range(len(frame) - 1)])
    per_turn.to_csv(tmp_path / "per_turn.csv", index=False)
    assert read_coded(tmp_path / "per_turn.csv")


def test_misc_valence_written_as_numbers_is_read_and_an_unknown_one_is_refused(tmp_path):
    rows = "session_id,speaker,text,misc_code,valence\nV1,Therapist,How is it going?,QUO,\n" \
           "V1,Client,I am not going to quit.,C,-1\nV1,Therapist,You're not ready.,RES,\n" \
           "V1,Client,I want to though.,R,1\n"
    (tmp_path / "v.csv").write_text(rows)
    (s,) = read_coded(tmp_path / "v.csv", scheme="misc")
    assert [u.code for t, u in s.utterances() if t.role == "client"] == ["ST", "CT"]
    (tmp_path / "bad.csv").write_text(rows.replace(",C,-1", ",C,strong"))
    with pytest.raises(InputError, match=r"turn 2: valence 'strong' of 'C' is not one mi-coder reads"):
        read_coded(tmp_path / "bad.csv", scheme="misc")
    with pytest.raises(InputError, match="valence 'strong'"):
        coded_table_examples(tmp_path / "bad.csv", scheme="misc")


def test_training_reads_two_codes_in_a_cell_as_evaluation_does_and_says_it_leaves_q_out(tmp_path):
    rows = [("Counselor", "Would it be okay if I shared some information?", "SEEK/CQ", ""),
            ("Client", "Sure.", "FN", ""),
            ("Counselor", "You should cut down; many people find a drink diary helps.", "PER; PWP", ""),
            ("Client", "Maybe.", "FN", ""),
            ("Counselor", "It's your call what you do with that.", "EA + CR", ""),
            ("Client", "Okay.", "FN", ""),
            ("Counselor", "Do you drink every day?", "Q", "")]
    path = _table(tmp_path / "d.csv", header=("session_id", "speaker", "text", "code", "note"), rows=rows)
    with pytest.warns(UserWarning, match=r"1 utterance\(s\) coded Q .* are not trained on"):
        trained = coded_table_examples(path)
    (s,) = read_coded(path)
    evaluated = [u.code for t, u in s.utterances()]
    assert trained["code"].tolist()[:6] == evaluated[:6] == ["CQ", "FN", "PWP", "FN", "CR", "FN"]


def _review_download(path, rows, reviewed):
    frame = pd.DataFrame({"session_id": "S1", "turn_id": range(1, len(rows) + 1),
                          "utterance_id": [f"{k}.1" for k in range(1, len(rows) + 1)],
                          "speaker": [r[0] for r in rows], "text": [r[1] for r in rows],
                          "machine_code": [r[2] for r in rows], "confidence": [0.5 + k / 100 for k in range(len(rows))],
                          "reviewed_code": [r[2] if k in reviewed else "" for k, r in enumerate(rows)],
                          "code": [r[2] for r in rows]})
    frame.to_csv(path, index=False)
    return frame


def test_review_downloads_add_only_reviewed_utterances_whatever_the_row_order_or_a_third_speaker(tmp_path):
    from mi_coder.train.fit import TrainingData, add_reviewed

    rows = [r[:3] for r in SESSION] + [("Observer", "Just taking notes here.", "")]
    frame = _review_download(tmp_path / "r.csv", rows, reviewed={1, 3, 4})
    frame.sort_values("confidence", ascending=False).to_csv(tmp_path / "sorted.csv", index=False)

    def added(path):
        data = TrainingData(examples=pd.DataFrame(columns=["session_id", "group"]), turn_examples=pd.DataFrame())
        add_reviewed(data, [path])
        return sorted(zip(data.examples["text"], data.examples["code"]))

    with pytest.warns(UserWarning):  # the observer's utterance is not trained on
        expected = added(tmp_path / "r.csv")
    assert expected == sorted((rows[k][1], rows[k][2]) for k in (1, 3, 4))
    with pytest.warns(UserWarning):
        assert added(tmp_path / "sorted.csv") == expected  # re-sorted by confidence: the same utterances
    edited = frame.copy()
    edited.loc[4, "reviewed_code"] = "ST"  # changed in a spreadsheet without its code
    edited.to_csv(tmp_path / "edited.csv", index=False)
    with pytest.raises(InputError, match="reviewed_code 'ST' but code 'CT'"):
        added(tmp_path / "edited.csv")


def test_a_page_downloaded_twice_adds_its_reviewed_utterances_once(tmp_path):
    # a trainers' audit: "visit.reviewed.csv" and "visit.reviewed (1).csv" given together counted each edit twice
    from mi_coder.train.fit import TrainingData, add_reviewed

    rows = [r[:3] for r in SESSION]
    frame = _review_download(tmp_path / "visit.reviewed.csv", rows, reviewed={1, 3, 4})
    frame.to_csv(tmp_path / "visit.reviewed (1).csv", index=False)
    data = TrainingData(examples=pd.DataFrame(columns=["session_id", "group"]), turn_examples=pd.DataFrame())
    with pytest.warns(UserWarning, match=r"3 of its 3 reviewed utterances are also in visit.reviewed.csv"):
        record = add_reviewed(data, [tmp_path / "visit.reviewed.csv", tmp_path / "visit.reviewed (1).csv"])
    assert len(data.examples) == 3 and [r["utterances"] for r in record] == [3]
    # the same page with one utterance's words edited in a copy: still added once, and said
    edited = frame.copy()
    edited.loc[3, "text"] = "Your wife is worried about you, and so are you."
    edited.to_csv(tmp_path / "edited.csv", index=False)
    data = TrainingData(examples=pd.DataFrame(columns=["session_id", "group"]), turn_examples=pd.DataFrame())
    with pytest.warns(UserWarning, match=r"1 of them with other words"):
        add_reviewed(data, [tmp_path / "visit.reviewed.csv", tmp_path / "edited.csv"])
    assert len(data.examples) == 3


def test_train_add_refuses_a_bad_review_before_reading_any_training_data(tmp_path, capsys, monkeypatch):
    from mi_coder.cli import main
    from mi_coder.train import fit

    rows = [r[:3] for r in SESSION]
    frame = _review_download(tmp_path / "first.csv", rows, reviewed={1, 3})
    frame.loc[3, "reviewed_code"] = "CR"  # typed in a spreadsheet; code still SR
    frame.to_csv(tmp_path / "edited.csv", index=False)
    read = []
    monkeypatch.setattr(fit, "load_training_data", lambda *a, **k: read.append(a))
    data = _table(tmp_path / "data.csv", header=("session_id", "speaker", "text", "code"), rows=rows)
    assert main(["train", str(data), "--add", str(tmp_path / "edited.csv"), "--out", str(tmp_path / "m")]) == 2
    assert "reviewed_code 'CR' but code 'SR'" in capsys.readouterr().err and not read  # said before any data is read


def test_two_reviews_that_code_one_utterance_differently_are_refused_whatever_their_order(tmp_path):
    # an audit: the first file given won, so a later correction (AF -> GI) given second was dropped
    from mi_coder.errors import UsageError
    from mi_coder.train.fit import TrainingData, add_reviewed

    rows = [r[:3] for r in SESSION]
    frame = _review_download(tmp_path / "first.csv", rows, reviewed={1, 3})
    frame.loc[3, ["reviewed_code", "code"]] = "CR"
    frame.to_csv(tmp_path / "later.csv", index=False)
    for order in (["first.csv", "later.csv"], ["later.csv", "first.csv"]):
        data = TrainingData(examples=pd.DataFrame(columns=["session_id", "group"]), turn_examples=pd.DataFrame())
        with pytest.raises(UsageError, match=r"1 reviewed utterance\(s\) are also in .* with another code .*turn 4"):
            add_reviewed(data, [tmp_path / name for name in order])


def test_a_coded_table_given_after_add_by_mistake_is_refused_before_any_training(tmp_path, capsys):
    from mi_coder.cli import main

    _review_download(tmp_path / "r.csv", [r[:3] for r in SESSION], reviewed={1})
    plain = _table(tmp_path / "data.csv", header=("session_id", "speaker", "text", "code"),
                   rows=[r[:3] for r in SESSION])
    assert main(["train", "--add", str(tmp_path / "r.csv"), str(plain), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "data.csv: given with --add but has no reviewed_code column" in err
    assert "training data go before --add" in err and not (tmp_path / "m").exists()


def test_two_codes_written_in_either_order_are_one_pair_of_codes_for_agreement(tmp_path):
    rows = [("Counselor", "Hello.", "NC", ""), ("Client", "Hi. I drink too much.", "FN", ""),
            ("Counselor", "You drink too much, is that right?", "SR/CQ", ""), ("Client", "Yes.", "FN", "")]
    a = _table(tmp_path / "a.csv", header=("session_id", "speaker", "text", "code", "note"), rows=rows)
    b = _table(tmp_path / "b.csv", header=("session_id", "speaker", "text", "code", "note"),
               rows=[r if r[2] != "SR/CQ" else (r[0], r[1], "CQ/SR", "") for r in rows])
    (sa,), (sb,) = read_coded(a), read_coded(b)
    pair = [(u.code, u.meta.get("code2")) for _, u in sa.utterances()][2]
    assert pair == [(u.code, u.meta.get("code2")) for _, u in sb.utterances()][2] == ("SR", "CQ")


def test_three_coders_with_an_undefined_pairwise_kappa_give_none_and_valid_json(tmp_path):
    import json

    rows = [("Counselor", "Hello.", "NC", ""), ("Client", "Hi.", "FN", ""),
            ("Counselor", "What brings you in?", "OQ", ""), ("Client", "My drinking.", "FN", "")]
    header = ("session_id", "speaker", "text", "code", "note")
    a = _table(tmp_path / "a.csv", header=header, rows=rows)
    b = _table(tmp_path / "b.csv", header=header, rows=rows)
    c = _table(tmp_path / "c.csv", header=header, rows=[r if r[0] == "Client" else (r[0], r[1], "", "") for r in rows])
    assert main(["evaluate", "--agreement", str(a), str(b), str(c), "--report", str(tmp_path / "r.json")]) == 0
    pairs = json.loads((tmp_path / "r.json").read_text(), parse_constant=lambda x: pytest.fail(f"{x} in JSON"))
    kappas = pairs["agreement_multi"]["pairwise_kappa"]
    assert list(kappas.values()) == [1.0, None, None]  # c coded only FN, on the client's utterances: undefined


def test_a_coded_row_without_text_or_speaker_is_said_with_what_it_held(tmp_path):
    (tmp_path / "e.csv").write_text(
        "Session #,Speaker,Utterance,Code\n7,Counselor,What brings you in?,OQ\n7,Client,My wife.,FN\n"
        "7,,You came because of your wife.,SR\n7,Client,,CT\n7,Client,I want to do better.,CT\n")
    with pytest.warns(UserWarning) as said:
        read_coded(tmp_path / "e.csv")
    messages = [str(w.message) for w in said]
    assert any("skipped 1 row(s) with empty text; 1 of them carry a code, not counted (the first: Client, CT)" in m
               for m in messages)
    assert any("1 row(s) have no speaker and are read as speaker 'unknown'" in m
               and "'You came because of your wife.'" in m for m in messages)


def test_a_wrong_role_code_in_a_misc_table_is_named_as_written_without_pointing_to_misc_again(tmp_path, capsys):
    (tmp_path / "m.csv").write_text("session_id,speaker,utterance,misc_code\nS3,Therapist,Hi.,FI\n"
                                    "S3,Client,Hello.,FN\nS3,Therapist,You want to stop.,C\n")
    assert main(["score", "--scheme", "misc", str(tmp_path / "m.csv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "turn 3: 'C' (read as CT) is not a code for a practitioner utterance (a code in the wrong row" in err
    assert "--scheme misc" not in err


@pytest.mark.parametrize("name", ["one.json", "one.jsonl"])
def test_a_json_file_of_one_session_object_is_read_as_a_list_of_them_is(tmp_path, name):
    import json

    session = {"id": "S1", "dialog": [{"speaker": s, "text": t, "code": c} for s, t, c, _ in SESSION]}
    (tmp_path / name).write_text(json.dumps(session))
    (s,) = read_coded(tmp_path / name)
    assert s.id == "S1" and [u.code for _, u in s.utterances()] == [r[2] for r in SESSION]


def test_a_workbook_given_to_training_is_named_as_a_workbook(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "codes.xlsx", "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError, match="a spreadsheet workbook, not a transcript file: save the sheet as CSV"):
        coded_table_examples(tmp_path / "codes.xlsx")


def test_annomi_full_layout_with_several_annotators_reads_each_utterance_once(tmp_path):
    from mi_coder.io.reader import read_transcript

    turns = [("therapist", "What brings you in?"), ("client", "My drinking."), ("therapist", "Say more."),
             ("client", "I drink most nights.")]
    rows = [(7, k, who, text, annotator) for k, (who, text) in enumerate(turns) for annotator in (3, 5)]
    rows += [(8, k, who, text, 4) for k, (who, text) in enumerate(turns)]
    pd.DataFrame(rows, columns=["transcript_id", "utterance_id", "interlocutor", "utterance_text", "annotator_id"]) \
        .to_csv(tmp_path / "full.csv", index=False)
    with pytest.warns(UserWarning, match=r"1 session\(s\) carry the rows of several annotators"):
        sessions = read_transcript(tmp_path / "full.csv")
    assert [[t.text for t in s.turns] for s in sessions] == [[t for _, t in turns]] * 2  # not "Say more. Say more."


def _annomi_simple(path):
    """A two-turn table in AnnoMI's simple layout: turn behaviours, no utterance codes."""
    pd.DataFrame({"transcript_id": [0, 0], "mi_quality": "high", "video_url": "u", "utterance_id": [0, 1],
                  "interlocutor": ["therapist", "client"], "utterance_text": ["How are you?", "Fine."],
                  "main_therapist_behaviour": ["question", "n/a"], "client_talk_type": ["n/a", "neutral"]}) \
        .to_csv(path, index=False)


def test_training_on_annomi_simple_says_to_use_annomi_full(tmp_path):
    from mi_coder.train.fit import load_training_data

    _annomi_simple(tmp_path / "AnnoMI-simple.csv")
    with pytest.raises(InputError, match="AnnoMI's simple layout .* cannot train the coder; train on AnnoMI-full"):
        load_training_data([tmp_path / "AnnoMI-simple.csv"])


def test_scoring_annomi_points_to_evaluate_not_to_its_turn_label_column(tmp_path, capsys):
    _annomi_simple(tmp_path / "annomi.csv")
    assert main(["score", str(tmp_path / "annomi.csv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "'mi-coder evaluate FILE' compares the coder with them" in err and "--code-col" not in err


def test_a_table_of_two_coders_columns_is_pointed_to_code_col_and_figures_print_as_the_report_holds_them(tmp_path,
                                                                                                       capsys):
    rows = []
    for k in range(13):
        rows.append(f"s1,Counselor,What happened on day {k}?,OQ,OQ")
        rows.append(f"s1,Client,Something small happened on day {k}.,{'FN' if k < 8 else 'CT'},FN")
    table = tmp_path / "two_coders.csv"
    table.write_text("session_id,speaker,text,coder_A,coder_B\n" + "\n".join(rows) + "\n")
    # "coder_A" was not offered: names starting "coder" are passed over (a coder_id holds names), its values are codes
    assert main(["evaluate", str(table)]) == 2
    assert "the column 'coder_A' may hold them: name it with --code-col 'coder_A'" in capsys.readouterr().err
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    frame = pd.read_csv(table)
    frame.drop(columns="coder_B").rename(columns={"coder_A": "code"}).to_csv(first, index=False)
    frame.drop(columns="coder_A").rename(columns={"coder_B": "code"}).to_csv(second, index=False)
    assert main(["evaluate", "--agreement", str(first), str(second)]) == 0
    fn = next(line for line in capsys.readouterr().out.splitlines() if line.split()[:1] == ["FN"])
    assert fn.split()[1:4] == ["0.615", "1.000", "0.762"]  # 8/13 printed 0.61 from the rounded 0.615


# A classifier's test output on a public peer-support set: one practitioner sentence a row, its human label beside the
# classifier's, no client, no turn ids (a researcher's audit).
SENTENCES = [("You kept going even when it was hard.", "Affirm"), ("What worries you most?", "Open Question"),
             ("Try writing it down each night.", "Advise without Permission"), ("I'm sorry that happened.", "Support"),
             ("I went through the same thing.", "Self-Disclose"), ("Have you told anyone?", "Closed Question")]


def test_a_table_of_one_speakers_sentences_without_turn_ids_is_said_to_be_read_as_one_turn(tmp_path):
    rows = [("Counsellor", text, label) for text, label in SENTENCES * 17]  # 102 rows
    path = tmp_path / "sentences.csv"
    pd.DataFrame(rows, columns=["speaker", "Text", "Ground truth"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"102 rows in a row of speaker 'Counsellor' are read as one turn .* turn "
                                         r"column \(turn_id, or --turn-col\)"):
        (s,) = read_coded(path, scheme="misc", options=_options(practitioner="Counsellor"))
    assert len(s.turns) == 1 and len(s.turns[0].utterances) == 102
    pd.DataFrame(rows, columns=["speaker", "Text", "Ground truth"]).assign(turn_id=range(102)).to_csv(path, index=False)
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (s,) = read_coded(path, scheme="misc", options=_options(practitioner="Counsellor"))
    assert len(s.turns) == 102 and not [w for w in caught if "read as one turn" in str(w.message)]


def test_a_ground_truth_column_is_read_as_codes_and_misc_codes_miti_leaves_uncoded_are_counted_aloud(tmp_path):
    path = tmp_path / "test_output.csv"
    pd.DataFrame([("Counsellor", text, label, "Other") for text, label in SENTENCES],
                 columns=["speaker", "Text", "Ground truth", "Prediction"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"2 utterance\(s\) carry MISC codes that MITI 4.2.1 leaves uncoded and are "
                                         r"read as NC \((SU x1, SELFDISCLOSE x1|SELFDISCLOSE x1, SU x1)"):
        (s,) = read_coded(path, scheme="misc", options=_options(practitioner="Counsellor"))
    assert [u.code for _, u in s.utterances()] == ["AF", "OQ", "PER", "NC", "NC", "CQ"]
    # under a name no alias knows, a column of spelled-out codes is offered by its values
    pd.DataFrame([("Counsellor", text, label) for text, label in SENTENCES],
                 columns=["speaker", "Text", "Expert judgement"]).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"the column 'Expert judgement' may hold them: name it with --code-col"):
        read_coded(path, scheme="misc", options=_options(practitioner="Counsellor"))


def _options(**kw):  # type: ignore[no-untyped-def]
    from mi_coder.io.base import ReadOptions

    return ReadOptions(**kw)


def test_a_warning_of_every_session_of_a_table_is_printed_for_three_and_counted_for_the_rest(tmp_path, capsys):
    path = tmp_path / "one_row_sessions.csv"
    pd.DataFrame([(f"s{k:02d}", "Counsellor", text, label) for k, (text, label) in enumerate(SENTENCES * 2)],
                 columns=["session_id", "speaker", "Text", "Ground truth"]).to_csv(path, index=False)
    assert main(["score", str(path), "--scheme", "misc", "--practitioner", "Counsellor", "--out",
                 str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert err.count("only the practitioner 'Counsellor' speaks") == 4  # three sessions, then the count
    assert "warning: 9 more session(s) as above: " in err and "[session ...]: only the practitioner" in err


def test_a_coded_table_without_a_speaker_column_takes_each_rows_speaker_from_its_code(tmp_path):
    """OQ, SR, GI... are the practitioner's, CT, ST, FN the client's: the table reads, with a warning saying so."""
    path = tmp_path / "no_speaker.csv"
    pd.DataFrame([(text, code) for _, text, code, _ in SESSION], columns=["Utterance", "Code"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="no speaker column: each row's speaker is read from its code"):
        (s,) = read_coded(path)
    assert [(t.role, [u.code for u in t.utterances]) for t in s.turns] == [
        ("practitioner", ["NC", "OQ"]), ("client", ["FN"]), ("practitioner", ["SR"]), ("client", ["CT"]),
        ("practitioner", ["CQ"]), ("client", ["FN"])]


def test_in_a_misc_table_without_speakers_st_is_the_counsellors_structure_and_s_the_clients_sustain_talk(tmp_path):
    path = tmp_path / "misc.csv"
    pd.DataFrame([("Let's start with your week.", "ST"), ("How was it?", "OQ"), ("I kept smoking.", "S"),
                  ("That sounds hard.", "SU")], columns=["text", "misc_code"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="MISC's C, S, N"):
        (s,) = read_coded(path, scheme="misc")
    assert [(t.role, [u.code for u in t.utterances]) for t in s.turns] == [
        ("practitioner", ["NC", "OQ"]), ("client", ["ST"]), ("practitioner", ["NC"])]


def test_without_a_speaker_column_an_uncoded_row_is_refused_by_its_row_and_a_column_of_no_codes_as_before(tmp_path):
    gap = tmp_path / "gap.csv"
    pd.DataFrame([("How are you?", "OQ"), ("Fine.", ""), ("You came anyway.", "SR")],
                 columns=["text", "code"]).to_csv(gap, index=False)
    with pytest.raises(InputError, match="row 3 has no code \\(in 'code'\\) and the table has no speaker column"):
        read_coded(gap)
    words = tmp_path / "words.csv"
    pd.DataFrame([("Hi there", "Greeting"), ("Yes", "Other")], columns=["text", "label"]).to_csv(words, index=False)
    with pytest.raises(InputError, match="no speaker column \\(looked for"):
        read_coded(words)


@pytest.mark.parametrize("codes", [
    ["OQ", "ST", "SR", "SU", "CT"],  # MISC practitioner codes beside CT/ST: ST could be either
    ["OQ", "ST", "SR", "N", "CT"],  # MISC's N beside CT
])
def test_without_speakers_a_bare_st_the_table_cannot_place_is_refused_by_its_row(tmp_path, codes):
    path = tmp_path / "st.csv"
    pd.DataFrame([(f"words {k}", c) for k, c in enumerate(codes)], columns=["text", "code"]).to_csv(path, index=False)
    with pytest.raises(InputError, match="row 3: ST \\(in 'code'\\) is MISC 2.5's structure .* or sustain talk"):
        read_coded(path, scheme="misc")


def test_without_speakers_spelled_sustain_talk_is_the_clients_and_the_words_column_is_the_one_the_reader_reads(
        tmp_path):
    spelled = tmp_path / "spelled.csv"
    pd.DataFrame([("What brings you in?", "Open Question"), ("I don't want to stop.", "Sustain Talk"),
                  ("That sounds hard.", "Support"), ("You don't want to stop.", "Simple Reflection")],
                 columns=["text", "code"]).to_csv(spelled, index=False)
    with pytest.warns(UserWarning, match="no speaker column"):
        (s,) = read_coded(spelled, scheme="misc")
    assert [t.role for t in s.turns] == ["practitioner", "client", "practitioner"]
    # a notes column that also reads as a text column comes first in the header: the words are in "Text"
    notes = tmp_path / "notes.csv"
    pd.DataFrame([("", "How are you?", "OQ"), ("unclear audio", "I don't want to quit.", "ST"),
                  ("", "You don't want to quit.", "SR"), ("", "It's too hard.", "ST")],
                 columns=["Annotation", "Text", "Code"]).to_csv(notes, index=False)
    with pytest.warns(UserWarning, match="no speaker column"):
        (s,) = read_coded(notes)
    assert [(t.role, t.text) for t in s.turns] == [
        ("practitioner", "How are you?"), ("client", "I don't want to quit."),
        ("practitioner", "You don't want to quit."), ("client", "It's too hard.")]


def test_without_speakers_the_first_code_column_that_places_every_row_gives_the_speakers(tmp_path):
    """A column of the counsellor's MISC codes alone before the MITI codes of both speakers."""
    rows = [("How are you?", "OQ", "OQ"), ("I don't want to quit.", "", "ST"),
            ("You don't want to quit.", "SR", "SR"), ("Maybe later.", "", "CT")]
    path = tmp_path / "two_codes.csv"
    pd.DataFrame(rows, columns=["text", "misc_code", "code"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="read from its code in 'code'"):
        (s,) = read_coded(path)
    assert [t.role for t in s.turns] == ["practitioner", "client", "practitioner", "client"]
    only_misc = tmp_path / "only_misc.csv"
    pd.DataFrame([r[:2] for r in rows], columns=["text", "misc_code"]).to_csv(only_misc, index=False)
    with pytest.raises(InputError, match="row 3 has no code \\(in 'misc_code'\\)"):  # the one column's own error
        read_coded(only_misc, scheme="misc")


def test_without_speakers_a_table_of_sentiment_labels_or_only_client_codes_is_refused_as_before(tmp_path):
    for name, labels in (("sentiment", ["positive", "negative", "neutral"]), ("client", ["CT", "ST", "FN"])):
        path = tmp_path / f"{name}.csv"
        pd.DataFrame([(f"words {k}", c) for k, c in enumerate(labels)], columns=["text", "label"]).to_csv(path,
                                                                                                         index=False)
        with pytest.raises(InputError, match="no speaker column \\(looked for"):
            read_coded(path)


def test_a_large_coded_table_without_speakers_streams_as_it_reads_whole(tmp_path):
    from mi_coder.io.reader import read_transcript, stream_transcript

    path = tmp_path / "no_speaker.csv"
    pd.DataFrame([(text, code) for _, text, code, _ in SESSION], columns=["text", "code"]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="no speaker column"):
        whole = read_transcript(path)
    with pytest.warns(UserWarning, match="no speaker column"):
        streamed = list(stream_transcript(path, min_bytes=0))
    assert [[(t.role, t.text) for t in s.turns] for s in streamed] == [[(t.role, t.text) for t in s.turns]
                                                                         for s in whole]


def test_a_coded_json_list_without_speakers_takes_them_from_its_codes_as_a_table_does(tmp_path):
    import json

    path = tmp_path / "coded.json"
    path.write_text(json.dumps([{"text": text, "code": code} for _, text, code, _ in SESSION]))
    with pytest.warns(UserWarning, match="no speaker column: each row's speaker is read from its code"):
        (s,) = read_coded(path)
    assert [t.role for t in s.turns] == ["practitioner", "client", "practitioner", "client", "practitioner", "client"]
