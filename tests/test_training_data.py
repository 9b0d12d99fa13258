"""How turn-level labels become utterance-level training signal, and how training files are recognised."""

from __future__ import annotations

import re
import subprocess
import sys

import pandas as pd
import pytest

from mi_coder.train.annomi import annomi_utterance_label, is_interrogative
from mi_coder.train.examples import (
    coded_table_examples,
    load_team_corpus,
    with_next_text,
)

from .conftest import FIXTURES, ROOT, needs_annomi


def turn(**flags):
    base = {"main": "other", "reflection": False, "reflection_subtype": "", "question": False,
            "question_subtype": "", "therapist_input": False, "therapist_input_subtype": "", "prev_client": ""}
    base.update(flags)
    return base


def test_single_flag_reflection_labels_every_utterance_with_its_subtype():
    t = turn(main="reflection", reflection=True, reflection_subtype="complex")
    assert annomi_utterance_label(t, "You feel stuck.", 2) == "CR"


def test_reflection_plus_question_gives_the_interrogative_the_question():
    t = turn(main="question", reflection=True, reflection_subtype="simple", question=True, question_subtype="open")
    assert annomi_utterance_label(t, "You're worried about your license.", 2) == "SR"
    assert annomi_utterance_label(t, "What would help?", 2) == "OQ"


def test_declaratives_in_a_question_turn_are_left_unknown():
    t = turn(main="question", question=True, question_subtype="closed")
    assert annomi_utterance_label(t, "You did great last week.", 2) is None
    assert annomi_utterance_label(t, "Did you go?", 2) == "CQ"
    assert annomi_utterance_label(t, "Anything else", 1) == "CQ"


def test_yes_no_questions_in_a_turn_labelled_open_are_left_unknown():
    t = turn(main="question", question=True, question_subtype="open")
    assert annomi_utterance_label(t, "What happened that night?", 2) == "OQ"
    assert annomi_utterance_label(t, "Was it at work?", 2) is None  # the turn opens; this question does not
    assert annomi_utterance_label(t, "Um, is there anything else?", 2) is None
    assert annomi_utterance_label(t, "Is there anything else?", 1) == "OQ"  # a one-question turn keeps its label
    closed = turn(main="question", question=True, question_subtype="closed")
    assert annomi_utterance_label(closed, "Was it at work?", 2) == "CQ"


def test_advice_is_pwp_after_permission_and_per_without():
    t = turn(main="therapist_input", therapist_input=True, therapist_input_subtype="advice")
    assert annomi_utterance_label(t, "You should try the patch.", 1) == "PER"
    assert annomi_utterance_label({**t, "prev_client": "Sure, go ahead."}, "You should try the patch.", 1) == "PWP"
    assert annomi_utterance_label(t, "Some people try the patch, but it's up to you.", 1) == "PWP"


def test_advice_is_pwp_when_leave_was_asked_earlier_or_the_client_asked_for_it():
    t = turn(main="therapist_input", therapist_input=True, therapist_input_subtype="advice")
    assert annomi_utterance_label({**t, "asked_permission": True}, "You should try the patch.", 1) == "PWP"
    asked = {**t, "prev_client": "What should I do about the cravings?"}
    assert annomi_utterance_label(asked, "You could try the patch.", 1) == "PWP"


def test_only_the_advice_in_a_multi_utterance_advice_turn_is_advice():
    t = turn(main="therapist_input", therapist_input=True, therapist_input_subtype="advice")
    assert annomi_utterance_label(t, "Alright, thank you.", 3) is None
    assert annomi_utterance_label(t, "That side effect wears off.", 3) is None
    assert annomi_utterance_label(t, "I'd recommend that you cut down to two drinks.", 3) == "PER"


def test_options_without_leave_are_left_out_not_persuasion():
    t = turn(main="therapist_input", therapist_input=True, therapist_input_subtype="options")
    assert annomi_utterance_label(t, "There's the patch, or nicotine gum.", 1) is None
    assert annomi_utterance_label({**t, "asked_permission": True}, "There's the patch, or nicotine gum.", 1) == "PWP"


