"""The shipped default model: present, verified without --trust-model, and coding clear cases as a coder would."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from mi_coder import load_coder
from mi_coder.cli import main
from mi_coder.model.card import render_model_card
from mi_coder.model.store import default_model_dir, sha256
from mi_coder.records import CLIENT, PRACTITIONER, Session, Turn

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def coder():
    return load_coder()


def test_default_model_is_pinned_and_its_card_matches_its_metadata():
    from mi_coder.model._trusted import PINNED_META_SHA256

    folder = default_model_dir()
    assert sha256(folder / "meta.json") in PINNED_META_SHA256
    meta = json.loads((folder / "meta.json").read_text())
    assert (folder / "MODEL_CARD.md").read_text() == render_model_card(meta)
    assert meta["labels"]["practitioner"] == ["OQ", "CQ", "SR", "CR", "AF", "SEEK", "EA", "GI", "PWP", "PER", "CON", "NC"]
    assert set(meta["artifacts"]) == {"features.json", "weights.npz", "boundary.npz"}
    # What the card promises is in the metadata it was generated from.
    for section in ("AnnoMI fixed hold-out", "External dev set", "Team coded sessions", "Role-clarification detectors",
                    "Utterance boundaries in unpunctuated speech"):
        assert section in (folder / "MODEL_CARD.md").read_text(), section
    assert {"role_purpose", "role_practitioner_role", "role_client_role", "role_participation"} <= set(meta["models"])


def test_the_shipped_model_never_trained_on_the_team_hold_out_batches():
    from mi_coder.train.examples import HELD_BACK_BATCHES

    folder = default_model_dir()
    trained = [p.rsplit("/", 1)[-1] for p in json.loads((folder / "run.json").read_text())["training_paths"]]
    assert any(name.endswith("_utterances.csv") for name in trained)  # the team sessions are there
    assert not {f"{b}_utterances.csv" for b in HELD_BACK_BATCHES} & set(trained)
    measured = json.loads((folder / "meta.json").read_text())["metrics"]["team_holdout"]["files"]
    assert set(measured) == {f"{b}_utterances.csv" for b in HELD_BACK_BATCHES}  # and the card reports each


def test_the_shipped_model_detects_a_dual_role_explanation_and_an_affirmation(coder):
    session = Session(id="r", source="test", turns=[
        Turn(id="1", speaker="PO", role=PRACTITIONER,
             text="So part of my job is reporting to the court on your conditions, and the other part is helping "
                  "you get through probation."),
        Turn(id="2", speaker="Client", role=CLIENT, text="Okay."),
        Turn(id="3", speaker="PO", role=PRACTITIONER, text="You kept every appointment this month, even with the bus "
                                                           "strike. That took real commitment."),
        Turn(id="4", speaker="Client", role=CLIENT, text="Yeah, it wasn't easy."),
    ])
    coder.code(session)
    first = session.turns[0].utterances
    assert any("practitioner_role" in u.meta.get("role_elements", []) for u in first)
    assert "AF" in session.turns[2].codes


def test_the_shipped_model_finds_an_explanation_carried_over_several_utterances_of_a_turn(coder):
    session = Session(id="p", source="test", turns=[
        Turn(id="1", speaker="PO", role=PRACTITIONER,
             text="Okay, so before we get into anything, the purpose of these meetings is to help you get through "
                  "your probation without a violation and come out the other side in better shape. That's honestly "
                  "the whole reason we sit down every couple of weeks. Does that make sense?"),
        Turn(id="2", speaker="Client", role=CLIENT, text="Yeah, I guess."),
    ])
    coder.code(session)
    found = [u.meta.get("role_elements", []) for u in session.turns[0].utterances]
    assert len(found) == 3
    assert found[0] == ["purpose"] and found[1] == ["purpose"]  # the line that carries it on, too
    assert found[2] == []  # a check that the client followed is no explanation


def _code(coder, pairs):
    """pairs: (client turn, practitioner turn) -> the practitioner turn's main code."""
    turns = []
    for k, (client, practitioner) in enumerate(pairs):
        turns.append(Turn(id=f"c{k}", speaker="Client", role=CLIENT, text=client))
        turns.append(Turn(id=f"p{k}", speaker="PO", role=PRACTITIONER, text=practitioner))
    session = Session(id="t", source="test", turns=turns)
    coder.code(session)
    return [t.meta["main_code"] for t in session.turns if t.role == PRACTITIONER]


CLEAR = [
    ("I don't know, it's been rough.", "What's been the hardest part of this week for you?", "OQ"),
    ("I went to the clinic.", "Did you take your medication this morning?", "CQ"),
    ("I'm so tired of these check-ins.", "You're tired of the check-ins.", "SR"),
    ("Hi.", "Hi, come on in and have a seat.", "NC"),
    ("What happens if I miss a test?", "A missed test is recorded as a positive result and the court gets a copy.", "GI"),
]


def test_default_model_codes_clear_cases(coder):
    got = _code(coder, [(c, p) for c, p, _ in CLEAR])
    expected = [e for _, _, e in CLEAR]
    agree = sum(g == e for g, e in zip(got, expected))
    assert agree >= 4, list(zip(got, expected))


def test_unpunctuated_captions_still_separate_questions_from_reflections(coder):
    got = _code(coder, [("i dont know its been rough", "what has been the hardest part of this week for you"),
                        ("im so tired of these check ins", "youre tired of the check ins")])
    assert got[0] in ("OQ", "CQ") and got[1] in ("SR", "CR")


