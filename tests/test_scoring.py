"""Scoring: MITI volley rules, summary scores and bands, indicators, and the laws scores must keep."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mi_coder.io.reader import read_transcript
from mi_coder.scoring import (
    COLUMNS,
    band,
    load_thresholds,
    question_runs,
    session_scores,
    summary_scores,
    volley_counts,
    volleys,
)

from .helpers import C, P, coded_session


def test_reflections_count_once_per_volley_as_complex_if_any_is_complex():
    s = coded_session([(P, [("You're tired.", "SR"), ("And part of you wants out.", "CR")]),
                       (C, "It's a lot.", ["FN"]),
                       (P, [("It's a lot.", "SR")])])
    counts = volley_counts(s.turns)
    assert counts["CR"] == 1 and counts["SR"] == 1


def test_a_backchannel_that_answers_nothing_does_not_end_the_volley():
    s = coded_session([(P, [("You've been working hard on this.", "SR")]),
                       (C, "Mm-hmm.", ["FN"]),
                       (P, [("And it's been paying off.", "CR")])])
    assert len(volleys(s.turns)) == 1
    assert volley_counts(s.turns)["CR"] == 1 and volley_counts(s.turns)["SR"] == 0


def test_a_backchannel_answering_a_question_ends_the_volley():
    s = coded_session([(P, [("Did you go to group?", "CQ")]),
                       (C, "Yeah.", ["FN"]),
                       (P, [("You went.", "SR")])])
    assert len(volleys(s.turns)) == 2


def test_questions_count_once_per_volley_open_if_any_is_open():
    s = coded_session([(P, [("Did you go?", "CQ"), ("What happened?", "OQ")])])
    counts = volley_counts(s.turns)
    assert (counts["OQ"], counts["CQ"]) == (1, 0)


def test_expected_r_q_adds_each_volleys_likeliest_reflection_and_question_and_needs_probabilities_everywhere():
    s = coded_session([(P, [("You're tired.", "SR"), ("What would help?", "OQ")]),
                       (C, "Sleep, maybe.", ["FN"]),
                       (P, [("So sleep.", "SR")]),
                       (C, "Mm-hmm.", ["FN"]),
                       (P, [("Tell me about the job.", "OQ")])])
    assert session_scores(s)["r_q_expected"] is None  # human or imported codes: nothing to expect from
    probs = iter([(0.9, 0.1), (0.2, 0.7), (0.6, 0.3), (0.1, 0.5)])
    for t in s.turns:
        for u in t.utterances if t.role == P else []:
            u.meta["p_reflection"], u.meta["p_question"] = next(probs)
    scores = session_scores(s)
    # volley 1: max P(R) 0.9, max P(Q) 0.7; volley 2 ("So sleep.", a backchannel, the question): 0.6 and 0.5
    assert scores["n_volleys"] == 2
    assert scores["expected_reflections"] == pytest.approx(1.5) and scores["expected_questions"] == pytest.approx(1.2)
    assert scores["r_q_expected"] == pytest.approx(1.5 / 1.2)
    del s.turns[-1].utterances[0].meta["p_question"]
    assert session_scores(s)["r_q_expected"] is None


def test_summary_scores_follow_the_manual():
    counts = {c: 0 for c in ("OQ", "CQ", "SR", "CR", "AF", "SEEK", "EA", "GI", "PWP", "PER", "CON")}
    counts.update({"OQ": 3, "CQ": 1, "SR": 2, "CR": 6, "AF": 1, "SEEK": 2, "EA": 1, "PER": 1, "CON": 1})
    s = summary_scores(counts)
    assert s["r_q"] == 2.0
    assert s["pct_cr"] == 0.75
    assert s["pct_oq"] == 0.75
    assert s["mi_adherent"] == 4 and s["mi_nonadherent"] == 2


def test_undefined_ratios_are_empty_not_zero_or_infinite():
    s = coded_session([(P, [("Here is the schedule.", "GI")]), (C, "Okay.", ["FN"])] * 3)
    scores = session_scores(s)
    assert scores["r_q"] is None and scores["pct_oq"] is None and scores["pct_cr"] is None
    assert scores["r_q_band"] == ""
    assert scores["change_talk_pct"] is None


def test_bands_against_default_and_file_thresholds(tmp_path):
    assert band(0.5, {"fair": 1, "good": 2}) == "below"
    assert band(1.0, {"fair": 1, "good": 2}) == "fair"
    assert band(2.5, {"fair": 1, "good": 2}) == "good"
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"r_q": {"fair": 1.5, "good": 3}}))
    thresholds = load_thresholds(path)
    assert thresholds["r_q"] == {"fair": 1.5, "good": 3.0}
    assert thresholds["pct_cr"]["good"] == 0.5


def test_bad_threshold_file_is_an_input_error(tmp_path):
    from mi_coder import InputError

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"r_q": {"fair": 1}}))
    with pytest.raises(InputError, match="t.json"):
        load_thresholds(path)


def test_question_runs_without_reflection_are_measured():
    q = (P, "What happened?", ["OQ"])
    a = (C, "Stuff.", ["FN"])
    r = (P, "You're frustrated.", ["SR"])
    s = coded_session([q, a, q, a, q, a, r, a, q, a])
    assert session_scores(s)["question_run_pct"] == 3 / 5


def test_information_or_advice_between_questions_does_not_end_a_question_run():
    # the guide's question-answer trap is three or more questions without a reflection: giving information or
    # advice in between leaves the client just as interrogated; only a reflection ends the run
    q = (P, "How often do you drink?", ["CQ"])
    a = (C, "Weekends.", ["FN"])
    info = (P, "Heavy drinking is more than four drinks a day.", ["GI"])
    r = (P, "It helps you unwind.", ["CR"])
    s = coded_session([q, a, info, a, q, a, q, a, r, a, q, a])
    assert session_scores(s)["question_run_pct"] == 3 / 6
    assert [[t.id for t in run] for run in question_runs(s.turns)] == [[s.turns[0].id, s.turns[4].id, s.turns[6].id]]


def test_responsive_reflection_counts_reflections_after_change_or_sustain_talk():
    s = coded_session([(P, "What do you want?", ["OQ"]), (C, "I want to quit.", ["CT"]),
                       (P, "Quitting matters to you.", ["SR"]), (C, "But I like it.", ["ST"]),
                       (P, "When is your next test?", ["CQ"]), (C, "Tuesday.", ["FN"])])
    assert session_scores(s)["responsive_reflection_pct"] == 0.5


def test_role_clarification_found_early_with_evidence_turns():
    s = coded_session([
        (P, "Thanks for coming. The purpose of these meetings is to check on your conditions and help you "
            "get through supervision.", ["GI"]),
        (C, "Okay.", ["FN"]),
        (P, "My job is to report to the court, and your part is deciding how you meet the conditions.", ["GI"]),
        (C, "Sure.", ["FN"]),
        (P, "How would you like these meetings to go?", ["OQ"]),
        (C, "Quick.", ["FN"]),
    ] + [(P, "Tell me more.", ["OQ"]), (C, "Fine.", ["FN"])] * 6)
    scores = session_scores(s)
    assert scores["role_clarification"] is True
    assert scores["role_clarification_turns"] == "purpose:1 practitioner_role:3 client_role:3 participation:5"
    assert scores["role_clarification_in_order"] is True and scores["role_clarification_at"] == 0.0


def test_role_clarification_uses_the_detectors_labels_and_checks_the_order():
    s = coded_session([(P, "So, let's get going.", ["NC"]), (C, "Okay.", ["FN"]),
                       (P, "How do you want to use these?", ["OQ"]), (C, "Dunno.", ["FN"]),
                       (P, "I write the reports and I back you up.", ["GI"]), (C, "Right.", ["FN"])]
                      + [(P, "Tell me more.", ["OQ"]), (C, "Fine.", ["FN"])] * 6)
    for turn in s.turns:
        for u in turn.utterances:
            if turn.role == P:
                u.meta["role_elements"] = []
    s.turns[2].utterances[0].meta["role_elements"] = ["participation"]
    s.turns[4].utterances[0].meta["role_elements"] = ["practitioner_role"]
    scores = session_scores(s)
    # The phrase cues would find nothing in "I write the reports and I back you up": the labels decide.
    assert scores["role_clarification_turns"] == "practitioner_role:5 participation:3"
    assert scores["role_clarification_elements"] == 2 and scores["role_clarification"] is False
    assert scores["role_clarification_in_order"] is False
    assert scores["role_clarification_at"] == round(2 / len(s.turns), 3)


def test_short_sessions_are_flagged_unreliable():
    s = coded_session([(P, "How are you?", ["OQ"]), (C, "Fine.", ["FN"])])
    assert session_scores(s)["scores_reliable"] is False


def test_sessions_whose_coded_turns_do_not_read_as_english_are_flagged_unreliable():
    english = [(P, "What would you like to talk about today, then?", ["OQ"]),
               (C, "I guess I want to cut down on my drinking a bit.", ["CT"])] * 12
    spanish = [(P, "¿Qué le gustaría cambiar de su vida en este momento?", ["OQ"]),
               (C, "Quiero dejar de beber porque mis hijos me necesitan.", ["CT"])] * 12
    assert session_scores(coded_session(english))["scores_reliable"] is True
    scores = session_scores(coded_session(spanish))
    assert scores["not_english_turns"] == 24 and scores["n_practitioner_utterances"] >= 10  # not too short
    assert scores["scores_reliable"] is False
    # two Spanish sentences in an English session (a greeting, a name) leave it reliable
    mixed = session_scores(coded_session(english + spanish[:2]))
    assert mixed["not_english_turns"] == 2 and mixed["scores_reliable"] is True


def test_every_score_column_is_documented():
    s = coded_session([(P, "How are you?", ["OQ"]), (C, "Fine.", ["FN"])])
    documented = set()
    for col in COLUMNS:
        for name in col.name.split(" / "):
            documented.add(name)
    missing = [k for k in session_scores(s) if k not in documented]
    assert not missing


PRACTITIONER_CODES = ["OQ", "CQ", "SR", "CR", "AF", "SEEK", "EA", "GI", "PWP", "PER", "CON", "NC"]
turn_strategy = st.one_of(
    st.tuples(st.just(P), st.lists(st.sampled_from(PRACTITIONER_CODES), min_size=1, max_size=3)),
    st.tuples(st.just(C), st.lists(st.sampled_from(["CT", "ST", "FN"]), min_size=1, max_size=2)),
)


def _session(spec, sid="s"):
    return coded_session([(role, [(f"word{k} text", c) for k, c in enumerate(codes)]) for role, codes in spec], sid)


@settings(max_examples=150, deadline=None)
@given(st.lists(turn_strategy, min_size=1, max_size=25))
def test_ratios_stay_within_their_ranges(spec):
    scores = session_scores(_session(spec))
    for key in ("pct_cr", "pct_oq", "utt_pct_cr", "utt_pct_oq", "client_talk_share", "client_turn_share",
                "change_talk_pct", "question_run_pct", "responsive_reflection_pct"):
        assert scores[key] is None or 0.0 <= scores[key] <= 1.0, key
    assert scores["r_q"] is None or scores["r_q"] >= 0
    for key in ("engagement_index", "empathy_index", "fidelity_index"):
        assert scores[key] is None or 0.0 <= scores[key] <= 100.0, key
    for key in ("empathy_global", "partnership_global"):
        assert scores[key] is None or 1.0 <= scores[key] <= 5.0, key


@settings(max_examples=100, deadline=None)
@given(st.lists(turn_strategy, min_size=1, max_size=20), st.data())
def test_a_client_backchannel_after_a_statement_leaves_the_miti_counts_unchanged(spec, data):
    """MITI: a backchannel that answers nothing does not end the volley, so inserting "Mm-hmm." after a
    practitioner turn that asked no question changes no volley count and no MITI ratio."""
    session = _session(spec)
    statements = [k for k, t in enumerate(session.turns)
                  if t.role == P and not {"OQ", "CQ"} & set(t.codes)]
    if not statements:
        return
    before = session_scores(session)
    k = data.draw(st.sampled_from(statements))
    session.turns.insert(k + 1, coded_session([(C, [("Mm-hmm.", "FN")])]).turns[0])
    after = session_scores(session)
    for key in ("r_q", "pct_cr", "pct_oq", "mi_adherent", "mi_nonadherent", "SR", "CR", "OQ", "CQ", "n_volleys"):
        assert before[key] == after[key], key


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(turn_strategy, min_size=1, max_size=10), min_size=2, max_size=4), st.randoms())
def test_sessions_score_the_same_whatever_their_order_in_a_coded_table(tmp_path_factory, specs, rnd):
    """Read back from one multi-session coded table, in any order of the sessions, every session keeps its
    scores: the reader groups rows by session and nothing leaks from one session into the next."""
    from hypothesis import assume

    from mi_coder.evaluate.agreement import read_coded

    assume(all({role for role, _ in spec} == {P, C} for spec in specs))  # a coded table needs both roles
    sessions = [_session(spec, f"s{k}") for k, spec in enumerate(specs)]
    expected = {s.id: session_scores(s) for s in sessions}
    order = sessions[:]
    rnd.shuffle(order)
    rows = ["session_id,turn_id,speaker,role,text,code"]
    for s in order:
        for t, u in s.utterances():
            rows.append(f"{s.id},{t.id},{t.speaker},{t.role},{u.text},{u.code}")
    path = tmp_path_factory.mktemp("order") / "coded.csv"
    path.write_text("\n".join(rows) + "\n")
    again = {s.id: session_scores(s) for s in read_coded(path)}
    for sid, scores in expected.items():
        for key in ("r_q", "pct_cr", "pct_oq", "mi_adherent", "mi_nonadherent", "change_talk_pct", "fidelity_index"):
            assert again[sid][key] == pytest.approx(scores[key]) if scores[key] is not None else again[sid][key] is None


def test_scores_documentation_is_current():
    from mi_coder.scoring import columns_markdown

    from .conftest import ROOT

    assert (ROOT / "docs" / "SCORES.md").read_text() == columns_markdown(), \
        "regenerate with: python -c 'from mi_coder.scoring import columns_markdown; print(columns_markdown(), end=\"\")' > docs/SCORES.md"


def test_new_content_counts_content_words_not_fillers_or_function_words():
    s = coded_session([
        (P, "How was the week?", ["OQ"]),
        (C, "Whatever. I'm just saying, that's what they would have said anyway.", ["FN"]),  # no new content
        (P, "Mm-hmm.", ["NC"]),
        (C, "My landlord finally fixed the heating after three months.", ["FN"]),  # new content
    ])
    assert session_scores(s)["client_new_content_pct"] == 0.5


def test_safe_to_say_more_indicators_follow_their_definitions():
    s = coded_session([
        (P, "Did you go to the meeting?", ["CQ"]),
        (C, "Yes I went to the meeting.", ["FN"]),  # answers a closed question: not unprompted
        (P, "You went, and it was hard.", ["CR"]),
        (C, "Honestly my sister drove me there and stayed the whole evening with me.", ["CT"]),
        (P, "What else happened?", ["OQ"]),
        (C, "Nothing.", ["ST"]),
        (P, "Mm-hmm.", ["NC"]),
        (C, "I keep thinking about calling my sponsor tomorrow morning early --", ["CT"]),
    ])
    scores = session_scores(s)
    assert scores["client_new_content_pct"] == 0.5  # turns 4 and 8 bring 3+ new words without a closed question
    assert scores["interruptions"] == 1
    # one client turn after a reflection, one before it: too few to compare (a greeting is not a "before")
    assert scores["change_talk_after_reflection"] is None and scores["disclosure_after_first_reflection"] is None
    s = coded_session([
        (P, "Did you go?", ["CQ"]), (C, "Yes.", ["FN"]),
        (P, "What happened?", ["OQ"]), (C, "Nothing much happened there.", ["ST"]),
        (P, "Was it long?", ["CQ"]), (C, "Two hours or so.", ["FN"]),
        (P, "You stuck it out.", ["CR"]), (C, "I want to keep going every week.", ["CT"]),
        (P, "Every week.", ["SR"]), (C, "Yes every single week from now on.", ["CT"]),
        (P, "It matters.", ["CR"]), (C, "It does matter to me.", ["FN"]),
    ])
    scores = session_scores(s)
    assert scores["change_talk_after_reflection"] == pytest.approx(2 / 3)
    assert scores["change_talk_after_question"] == 0.0  # the CQ turns are answered FN, the OQ turn ST
    before, after = (1 + 4 + 4) / 3, (7 + 7 + 5) / 3  # client words per turn before and after the first reflection
    assert scores["disclosure_after_first_reflection"] == pytest.approx(after - before)


def test_timed_turns_interrupt_only_when_they_overlap_by_more_than_half_a_second_and_count_once():
    # caption cues of polite turn-taking overlap by a fraction of a second (a helper's Zoom file: 5 of 6 counted)
    s = coded_session([(P, "How was the week?", ["OQ"]), (C, "Not bad at all.", ["FN"]),
                       (P, "What made it good?", ["OQ"]), (C, "Work, mostly, and --", ["FN"]),
                       (P, "You got the shifts you wanted.", ["SR"])])
    times = [(1.0, 4.2), (4.0, 9.2), (9.0, 12.2), (12.0, 16.0), (14.5, 18.0)]  # 0.2 s overlaps, then 1.5 s
    for turn, (start, end) in zip(s.turns, times):
        turn.start, turn.end = start, end
    # turn 4 breaks off ("--"), turn 5 starts 1.5 s early: two turns; turn 4's slight overlap does not add one
    assert session_scores(s)["interruptions"] == 2


def test_a_backchannel_said_over_the_other_speaker_is_not_an_interruption():
    s = coded_session([(P, "How have things been going with the diabetes?", ["OQ"]), (C, "Mm-hmm.", ["FN"]),
                       (C, "Up and down, mostly down.", ["ST"]), (P, "A rough stretch.", ["CR"]),
                       (C, "It has been. I --", ["FN"]), (P, "Since the surgery.", ["CR"])])
    times = [(1.0, 8.0), (3.5, 4.0), (9.0, 13.0), (14.0, 17.0), (18.0, 21.0), (19.0, 22.0)]
    for turn, (start, end) in zip(s.turns, times):
        turn.start, turn.end = start, end
    assert session_scores(s)["interruptions"] == 2  # turn 5 breaks off, turn 6 cuts in; the "mm-hmm" neither


def test_the_opening_is_the_first_fifth_of_turns_or_ten_minutes():
    from mi_coder.scoring import opening

    s = coded_session([(P, "How are things?", ["OQ"]), (C, "Fine.", ["FN"])] * 10)
    assert len(opening(s.turns)) == 4
    for k, t in enumerate(s.turns):
        t.start = k * 200.0  # a turn every 200 s: ten minutes hold three turns
    assert len(opening(s.turns)) == 3


def test_a_practitioner_only_recording_has_no_client_measures_and_no_engagement_index():
    s = coded_session([(P, "Today we go over the conditions of your order.", ["GI"]),
                       (P, "You need to report every Monday.", ["PER"]), (P, "What questions do you have?", ["OQ"])])
    scores = session_scores(s)
    for key in ("client_talk_share", "client_turn_share", "opening_client_talk_share", "client_words_per_turn",
                "engagement_index"):
        assert scores[key] is None, key
    with_client = coded_session([(P, "What questions do you have?", ["OQ"]), (C, "None.", ["FN"])])
    assert session_scores(with_client)["client_talk_share"] == pytest.approx(1 / 6)  # 1 client word, 5 practitioner words


def test_a_second_code_counts_as_miti_counts_both_and_only_on_a_coded_practitioner_utterance():
    spec = [(P, [("Would it be okay if I shared what others have tried?", "CQ")]), (C, [("Sure.", "FN")]),
            (P, [("It's your call, but I'd think about the group.", "PWP")]), (C, [("Maybe.", "FN")]),
            (P, [("You're worried about your kids, is that right?", "CR")]), (C, [("Yes.", "CT")]),
            (P, [("Where would you like to start?", "OQ")]), (C, [("The job.", "FN")])]
    plain = session_scores(coded_session(spec))
    s = coded_session(spec)
    for turn, code2 in zip([t for t in s.turns if t.role == P], ["SEEK", "EA", "CQ", "OQ"]):
        turn.utterances[0].meta["code2"] = code2  # the last equals its first code: not counted twice
    s.turns[1].utterances[0].meta["code2"] = "SEEK"  # on a client utterance: not a practitioner code to count
    both = session_scores(s)
    assert plain["mi_adherent"] == 0 and both["mi_adherent"] == 2  # SEEK and EA, one volley each
    assert plain["r_q"] == 1 / 2 and both["r_q"] == 1 / 3  # the reflection's checking question is a question too
    assert both["SEEK"] == 1 and both["EA"] == 1 and both["OQ"] == plain["OQ"]


def test_an_utterance_with_a_second_code_counts_once_as_a_practitioner_utterance():
    # nine coded practitioner utterances, one of them a permission question coded CQ + SEEK: still nine, so the
    # session stays below the ten that make its scores reliable, and the non-adherent share divides by nine
    spec = []
    for k in range(4):
        spec += [(P, "How was the week?", ["OQ"]), (C, "Fine.", ["FN"]), (P, "You had a good week.", ["SR"]),
                 (C, "Yes.", ["FN"])]
    spec += [(P, "You need to stop.", ["PER"]), (C, "Okay.", ["FN"])]
    s = coded_session(spec)
    s.turns[0].utterances[0].meta["code2"] = "SEEK"
    scores = session_scores(s)
    assert scores["n_practitioner_utterances"] == 9
    assert scores["scores_reliable"] is False
    assert scores["utt_SEEK"] == 1 and scores["mi_adherent"] == 1  # the second code still counts as a behaviour


@settings(max_examples=150, deadline=None)
@given(st.lists(turn_strategy, min_size=1, max_size=25), st.sampled_from(["SR", "CR"]))
def test_a_first_reflection_or_a_complex_one_never_lowers_the_fidelity_or_empathy_index(spec, code):
    # an undefined %CR (no reflections yet) used to leave the average, so a first reflection could lower the index;
    # a later simple reflection may lower %CR, as MITI means it to
    assume(code == "CR" or not any(c in ("SR", "CR") for _, codes in spec for c in codes))
    before = session_scores(_session(spec))
    after = session_scores(_session(spec + [(P, [code])]))
    for key in ("fidelity_index", "empathy_index"):
        if before[key] is not None:
            assert after[key] >= before[key] - 1e-9, key


def test_a_first_simple_reflection_in_a_session_of_questions_raises_the_fidelity_index():
    # the trainer audit's case: open questions only, then one simple reflection (the index fell 67 -> 56)
    q = (P, "What brings you in?", ["OQ"])
    a = (C, "My wife.", ["FN"])
    only_questions = session_scores(coded_session([q, a] * 3))
    with_reflection = session_scores(coded_session([q, a] * 3 + [(P, "She wants you here.", ["SR"]), a]))
    assert only_questions["pct_cr"] is None and only_questions["fidelity_index"] == pytest.approx(50.0)
    assert with_reflection["fidelity_index"] > only_questions["fidelity_index"]


def test_reflections_without_any_question_give_the_ratio_part_its_full_value():
    r = (P, "You want to keep your job.", ["CR"])
    a = (C, "I do.", ["CT"])
    scores = session_scores(coded_session([r, a] * 3))
    assert scores["r_q"] is None  # the ratio itself stays undefined (the guide)
    assert scores["fidelity_index"] == pytest.approx(100.0)  # R:Q part 1, %CR part 1, no persuading


def test_a_ratio_over_fewer_than_three_questions_or_reflections_gets_no_band():
    q = (P, "What brings you in?", ["OQ"])
    a = (C, "My wife sent me.", ["FN"])
    r = (P, "She is worried.", ["SR"])
    two = session_scores(coded_session([q, a, q, a, r, a]))
    three = session_scores(coded_session([q, a, q, a, q, a, r, a]))
    assert two["r_q"] == 0.5 and two["r_q_band"] == "" and two["pct_cr_band"] == ""
    assert three["r_q_band"] == "below" and three["pct_oq_band"] == "good" and three["pct_cr_band"] == ""


def test_the_scorers_stop_words_are_scikit_learns_english_list():
    # copied so that coding does not import scikit-learn's text module (0.7 s of every command's start)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as sklearn_words

    from mi_coder.stopwords import ENGLISH_STOP_WORDS

    assert ENGLISH_STOP_WORDS == frozenset(sklearn_words)


# Tests added by a mutation audit: each fails on a plausible bug the tests above let through. Expected values are
# worked out by hand from the coding guide (MI_CODING_GUIDE.md) and the formulas in ``COLUMNS``.


def test_r_q_counts_questions_without_their_form_but_pct_oq_and_non_adherence_do_not():
    counts = {c: 0 for c in ("OQ", "CQ", "Q", "SR", "CR", "AF", "SEEK", "EA", "GI", "PWP", "PER", "CON")}
    counts.update({"OQ": 1, "CQ": 1, "Q": 2, "SR": 3, "CR": 1, "GI": 1, "PWP": 2, "PER": 1})
    s = summary_scores(counts)
    assert s["r_q"] == 1.0  # (3 + 1) / (1 + 1 + 2): a question is a question whether or not its form was coded
    assert s["pct_oq"] == 0.5  # 1 / (1 + 1): Q has no form, so it is not in %OQ
    assert s["pct_cr"] == 0.25
    assert s["mi_nonadherent"] == 1 and s["mi_adherent"] == 0  # PER + CON; persuading with permission is neither


def test_a_score_exactly_at_a_threshold_gets_that_band():
    from mi_coder.scoring import DEFAULT_THRESHOLDS as T

    assert band(2.0, T["r_q"]) == "good" and band(1.0, T["r_q"]) == "fair"  # the guide: fair >= 1, good >= 2
    assert band(0.5, T["pct_cr"]) == "good" and band(0.4, T["pct_cr"]) == "fair"
    assert band(0.7, T["pct_oq"]) == "good" and band(0.5, T["pct_oq"]) == "fair"


def test_a_client_turn_of_as_much_change_as_sustain_talk_is_change_talk():
    from mi_coder.scoring import client_main_code

    assert client_main_code(["CT", "ST"]) == "CT"  # COLUMNS: "the more frequent ..., CT on a tie"
    assert client_main_code(["ST", "FN", "ST", "CT"]) == "ST"
    assert client_main_code(["FN", "FN"]) == "FN"


def test_the_indices_follow_their_documented_formulas():
    s = coded_session([
        (P, "What brings you in?", ["OQ"]), (C, "My wife made me come.", ["FN"]),
        (P, "Did you drink this week?", ["CQ"]), (C, "A few times.", ["FN"]),
        (P, "Was it more than five?", ["CQ"]), (C, "Maybe.", ["FN"]),
        (P, "You drank a few times.", ["SR"]), (C, "I did, and I felt awful after.", ["FN"]),
        (P, "Part of you is worried about where this is going.", ["CR"]), (C, "I guess I am.", ["CT"]),
        (P, "Coming in today took courage.", ["AF"]), (C, "Thanks, I suppose.", ["FN"]),
        (P, "You need to stop drinking.", ["PER"]), (C, "That's easy for you to say.", ["ST"]),
        (P, "The group meets on Tuesdays.", ["GI"]), (C, "I know about the group already.", ["FN"]),
    ])
    scores = session_scores(s)
    # eight practitioner turns, one code each, eight volleys: OQ 1, CQ 2, SR 1, CR 1, AF 1, PER 1, GI 1
    assert scores["n_volleys"] == 8 and (scores["OQ"], scores["CQ"], scores["SR"], scores["CR"]) == (1, 2, 1, 1)
    assert scores["reflection_rate"] == pytest.approx(2 / 8)  # SR and CR utterances per practitioner turn
    assert scores["responsive_reflection_pct"] == 0.0  # the CT and the ST turn are answered by AF and GI
    # empathy: mean(min(0.25 / 0.5, 1), min(pct_cr 0.5 / 0.5, 1), 0) = 0.5
    assert scores["empathy_global"] == pytest.approx(1 + 4 * 0.5) and scores["empathy_index"] == pytest.approx(50.0)
    # partnership: mean(min((2/3) / 2, 1), min((1/8) / 0.15, 1), 1 - min((1/8) / 0.15, 1)) = mean(1/3, 5/6, 1/6)
    assert scores["partnership_global"] == pytest.approx(1 + 4 * (1 / 3 + 5 / 6 + 1 / 6) / 3)
    # fidelity: mean(1/3, 1, min((1/3) / 0.7, 1), 1 - min((1/8) / 0.1, 1)) = mean(1/3, 1, 10/21, 0)
    assert scores["fidelity_index"] == pytest.approx(100 * (1 / 3 + 1 + 10 / 21 + 0) / 4)


def test_a_second_code_equal_to_the_first_is_not_counted_twice():
    s = coded_session([(P, "You're worried about it.", ["SR"]), (C, "I am, yes, quite worried.", ["FN"])])
    s.turns[0].utterances[0].meta["code2"] = "SR"
    scores = session_scores(s)
    assert scores["utt_SR"] == 1 and scores["reflection_rate"] == 1.0 and scores["n_practitioner_utterances"] == 1


def test_not_coded_utterances_do_not_count_towards_the_ten_that_make_scores_reliable():
    spec = [(P, "How was the week?", ["OQ"]), (C, "Fine.", ["FN"])] * 9
    spec += [(P, "Hi there.", ["NC"]), (C, "Hello.", ["FN"])] * 3
    scores = session_scores(coded_session(spec))
    assert scores["n_practitioner_utterances"] == 9  # twelve practitioner utterances, three of them NC
    assert scores["scores_reliable"] is False


def test_the_longest_monologue_adds_up_every_turn_of_one_volley():
    s = coded_session([(P, "You have been working really hard on this.", ["CR"]),  # 8 words
                       (C, "Mm-hmm.", ["FN"]),  # a backchannel answering no question: the volley goes on
                       (P, "And it shows.", ["AF"])])  # 3 words
    assert session_scores(s)["longest_practitioner_monologue"] == 11


def test_client_words_per_turn_change_splits_an_even_session_before_its_middle_turn():
    s = coded_session([(C, "Not much to say.", ["FN"]),  # turn 0 of 4: first half (4 words)
                       (P, "What brings you in?", ["OQ"]),
                       (C, "My doctor says my drinking is hurting my liver.", ["CT"]),  # turn 2 of 4: second half
                       (P, "You're worried.", ["SR"])])
    assert session_scores(s)["client_words_per_turn_change"] == 9 - 4


def test_new_content_needs_three_new_content_words_and_no_closed_question_before():
    s = coded_session([
        (P, "What happened this week?", ["OQ"]),
        (C, "My landlord fixed the heating.", ["FN"]),  # landlord, fixed, heating: three new content words
        (P, "Did your landlord fix the window?", ["CQ"]),
        (C, "He fixed the heating and the broken window finally.", ["FN"]),  # four new words, but after a CQ
    ])
    assert session_scores(s)["client_new_content_pct"] == 0.5


@pytest.mark.parametrize("name, text", [
    ("rev.txt", "Officer: Morning, Dan. How has the week been?\n"
                "Dan: Rough, honestly. Work cut my hours and I [crosstalk 00:00:12]\n"
                "Officer: Cut your hours? What happened?\n"
                "Dan: They said it was slow. Rent is due and\n"
                "Officer: [crosstalk 00:00:30]\n"
                "Officer: Have you talked to the landlord?\n"
                "Dan: Not yet.\n"),
    ("otter.txt", "Officer  0:02\nMorning, Dan. How has the week been?\n\n"
                  "Dan  0:06\nRough, honestly. Work cut my hours and I [crosstalk]\n\n"
                  "Officer  0:10\nCut your hours? What happened?\n\n"
                  "Dan  0:14\nThey said it was slow. Rent is due and\n\n"
                  "Officer  0:18\n(talking over each other) Have you talked to the landlord?\n\n"
                  "Dan  0:22\nNot yet.\n"),
    ("notes.srt", "1\n00:00:02,000 --> 00:00:05,000\nOfficer: Morning, Dan. How has the week been?\n\n"
                  "2\n00:00:06,000 --> 00:00:09,000\nDan: Rough, honestly. Work cut my hours and I [crosstalk]\n\n"
                  "3\n00:00:10,000 --> 00:00:13,000\nOfficer: Cut your hours? What happened?\n\n"
                  "4\n00:00:14,000 --> 00:00:17,000\nDan: They said it was slow. Rent is due and\n\n"
                  "5\n00:00:18,000 --> 00:00:21,000\nOfficer: [overlapping speech] Have you talked to the landlord?\n\n"
                  "6\n00:00:22,000 --> 00:00:24,000\nDan: Not yet.\n"),
])
def test_a_transcribers_crosstalk_note_counts_its_turn_among_the_interruptions(tmp_path, name, text):
    # a supervisor's audit: notes were dropped from the words before anything counted them, so a session with two
    # "[crosstalk]" notes and no dashes or times that overlap scored no interruption at all
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (session,) = read_transcript(path, practitioner="Officer")
    assert not any("crosstalk" in t.text or "talking over" in t.text or "overlapping" in t.text for t in session.turns)
    assert session_scores(session)["interruptions"] == 2
    path.write_text(re.sub(r" ?[\[(](?:crosstalk|talking over|overlapping)[^\])]*[\])]", "", text), encoding="utf-8")
    (plain,) = read_transcript(path, practitioner="Officer")
    assert session_scores(plain)["interruptions"] == 0


def _two_part_recording(tmp_path, restart: bool):
    """A session recorded in two parts: the second part's times restart at zero (or, for comparison, go on)."""
    lines = ["[00:00:00] Officer: Morning. How has the week gone for you since we last met?",
             "[00:03:00] Client: Fine.",
             "[00:06:00] Officer: What has been going well with the new job so far?",
             "[00:09:00] Client: Not much.",
             "[00:12:00] Officer: Tell me about the weekend.",
             "[00:15:00] Client: " + "I went to my sister's place and we talked about the kids and the job and " * 6]
    offset = 0 if restart else 16 * 60
    for k in range(20):
        t = offset + 10 + 30 * k
        who = "Officer: What else happened there?" if k % 2 == 0 else "Client: Not a lot, just the usual."
        lines.append(f"[{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}] {who}")
    path = tmp_path / ("restart.txt" if restart else "continued.txt")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_times_that_restart_are_said_and_the_opening_and_overlaps_are_not_read_across_the_restart(tmp_path):
    # a two-part recording whose second part's times restart at zero: its first minutes were counted as the session's
    # opening (the first ten minutes) and the jump back as a turn cutting in; nothing was said
    with pytest.warns(UserWarning, match=r"restart\.txt: the times go back at turn 7 \(from 15:00 to 0:10"):
        (restarted,) = read_transcript(_two_part_recording(tmp_path, restart=True), practitioner="Officer")
    (continued,) = read_transcript(_two_part_recording(tmp_path, restart=False), practitioner="Officer")
    a, b = session_scores(restarted), session_scores(continued)
    assert a["interruptions"] == b["interruptions"] == 0
    # the opening: the first ten minutes (4 turns) of the first part, as if the times had gone on
    assert a["opening_client_talk_share"] == b["opening_client_talk_share"]
    assert a["opening_client_talk_share"] < 0.5  # the long client turn at 15:00 is not in it