def test_permission_asked_in_an_earlier_turn_carries_to_the_advice(tmp_path):
    import pandas as pd

    from mi_coder.train.annomi import annomi_examples

    rows = [("therapist", "Would it be okay if I shared a few ideas?", {}),
            ("client", "The car is the hardest part.", {}),
            ("therapist", "You should keep gum in the car.", {"therapist_input": True,
                                                                      "therapist_input_subtype": "advice"})]
    turns = pd.DataFrame([{**turn(main="therapist_input" if f else "other", **f), "transcript_id": "1",
                           "utterance_id": str(k), "interlocutor": who, "utterance_text": text, "client_talk": "neutral"}
                          for k, (who, text, f) in enumerate(rows)])
    examples = annomi_examples(turns, lambda text: [(0, len(text))])
    assert examples["code"].tolist()[-1] == "PWP"
    without = annomi_examples(turns.iloc[1:], lambda text: [(0, len(text))])
    assert without["code"].tolist()[-1] == "PER"


def test_negotiation_is_left_out_and_unflagged_turns_are_nc():
    t = turn(main="therapist_input", therapist_input=True, therapist_input_subtype="negotiation")
    assert annomi_utterance_label(t, "Let's set a goal.", 1) is None
    assert annomi_utterance_label(turn(), "Hi there.", 1) == "NC"


def test_recoded_annomi_utterances_carry_their_own_code_and_survive_the_gap_filter(tmp_path):
    from mi_coder.errors import InputError, UsageError
    from mi_coder.train.annomi import annomi_examples, apply_utterance_codes, read_utterance_codes
    from mi_coder.train.fit import drop_gap_examples

    rows = [("therapist", "Hi, thanks for coming in.", {}), ("client", "Sure.", {}),
            ("therapist", "Coming back after that week took real guts. Where would you like to start?", {})]
    turns = pd.DataFrame([{**turn(**f), "transcript_id": "7", "utterance_id": str(k), "interlocutor": who,
                           "utterance_text": text, "client_talk": "neutral", "video_url": "v7"}
                          for k, (who, text, f) in enumerate(rows)])
    halves = lambda text: [(0, text.index(".") + 1), (text.index(".") + 2, len(text))] if "guts" in text \
        else [(0, len(text))]  # noqa: E731
    examples = annomi_examples(turns, halves)
    assert examples[examples["role"] == "practitioner"]["code"].tolist() == ["NC", "NC", "NC"]
    (tmp_path / "codes.csv").write_text("transcript_id,utterance_id,k,code\n7,2,0,AF\n7,2,1,SEEK\n")
    codes = read_utterance_codes(tmp_path / "codes.csv")
    recoded = apply_utterance_codes(examples, codes, strict=True)
    practitioner = recoded[recoded["role"] == "practitioner"]
    assert practitioner["code"].tolist() == ["NC", "AF", "SEEK"]
    assert practitioner["recoded"].tolist() == [False, True, True]
    # the gap filter drops AnnoMI rows a team-only model reads as AF/SEEK/EA/CON, never re-coded ones
    team = pd.DataFrame([{"source": "team_sessions", "group": f"team:a-{i}", "session_id": f"a{i}", "turn_id": "1",
                          "role": "practitioner", "text": t, "prev_text": "", "next_text": "", "position": 0,
                          "n_in_turn": 1, "code": c, "weight": 1.0}
                         for i, (t, c) in enumerate([("That took real guts.", "AF"), ("You showed guts there.", "AF"),
                                                     ("Hi there.", "NC"), ("Thanks for coming.", "NC")] * 5)])
    kept = drop_gap_examples(pd.concat([recoded, team], ignore_index=True), threshold=0.0)
    annomi_left = kept[(kept["source"] == "annomi") & (kept["role"] == "practitioner")]
    assert annomi_left["recoded"].tolist() == [True, True]  # the unrecoded NC row went, the re-coded ones stayed
    (tmp_path / "other.csv").write_text("transcript_id,utterance_id,k,code\n9,2,0,AF\n")
    with pytest.raises(UsageError, match="1 of 1 re-coded"):
        apply_utterance_codes(examples, read_utterance_codes(tmp_path / "other.csv"), strict=True)
    (tmp_path / "bad.csv").write_text("transcript_id,utterance_id,k,code\n7,2,0,XX\n")
    with pytest.raises(InputError, match="XX"):
        read_utterance_codes(tmp_path / "bad.csv")


