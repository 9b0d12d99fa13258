"""Utterance segmentation: spoken-transcript rules and the laws every segmentation must keep."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mi_coder.records import Session, Turn
from mi_coder.segment import build_pipeline, segment, split_text


def pieces(text: str) -> list[str]:
    return [text[a:b] for a, b in split_text(text)]


def test_sentences_split_at_end_punctuation_but_not_abbreviations_or_decimals():
    assert pieces("Dr. Smith said 2.5 mg. Did you take it? Yes!") == [
        "Dr. Smith said 2.5 mg.", "Did you take it?", "Yes!"]


def test_an_opening_quote_after_a_sentence_starts_the_next_utterance_and_a_closing_one_ends_its_own():
    # the opening quote was left on the previous utterance: 'You told me you were done. "' | 'Couple times...'
    assert pieces('You told me you were done. "Couple times a week" is hard to square with that.') == [
        "You told me you were done.", '"Couple times a week" is hard to square with that.']
    assert pieces("It stops right there. \u201cI'm sorry, I can't do much for you.\u201d That's what he said.") == [
        "It stops right there.", "\u201cI'm sorry, I can't do much for you.\u201d", "That's what he said."]
    assert pieces('She said "no way." Then she left for good.') == ['She said "no way."', "Then she left for good."]


def test_spanish_opening_marks_begin_the_next_utterance():
    # a trainers' audit: "Exactamente. ¿" | "Qué puedo hacer?"
    assert pieces("Exactamente. \u00bfQu\u00e9 puedo hacer? \u00a1Nada! Bueno.") == [
        "Exactamente.", "\u00bfQu\u00e9 puedo hacer?", "\u00a1Nada!", "Bueno."]


def test_semicolon_separates_a_reflection_from_a_question():
    assert pieces("You're worried about your license; what would help?") == [
        "You're worried about your license;", "what would help?"]


def test_interruption_before_a_new_sentence_splits_but_a_false_start_does_not():
    assert pieces("It looks like you put-- You drink four times a week.") == [
        "It looks like you put--", "You drink four times a week."]
    assert pieces("I was-- I was gonna say no.") == ["I was-- I was gonna say no."]


def test_fillers_and_backchannels_join_the_next_utterance():
    assert pieces("Okay. Um. So, tell me about your week.") == ["Okay. Um. So, tell me about your week."]
    assert pieces("Mm-hmm.") == ["Mm-hmm."]


def test_trailing_fragment_joins_the_previous_utterance():
    assert pieces("Tell me about your week. And-") == ["Tell me about your week. And-"]


def test_ellipsis_pause_inside_a_thought_does_not_split():
    assert pieces("I was... I mean, it was fine.") == ["I was... I mean, it was fine."]


def test_eighty_unpunctuated_words_with_several_thoughts_are_split():
    caption = ("so um i was thinking like you know i could maybe go to the meeting but then my boss said i had to "
               "work the late shift and i just did not know what to do about it so i skipped it and now i am "
               "worried that my probation officer is going to find out what do you think i should do about that "
               "because honestly i feel stuck between my job and these meetings and my girlfriend keeps telling "
               "me to quit the job")
    assert 70 <= len(caption.split()) <= 90
    parts = pieces(caption)
    assert len(parts) >= 4
    assert all(len(p.split()) <= 30 for p in parts)


def test_punctuated_long_reflection_is_not_chopped():
    text = ("So on the one hand you really want your kids to see you doing well and keeping your job, and at the "
            "same time the drinking feels like the only thing that gets you through the night.")
    assert len(pieces(text)) == 1


def _turn(text: str) -> Turn:
    return Turn(id="1", speaker="T", role="practitioner", text=text)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["so", "you", "um", "I", "what", "okay", "--", "...", ".", "?", "!", ";", ",",
                                 "drink", "Mm-hmm.", "feel", "and", "Dr.", "2.5", "\u2014", "\u2026", " ", "\n",
                                 "caf\u00e9", "-", "\"", "'"]), max_size=120).map(" ".join))
def test_segmentation_never_loses_or_reorders_characters(text):
    session = Session(id="s", source="mem", turns=[_turn(text)])
    segment([session], nlp=build_pipeline())
    utts = session.turns[0].utterances
    # Spans are in order, do not overlap, and are exact slices of the turn text.
    last = 0
    for u in utts:
        assert last <= u.start_char < u.end_char <= len(text)
        assert text[u.start_char:u.end_char] == u.text
        last = u.end_char
    # Everything outside the spans is whitespace: no character is lost.
    covered = "".join(text[u.start_char:u.end_char] for u in utts)
    assert covered.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_given_utterances_are_left_as_they_are():
    turn = _turn("Not great. I missed two groups.")
    turn.meta["utterances_given"] = True
    from mi_coder.records import Utterance
    turn.utterances = [Utterance("2a", "Not great. I missed two groups.", 0, 31)]
    session = Session(id="s", source="mem", turns=[turn])
    segment([session])
    assert [u.id for u in turn.utterances] == ["2a"]


def test_utterance_ids_number_within_the_turn():
    session = Session(id="s", source="mem", turns=[_turn("How are you? What brings you in?")])
    segment([session])
    assert [u.id for u in session.turns[0].utterances] == ["1.1", "1.2"]


def test_an_angle_or_curly_bracket_after_a_full_stop_opens_the_next_utterance_not_closes_this_one():
    from mi_coder.segment import build_pipeline

    nlp = build_pipeline()
    first, second = [s.text for s in nlp("Man, this is so unfair. <script>alert(1)</script> I hate it.").sents][:2]
    assert first == "Man, this is so unfair." and second.startswith("<script>")  # was "...unfair. <" | "script>..."
    assert [s.text for s in nlp("It was fine. {laughs} Really, it was.").sents][0] == "It was fine."


def test_keep_split_leaves_the_utterances_a_turn_already_has_and_splits_the_others():
    # mutation audit: the coder segments with keep_split so that "utterances you gave a turn stay yours"
    from mi_coder.records import Utterance

    mine = _turn("Not great. I missed two groups.")
    mine.utterances = [Utterance("2a", "Not great. I missed two groups.", 0, 31, code="FN")]
    other = _turn("How are you? What brings you in?")
    segment([Session(id="s", source="mem", turns=[mine, other])], keep_split=True)
    assert [(u.id, u.code) for u in mine.utterances] == [("2a", "FN")]
    assert [u.text for u in other.utterances] == ["How are you?", "What brings you in?"]