def test_code_command_fills_codes_main_codes_and_scores(tmp_path):
    out = tmp_path / "out"
    assert main(["code", str(EXAMPLES / "probation_session.txt"), "--out", str(out), "--report"]) == 0
    utts = pd.read_csv(out / "utterances.csv", keep_default_na=False)
    turns = pd.read_csv(out / "turns.csv", keep_default_na=False)
    sessions = pd.read_csv(out / "sessions.csv")
    coded = utts[utts["role"].isin(["practitioner", "client"])]
    assert coded["code"].ne("").all()
    assert coded["confidence"].astype(float).between(0, 1).all()
    client = turns[turns["role"] == "client"]
    assert client["main_code"].isin(["CT", "ST", "FN"]).all()
    assert {"r_q", "pct_cr", "pct_oq", "engagement_index", "fidelity_index"} <= set(sessions.columns)
    assert (out / "reports" / "probation_session.html").exists()
    # expected counts from the model's probabilities: at most one per volley, and never more than the volleys
    row = sessions.iloc[0]
    assert 0 < row["expected_reflections"] <= row["n_volleys"] and 0 < row["expected_questions"] <= row["n_volleys"]
    assert row["r_q_expected"] == pytest.approx(row["expected_reflections"] / row["expected_questions"])


def test_turn_table_main_code_is_one_of_the_turns_own_codes_and_matches_score(tmp_path):
    # the turn models' label could name a code no utterance of the turn had ("NC NC CON" shown as GI), and a client
    # turn "ST CT ST ST" as CT while the scores counted ST: the table, the timeline and the cards disagreed
    coded, scored = tmp_path / "coded", tmp_path / "scored"
    assert main(["code", *[str(p) for p in sorted(EXAMPLES.glob("*.txt"))], "--out", str(coded)]) == 0
    assert main(["score", str(coded / "utterances.csv"), "--out", str(scored)]) == 0
    turns = pd.read_csv(coded / "turns.csv", keep_default_na=False)
    again = pd.read_csv(scored / "turns.csv", keep_default_na=False)
    spoken = turns[turns["role"].isin(["practitioner", "client"]) & turns["codes"].ne("")]
    assert len(spoken) > 100
    utts = pd.read_csv(coded / "utterances.csv", keep_default_na=False, dtype=str)
    seconds = utts[utts["code2"].ne("")].groupby(["session_id", "turn_id"])["code2"].apply(set).to_dict()
    for _, t in spoken.iterrows():
        codes = t["codes"].split()
        # a turn stands for one of its codes, a second code included (CQ + SEEK stands as SEEK, as it counts)
        assert t["main_code"] in codes or t["main_code"] in seconds.get((str(t["session_id"]), str(t["turn_id"])), ())
        if t["role"] == "client" and ("CT" in codes or "ST" in codes):
            assert t["main_code"] == ("CT" if codes.count("CT") >= codes.count("ST") else "ST")
    key = ["session_id", "turn_id"]
    merged = turns.merge(again, on=key, suffixes=("", "_score"))
    assert len(merged) == len(turns)
    assert (merged["main_code"] == merged["main_code_score"]).all()


def test_code_with_given_utterances_keeps_one_output_row_per_input_row(tmp_path):
    from .conftest import FIXTURES

    out = tmp_path / "out"
    assert main(["code", str(FIXTURES / "per_utterance.tsv"), "--utterances", "given", "--out", str(out)]) == 0
    utts = pd.read_csv(out / "utterances.csv", dtype=str)
    assert list(utts["utterance_id"]) == ["1a", "2a", "2b", "3a", "3b"]


def test_the_sessions_profile_codes_fewer_reflections_with_the_same_weights_and_says_so(tmp_path, capsys):
    profiled = load_coder(profile="sessions")
    assert profiled.name.endswith("sessions profile")
    assert profiled.code_turn_weights == {"SR": 3.0, "CR": 3.0}
    assert load_coder(profile="utterances").code_turn_weights == {}

    def counts(out):
        utts = pd.read_csv(out / "utterances.csv", keep_default_na=False)
        return utts["code"].tolist()

    plain, sessions = tmp_path / "plain", tmp_path / "sessions"
    example = str(EXAMPLES / "probation_session.txt")
    assert main(["code", example, "--out", str(plain)]) == 0
    assert main(["code", example, "--out", str(sessions), "--profile", "sessions", "--report"]) == 0
    a, b = counts(plain), counts(sessions)
    assert len(a) == len(b)
    assert sum(c in ("SR", "CR") for c in b) < sum(c in ("SR", "CR") for c in a)
    assert all(x == y for x, y in zip(a, b) if x not in ("SR", "CR"))  # only reflections move
    assert "sessions profile" in (sessions / "reports" / "probation_session.html").read_text()
    # The card reports the profile against the default decoding.
    assert "Decoding profile `sessions`" in (default_model_dir() / "MODEL_CARD.md").read_text()


def test_an_unknown_profile_is_a_one_line_usage_error_naming_the_known_ones(tmp_path, capsys):
    code = main(["code", str(EXAMPLES / "probation_session.txt"), "--out", str(tmp_path / "o"), "--profile", "fast"])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "'fast'" in err[0] and "utterances, sessions" in err[0]
    assert not (tmp_path / "o" / "utterances.csv").exists()
    assert main(["evaluate", str(EXAMPLES / "probation_session.txt"), "--folds", "2", "--profile", "sessions"]) == 2


def test_coding_and_scoring_a_session_does_not_import_scikit_learn(tmp_path):
    # Start-up time is the contract (cold start under 2 s, measured by benchmarks/bench_code.py): scikit-learn's
    # import alone took 0.7 s, and coding needs none of it (the model is NumPy arrays).
    import subprocess
    import sys

    script = ("import sys, mi_coder\n"
              f"s = mi_coder.read_transcript({str(EXAMPLES / 'probation_session.txt')!r})\n"
              "mi_coder.load_coder().code(s)\n"
              "mi_coder.to_frames(s, scores=mi_coder.session_scores)\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