def test_recoded_client_utterances_carry_their_own_talk_code_at_full_weight(tmp_path):
    """AnnoMI labels a client turn as a whole: each of a "change" turn's n utterances is CT at weight 1/n. A
    client re-code gives an utterance its own code (a filler FN, a status-quo clause ST) at weight 1; a client
    code never lands on a practitioner utterance."""
    from mi_coder.errors import UsageError
    from mi_coder.train.annomi import annomi_examples, apply_utterance_codes, read_utterance_codes

    rows = [("therapist", "What would be different if you cut down?", "n/a"),
            ("client", "Yeah. I'd sleep better. But I like it too much.", "change")]
    turns = pd.DataFrame([{**turn(), "transcript_id": "8", "utterance_id": str(k), "interlocutor": who,
                           "utterance_text": text, "client_talk": talk, "video_url": "v8"}
                          for k, (who, text, talk) in enumerate(rows)])
    sentences = lambda text: [(m.start(), m.end()) for m in re.finditer(r"[^.?]+[.?]", text)]  # noqa: E731
    examples = annomi_examples(turns, lambda text: [(a + (text[a] == " "), b) for a, b in sentences(text)])
    client = examples[examples["role"] == "client"]
    assert client["code"].tolist() == ["CT", "CT", "CT"] and client["weight"].round(3).tolist() == [0.333] * 3
    (tmp_path / "client.csv").write_text("transcript_id,utterance_id,k,code\n8,1,0,FN\n8,1,1,CT\n8,1,2,ST\n")
    recoded = apply_utterance_codes(examples, read_utterance_codes(tmp_path / "client.csv"), strict=True)
    client = recoded[recoded["role"] == "client"]
    assert client["code"].tolist() == ["FN", "CT", "ST"]
    assert client["weight"].tolist() == [1.0, 1.0, 1.0] and client["recoded"].all()
    assert recoded[recoded["role"] == "practitioner"]["code"].tolist() == examples[examples["role"] == "practitioner"][
        "code"].tolist()
    # experiment.py --annomi-reference-codes: some re-codes train, all of them are the folds' reference
    from mi_coder.train.fit import TrainingData

    practitioner_codes = pd.DataFrame([{"transcript_id": "8", "utterance_id": "0", "k": "0", "code": "OQ"}])
    data = TrainingData(examples, pd.DataFrame()).with_annomi_codes(
        read_utterance_codes(tmp_path / "client.csv"), reference=practitioner_codes)
    assert data.examples[data.examples["role"] == "client"]["code"].tolist() == ["FN", "CT", "ST"]
    assert not data.examples[data.examples["role"] == "practitioner"]["recoded"].any()
    assert len(data.annomi_codes) == 4 and len(data.annomi_train_codes) == 3
    assert TrainingData(examples, pd.DataFrame()).with_annomi_codes(practitioner_codes, train=False).annomi_train_codes \
        is None
    (tmp_path / "wrong_role.csv").write_text("transcript_id,utterance_id,k,code\n8,0,0,CT\n")
    with pytest.raises(UsageError, match="same role"):
        apply_utterance_codes(examples, read_utterance_codes(tmp_path / "wrong_role.csv"), strict=True)