def test_caption_cues_whose_times_restart_are_no_interruption(tmp_path):
    cues = [("00:10:00,000", "00:10:04,000", "Officer: How did the interview go?"),
            ("00:10:05,000", "00:10:09,000", "Client: It went okay, I think."),
            ("00:00:01,000", "00:00:04,000", "Officer: Welcome back. Where were we?"),  # the second recording
            ("00:00:05,000", "00:00:08,000", "Client: The interview.")]
    path = tmp_path / "parts.srt"
    path.write_text("".join(f"{k}\n{a} --> {b}\n{text}\n\n" for k, (a, b, text) in enumerate(cues, 1)), encoding="utf-8")
    with pytest.warns(UserWarning, match=r"parts\.srt: the times go back at turn 3 \(from 10:05 to 0:01"):
        (session,) = read_transcript(path, practitioner="Officer")
    assert session_scores(session)["interruptions"] == 0  # the jump back had counted as the officer cutting in


def test_a_note_that_something_else_interrupted_the_session_is_no_interruption(tmp_path):
    path = tmp_path / "call.txt"
    path.write_text("Officer: How has the week been? (interrupted by a phone call)\nDan: Rough.\n"
                    "Officer: What made it rough?\nDan: Work. (interrupts) Sorry, go on.\n", encoding="utf-8")
    (session,) = read_transcript(path, practitioner="Officer")
    assert session_scores(session)["interruptions"] == 1  # Dan's "(interrupts)" only