@pytest.mark.parametrize("text, expected", [("What brings you in?", True), ("what brings you in today", True),
                                            ("do you want to stop", True), ("You want to stop.", False),
                                            ("you want to stop", False), ("So, how was it?", True)])
def test_is_interrogative(text, expected):
    assert is_interrogative(text) is expected


def test_team_corpus_has_at_least_150_examples_of_every_code():
    import glob

    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    counts = corpus["code"].value_counts()
    codes = "OQ CQ SR CR AF SEEK EA GI PWP PER CON NC CT ST FN".split()
    assert all(counts.get(c, 0) >= 150 for c in codes), counts.to_dict()
    assert corpus["text"].str.len().min() > 0
    assert not corpus["turn_id"].duplicated().any()


def test_coded_table_rows_become_examples_with_their_context():
    ex = coded_table_examples(FIXTURES / "per_utterance.tsv")
    assert list(ex["code"]) == ["OQ", "FN", "ST", "SR", "OQ"]
    # The practitioner's reflection is judged against the client's preceding turn.
    assert ex.iloc[3]["prev_text"] == "Not great. I missed two groups."
    assert list(ex["position"]) == [0, 0, 1, 0, 1]
    # ... and the client's next turn shows how it was taken; the last turn has none.
    assert ex.iloc[0]["next_text"] == "Not great. I missed two groups."
    assert ex.iloc[3]["next_text"] == ""


def test_next_text_is_the_other_roles_next_turn_joined_from_its_rows():
    rows = pd.DataFrame({
        "session_id": ["a"] * 5 + ["b"],
        "turn_id": ["1", "2", "2", "3", "4", "1"],
        "role": ["practitioner", "client", "client", "practitioner", "practitioner", "practitioner"],
        "text": ["How was the week?", "Bad.", "I slipped.", "You slipped.", "What happened?", "Hello?"],
    })
    out = with_next_text(rows)
    assert list(out["next_text"]) == ["Bad. I slipped.", "You slipped.", "You slipped.", "", "", ""]


def test_training_uses_every_corpus_batch_but_the_held_back_ones(tmp_path):
    from mi_coder.train.examples import HELD_BACK_BATCHES, corpus_session_files

    for batch in ("a", "b", *HELD_BACK_BATCHES):
        (tmp_path / f"{batch}_utterances.csv").write_text("session_id\n")
        (tmp_path / f"{batch}_sessions.csv").write_text("session_id\n")
    names = [p.rsplit("/", 1)[-1] for p in corpus_session_files(tmp_path)]
    assert names == ["a_utterances.csv", "b_utterances.csv"]
    assert all(reason for reason in HELD_BACK_BATCHES.values())  # each held-back batch says why


def _run_review(tmp_path, decisions: str) -> subprocess.CompletedProcess:
    (tmp_path / "decisions.csv").write_text(decisions)
    script = ROOT / "scripts" / "apply_role_review.py"
    return subprocess.run([sys.executable, str(script), str(tmp_path / "decisions.csv"), "--sessions", str(tmp_path)],
                          capture_output=True, text=True)


_BATCH = ('session_id,turn,utterance,speaker,text,code,code2,role\r\n'
          'x-01,1,1,practitioner,How would you like to use these meetings?,OQ,SEEK,participation\r\n'
          'x-01,2,1,client,"Straight, no tiptoeing.",FN,,\r\n'
          'x-01,3,1,practitioner,"Okay, no tiptoeing.",SR,,participation\r\n')
_HEADER = "session_id,turn,utterance,old_role,new_role,decision,reason\n"


def test_role_review_changes_only_the_decided_role_fields_and_keeps_the_files_bytes(tmp_path):
    (tmp_path / "x_utterances.csv").write_bytes(_BATCH.encode())
    done = _run_review(tmp_path, _HEADER + "x-01,1,1,participation,participation,keep,asks\n"
                                           "x-01,3,1,participation,,remove,acknowledges the answer\n")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "x_utterances.csv").read_bytes() == _BATCH.replace(
        '"Okay, no tiptoeing.",SR,,participation', '"Okay, no tiptoeing.",SR,,').encode()
    again = _run_review(tmp_path, _HEADER + "x-01,3,1,participation,,remove,acknowledges the answer\n")
    assert again.returncode == 0 and "0 role field(s) changed" in again.stdout


def test_role_review_refuses_a_decision_that_does_not_match_the_file_and_writes_nothing(tmp_path):
    (tmp_path / "x_utterances.csv").write_bytes(_BATCH.encode())
    done = _run_review(tmp_path, _HEADER + "x-01,3,1,participation,,remove,ok\n"
                                           "x-01,1,1,client_role,,remove,stale\n")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "x-01/1/1" in done.stderr and "decisions.csv" in done.stderr
    assert (tmp_path / "x_utterances.csv").read_bytes() == _BATCH.encode()
    no_column = _run_review(tmp_path, "session_id,turn,utterance,new_role\nx-01,3,1,\n")
    assert no_column.returncode == 2 and "old_role" in no_column.stderr and "Traceback" not in no_column.stderr


def _script(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_second_coder_agreement_counts_per_code_kappa_and_the_code_groups():
    agreement = _script("recode_agreement").agreement
    first = pd.Series(["SR", "CR", "OQ", "NC", "SR", "CQ"])
    second = pd.Series(["CR", "CR", "OQ", "NC", "SR", "OQ"])
    report = agreement(first, second)
    assert report["agreement"] == pytest.approx(4 / 6, abs=0.001)
    assert report["group_kappa"] == 1.0  # SR/CR and OQ/CQ fall in the same groups
    assert report["per_code"]["NC"]["kappa"] == 1.0 and report["per_code"]["CQ"] == {"first": 1, "second": 0,
                                                                                   "kappa": 0.0}


def test_every_second_code_pairs_with_a_first_code_and_gives_the_data_cards_figures():
    script = _script("recode_agreement")
    both = script.paired(pd.read_csv(ROOT / "data" / "annomi_second_coder_codes.csv"))
    assert both.groupby("source").size().to_dict() == {"client": 150, "flagged": 100, "other": 100, "unknown": 100}
    practitioner = both[both["source"] != "client"]
    assert script.agreement(practitioner["first"], practitioner["code"])["kappa"] == 0.869
    client = both[both["source"] == "client"]
    assert script.agreement(client["first"], client["code"])["kappa"] == 0.888


def test_training_refuses_a_code_of_the_other_role_and_says_what_it_leaves_out(tmp_path):
    import pandas as pd

    from mi_coder.errors import InputError
    from mi_coder.train.examples import coded_table_examples

    rows = [("1", "Therapist", "What brings you in?", "OQ"), ("2", "Client", "My doctor sent me.", "FN"),
            ("3", "Interpreter", "She says her doctor sent her.", "NC"), ("4", "Therapist", "Your doctor.", "SR"),
            ("5", "Client", "Yes, and I want to cut down.", "CT")]
    table = pd.DataFrame(rows, columns=["turn_id", "speaker", "text", "code"]).assign(session_id="s")
    table.assign(role=["practitioner", "client", "other", "practitioner", "client"]).to_csv(tmp_path / "ok.csv",
                                                                                           index=False)
    with pytest.warns(UserWarning, match="1 utterance\\(s\\) of speakers who are neither practitioner nor client"):
        assert len(coded_table_examples(tmp_path / "ok.csv")) == 4
    table.loc[1, "code"] = "GI"  # a practitioner code on a client utterance: it trained no model, silently
    table.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match="'GI' is not a code for a client utterance"):
        coded_table_examples(tmp_path / "bad.csv")


def test_a_session_coded_in_two_files_is_one_cross_validation_group(tmp_path):
    # a researcher's audit: a copy of the same table, or a second coder's codes of the same sessions, made each copy
    # its own group, so 3-fold CV tested sessions the model had trained on (macro-F1 0.374 -> 0.673)
    from mi_coder.train.fit import load_training_data

    rows = "session_id,speaker,text,code\n" + "".join(
        f"{sid},T,How was week {k} for you {sid}?,OQ\n{sid},C,It was fine I guess.,FN\n{sid},T,It was fine.,SR\n"
        for sid in ("a", "b", "c") for k in range(2))
    first, copy, other = tmp_path / "coder_a.csv", tmp_path / "coder_b.csv", tmp_path / "other.csv"
    first.write_text(rows)
    copy.write_text(rows.replace(",SR\n", ",CR\n"))  # a second coder: same words, other codes
    other.write_text(rows.replace("a,T", "z,T").replace("a,C", "z,C").replace("week", "month"))
    with pytest.warns(UserWarning, match="appear in more than one file"):
        data = load_training_data([first, copy, other])
    own_id = data.examples["session_id"].str.rsplit(":", n=1).str[-1]  # an id several files use is file:id
    groups = data.examples.groupby(own_id)["group"].nunique()
    assert groups["a"] == groups["b"] == groups["c"] == 1  # by words (a) and by id (b, c in all three files)
    assert data.examples["group"].nunique() == 4  # a, b, c and other.csv's z, whose words and id are its own
    assert data.turn_examples.groupby("session_id")["group"].nunique().max() == 1
    # ...and each file's session stays a session of its own: other.csv's "b" (other words) was rebuilt, in a
    # held-out fold, as one session with the turns of the two other files' "b" interleaved
    from mi_coder.train.examples import sessions_from_examples

    sessions = sessions_from_examples(data.examples)
    assert len(sessions) == 9 and all(sum(len(t.utterances) for t in s.turns) == 6 for s in sessions)
    b_other = next(s for s in sessions if s.id == f"{other}:b")
    assert all("month" in t.text for t in b_other.turns if t.role == "T")


@needs_annomi
@pytest.mark.slow
def test_recode_batches_hide_annomis_labels_and_check_refuses_a_key_coded_twice_or_left_out(tmp_path):
    """scripts/recode_batches.py: blind batches (no AnnoMI label in them), keys matching the shipped client re-codes'
    splitting, and a check that writes keys and codes only when every utterance is coded once."""
    script = [sys.executable, str(ROOT / "scripts" / "recode_batches.py")]
    done = subprocess.run([*script, "write", "--talk", "sustain", "--out", str(tmp_path), "--batches", "2"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    batch = (tmp_path / "batch_1.md").read_text()
    assert "k=1:" in batch and "neutral" not in batch.lower() and "sustain" not in batch.lower()
    keys = pd.concat([pd.read_csv(tmp_path / f"keys_{b}.csv", dtype=str) for b in (1, 2)])
    shipped = pd.read_csv(ROOT / "data" / "annomi_client_codes.csv", dtype=str)  # change and sustain turns
    assert set(map(tuple, keys.values)) <= set(map(tuple, shipped[["transcript_id", "utterance_id", "k"]].values))
    codes = keys.assign(code="FN")
    codes.to_csv(tmp_path / "codes.csv", index=False)
    out = tmp_path / "checked.csv"
    done = subprocess.run([*script, "check", str(tmp_path / "codes.csv"), "--talk", "sustain", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list(pd.read_csv(out, dtype=str).columns) == ["transcript_id", "utterance_id", "k", "code"]
    pd.concat([codes, codes.head(1)]).to_csv(tmp_path / "twice.csv", index=False)
    codes.iloc[1:].to_csv(tmp_path / "short.csv", index=False)
    for bad, said in (("twice.csv", "2 rows coded twice"), ("short.csv", "not every utterance is coded")):
        done = subprocess.run([*script, "check", str(tmp_path / bad), "--talk", "sustain", "--out", str(tmp_path / "x")],
                              capture_output=True, text=True)
        assert done.returncode != 0 and said in done.stderr and not (tmp_path / "x").exists(), done.stderr


def test_training_refuses_an_utterance_listed_twice_as_evaluate_does(tmp_path):
    import pandas as pd

    from mi_coder.errors import InputError
    from mi_coder.train.examples import coded_table_examples

    rows = [("s", "1", "PO", "What brings you in?", "OQ"), ("s", "2", "Client", "My doctor sent me.", "FN"),
            ("s", "3", "PO", "Your doctor sent you.", "SR"), ("s", "4", "Client", "Yes, and I want to cut down.", "CT")]
    table = pd.DataFrame(rows, columns=["session_id", "utterance_id", "speaker", "text", "code"])
    table.to_csv(tmp_path / "ok.csv", index=False)
    assert len(coded_table_examples(tmp_path / "ok.csv")) == 4
    table.iloc[[0, 1, 2, 2, 3]].to_csv(tmp_path / "pasted_twice.csv", index=False)  # a row pasted twice
    with pytest.raises(InputError, match="pasted_twice.csv.*utterance 3 is listed twice \\(it would be trained on twice"):
        coded_table_examples(tmp_path / "pasted_twice.csv")


@needs_annomi
def test_every_annomi_re_code_names_an_utterance_of_the_current_segmentation():
    # The re-codes are keyed by (transcript, turn, position) in the segmenter's cut of each turn: a segmenter change
    # that cut one re-coded turn differently (a cut inside a hyphenated word, no longer made) broke the default model's one-command
    # rebuild ("1 of 5767 re-coded AnnoMI utterances match no utterance of the same role").
    from mi_coder.train.annomi import apply_utterance_codes, read_utterance_codes
    from mi_coder.train.fit import load_training_data

    from .conftest import ANNOMI_FULL

    examples = load_training_data([str(ANNOMI_FULL)]).examples
    files = sorted(ROOT.glob("data/annomi_*codes*.csv"))
    assert len(files) >= 5
    for path in files:
        apply_utterance_codes(examples, read_utterance_codes(path), strict=True)  # raises, naming the count


def test_tables_without_client_codes_get_the_corpus_client_rows_and_tables_with_them_are_left_alone(monkeypatch):
    import pandas as pd

    from mi_coder.train import fit
    from mi_coder.train.fit import TrainingData, with_client_corpus

    files = fit.shipped_session_corpus()
    assert [f.name[0] for f in files] == list("abcdefghijk")  # the code models' batches, no hold-out
    monkeypatch.setattr(fit, "shipped_session_corpus", lambda: files[:1])  # one batch: the whole corpus takes 8 s

    rows = [{"source": "coded", "group": "t.csv:s1", "session_id": "s1", "turn_id": str(i), "role": role,
             "text": text, "prev_text": "", "next_text": "", "position": 0, "n_in_turn": 1, "code": code,
             "weight": 1.0}
            for i, (role, text, code) in enumerate([("practitioner", "What brings you in?", "OQ"),
                                                    ("client", "My drinking.", None),
                                                    ("practitioner", "You're worried.", "SR")])]
    practitioner_only = TrainingData(pd.DataFrame(rows), pd.DataFrame(rows), None, [])
    said = []
    added = with_client_corpus(practitioner_only, said.append)
    new = added.examples.iloc[3:]
    assert len(new) == added.client_corpus["client_utterances"] > 300
    assert set(new["role"]) == {"client"} and set(new["code"]) == {"CT", "ST", "FN"}
    assert set(added.turn_examples.iloc[3:]["role"]) == {"client"}
    assert added.examples.iloc[:3].equals(practitioner_only.examples)  # the tables' own rows as they were
    assert said and "client models learn from mi-coder's team corpus" in said[0]
    # cross-validation holds out the tables' sessions only: one session is one group, whatever the corpus adds
    assert fit.client_corpus_rows(added.examples).tolist() == [False] * 3 + [True] * len(new)
    from mi_coder.errors import UsageError
    from mi_coder.evaluate.crossval import _check_fold_groups

    with pytest.raises(UsageError, match="the data has only 1 group"):
        _check_fold_groups(added, 2)
    # a reviewed client code (train --add) adds to the corpus instead of taking its place
    reviewed = dict(rows[1], source="reviewed", code="ST")
    with_review = TrainingData(pd.DataFrame([*rows, reviewed]), pd.DataFrame(rows), None, [])
    assert with_client_corpus(with_review).client_corpus is not None
    rows[1]["code"] = "CT"
    with_client = TrainingData(pd.DataFrame(rows), pd.DataFrame(rows), None, [])
    assert with_client_corpus(with_client) is with_client


def test_annomi_turn_labels_give_change_talk_for_change_and_sustain_talk_for_sustain():
    # mutation audit: swapping AnnoMI's "change" and "sustain" client labels passed every test that needs no AnnoMI
    import pandas as pd

    from mi_coder.train.annomi import annomi_turn_examples

    turns = pd.DataFrame([
        ("t1", "therapist", "question", "", "How are things going?"),
        ("t1", "client", "", "change", "I want to cut back on the drinking."),
        ("t1", "therapist", "reflection", "", "Cutting back matters to you."),
        ("t1", "client", "", "sustain", "But it is how I relax."),
        ("t1", "therapist", "therapist_input", "", "The clinic runs a group on Mondays."),
        ("t1", "client", "", "neutral", "Okay."),
    ], columns=["transcript_id", "interlocutor", "main", "client_talk", "utterance_text"])
    turns["utterance_id"] = range(len(turns))
    turns["video_url"] = "v1"
    assert list(annomi_turn_examples(turns)["code"]) == ["question", "CT", "reflection", "ST", "therapist_input", "FN"]


def test_context_dropout_copies_practitioner_examples_without_the_turns_around_them_at_a_lower_weight():
    # E73: "no turn before" had come to mean a session's opening (NC), so an affirmation with no client turn before it
    # ("That took guts.") was coded NC; the copies teach the words alone
    import pandas as pd

    from mi_coder.train.fit import without_context

    frame = pd.DataFrame({"role": ["practitioner", "practitioner", "client"], "text": ["That took guts.", "Hi.", "Yes."],
                          "prev_text": ["I went to the meeting.", "", "Did you go?"],
                          "next_text": ["Thanks.", "Hello.", ""], "weight": [2.0, 1.0, 1.0], "code": ["AF", "NC", "FN"]})
    out = without_context(frame, 0.5)
    copies = out[out["context_dropped"]]
    assert len(out) == 4 and copies["text"].tolist() == ["That took guts."]  # an opening has no context to drop
    assert copies.iloc[0][["prev_text", "next_text", "weight", "code"]].tolist() == ["", "", 1.0, "AF"]
    assert out[~out["context_dropped"]].drop(columns="context_dropped").equals(frame)  # the originals as they were


def test_a_session_given_twice_with_the_same_codes_counts_once(tmp_path):
    # a researcher's audit: a table and a copy of one of its sessions, cross-validated together, tested that session
    # twice (n 441 + 22) and trained on it twice
    from mi_coder.train.fit import load_training_data

    rows = "session_id,speaker,text,code\n" + "".join(
        f"{sid},T,How was week {k} for you {sid}?,OQ\n{sid},C,It was fine I guess.,FN\n{sid},T,It was fine.,SR\n"
        for sid in ("a", "b", "c") for k in range(2))
    table, copy = tmp_path / "train.csv", tmp_path / "a_only.csv"
    table.write_text(rows)
    copy.write_text("session_id,speaker,text,code\n" + "".join(line + "\n" for line in rows.splitlines()[1:7]))
    with pytest.warns(UserWarning, match=r"1 coded session\(s\) are given twice with the same words and codes"):
        data = load_training_data([table, copy])
    assert len(data.examples[data.examples["source"] == "coded"]) == 18  # 3 sessions of 6 utterances, once each
