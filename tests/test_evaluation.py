"""Agreement statistics, held-out evaluation and (where the AnnoMI dev split exists) grouped cross-validation."""

from __future__ import annotations

import html
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from mi_coder.cli import main
from mi_coder.evaluate.metrics import icc_2_1, reliability, utterance_report

from .conftest import ANNOMI_FULL, needs_annomi


def test_utterance_report_counts_per_code_and_kappa():
    rep = utterance_report(["OQ", "OQ", "CQ", "SR"], ["OQ", "CQ", "CQ", "SR"])
    assert rep["per_code"]["OQ"] == {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 2}
    assert rep["accuracy"] == 0.75
    assert rep["kappa"] == 0.636  # (3/4 - 5/16) / (1 - 5/16): observed 3 of 4, chance (2*1 + 1*2 + 1*1) / 4^2
    assert rep["confusion"][1] == [1, 1, 0]  # labels sorted CQ, OQ, SR; row OQ: one right, one called CQ


def test_icc_is_one_for_identical_ratings_and_lower_with_disagreement():
    a = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert icc_2_1(a, a) == pytest.approx(1.0)
    # one rater a point higher throughout: MSR 5, MSC 2.5, MSE 0, so ICC(2,1) = 5 / (5 + 0 + 2 * 2.5 / 5) = 5/6
    assert icc_2_1(a, [x + 1 for x in a]) == pytest.approx(5 / 6)
    assert icc_2_1([1, 2], [1, 2]) is None


def test_reliability_of_perfectly_calibrated_confidences_is_near_zero():
    rng = np.random.default_rng(0)
    conf = rng.uniform(0.2, 1.0, 20000)
    correct = rng.uniform(0, 1, 20000) < conf
    assert reliability(conf, correct)["ece"] < 0.02
    assert reliability(np.full(1000, 0.9), np.zeros(1000, bool))["ece"] == pytest.approx(0.9)


def _coded_table(path, codes):
    rows = []
    texts = ["How was the week?", "Not great.", "You had a hard week.", "What happened?", "I relapsed.",
             "Part of you is disappointed.", "Did you call your sponsor?", "No."]
    roles = ["practitioner", "client", "practitioner", "practitioner", "client", "practitioner", "practitioner",
             "client"]
    for sid in ("a", "b", "c"):
        for k, (text, role, code) in enumerate(zip(texts, roles, codes)):
            rows.append({"session_id": sid, "turn_id": k, "utterance_id": f"{k}.1", "speaker": role, "role": role,
                         "text": text, "code": code})
    pd.DataFrame(rows).to_csv(path, index=False)


def test_agreement_mode_compares_two_coded_tables(tmp_path, capsys):
    first = tmp_path / "machine.csv"
    second = tmp_path / "human.csv"
    _coded_table(first, ["OQ", "FN", "SR", "OQ", "ST", "CR", "CQ", "FN"])
    _coded_table(second, ["OQ", "FN", "CR", "OQ", "ST", "CR", "CQ", "FN"])
    report_path = tmp_path / "r.json"
    assert main(["evaluate", "--agreement", str(first), str(second), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())["agreement"]
    assert report["n_utterances"] == 24
    assert report["per_code_kappa"]["OQ"]["kappa"] == 1.0
    assert report["per_code_kappa"]["SR"]["kappa"] == 0.0
    assert report["overall"]["accuracy"] == pytest.approx(21 / 24, abs=1e-3)
    assert "r_q" in report["session_scores"]
    assert "per-code kappa" in capsys.readouterr().out


def test_agreement_needs_two_tables(tmp_path, capsys):
    first = tmp_path / "one.csv"
    _coded_table(first, ["OQ", "FN", "SR", "OQ", "ST", "CR", "CQ", "FN"])
    assert main(["evaluate", "--agreement", str(first)]) == 2
    assert "needs two or more coded tables, or one reviewed-codes CSV" in capsys.readouterr().err


@needs_annomi
@pytest.mark.slow
def test_grouped_cross_validation_on_annomi_never_tests_on_training_videos():
    from mi_coder.evaluate.crossval import cross_validate_annomi
    from mi_coder.train.annomi import annomi_examples, load_annomi_turns
    from mi_coder.train.fit import splitter

    turns = load_annomi_turns(ANNOMI_FULL)
    keep = sorted(turns["transcript_id"].unique(), key=int)[:24]
    turns = turns[turns["transcript_id"].isin(keep)]
    split = splitter()
    seen: list[set] = []

    def make(t):
        return annomi_examples(t, split)

    import mi_coder.evaluate.crossval as ev

    original_train, original_code = ev.train_coder, ev.code_with_probs
    tested: list[set] = []

    def spy_train(examples, turn_examples=None, **kw):
        seen.append(set(examples.loc[examples["source"] == "annomi", "group"]))
        return original_train(examples, turn_examples, **kw)

    def spy_code(coder, sessions):
        tested.append({s.meta["video_url"] for s in sessions})
        return original_code(coder, sessions)

    ev.train_coder, ev.code_with_probs = spy_train, spy_code
    try:
        report, coded, _ = cross_validate_annomi(turns, make, folds=3, train_kwargs={"calibration_folds": 0})
    finally:
        ev.train_coder, ev.code_with_probs = original_train, original_code
    assert len(seen) == len(tested) == 3
    for train_videos, test_videos in zip(seen, tested):
        assert train_videos and test_videos and not train_videos & test_videos
    assert sorted(s.id for s in coded) == sorted(keep)
    assert report["therapist_4class"]["macro_f1"] > 0.5


def test_a_fold_seed_gives_a_fresh_grouped_split_and_none_keeps_the_recorded_one():
    """experiment.py --fold-seed: every group is tested exactly once, never split across folds, and a seed moves
    groups to other folds; without a seed the split is sklearn's deterministic grouping (the recorded figures')."""
    from sklearn.model_selection import GroupKFold

    from mi_coder.evaluate.crossval import _group_folds

    groups = np.repeat([f"video{i}" for i in range(20)], [1 + i % 4 for i in range(20)])
    items = np.arange(len(groups))

    def test_folds(splitter):
        return [frozenset(groups[test]) for _, test in splitter.split(items, groups=groups)]

    recorded = test_folds(GroupKFold(n_splits=5))
    assert test_folds(_group_folds(5, None)) == recorded
    fresh = test_folds(_group_folds(5, 1))
    assert sorted(g for fold in fresh for g in fold) == sorted(set(groups))  # each group tested once
    assert fresh != recorded
    assert test_folds(_group_folds(5, 1)) == fresh  # the same seed, the same split


def test_a_learning_curve_keeps_whole_videos_up_to_the_share_asked_and_the_same_ones_for_the_same_seed():
    """experiment.py --annomi-fraction: a smaller training set of the same kind, never half a video."""
    from mi_coder.evaluate.crossval import _subsample

    groups = np.repeat([f"video{i}" for i in range(20)], [1 + i % 3 for i in range(20)])
    ids = np.array([f"t{i}" for i in range(len(groups))])
    half = _subsample(ids, groups, 0.5, seed=7)
    assert 0.5 * len(ids) <= len(half) < 0.5 * len(ids) + 3  # stops at the first video that reaches the share
    for video in set(groups):  # each video wholly in or wholly out
        members = set(ids[groups == video])
        assert members <= half or not members & half
    assert _subsample(ids, groups, 0.5, seed=7) == half
    assert _subsample(ids, groups, 0.5, seed=8) != half
    assert _subsample(ids, groups, 1.0, seed=7) == set(ids)


def test_compare_experiments_pairs_the_folds_of_two_runs_and_refuses_different_splits(tmp_path):
    """scripts/compare_experiments.py: the mean per-fold difference and its standard error over folds."""
    import subprocess
    import sys

    from .conftest import ROOT

    def run(name, seed, therapist):
        folds = [{"punctuated": {"therapist": t, "client": 0.5, "oq_cq": 0.7, "sr_cr": 0.6, "client_utterances": 1 - t,
                                   "adherent_utterances": 0.3}}
                 for t in therapist]
        rows = [{"session": str(k), "quality": "high" if k % 2 else "low", "human_r_q": float(k),
                 "machine_r_q": float(k if seed else -k), "human_fidelity": k / 10, "machine_fidelity": (k % 2) / 2,
                 "human_reflection_turns": 2, "machine_reflection_turns": 2} for k in range(6)]
        return {"name": name, "fold_seed": seed, "annomi_therapist_f1": sum(therapist) / len(therapist),
                "per_fold": folds, "session_values": rows}

    log = tmp_path / "experiments.jsonl"
    log.write_text("\n".join(json.dumps(r) for r in [run("A base", 1, [0.70, 0.72, 0.74]),
                                                       run("B change", 1, [0.71, 0.74, 0.77]),
                                                       run("C other split", None, [0.70, 0.70, 0.70])]) + "\n")
    script = [sys.executable, str(ROOT / "scripts" / "compare_experiments.py"), "--log", str(log)]
    done = subprocess.run([*script, "A", "B"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("punctuated therapist"))
    assert line.split()[-2:] == ["+0.020", "0.006"]  # differences 0.01, 0.02, 0.03: mean 0.02, SE 0.01 / sqrt(3)
    line = next(x for x in done.stdout.splitlines() if x.startswith("punctuated client_utterances"))
    assert line.split()[-2:] == ["-0.020", "0.006"]  # client talk coded utterance by utterance, paired the same way
    line = next(x for x in done.stdout.splitlines() if x.startswith("punctuated adherent_utterances"))
    assert line.split()[-2:] == ["+0.000", "0.000"]  # AF and EA coded utterance by utterance
    line = next(x for x in done.stdout.splitlines() if x.startswith("r_q_spearman"))
    assert line.split()[1:3] == ["+0.000", "0.000"]  # the same sessions' figures in both runs
    refused = subprocess.run([*script, "A", "C"], capture_output=True, text=True)
    assert refused.returncode != 0 and "different splits" in refused.stderr


def _session_rows(machine_r_q, machine_fidelity, machine_reflections):
    """session_values rows: four high- and four low-quality sessions with fixed human figures."""
    human_r_q = [2.0, 1.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.1]
    human_fid = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    return [{"session": str(k), "quality": "high" if k < 4 else "low", "human_r_q": human_r_q[k],
             "machine_r_q": machine_r_q[k], "human_fidelity": human_fid[k], "machine_fidelity": machine_fidelity[k],
             "human_reflection_turns": 4, "machine_reflection_turns": machine_reflections[k]} for k in range(8)]


def test_session_figures_are_the_spearman_the_low_quality_reflection_ratio_and_the_fidelity_auc():
    from mi_coder.evaluate.validation import session_figures

    rows = _session_rows([2.1, 1.4, 1.2, 0.7, 0.5, 0.45, 0.1, 0.3], [0.9, 0.6, 0.7, 0.5, 0.55, 0.3, 0.2, 0.1],
                         [4, 4, 4, 4, 6, 6, 4, 4])
    fig = session_figures(rows)
    assert fig["r_q_spearman"] == round(1 - 6 * 2 / (8 * 63), 3)  # the last two sessions swapped
    assert fig["low_quality_reflection_ratio"] == 1.25 and fig["low_quality_reflection_turns"] == {"machine": 20,
                                                                                                  "human": 16}
    assert fig["fidelity_auc_machine"] == round(15 / 16, 3) and fig["fidelity_auc_human"] == 1.0


def test_paired_session_bootstrap_sees_no_difference_between_a_run_and_itself_and_a_clear_one_otherwise():
    from mi_coder.evaluate.validation import paired_session_bootstrap

    noisy = _session_rows([0.3, 1.4, 0.2, 0.7, 2.0, 0.45, 1.0, 0.3], [0.9, 0.6, 0.7, 0.5, 0.55, 0.3, 0.2, 0.1],
                          [8, 8, 8, 8, 8, 8, 8, 8])
    exact = _session_rows([2.0, 1.5, 1.0, 0.8, 0.6, 0.4, 0.2, 0.1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2],
                          [4, 4, 4, 4, 4, 4, 4, 4])
    same = paired_session_bootstrap(noisy, noisy, n=200)
    assert {"r_q_spearman", "low_quality_reflection_ratio", "fidelity_auc_machine"} <= {
        f for f, d in same.items() if d["difference"] is not None}  # runs without expected counts: those three
    assert all(d["difference"] == 0 and d["se"] == 0 for d in same.values() if d["difference"] is not None)
    better = paired_session_bootstrap(noisy, exact, n=200)
    assert better["low_quality_reflection_ratio"]["difference"] == -1.0  # 2.0 -> 1.0, in every resample
    assert better["low_quality_reflection_ratio"]["se"] == 0
    low, high = better["r_q_spearman"]["interval"]
    assert better["r_q_spearman"]["difference"] > 0 and low <= better["r_q_spearman"]["difference"] <= high
    with pytest.raises(ValueError, match="different sessions"):
        paired_session_bootstrap(noisy, exact[:-1])


def test_expected_counts_are_ranked_and_compared_with_the_counted_codes_on_the_same_sessions():
    from mi_coder.evaluate.validation import as_expected, paired_session_bootstrap, session_figures

    rows = _session_rows([0.3, 1.4, 0.2, 0.7, 2.0, 0.45, 1.0, 0.3], [0.9, 0.6, 0.7, 0.5, 0.55, 0.3, 0.2, 0.1],
                         [8, 8, 8, 8, 8, 8, 8, 8])
    for k, v in enumerate(rows):  # expected R:Q in the human order; low-quality volleys: human 3, counted 6, expected 4
        v.update({"machine_r_q_expected": 2.0 - 0.25 * k, "human_reflection_volleys": 3,
                  "machine_reflection_volleys": 6, "machine_expected_reflections": 4.0})
    fig = session_figures(rows)
    assert fig["r_q_spearman_expected"] == 1.0 and fig["r_q_spearman"] < 0.5
    assert fig["low_quality_reflection_volley_ratio"] == 2.0 and fig["low_quality_reflection_volley_ratio_expected"] == 1.33
    d = paired_session_bootstrap(rows, as_expected(rows), n=200)
    assert d["r_q_spearman"]["difference"] == pytest.approx(1.0 - fig["r_q_spearman"], abs=1e-3)
    assert d["low_quality_reflection_volley_ratio"]["difference"] == pytest.approx(4 / 3 - 2.0, abs=1e-3)
    rows[0]["machine_expected_reflections"] = None  # codes without probabilities: no expected figures at all
    assert "r_q_spearman_expected" not in session_figures(rows)


@needs_annomi
def test_role_inference_finds_the_practitioner_in_diarized_annomi_sessions():
    """With labels replaced by SPEAKER_00/SPEAKER_01, the practitioner is still found (README figure)."""
    import warnings

    from mi_coder.roles import assign_roles
    from mi_coder.train.annomi import load_annomi_turns

    turns = load_annomi_turns(ANNOMI_FULL)
    right = total = 0
    for sid, group in turns.groupby("transcript_id"):
        name = {"therapist": "SPEAKER_00", "client": "SPEAKER_01"}
        if int(sid) % 2:
            name = {"therapist": "SPEAKER_01", "client": "SPEAKER_00"}
        texts = {"SPEAKER_00": [], "SPEAKER_01": []}
        for who, text in zip(group["interlocutor"], group["utterance_text"]):
            texts[name[who]].append(text)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            roles = assign_roles(texts, source=str(sid))
        total += 1
        right += roles[name["therapist"]] == "practitioner"
    assert right / total >= 0.95, (right, total)


@pytest.mark.slow
def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_more_sessions():
    from mi_coder.evaluate.metrics import _auc, bootstrap

    rng = np.random.default_rng(1)

    def sample(n_high, n_low):
        y = np.array([True] * n_high + [False] * n_low)
        return y, rng.normal(loc=y.astype(float), scale=1.0)

    y, v = sample(88, 18)
    lo, hi = bootstrap(_auc, y, v, strata=y)
    assert lo < _auc(y, v) < hi
    assert bootstrap(_auc, y, v, strata=y) == (lo, hi)  # seeded: reproducible
    y_big, v_big = sample(880, 180)
    lo_big, hi_big = bootstrap(_auc, y_big, v_big, strata=y_big)
    assert hi_big - lo_big < (hi - lo) / 2
    # A score that separates perfectly has no uncertainty left.
    assert bootstrap(_auc, y, y.astype(float), strata=y) == (1.0, 1.0)


def _small_training_data(tmp_path, transcripts: int):
    """The first ``transcripts`` AnnoMI dev transcripts and one team corpus batch, as training data."""
    from mi_coder.train.fit import load_training_data

    from .conftest import ROOT

    full = pd.read_csv(ANNOMI_FULL, dtype=str, keep_default_na=False)
    keep = sorted(full["transcript_id"].unique(), key=int)[:transcripts]
    subset = tmp_path / "annomi_subset.csv"
    full[full["transcript_id"].isin(keep)].to_csv(subset, index=False)
    return load_training_data([subset, ROOT / "data" / "corpus" / "sessions" / "h_utterances.csv"])


@needs_annomi
@pytest.mark.slow
def test_decoding_variants_are_measured_on_the_same_fold_models(tmp_path, monkeypatch):
    """cross_validate(decodes=...) trains each fold once and codes its held-out data once per setting."""
    from mi_coder.evaluate import crossval as ev

    trained = []
    original = ev.train_coder
    monkeypatch.setattr(ev, "train_coder", lambda *a, **kw: trained.append(kw.get("unsure")) or original(*a, **kw))
    plain, strict = ev.cross_validate(_small_training_data(tmp_path, 18), folds=3, train_kwargs={"max_iter": 200},
                                      unpunctuated=False, decodes=[{}, {"unsure": {"CR": 1e-9}}])
    assert trained == [None, None, None]  # one model per fold, not one per setting
    assert plain["team_sessions_cv"]["per_code"]["CR"]["precision"] > 0  # the model does predict CR ...
    assert strict["team_sessions_cv"]["per_code"]["CR"]["precision"] == 0.0  # ... and the rule removes it
    assert plain["annomi_cv"]["n_sessions"] == strict["annomi_cv"]["n_sessions"] == 18
    per_fold = plain["annomi_cv"]["per_fold"]  # each fold's turn tasks, for paired comparisons of two settings
    assert len(per_fold) == 3
    assert all(0 < f["punctuated"]["therapist"] <= 1 for f in per_fold)
    # client talk utterance by utterance, each fold's, for the paired comparison of client re-codes
    assert all(0 < f["punctuated"]["client_utterances"] <= 1 for f in per_fold)


def test_each_folds_figures_include_affirmation_and_autonomy_f1_against_the_utterance_reference(monkeypatch):
    import mi_coder.evaluate.crossval as ev

    monkeypatch.setattr(ev, "annomi_turn_tasks", lambda sessions, probs: {
        "therapist_4class": {"macro_f1": 0.7}, "client_3class": {"macro_f1": 0.5}})
    utt = [("AF", "AF", 0.9, 0), ("AF", "SR", 0.5, 1), ("EA", "EA", 0.8, 2), ("GI", "EA", 0.6, 3),
           ("CT", "AF", 0.4, 4), ("FN", "FN", 0.9, 5)]  # a client utterance coded AF is not a practitioner's
    fold = ev._fold_tasks({"test": [], "probs": None, "utt": utt}, unpunctuated=False)["punctuated"]
    assert fold["adherent_utterances"] == 0.667  # AF: P 1, R 0.5, F1 0.667; EA: P 0.5, R 1, F1 0.667
    # over the practitioner codes the reference uses (AF, EA, GI): GI's one utterance was coded EA, F1 0
    assert fold["practitioner_utterances"] == round((2 / 3 + 2 / 3 + 0.0) / 3, 3)
    none = ev._fold_tasks({"test": [], "probs": None, "utt": utt[4:]}, unpunctuated=False)["punctuated"]
    assert "adherent_utterances" not in none  # no AF or EA in the reference: no figure


def _role_session(path, roles, column="role_elements"):
    """A three-turn coded session whose first practitioner turn explains the meetings' purpose."""
    rows = [("s1", "1", "1", "practitioner", "The point of these meetings is to help you get through probation.",
             "GI", roles[0]),
            ("s1", "2", "1", "client", "Okay.", "FN", ""),
            ("s1", "3", "1", "practitioner", "How was the drive in?", "OQ", roles[1])]
    if column == "role":  # the team corpus layout: speaker holds the role, role the elements
        cols = ["session_id", "turn", "utterance", "speaker", "text", "code", "code2", "role"]
        pd.DataFrame([r[:6] + ("", r[6]) for r in rows], columns=cols).to_csv(path, index=False)
    else:
        cols = ["session_id", "turn_id", "utterance_id", "speaker", "text", "code", "role_elements"]
        pd.DataFrame(rows, columns=cols).to_csv(path, index=False)


@pytest.mark.parametrize("column", ["role_elements", "role"])
def test_evaluate_reports_role_clarification_agreement_when_the_table_labels_it(tmp_path, capsys, column):
    _role_session(tmp_path / "coded.csv", ["purpose", ""], column)
    assert main(["evaluate", str(tmp_path / "coded.csv"), "--utterances", "given",
                 "--report", str(tmp_path / "r.json")]) == 0
    rep = json.loads((tmp_path / "r.json").read_text())["heldout"][str(tmp_path / "coded.csv")]
    assert rep["role_clarification"]["purpose"]["support"] == 1  # the one labelled utterance, found or missed
    assert rep["role_clarification"]["client_role"]["support"] == 0
    assert rep["role_clarification_per_turn"]["purpose"]["support"] == 1  # the one labelled turn
    checklist = rep["role_checklist"]  # per session, as the report's checklist reads it
    assert checklist["purpose"]["sessions"] == 1 and checklist["purpose"]["present"] == 1
    assert checklist["client_role"]["present"] == 0
    assert checklist["purpose"]["sessions_agree"] == checklist["purpose"]["found"]  # found = agree when labelled
    out = capsys.readouterr().out
    assert "role clarification purpose: F1" in out and "checklist purpose:" in out


def test_evaluate_rejects_an_unknown_role_element_naming_the_file(tmp_path, capsys):
    _role_session(tmp_path / "coded.csv", ["purpose;rapport", ""])
    assert main(["evaluate", str(tmp_path / "coded.csv"), "--utterances", "given"]) != 0
    err = capsys.readouterr().err
    assert "coded.csv" in err and "rapport" in err and "Traceback" not in err


def test_evaluate_without_role_labels_reports_no_role_clarification(tmp_path):
    _coded_table(tmp_path / "plain.csv", ["OQ", "FN", "SR"])
    assert main(["evaluate", str(tmp_path / "plain.csv"), "--utterances", "given",
                 "--report", str(tmp_path / "r.json")]) == 0
    rep = json.loads((tmp_path / "r.json").read_text())["heldout"][str(tmp_path / "plain.csv")]
    assert "role_clarification" not in rep


def test_cross_validation_segments_unpunctuated_text_with_the_coders_own_boundary_model():
    """code_with_probs splits unpunctuated turns with the coder's boundary model (a fold's own, in
    cross-validation), not the shipped one, which has read the AnnoMI turns it would be scored on."""
    from mi_coder.boundary import DIM, BoundaryModel
    from mi_coder.evaluate.crossval import code_with_probs
    from mi_coder.model.store import load_coder
    from mi_coder.records import Session, Turn

    coder = load_coder()
    words = "so what brings you in today you said your week was hard"
    session = Session(id="s", source="test", turns=[Turn(id="1", speaker="A", role="practitioner", text=words)])
    code_with_probs(coder, [session])
    shipped = len(session.turns[0].utterances)
    coder.boundary = BoundaryModel(np.zeros(DIM), intercept=10.0)  # a start at every gap
    session = Session(id="s", source="test", turns=[Turn(id="1", speaker="A", role="practitioner", text=words)])
    code_with_probs(coder, [session])
    cut = [u.text for u in session.turns[0].utterances]
    assert len(cut) >= len(words.split()) - 3 > shipped  # nearly a word each (fillers join the next word)
    assert " ".join(cut) == words


@needs_annomi
@pytest.mark.slow
def test_unpunctuated_cross_validation_trains_a_boundary_model_per_fold_without_the_folds_turns(tmp_path,
                                                                                               monkeypatch):
    from mi_coder.evaluate import crossval as ev

    seen = []
    original = ev.fold_boundary
    monkeypatch.setattr(ev, "fold_boundary", lambda turns, team, seed=0: seen.append(
        set(turns["transcript_id"].astype(str))) or original(turns, team, seed=seed))
    report = ev.cross_validate(_small_training_data(tmp_path, 12), folds=3, train_kwargs={"max_iter": 200},
                               unpunctuated=True)
    assert len(seen) == 3
    every = set().union(*seen)
    assert all(sum(t not in s for s in seen) == 1 for t in every)  # each transcript left out of one fold's model
    assert report["annomi_cv"]["unpunctuated"]["therapist_4class"]["macro_f1"] > 0
    # the session figures from the stripped copies, session by session against the same human codes
    bare, punctuated = report["annomi_cv"]["unpunctuated_session_values"], report["annomi_cv"]["session_values"]
    assert [v["session"] for v in bare] == [v["session"] for v in punctuated]
    assert [v["human_r_q"] for v in bare] == [v["human_r_q"] for v in punctuated]
    assert "r_q_spearman" in report["annomi_cv"]["unpunctuated_session_level"]


@needs_annomi
def test_reviewed_codes_of_a_session_never_train_the_fold_that_tests_that_session(tmp_path, monkeypatch):
    """train --add R --folds K: a reviewed session that is also in the data (an AnnoMI transcript, a coded table)
    trains only in the folds that do not test it, and keeps its group in grouped folds."""
    from mi_coder.evaluate import crossval as ev
    from mi_coder.train.fit import add_reviewed, load_training_data

    from .conftest import ROOT

    full = pd.read_csv(ANNOMI_FULL, dtype=str, keep_default_na=False)
    keep = sorted(full["transcript_id"].unique(), key=int)[:9]
    full[full["transcript_id"].isin(keep)].to_csv(tmp_path / "annomi.csv", index=False)
    corpus = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "h_utterances.csv", dtype=str, keep_default_na=False)
    coded = corpus.rename(columns={"turn": "turn_id"})[["session_id", "turn_id", "speaker", "text", "code"]]
    coded = coded[coded["session_id"].isin(coded["session_id"].unique()[:6])]
    coded.to_csv(tmp_path / "coded.csv", index=False)
    data = load_training_data([tmp_path / "annomi.csv", tmp_path / "coded.csv"])
    annomi_one = full[full["transcript_id"] == keep[0]]
    reviewed = pd.concat([coded[coded["session_id"] == coded["session_id"].iloc[0]],
                          pd.DataFrame({"session_id": annomi_one["transcript_id"], "turn_id": annomi_one["utterance_id"],
                                        "speaker": annomi_one["interlocutor"], "text": annomi_one["utterance_text"],
                                        "code": np.where(annomi_one["interlocutor"] == "client", "FN", "NC")})])
    reviewed.to_csv(tmp_path / "reviewed.csv", index=False)
    add_reviewed(data, [tmp_path / "reviewed.csv"])
    added = data.examples[data.examples["source"] == "reviewed"]
    for sid, group in added.groupby("session_id")["group"].first().items():
        assert group == data.examples[(data.examples["source"] != "reviewed")
                                      & (data.examples["session_id"] == sid)]["group"].iloc[0]

    class Trained(Exception):
        pass

    def capture(examples, turn_examples, **kw):
        raise Trained(examples, turn_examples)

    monkeypatch.setattr(ev, "train_coder", capture)
    seen = 0
    for k in range(3):
        with pytest.raises(Trained) as caught:
            ev._cv_fold(k, data, 3, {}, unpunctuated=False)
        for table in caught.value.args:  # the utterance examples, then the turn examples
            reviewed_ids = set(table.loc[table["source"] == "reviewed", "session_id"].astype(str))
            originals = set(table.loc[table["source"] != "reviewed", "session_id"].astype(str))
            assert reviewed_ids == originals & set(added["session_id"].astype(str))
            seen += len(reviewed_ids)
    assert seen  # the reviewed sessions did train, in the folds that do not test them


@pytest.mark.parametrize("command", ["score", "evaluate"])
def test_score_and_evaluate_refuse_a_transcript_without_codes_naming_the_file(command, tmp_path, capsys):
    from .conftest import EXAMPLES

    path = EXAMPLES / "probation_session.txt"
    extra = ["--out", str(tmp_path / "o")] if command == "score" else []
    assert main([command, str(path), *extra]) == 2
    err = capsys.readouterr().err
    assert f"{path}: holds no coded utterance" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_score_reads_second_codes_and_refuses_one_of_the_wrong_role_naming_the_file(tmp_path, capsys):
    table = pd.DataFrame({
        "session_id": ["s"] * 4, "turn_id": ["1", "2", "3", "4"],
        "speaker": ["PO", "Client", "PO", "Client"],
        "text": ["Would it be okay if I shared what others have tried?", "Sure.", "You want your job back.", "Yes."],
        "code": ["CQ", "FN", "CR", "CT"], "code2": ["SEEK", "", "", ""]})
    table.to_csv(tmp_path / "coded.csv", index=False)
    assert main(["score", str(tmp_path / "coded.csv"), "--out", str(tmp_path / "o")]) == 0
    assert pd.read_csv(tmp_path / "o" / "sessions.csv").loc[0, "mi_adherent"] == 1
    table.loc[1, "code2"] = "SEEK"  # a second code on a client utterance
    table.to_csv(tmp_path / "bad.csv", index=False)
    assert main(["score", str(tmp_path / "bad.csv"), "--out", str(tmp_path / "o2")]) == 2
    assert "bad.csv: session s, turn 2: 'SEEK' is not a code for a client utterance" in capsys.readouterr().err


def test_agreement_pairs_utterances_numbered_per_turn_and_is_symmetric_with_per_role_kappa(tmp_path, capsys):
    """Utterance ids that restart in every turn ("1", "2") are paired within their turn (they collapsed to one
    utterance per id); the macro-F1 over every code either coder used does not depend on which file is first."""
    rows = []
    for turn in range(1, 21):
        speaker = "practitioner" if turn % 2 else "client"
        for k in (1, 2):
            code = (["OQ", "SR", "CR", "GI"][turn % 4] if speaker == "practitioner" else ["FN", "CT"][k - 1])
            rows.append({"session_id": "s", "turn_id": str(turn), "utterance_id": str(k), "speaker": speaker,
                         "text": f"Utterance {k} of turn {turn}.", "code": code})
    first = pd.DataFrame(rows)
    second = first.copy()
    second.loc[[0, 4], "code"] = "PWP"  # the second coder uses a code the first never does
    first.to_csv(tmp_path / "a.csv", index=False)
    second.to_csv(tmp_path / "b.csv", index=False)
    from mi_coder.evaluate.agreement import agreement_report

    ab = agreement_report(tmp_path / "a.csv", tmp_path / "b.csv")["agreement"]
    ba = agreement_report(tmp_path / "b.csv", tmp_path / "a.csv")["agreement"]
    assert ab["n_utterances"] == 40
    assert ab["overall"]["macro_f1_all_codes"] == ba["overall"]["macro_f1_all_codes"] < ab["overall"]["macro_f1"]
    assert ab["kappa_by_role"]["client"] == {"n": 20, "kappa": 1.0} and ab["kappa_by_role"]["practitioner"]["n"] == 20
    assert main(["evaluate", "--agreement", str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]) == 0
    assert "in the second table but never in the first: PWP x2" in capsys.readouterr().out


@needs_annomi
def test_evaluating_the_models_own_training_data_is_said_to_overstate_accuracy(tmp_path):
    from mi_coder import load_coder
    from mi_coder.evaluate.heldout import heldout_report
    from mi_coder.model.store import default_model_dir

    from .conftest import ROOT

    meta = json.loads((default_model_dir() / "meta.json").read_text())
    held_out = sorted(meta["training"]["annomi_holdout_excluded"], key=int)[0]
    full = pd.read_csv(ANNOMI_FULL, dtype=str, keep_default_na=False)
    trained = next(t for t in full["transcript_id"].unique() if t not in meta["training"]["annomi_holdout_excluded"])
    full[full["transcript_id"].isin([held_out, trained])].to_csv(tmp_path / "two.csv", index=False)
    coder = load_coder()
    with pytest.warns(UserWarning, match=f"1 of 2 transcripts \\({trained}\\) are word for word in mi-coder-default .*"
                                         "training data"):
        heldout_report(coder, [tmp_path / "two.csv"])
    # known by its words, not its id: a trained transcript numbered anew is warned about; a transcript the model never
    # read, numbered as a trained one (AnnoMI's test split numbers its own transcripts), is not (a researcher's audit:
    # every transcript but the hold-out's ids was called training data)
    renamed = full[full["transcript_id"].isin([held_out, trained])].copy()
    renamed["transcript_id"] = renamed["transcript_id"].map({trained: "9001", held_out: trained})
    renamed.to_csv(tmp_path / "renumbered.csv", index=False)
    with pytest.warns(UserWarning, match="1 of 2 transcripts \\(9001\\) are word for word"):
        heldout_report(coder, [tmp_path / "renumbered.csv"])
    one = full[full["transcript_id"] == trained].drop_duplicates("utterance_id")
    pd.DataFrame({"session_id": "s1", "speaker": one["interlocutor"].map({"therapist": "T", "client": "C"}),
                  "text": one["utterance_text"], "code": one["interlocutor"].map({"therapist": "GI", "client": "FN"})}
                 ).to_csv(tmp_path / "generic.csv", index=False)  # the same transcript as a coded table
    with pytest.warns(UserWarning, match=r"1 of 1 session\(s\) \(s1\) are word for word"):
        heldout_report(coder, [tmp_path / "generic.csv"])
    full[full["transcript_id"] == held_out].to_csv(tmp_path / "held_out.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the hold-out alone: nothing to say
        heldout_report(coder, [tmp_path / "held_out.csv"])
    with pytest.warns(UserWarning, match="was trained on this file"):
        heldout_report(coder, [ROOT / "data" / "corpus" / "sessions" / "a_utterances.csv"])


def test_several_coded_tables_get_a_pooled_figure_beside_each_files_own(tmp_path):
    from mi_coder import load_coder
    from mi_coder.evaluate.heldout import heldout_report

    from .conftest import ROOT

    u = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "t_utterances.csv", dtype=str, keep_default_na=False)
    u = u.rename(columns={"turn": "turn_id", "utterance": "utterance_id"})
    paths = []
    for k, sid in enumerate(u["session_id"].unique()[:2]):  # one session per file, as many projects keep them
        paths.append(tmp_path / f"session_{k}.csv")
        u[u["session_id"] == sid][["session_id", "turn_id", "utterance_id", "speaker", "text", "code"]].to_csv(
            paths[-1], index=False)
    report = heldout_report(load_coder(), paths)["heldout"]
    pooled = report["all 2 coded tables together"]
    assert pooled["n"] == sum(report[str(p)]["n"] for p in paths)
    assert pooled["session_scores"]["r_q"]["n_sessions"] == 2
    # a file the model trained on is reported on its own, flagged, and kept out of the pooled held-out figure (a
    # researcher's audit: the pooled figure had mixed a training file in, 0.855 against 0.692 held out)
    trained = ROOT / "data" / "corpus" / "sessions" / "a_utterances.csv"
    with pytest.warns(UserWarning, match="was trained on this file"):
        report = heldout_report(load_coder(), [*paths, trained])["heldout"]
    pooled = report["all 2 coded tables together"]
    assert pooled["n"] == sum(report[str(p)]["n"] for p in paths)
    assert pooled["left_out_as_training_data"] == [str(trained)]


@pytest.mark.slow  # about 20-25 s: the fast suite stays under 5 minutes on 2 cores
def test_cross_validation_on_ones_own_tables_codes_held_out_sessions_as_the_saved_model_does(monkeypatch):
    """--folds without AnnoMI: each fold trains turn models too and codes its held-out sessions whole (it trained
    utterance models alone and predicted rows one by one: a different coder from the one saved)."""
    from mi_coder.evaluate import crossval as ev
    from mi_coder.train.fit import load_training_data

    from .conftest import ROOT

    data = load_training_data([ROOT / "data" / "corpus" / "sessions" / "h_utterances.csv"])
    keep = set(data.examples["session_id"].unique()[:6])  # six sessions: two folds of three, in seconds
    data.examples = data.examples[data.examples["session_id"].isin(keep)].assign(source="coded")  # as a table's rows
    data.turn_examples = data.turn_examples[data.turn_examples["session_id"].isin(keep)]
    trained, coded = [], []
    original_train, original_code = ev.train_coder, ev.Coder.code_segmented
    monkeypatch.setattr(ev, "train_coder", lambda ex, turns=None, **kw: trained.append(turns is not None and len(turns))
                        or original_train(ex, turns, **kw))
    monkeypatch.setattr(ev.Coder, "code_segmented", lambda self, s: coded.append(len(s)) or original_code(self, s))
    report = ev.cross_validate_examples(data.examples, folds=2, train_kwargs={"max_iter": 200},
                                        turn_examples=data.turn_examples)
    assert len(trained) == 2 and all(trained)  # turn models in every fold
    assert sum(coded) == data.examples["session_id"].nunique()  # every session coded once, whole
    assert report["n"] == int(data.examples["code"].notna().sum())
    # the figures to cite, as evaluate reports them: kappa per role (the pooled kappa mixes two label sets that
    # never meet), practitioner code groups, client CT/ST/FN
    from mi_coder.codes import CLIENT_CODES

    by_role = report["kappa_by_role"]
    client_rows = int(data.examples["code"].isin(CLIENT_CODES).sum())
    assert by_role["client"]["n"] == client_rows and by_role["practitioner"]["n"] == report["n"] - client_rows
    assert by_role["client"]["kappa"] == report["client"]["kappa"]
    assert report["practitioner_groups"]["n"] == report["n"] - client_rows
    assert 0 < report["reflection_f1"] <= 1 and 0 < report["question_f1"] <= 1


def _review_download(path, rows):
    """A review download as the report's review mode writes it (machine_code, reviewed_code, code, code2)."""
    head = "session_id,turn_id,utterance_id,speaker,role,text,machine_code,confidence,reviewed_code,code,reviewer," \
           "reviewed_at,code2\n"
    path.write_text(head + "".join(
        f"s1,{t},{t}.1,{'PO' if role == 'practitioner' else 'Client'},{role},\"{text}\",{machine},0.7,{reviewed},"
        f"{code},{'Sam' if reviewed else ''},{'2026-12-04T10:00' if reviewed else ''},{code2}\n"
        for t, (role, text, machine, reviewed, code, code2) in enumerate(rows, 1)))


REVIEWED = [("practitioner", "Would it be okay if I shared some ideas?", "CQ", "", "CQ", "SEEK"),
            ("client", "Sure.", "FN", "", "FN", ""),
            ("practitioner", "You kept going even when it was hard.", "SR", "AF", "AF", ""),
            ("client", "I did.", "FN", "CT", "CT", ""),
            ("practitioner", "What would help this week?", "OQ", "OQ", "OQ", ""),
            ("client", "Calling my sponsor.", "CT", "", "CT", "")]


def test_agreement_of_a_review_download_reads_the_reviewed_rows_even_beside_a_second_code(tmp_path, capsys):
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, REVIEWED)
    report_path = tmp_path / "r.json"
    assert main(["evaluate", "--agreement", str(path), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())["agreement"]
    assert report["n_utterances"] == 3  # the three the reviewer confirmed or changed
    assert report["overall"]["accuracy"] == pytest.approx(1 / 3, abs=1e-3)


def test_agreement_of_a_review_download_beside_the_machines_table_compares_only_the_reviewed_rows(tmp_path, capsys):
    # a trainer's audit: the two-file form compared every row, the unreviewed ones holding the machine's own code
    # (12 reviewed of 55: accuracy 0.891 against 0.500 over the 12), and said nothing
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, REVIEWED)
    machine = tmp_path / "utterances.csv"
    machine.write_text("session_id,turn_id,utterance_id,speaker,role,text,code,code2\n" + "".join(
        f"s1,{t},{t}.1,{'PO' if role == 'practitioner' else 'Client'},{role},\"{text}\",{code},{code2}\n"
        for t, (role, text, code, _, _, code2) in enumerate(REVIEWED, 1)))
    report_path = tmp_path / "r.json"
    assert main(["evaluate", "--agreement", str(path), str(machine), "--report", str(report_path)]) == 0
    err = capsys.readouterr().err
    assert "a review download: only its 3 reviewed utterance(s) of 6 are compared" in err
    report = json.loads(report_path.read_text())["agreement"]
    assert report["n_utterances"] == 3
    assert report["overall"]["accuracy"] == pytest.approx(1 / 3, abs=1e-3)  # as the one-file form gives
    # one session: no ICC, but the two codings' values side by side
    assert report["session_scores"]["r_q"]["values"] == {"s1": [0.0, 0.5]}  # the reviewer took the SR for an AF
    # a second coder's table without utterance ids is paired by text, and so are the reviewed rows (the review
    # download's own ids had matched none of the pairs: "shares no coded utterances")
    other = tmp_path / "coder_b.csv"
    other.write_text("session_id,speaker,text,code\n" + "".join(
        f"s1,{'PO' if role == 'practitioner' else 'Client'},\"{text}\",{code}\n"
        for role, text, code, _, _, _ in REVIEWED))
    assert main(["evaluate", "--agreement", str(path), str(other), "--report", str(tmp_path / "r2.json")]) == 0
    assert json.loads((tmp_path / "r2.json").read_text())["agreement"]["n_utterances"] == 3


def test_score_writes_the_report_of_a_reviewed_download_from_its_codes_as_given(tmp_path, capsys):
    # a trainer's audit: a corrected session could be re-scored into tables only; `report` on the download re-coded
    # its words with the model, so the trainee's page still showed the machine's codes
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, REVIEWED)
    assert main(["score", str(path), "--out", str(tmp_path / "out"), "--report"]) == 0
    page = html.unescape((tmp_path / "out" / "reports" / "s1.html").read_text())
    assert "Coded by the codes in the scored table (mi-coder score; no model)" in page
    assert "Each utterance's code is the one given in the scored table" in page and "coded by a machine" not in page
    examples = page[page.index("Affirmations"):page.index("Autonomy support")]
    assert "You kept going even when it was hard." in examples  # the reviewer's AF, where the machine said SR


def test_score_refuses_a_review_download_whose_reviewed_code_was_edited_without_its_code(tmp_path, capsys):
    rows = [list(r) for r in REVIEWED]
    rows[2][3] = "CR"  # edited in a spreadsheet: reviewed_code says CR, code still says AF
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, [tuple(r) for r in rows])
    assert main(["score", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "reviewed_code 'CR' but code 'AF'" in err and str(path) in err
    assert not (tmp_path / "out" / "sessions.csv").exists()


def test_agreement_refuses_a_review_download_whose_reviewed_code_was_edited_without_its_code(tmp_path, capsys):
    # it had read the reviewer as confirming the machine's code, and agreement rose
    rows = [list(r) for r in REVIEWED]
    rows[2][3] = "CR"
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, [tuple(r) for r in rows])
    assert main(["evaluate", "--agreement", str(path)]) == 2
    err = capsys.readouterr().err
    assert "reviewed_code 'CR' but code 'AF'" in err and str(path) in err and "Traceback" not in err


def test_a_reviewed_code_spelled_out_agrees_with_its_code(tmp_path, capsys):
    rows = [list(r) for r in REVIEWED]
    rows[2][3] = "Affirm"  # spelled out in a spreadsheet, as the code column may be
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, [tuple(r) for r in rows])
    assert main(["score", str(path), "--out", str(tmp_path / "out")]) == 0
    assert main(["evaluate", "--agreement", str(path)]) == 0


def test_an_empty_reviewed_file_is_said_to_be_empty_by_every_command(tmp_path, capsys):
    path = tmp_path / "s1.reviewed.csv"
    path.write_text("")
    for argv in (["evaluate", "--agreement", str(path)], ["train", "--add", str(path), "--out", str(tmp_path / "m")]):
        assert main(argv) == 2
        assert f"{path}: file is empty" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_utterance_ids_a_spreadsheet_read_as_numbers_are_named_as_the_likely_cause(tmp_path, capsys):
    # turn 3's utterances 3.1 ... 3.10: saved as numbers, 3.10 becomes 3.1 and the file reads as a row listed twice
    rows = "".join(f"s1,3,3.{k},PO,practitioner,\"Sentence {k}.\",GI,0.7,,GI,,,\n" for k in range(1, 10))
    head = "session_id,turn_id,utterance_id,speaker,role,text,machine_code,confidence,reviewed_code,code,reviewer," \
           "reviewed_at,code2\n"
    path = tmp_path / "s1.reviewed.csv"
    path.write_text(head + "s1,1,1.1,Client,client,Hi.,FN,0.7,FN,FN,Sam,2026-12-04T10:00,\n" + rows
                    + "s1,3,3.1,PO,practitioner,\"Sentence 10.\",GI,0.7,,GI,,,\n")
    assert main(["score", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "utterance 3.1 is listed twice" in err and "ids like 3.10 read as numbers by a spreadsheet become 3.1" in err


def test_agreement_of_a_download_before_any_review_says_so(tmp_path, capsys):
    rows = [list(r) for r in REVIEWED]
    for r in rows:
        r[3] = ""  # nothing reviewed yet
        r[4] = r[2]  # the code column is the machine's
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, [tuple(r) for r in rows])
    assert main(["evaluate", "--agreement", str(path)]) == 2
    err = capsys.readouterr().err
    assert "no reviewed utterances yet" in err and str(path) in err


def test_score_warns_about_utterances_left_without_a_code(tmp_path, capsys):
    rows = [list(r) for r in REVIEWED]
    rows[4][4] = ""  # the code of "What would help this week?" left empty
    rows[4][3] = ""
    path = tmp_path / "s1.reviewed.csv"
    _review_download(path, [tuple(r) for r in rows])
    assert main(["score", str(path), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "1 practitioner or client utterance(s) have no code and are not counted (the first: session s1, turn 5)" in err


def test_agreement_pairs_by_text_when_a_table_without_utterance_ids_left_one_out(tmp_path, capsys):
    # Two coders, the same codes; the second left out the first utterance of a two-utterance turn. Paired by
    # position, every later utterance of that turn would meet another's text and lower kappa.
    rows = [("1", "PO", "How was the week?", "OQ"), ("2", "Client", "Rough. I slipped twice.", "ST"),
            ("3", "PO", "You slipped twice.", "SR"), ("3", "PO", "What happened the second time?", "OQ"),
            ("4", "Client", "I want to stop though.", "CT"), ("5", "PO", "It matters to you.", "CR"),
            ("5", "PO", "Would it be okay if I shared an idea?", "CQ"), ("6", "Client", "Sure.", "FN")]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame(rows, columns=["turn_id", "speaker", "text", "code"]).assign(session_id="s1").to_csv(first, index=False)
    pd.DataFrame([r for k, r in enumerate(rows) if k != 2], columns=["turn_id", "speaker", "text", "code"]) \
        .assign(session_id="s1").to_csv(second, index=False)
    report_path = tmp_path / "r.json"
    assert main(["evaluate", "--agreement", str(first), str(second), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())["agreement"]
    assert report["n_utterances"] == 7 and report["overall"]["kappa"] == 1.0
    assert "paired by their text instead" in capsys.readouterr().err


def test_a_training_file_under_another_name_is_still_recognised_as_training_data(tmp_path):
    import shutil

    from mi_coder import load_coder
    from mi_coder.evaluate.heldout import _warn_if_trained_on

    from .conftest import ROOT

    copy = tmp_path / "my_heldout_sessions.csv"
    shutil.copy(ROOT / "data" / "corpus" / "sessions" / "a_utterances.csv", copy)
    with pytest.warns(UserWarning, match="was trained on this file"):
        _warn_if_trained_on(load_coder(), copy)
    copy.write_text(copy.read_text() + "\n")  # another file: no longer the training file's bytes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _warn_if_trained_on(load_coder(), copy)


def test_held_out_evaluation_prints_the_confusion_matrix(tmp_path, capsys):
    path = tmp_path / "coded.csv"
    _coded_table(path, ["OQ", "FN", "SR", "OQ", "ST", "CR", "CQ", "FN"])
    report_path = tmp_path / "r.json"
    assert main(["evaluate", str(path), "--report", str(report_path)]) == 0
    out = capsys.readouterr().out
    assert "confusion (rows: reference codes; columns: codes given):" in out
    rep = json.loads(report_path.read_text())["heldout"][str(path)]
    from mi_coder.evaluate.metrics import confusion_rows

    columns, rows = confusion_rows(rep)
    assert sum(sum(counts) for _, counts in rows) == rep["n"] == 24
    header = next(line for line in out.splitlines() if line.strip().startswith(columns[0]) and columns[-1] in line)
    assert header.split() == columns  # the printed columns are the codes either side used


def test_agreement_pairs_by_text_when_only_one_table_has_utterance_ids(tmp_path, capsys):
    rows = [("1", "1.1", "PO", "How was the week?", "OQ"), ("2", "2.1", "Client", "Rough. I slipped twice.", "ST"),
            ("3", "3.1", "PO", "You slipped twice.", "SR"), ("4", "4.1", "Client", "I want to stop though.", "CT")]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    frame = pd.DataFrame(rows, columns=["turn_id", "utterance_id", "speaker", "text", "code"]).assign(session_id="s1")
    frame.to_csv(first, index=False)
    frame.drop(columns=["utterance_id"]).assign(turn_id=["a", "b", "c", "d"]).to_csv(second, index=False)
    report_path = tmp_path / "r.json"
    assert main(["evaluate", "--agreement", str(first), str(second), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())["agreement"]
    assert report["n_utterances"] == 4 and report["overall"]["kappa"] == 1.0
    assert "share no utterance ids" in capsys.readouterr().err


def test_a_report_on_the_models_training_data_is_not_headed_held_out():
    from mi_coder.evaluate.heldout import format_report

    rep = utterance_report(["OQ", "SR"], ["OQ", "CR"])
    text = format_report({"model": "m 1.0", "heldout": {"train.csv": {**rep, "model_trained_on_this_file": True},
                                                        "new.csv": rep}})
    assert "not held out, the model's own training data: train.csv (model m 1.0):" in text
    assert "held-out new.csv (model m 1.0):" in text and "held-out train.csv" not in text


def test_agreement_warning_quotes_the_texts_as_written_not_the_feature_tokens(tmp_path, capsys):
    rows = [("PO", "How was the week?", "OQ"), ("Client", "Rough.", "ST"), ("PO", "Rough, huh.", "SR"),
            ("PO", "Tell me more?", "OQ")]
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame(rows, columns=["speaker", "text", "code"]).assign(session_id="s1").to_csv(first, index=False)
    moved = [rows[0], rows[1], rows[3], rows[2]]  # two utterances of a turn re-sorted: paired by position they differ
    pd.DataFrame(moved, columns=["speaker", "text", "code"]).assign(session_id="s1").to_csv(second, index=False)
    assert main(["evaluate", "--agreement", str(first), str(second)]) == 0
    err = capsys.readouterr().err
    assert "differ in text" in err and "'Tell me more?'" in err and "qmark" not in err


def test_agreement_of_three_tables_refuses_one_that_shares_nothing_with_the_others(tmp_path, capsys):
    rows = [("1", "PO", "How was the week?", "OQ"), ("2", "Client", "Rough.", "ST"), ("3", "PO", "Rough, huh.", "SR")]
    paths = [tmp_path / f"{name}.csv" for name in "abc"]
    for path, session in zip(paths, ("s1", "s1", "s9")):
        texts = rows if session == "s1" else [(t, s, f"{x} (other session)", c) for t, s, x, c in rows]
        pd.DataFrame(texts, columns=["turn_id", "speaker", "text", "code"]).assign(session_id=session).to_csv(
            path, index=False)
    assert main(["evaluate", "--agreement", *map(str, paths)]) == 2
    err = capsys.readouterr().err
    assert "c.csv: shares no coded utterance with the other tables" in err and "alpha" not in err


def test_sessions_a_model_trained_on_are_recognised_in_any_file_that_holds_them(tmp_path):
    # a researcher's audit: two sessions split out of the training table were evaluated as "held-out" (kappa 0.846
    # against 0.484 out of fold), since only the training file's exact bytes were recognised
    from mi_coder.evaluate.heldout import heldout_report
    from mi_coder.model.store import load_coder
    from mi_coder.train.fit import train_from_files

    lines = ["session_id,speaker,text,code"]
    for sid in ("s1", "s2", "s3", "s4"):
        for k in range(4):
            lines += [f"{sid},T,How did week {k} go for you in {sid}?,OQ", f"{sid},C,It went okay I think.,FN",
                      f"{sid},T,It went okay for you.,SR", f"{sid},C,I want to keep going to group.,CT"]
    table = tmp_path / "all.csv"
    table.write_text("\n".join(lines) + "\n")
    model = train_from_files([table], tmp_path / "model", name="mine")
    part = tmp_path / "two_sessions.tsv"  # re-saved in another layout, two of the sessions only
    part.write_text("\n".join(line.replace(",", "\t", 3) for line in lines[:1] + lines[1:33]) + "\n")
    with pytest.warns(UserWarning, match=r"2 of 2 session\(s\) \(s1, s2\) are word for word in mine 1.0's training data"):
        report = heldout_report(load_coder(model, trust=True), [part])
    assert report["heldout"][str(part)]["sessions_in_training_data"] == ["s1", "s2"]


def test_a_held_out_file_that_holds_a_training_session_reports_figures_without_it(tmp_path):
    # a researcher's audit: one training session in a one-file held-out table raised macro-F1 0.377 -> 0.504 under
    # the heading "held-out", with only a warning on stderr (several files had left it out of the pooled figure)
    from mi_coder.evaluate.heldout import format_report, heldout_report
    from mi_coder.model.store import load_coder
    from mi_coder.train.fit import train_from_files

    def rows(sid, question):
        return [f"{sid},T,{question} {k}?,OQ" for k in range(3)] + [f"{sid},C,I want to keep going to group.,CT",
                                                                    f"{sid},T,It went okay for you.,SR",
                                                                    f"{sid},C,It went okay I think.,FN"]

    table = tmp_path / "train.csv"
    table.write_text("session_id,speaker,text,code\n" + "\n".join(
        line for sid in ("s1", "s2", "s3") for line in rows(sid, f"How did week go for you in {sid}")) + "\n")
    model = load_coder(train_from_files([table], tmp_path / "model", name="mine"), trust=True)
    held = tmp_path / "held.csv"
    held.write_text("session_id,speaker,text,code\n" + "\n".join(
        rows("s1", "How did week go for you in s1") + rows("s2", "How did week go for you in s2")
        + rows("n1", "What stood out about the clinic visit") + rows("n2", "Which part of the plan felt hard")) + "\n")
    with pytest.warns(UserWarning, match=r"2 of 4 session\(s\) \(s1, s2\) are word for word in mine 1.0's training "
                                         r"data; left out of the figures"):
        report = heldout_report(model, [held])
    rep = report["heldout"][str(held)]
    assert rep["n_sessions"] == 2 and rep["n"] == 12  # n1 and n2 only
    said = format_report(report)
    assert "left out, the model's training data: 2 session(s) (s1, s2)" in said
    assert f"held-out {held}" in said and "not held out" not in said  # half the sessions seen is not all of them


def test_a_double_code_agrees_with_itself_whichever_column_holds_the_question(tmp_path):
    # a researcher's audit: "SEEK"+"CQ" against "CQ"+"SEEK" read kappa 0.974, SEEK 0.392; the machine's SEEK, a
    # question's second code, never reached the SEEK figures
    rows = [("1", "T", "Would it be okay if I shared some ideas?", "CQ", "SEEK"), ("2", "C", "Sure.", "FN", ""),
            ("3", "T", "Where would you like to start?", "OQ", "SEEK"), ("4", "C", "The job.", "FN", ""),
            ("5", "T", "You want the job back.", "SR", ""), ("6", "C", "I do.", "CT", "")]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.DataFrame([("s", *r) for r in rows], columns=["session_id", "utterance_id", "speaker", "text", "code", "code2"]
                 ).to_csv(a, index=False)
    swapped = [(i, sp, t, c2 or c, c if c2 else "") for i, sp, t, c, c2 in rows]  # SEEK in the first column
    pd.DataFrame([("s", *r) for r in swapped], columns=["session_id", "utterance_id", "speaker", "text", "code",
                                                         "code2"]).to_csv(b, index=False)
    from mi_coder.evaluate.agreement import agreement_report

    report = agreement_report(a, b)["agreement"]
    assert report["overall"]["kappa"] == 1.0
    assert report["either_slot"]["SEEK"]["f1"] == 1.0


def test_the_same_two_codes_written_in_either_order_agree_and_only_second_codes_are_reported_in_either_slot(
        tmp_path):
    # a numbers audit: "CR; AF" against "AF; CR" and "CT; ST" against "ST; CT" counted as disagreements (accuracy 0.75)
    head = "session_id,utterance_id,speaker,text,code\n"
    lines = ['o1,1,practitioner,What brings you in?,OQ', 'o1,2,client,"I could quit, I just don\'t want to.",{ct}',
             'o1,3,practitioner,"You stuck with it when it was hard, that takes guts.",{cr}', "o1,4,client,I guess.,FN",
             "o1,5,practitioner,Would you like to hear some options?,CQ; SEEK"]
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(head + "\n".join(lines).format(ct="CT; ST", cr="CR; AF") + "\n")
    b.write_text(head + "\n".join(lines).format(ct="ST; CT", cr="AF; CR").replace("CQ; SEEK", "CQ") + "\n")
    from mi_coder.evaluate.agreement import agreement_report

    report = agreement_report(a, b)["agreement"]
    assert report["overall"]["accuracy"] == 1.0 and report["kappa_by_role"]["client"]["kappa"] in (1.0, None)
    slots = report["either_slot"]
    assert {"AF", "ST", "SEEK"} <= set(slots)
    assert "OQ" not in slots and "CQ" not in slots  # first codes only, never a second code: not in this line
    assert slots["SEEK"]["recall"] == 0.0 and slots["SEEK"]["support"] == 1


def test_a_reviewed_download_measures_the_machine_against_the_reviewer(tmp_path):
    # the reviewer is the reference: precision is the machine's, and a code only the reviewer gave is counted
    path = tmp_path / "visit.reviewed.csv"
    path.write_text("session_id,turn_id,utterance_id,speaker,role,text,machine_code,confidence,reviewed_code,code\n"
                    "r1,1,1,Officer,practitioner,What brings you in?,OQ,0.9,OQ,OQ\n"
                    "r1,2,1,Client,client,My PO sent me.,FN,0.8,FN,FN\n"
                    "r1,3,1,Officer,practitioner,You were sent here.,SR,0.7,SR,SR\n"
                    "r1,4,1,Client,client,Yeah and I want to get it over with.,FN,0.6,CT,CT\n"
                    "r1,5,1,Officer,practitioner,You want it done.,SR,0.6,CR,CR\n"
                    "r1,6,1,Client,client,I do.,FN,0.9,FN,FN\n")
    from mi_coder.evaluate.agreement import agreement_report

    report = agreement_report(path)["agreement"]
    assert report["first"].endswith("(reviewer)") and report["second"].endswith("(machine)")
    fn = report["overall"]["per_code"]["FN"]
    assert (fn["precision"], fn["recall"], fn["support"]) == (0.667, 1.0, 2)  # the machine's FN, 3 given, 2 right
    assert report["overall"]["per_code"]["CT"]["support"] == 1  # the reviewer's CT, which the machine never gave


def test_question_f1_counts_q_when_one_table_codes_questions_without_their_form(tmp_path):
    from mi_coder.evaluate.heldout import group_report

    report = group_report([("Q", "Q"), ("Q", "Q"), ("SR", "SR"), ("SR", "Q")])
    assert report["question_f1"] == 0.8


def test_a_bootstrap_interval_drops_resamples_where_the_statistic_is_undefined():
    from mi_coder.evaluate.metrics import _pearson, bootstrap

    a = np.zeros(30)
    a[25:] = [1, 2, 1, 2, 1]  # a sparse count: a few resamples hold only zeros, and have no correlation
    b = a.copy()
    b[0] = 1
    low, high = bootstrap(_pearson, a, b)
    assert np.isfinite(low) and np.isfinite(high) and 0.5 < low <= high <= 1.0


def _researcher_table(path, rows, header="utterance_id,speaker,text,code"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


_RESEARCH_ROWS = ['1,Officer,"Hey Luis, come on in.",NC', "2,Probationer,Hey.,FN",
                  "3,Officer,How have the two weeks been?,OQ", "4,Officer,You look tired.,CR",
                  "5,Probationer,Work is killing me.,FN", "6,Officer,Work has been hard.,SR",
                  "7,Officer,What would help?,OQ", "8,Probationer,A day off.,CT"]


def test_utterance_ids_without_turn_ids_are_utterances_of_one_turn_not_turns(tmp_path):
    """A researcher's audit: a per-utterance table with an utterance_id column and no turn ids had each row read as a
    turn (27 turns for 23), which moved every per-turn score (reflections per turn, client turn share)."""
    from mi_coder.evaluate.agreement import read_coded
    from mi_coder.scoring import session_scores

    with_ids = read_coded(_researcher_table(tmp_path / "ids.csv", _RESEARCH_ROWS))[0]
    without = read_coded(_researcher_table(tmp_path / "noids.csv", [r.split(",", 1)[1] for r in _RESEARCH_ROWS],
                                           "speaker,text,code"))[0]
    assert len(with_ids.turns) == len(without.turns) == 6
    assert [u.id for u in with_ids.turns[2].utterances] == ["3", "4"]
    a, b = session_scores(with_ids), session_scores(without)
    assert a["reflection_rate"] == b["reflection_rate"] == 2 / 3 and a["r_q"] == b["r_q"]
    # AnnoMI's layout numbers its turns utterance_id, and keeps them as turns
    from mi_coder.io.delimited import resolve_columns

    assert resolve_columns(["transcript_id", "utterance_id", "interlocutor", "utterance_text"], {}, "x")["turn"] \
        == "utterance_id"


def test_two_coders_files_of_one_session_named_differently_are_compared_and_blank_codes_are_counted(tmp_path, capsys):
    """A researcher's audit: s01.csv against s01_coderB.csv shared no session (ids come from file names) and failed;
    utterances one coder left blank vanished from the figures without a count."""
    first = _researcher_table(tmp_path / "s01.csv", _RESEARCH_ROWS)
    second = _researcher_table(tmp_path / "s01_coderB.csv",
                               [r.rsplit(",", 1)[0] + "," for r in _RESEARCH_ROWS[:2]] + _RESEARCH_ROWS[2:])
    with pytest.warns(UserWarning, match="one session each, named by their files"):
        from mi_coder.evaluate.agreement import agreement_report

        a = agreement_report(first, second)["agreement"]
    assert a["n_utterances"] == 6 and a["coded_only_in_first"] == 2 and a["coded_only_in_second"] == 0
    assert a["overall"]["kappa"] == 1.0
    assert main(["evaluate", "--agreement", str(first), str(second)]) == 0
    assert "2 utterance(s) coded only in the first" in capsys.readouterr().out


def test_code_columns_are_found_by_their_normalised_name_or_named_and_elan_exports_are_read(tmp_path, capsys):
    """A researcher's audit: "MITI Code" was not a code column, there was no --code-col, and an ELAN tab-delimited
    export (.txt) was read as speaker-labelled text and refused; its times and file names were not read."""
    from mi_coder.evaluate.agreement import read_coded
    from mi_coder.io.base import ReadOptions

    spaced = _researcher_table(tmp_path / "excel.csv", _RESEARCH_ROWS, "Utterance ID,Speaker,Text,MITI Code")
    assert [u.code for _, u in read_coded(spaced)[0].utterances()][:3] == ["NC", "FN", "OQ"]
    named = _researcher_table(tmp_path / "named.csv", _RESEARCH_ROWS, "utterance_id,speaker,text,coder_1")
    sessions = read_coded(named, ReadOptions(columns={"code": "coder_1"}))
    assert [u.code for _, u in sessions[0].utterances()][-1] == "CT"
    assert main(["score", str(named), "--code-col", "coder_1", "--out", str(tmp_path / "sc")]) == 0
    assert main(["score", str(named), "--code-col", "coder_9", "--out", str(tmp_path / "sc9")]) == 2
    assert "no column 'coder_9'" in capsys.readouterr().err
    elan = tmp_path / "elan.txt"
    lines = ["Tier\tBegin Time - hh:mm:ss.ms\tEnd Time - hh:mm:ss.ms\tDuration - ss.msec\tAnnotation\tMITI\tFile Name"]
    for k, row in enumerate(_RESEARCH_ROWS):
        _, speaker, rest = row.split(",", 2)
        text, code = rest.rsplit(",", 1)
        lines.append(f"{speaker}\t00:00:{2 * k:02d}.500\t00:00:{2 * k + 1:02d}.900\t1.400\t{text.strip(chr(34))}\t{code}"
                     f"\t{'s1.eaf' if k < 4 else 's2.eaf'}")
    elan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sessions = read_coded(elan)
    assert [s.id for s in sessions] == ["s1.eaf", "s2.eaf"]
    assert sessions[0].turns[0].start == 0.5 and sessions[0].turns[0].end == 1.9
    assert [u.code for _, u in sessions[1].utterances()] == ["FN", "SR", "OQ", "CT"]


def test_a_misc_practitioner_code_on_a_clients_row_is_named_as_such_with_its_place(tmp_path):
    from mi_coder import InputError
    from mi_coder.evaluate.agreement import read_coded

    rows = [r.replace(",NC", ",FA").replace(",FN", ",N").replace(",CT", ",C") for r in _RESEARCH_ROWS]
    rows[4] = "5,Probationer,Work is killing me.,CR"
    with pytest.raises(InputError, match=r"session \w+, turn 4 \(Probationer\): 'CR' is a MISC practitioner code on "
                                         r"a client's row"):
        read_coded(_researcher_table(tmp_path / "misc.csv", rows), scheme="misc")


def _coded(path, rows, header="session_id,speaker,text,code"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


_TWO_SESSIONS = ["{s},T,How was the week?,OQ", "{s},C,Long. I missed a shift.,FN", "{s},T,You're worn out.,CR",
                 "{s},C,I want to keep this job.,CT"]


@pytest.mark.parametrize("column", ["SessionID", "sessionId", "Session #", "TranscriptID"])
def test_session_columns_written_as_one_word_or_with_a_number_sign_tell_sessions_apart(tmp_path, column):
    # a dataset audit: "SessionID", "Session #"... were not session columns, so every session was read as one
    from mi_coder.evaluate.agreement import read_coded

    rows = [r.format(s=s) for s in ("A1", "B2") for r in _TWO_SESSIONS]
    sessions = read_coded(_coded(tmp_path / "t.csv", rows, f"{column},speaker,text,code"))
    assert [s.id for s in sessions] == ["A1", "B2"] and all(len(s.turns) == 4 for s in sessions)


def test_sessions_numbered_per_participant_are_told_apart_and_a_participant_alone_is_a_session(tmp_path):
    from mi_coder.evaluate.agreement import read_coded

    rows = [f"{p},1," + r.format(s="x").split(",", 1)[1] for p in ("P07", "P08") for r in _TWO_SESSIONS]
    both = read_coded(_coded(tmp_path / "trial.csv", rows, "participant_id,session,speaker,text,code"))
    assert [s.id for s in both] == ["P07/1", "P08/1"]  # session 1 of each participant: two sessions, not one
    alone = read_coded(_coded(tmp_path / "mibot.csv", [r.replace(",1,", ",", 1) for r in rows],
                              "ParticipantID,speaker,text,code"))
    assert [s.id for s in alone] == ["P07", "P08"]


def test_a_table_read_as_one_session_names_the_column_that_seems_to_tell_sessions_apart(tmp_path):
    from mi_coder.evaluate.agreement import read_coded

    rows = [f"{s}," + r.format(s="x").split(",", 1)[1] for s in ("v1", "v2") for r in _TWO_SESSIONS * 3]
    with pytest.warns(UserWarning, match="read as one session, but column 'video' seems to tell sessions apart .* "
                                         "--session-col 'video'"):
        assert len(read_coded(_coded(tmp_path / "t.csv", rows, "video,speaker,text,code"))) == 1


def test_two_coders_rows_of_one_session_stacked_in_one_table_are_refused_but_one_coder_per_session_is_read(
        tmp_path, capsys):
    # a dataset audit: a long table of two coders was read as one coding with every count doubled
    rows = [f"{c},s1," + r.format(s="x").split(",", 1)[1] for c in ("ann", "bob") for r in _TWO_SESSIONS]
    stacked = _coded(tmp_path / "long.csv", rows, "coder,session_id,speaker,text,code")
    assert main(["score", str(stacked), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "long.csv: rows of 2 coders (ann, bob; column 'coder') code session 's1'" in err
    assert "--agreement" in err and "Traceback" not in err and not (tmp_path / "o" / "sessions.csv").exists()
    rows = [f"{c},{s}," + r.format(s="x").split(",", 1)[1] for c, s in (("ann", "s1"), ("bob", "s2"))
            for r in _TWO_SESSIONS]
    per_session = _coded(tmp_path / "split.csv", rows, "coder,session_id,speaker,text,code")
    assert main(["score", str(per_session), "--out", str(tmp_path / "o2")]) == 0
    assert len(pd.read_csv(tmp_path / "o2" / "sessions.csv")) == 2


def test_a_text_column_of_utterance_numbers_is_refused_naming_the_column_that_holds_the_words(tmp_path, capsys):
    rows = [f"s1,{k},{r.format(s='x').split(',', 1)[1].split(',')[0]},"
            f"{r.format(s='x').split(',', 2)[2].rsplit(',', 1)[0]},{r.rsplit(',', 1)[1]}"
            for k, r in enumerate(_TWO_SESSIONS, start=1)]
    table = _coded(tmp_path / "numbers.csv", rows, "session_id,Utterance,speaker,Remark,code")
    assert main(["evaluate", str(table)]) == 2
    err = capsys.readouterr().err
    assert "the text column 'Utterance' holds only numbers (1, 2, 3, ...); the words seem to be in 'Remark'" in err


def test_codes_spelled_out_or_two_in_one_cell_are_read_and_double_codes_follow_the_guide(tmp_path):
    from mi_coder.evaluate.agreement import read_coded
    from mi_coder.scoring import session_scores

    rows = ["s,T,Is it okay if we talk about the drinking?,Closed Question; Seek", "s,C,Sure.,neutral",
            "s,T,You're worried about your kids.,complex reflection", "s,C,I could quit but I don't want to.,CT/ST",
            "s,T,You should stop - if you'd like my view.,PER+PWP", "s,C,Maybe.,FN",
            "s,T,You came back and that took courage.,CR; AF", "s,C,Thanks.,FN"]
    with pytest.warns(UserWarning) as caught:
        session = read_coded(_coded(tmp_path / "t.csv", rows))[0]
    said = " ".join(str(w.message) for w in caught)
    assert "1 utterance(s) coded both PER and PWP are read as PWP" in said
    # the guide gives a reflection a checking question, SEEK/EA on a question or reflection, PWP with EA; not these
    assert "2 utterance(s) carry two codes the coding guide does not give one utterance (" in said
    assert "CT+ST x1" in said and "CR+AF x1" in said
    codes = [(u.code, u.meta.get("code2", "")) for _, u in session.utterances()]
    assert codes == [("CQ", "SEEK"), ("FN", ""), ("CR", ""), ("CT", "ST"), ("PWP", ""), ("FN", ""), ("CR", "AF"),
                     ("FN", "")]
    scores = session_scores(session)
    # a client's change and sustain talk in one unsplit utterance both count (guide: CT + ST, two utterances)
    assert scores["utt_CT"] == 1 and scores["utt_ST"] == 1 and scores["change_talk_pct"] == 0.5
    assert scores["mi_nonadherent"] == 0 and scores["utt_PWP"] == 1


def test_a_misc_code_on_a_practitioner_row_in_a_miti_read_points_to_the_misc_scheme(tmp_path, capsys):
    table = _coded(tmp_path / "misc.csv", ["s,T,Let's look at the plan for today.,ST", "s,C,Okay.,FN"])
    assert main(["score", str(table), "--out", str(tmp_path / "o")]) == 2
    assert "'ST' is not a code for a practitioner utterance (in MISC 2.5 it is a practitioner code, NC: if the " \
           "table is MISC-coded, read it with --scheme misc" in capsys.readouterr().err


def test_rows_sorted_otherwise_are_read_in_the_order_of_their_utterance_numbers(tmp_path):
    # a dataset audit: a table sorted by speaker gave 2 turns for 4, so volleys and R:Q were wrong, without a word
    from mi_coder.evaluate.agreement import read_coded

    rows = [f"s,{k}," + r.format(s="x").split(",", 1)[1] for k, r in enumerate(_TWO_SESSIONS, start=1)]
    by_speaker = [rows[1], rows[3], rows[0], rows[2]]  # C, C, T, T
    with pytest.warns(UserWarning, match="not in the order of their 'utterance_id' numbers"):
        session = read_coded(_coded(tmp_path / "t.csv", by_speaker, "session_id,utterance_id,speaker,text,code"))[0]
    assert [t.speaker for t in session.turns] == ["T", "C", "T", "C"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in order: nothing to say
        read_coded(_coded(tmp_path / "ok.csv", rows, "session_id,utterance_id,speaker,text,code"))


def test_a_table_with_misc_and_miti_code_columns_reads_the_one_of_the_scheme_asked_for(tmp_path):
    from mi_coder.evaluate.agreement import read_coded

    table = _coded(tmp_path / "dual.csv", ["s,T,Let's look at today.,ST,NC", "s,C,Okay.,N,FN",
                                           "s,T,What would help?,QUO,OQ", "s,C,Sleep.,N,FN"],
                   "session_id,speaker,text,misc_code,miti_code")
    assert [u.code for _, u in read_coded(table)[0].utterances()] == ["NC", "FN", "OQ", "FN"]
    assert [u.code for _, u in read_coded(table, scheme="misc")[0].utterances()] == ["NC", "FN", "OQ", "FN"]


def test_a_table_with_a_label_column_before_its_code_column_is_read_by_the_code_column(tmp_path):
    # a researcher's export kept a sentiment "label" column left of the MITI "code": the labels were read as codes
    # (every row refused as unknown) unless --code-col named the column
    from mi_coder.evaluate.agreement import read_coded

    table = _coded(tmp_path / "both.csv", ["s,T,What would help?,neutral,OQ", "s,C,Sleep would.,positive,CT",
                                           "s,T,You're worn out.,negative,CR", "s,C,I am.,negative,FN"],
                   "session_id,speaker,text,label,code")
    assert [u.code for _, u in read_coded(table)[0].utterances()] == ["OQ", "CT", "CR", "FN"]
    rows = ["s,T,What would help?,OQ,neutral", "s,C,Sleep would.,CT,positive", "s,T,You're worn out.,CR,negative",
            "s,C,I am.,FN,negative"]
    for name in ("behavior_code", "gold_label", "code_1"):  # the label column to the right: the codes as before
        other = _coded(tmp_path / f"{name}.csv", rows, f"session_id,speaker,text,{name},label")
        assert [u.code for _, u in read_coded(other)[0].utterances()] == ["OQ", "CT", "CR", "FN"], name
    # no speaker column: the speakers are read from the same column as the codes, even where the "label" column
    # left of them holds codes of its own that would say otherwise (another tagger's, roles swapped)
    bare = tmp_path / "bare.csv"
    other_tags = ["CT", "OQ", "FN", "CR"]
    bare.write_text("session_id,text,label,behavior_code\n" + "\n".join(
        f"s,{r.split(',')[2]},{tag},{r.split(',')[3]}" for r, tag in zip(rows, other_tags)) + "\n")
    with pytest.warns(UserWarning, match="behavior_code"):
        sessions = read_coded(bare)
    assert [(t.role, u.code) for t in sessions[0].turns for u in t.utterances] == [
        ("practitioner", "OQ"), ("client", "CT"), ("practitioner", "CR"), ("client", "FN")]


def test_a_miti_421_table_that_codes_questions_q_is_scored_and_evaluated_as_questions(tmp_path, capsys):
    # a dataset audit: MITI 4.2.1's own Question code (no open/closed) was refused as an unknown code
    from mi_coder import load_coder
    from mi_coder.evaluate.agreement import agreement_report
    from mi_coder.evaluate.heldout import heldout_report

    rows = ["s,T,How was the week?,Q", "s,C,Long.,FN", "s,T,You're worn out.,CR", "s,C,Yes.,FN",
            "s,T,Did you go to group?,Question", "s,C,No.,FN", "s,T,Group felt pointless.,SR", "s,C,It did.,ST",
            "s,T,What got in the way?,Q", "s,C,Work.,FN", "s,T,Work comes first right now.,CR", "s,C,Yeah.,FN"]
    table = _coded(tmp_path / "miti4.csv", rows)
    assert main(["score", str(table), "--out", str(tmp_path / "o")]) == 0
    row = pd.read_csv(tmp_path / "o" / "sessions.csv").iloc[0]
    assert row["Q"] == 3 and row["OQ"] + row["CQ"] == 0 and row["r_q"] == 1.0 and pd.isna(row["pct_oq"])
    assert main(["evaluate", str(table)]) == 0
    out = capsys.readouterr().out
    assert "questions compared as Q" in out
    report = heldout_report(load_coder(), [table])["heldout"][str(table)]
    assert report["per_code"]["Q"]["support"] == 3 and "OQ" not in report["per_code"] and "CQ" not in report["per_code"]
    # a second coder who coded the form: the two agree on every question, compared as Q
    other = _coded(tmp_path / "miti3.csv", [r.replace(",Question", ",CQ").replace("?,Q", "?,OQ") for r in rows])
    agreement = agreement_report(table, other)["agreement"]
    assert agreement["overall"]["kappa"] == 1.0


@pytest.mark.parametrize("header", ["session_id,speaker,text,therapist_code,client_code",
                                    "session_id,speaker,text,code,client_code"])
def test_codes_kept_in_a_column_per_speaker_role_are_each_read_for_their_role(tmp_path, header):
    # a dataset audit: therapist_code/client_code were refused, and a client_code beside code silently dropped
    from mi_coder.evaluate.agreement import read_coded

    rows = ["s,T,How was the week?,OQ,", "s,C,I want to keep this job.,,CT", "s,T,You're worried.,CR,",
            "s,C,Yes.,,FN"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing uncoded to warn about
        session = read_coded(_coded(tmp_path / "t.csv", rows, header))[0]
    assert [u.code for _, u in session.utterances()] == ["OQ", "CT", "CR", "FN"]


def test_json_with_one_object_per_session_holding_its_utterances_is_read_session_by_session(tmp_path):
    from mi_coder.evaluate.agreement import read_coded

    sessions = [{"id": sid, "dialog": [{"speaker": "therapist", "text": "How was the week?", "label": "OQ"},
                                       {"speaker": "client", "text": "Hard.", "label": "FN"}]} for sid in ("a", "b")]
    (tmp_path / "d.json").write_text(json.dumps(sessions))
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(s) for s in sessions) + "\n")
    for name in ("d.json", "d.jsonl"):
        read = read_coded(tmp_path / name)
        assert [s.id for s in read] == ["a", "b"] and [u.code for _, u in read[1].utterances()] == ["OQ", "FN"]


def test_an_elan_export_with_codes_on_their_own_tiers_gives_each_utterance_its_code(tmp_path):
    # a dataset audit: codes on child tiers ("T_MITI" beside "T") became extra speakers and the file was refused
    from mi_coder.evaluate.agreement import read_coded

    head = "Tier\tBegin Time - ss.msec\tEnd Time - ss.msec\tAnnotation\tFile Name\n"
    rows = []
    for f in ("a.eaf", "b.eaf"):
        for k, (tier, said, code) in enumerate([("T", "How was the week?", "OQ"), ("C", "Hard. I want to stop.", "CT"),
                                                 ("T", "You want to stop.", "SR"), ("C", "Yes.", "FN")]):
            rows += [f"{tier}\t{2 * k}.0\t{2 * k + 1.5}\t{said}\t{f}", f"{tier}_MITI\t{2 * k}.0\t{2 * k + 1.5}\t{code}\t{f}"]
    (tmp_path / "coded.txt").write_text(head + "\n".join(rows) + "\n")
    sessions = read_coded(tmp_path / "coded.txt")
    assert [s.id for s in sessions] == ["a.eaf", "b.eaf"]
    assert all([u.code for _, u in s.utterances()] == ["OQ", "CT", "SR", "FN"] for s in sessions)
    assert {t.speaker for s in sessions for t in s.turns} == {"T", "C"}


def test_an_elan_export_with_a_column_for_each_tier_is_read_as_its_annotations_with_their_codes(tmp_path, capsys):
    # ELAN's "separate columns for each tier": it was read as plain text and refused ("no speaker-labelled lines")
    from mi_coder.evaluate.agreement import read_coded
    from mi_coder.io.reader import read_transcript

    head = "Begin Time - ss.msec\tEnd Time - ss.msec\tTherapist\tTherapist_MITI\tClient\tClient_MITI\tFile Name\n"
    rows = []
    for f in ("a.eaf", "b.eaf"):
        for k, (tier, said, code) in enumerate([("T", "How was the week?", "OQ"), ("C", "Hard. I want to stop.", "CT"),
                                                 ("T", "You want to stop.", "SR"), ("C", "Yes.", "FN")]):
            cells = [said, code, "", ""] if tier == "T" else ["", "", said, code]
            rows.append("\t".join([f"{2 * k}.0", f"{2 * k + 1.5}"] + cells + [f]))
    path = tmp_path / "tiers.txt"
    path.write_text(head + "\n".join(rows) + "\n")
    sessions = read_coded(path)
    assert [s.id for s in sessions] == ["a.eaf", "b.eaf"]
    assert all([u.code for _, u in s.utterances()] == ["OQ", "CT", "SR", "FN"] for s in sessions)
    assert sessions[0].speakers == {"Therapist": "practitioner", "Client": "client"}
    (s,) = read_transcript(path, utterances="given")[1:]
    assert [(t.speaker, t.text, t.start, t.end) for t in s.turns][:2] == [
        ("Therapist", "How was the week?", 0.0, 1.5), ("Client", "Hard. I want to stop.", 2.0, 3.5)]
    assert main(["code", str(path), "--out", str(tmp_path / "o")]) == 0
    assert "tiers.txt: its ELAN code tiers are not read: the text is coded anew" in capsys.readouterr().err
    assert (tmp_path / "o" / "utterances.csv").read_text().count("Therapist") == 4


def test_an_annomi_layout_table_saved_with_semicolons_is_still_read_as_annomi(tmp_path):
    # a dataset audit: AnnoMI re-saved by a European Excel was not recognised and refused as having no code column
    from mi_coder.train.annomi import load_annomi_turns

    head = ("transcript_id;mi_quality;video_title;video_url;topic;utterance_id;interlocutor;timestamp;"
            "utterance_text;main_therapist_behaviour;client_talk_type")
    rows = ["7;high;v;u;alcohol;0;therapist;00:00:01;What brings you in, today?;question;n/a",
            "7;high;v;u;alcohol;1;client;00:00:04;My wife; she worries.;n/a;neutral",
            "7;high;v;u;alcohol;2;therapist;00:00:07;She worries about you.;reflection;n/a"]
    path = tmp_path / "annomi.csv"
    path.write_text(head + "\n" + "\n".join(r.replace("My wife; she worries.", '"My wife; she worries."')
                                            for r in rows) + "\n")
    turns = load_annomi_turns(path)
    assert turns["utterance_text"].tolist() == ["What brings you in, today?", "My wife; she worries.",
                                                "She worries about you."]
    assert main(["evaluate", str(path)]) == 0


def test_session_bootstrap_intervals_hold_the_reported_figures_and_are_left_out_for_few_sessions():
    import random

    from mi_coder.evaluate.heldout import _compared
    from mi_coder.evaluate.metrics import session_intervals

    rng = random.Random(3)
    practitioner = ["OQ", "CQ", "SR", "CR", "AF", "GI", "NC", "PER"]
    sessions = []
    for _ in range(12):
        pairs = []
        for _ in range(rng.randint(15, 40)):
            codes = ["CT", "ST", "FN"] if rng.random() < 0.3 else practitioner
            truth = rng.choice(codes)
            pairs.append((truth, truth if rng.random() < 0.6 else rng.choice(codes)))
        sessions.append(pairs)
    report = _compared([p for s in sessions for p in s])
    iv = session_intervals(sessions)
    assert iv["sessions"] == 12 and iv == session_intervals(sessions)  # seeded: the same every time
    expected = {"kappa_practitioner": report["kappa_by_role"]["practitioner"]["kappa"],
                "kappa_client": report["kappa_by_role"]["client"]["kappa"],
                "group_kappa": report["practitioner_groups"]["kappa"], "reflection_f1": report["reflection_f1"],
                "question_f1": report["question_f1"], "client_macro_f1": report["client"]["macro_f1"],
                "macro_f1": report["macro_f1"]}
    for key, value in expected.items():
        assert iv[key]["point"] == pytest.approx(value, abs=1e-3), key
        low, high = iv[key]["interval"]
        assert low <= iv[key]["point"] <= high and high - low > 0.01, key  # sessions differ: an interval, not a point
    for code, m in report["per_code"].items():
        if m["support"]:
            assert iv["per_code_f1"][code]["point"] == pytest.approx(m["f1"], abs=1e-3)
    # one session copied ten times varies no more than the one: resampling sessions, not utterances
    same = session_intervals([sessions[0]] * 10)
    assert same["kappa_practitioner"]["interval"][0] == same["kappa_practitioner"]["interval"][1]
    assert session_intervals(sessions[:4]) is None


def test_evaluate_prints_session_intervals_beside_the_figures_of_a_table_of_several_sessions(tmp_path, capsys):
    rows = ["session_id,speaker,text,code"]
    for k in range(6):
        rows += [f"s{k},Therapist,What brings you in today?,OQ", f"s{k},Client,My drinking has got out of hand.,CT",
                 f"s{k},Therapist,You're worried about how much you drink.,CR", f"s{k},Client,I don't know.,FN",
                 f"s{k},Therapist,Did you drink yesterday?,CQ", f"s{k},Client,I like drinking though.,ST"]
    (tmp_path / "coded.csv").write_text("\n".join(rows) + "\n")
    assert main(["evaluate", str(tmp_path / "coded.csv"), "--report", str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "95% intervals, the 6 sessions resampled (2000 times): practitioner kappa" in out
    assert "F1 95% interval" in out.splitlines()[1]
    (rep,) = json.loads((tmp_path / "r.json").read_text())["heldout"].values()
    assert rep["intervals"]["sessions"] == 6 and "OQ" in rep["intervals"]["per_code_f1"]
    (tmp_path / "two.csv").write_text("\n".join(rows[:13]) + "\n")  # two sessions: no interval worth printing
    assert main(["evaluate", str(tmp_path / "two.csv")]) == 0
    assert "intervals" not in capsys.readouterr().out


def test_an_annomi_layout_held_out_file_gets_session_intervals_for_its_turn_tasks(tmp_path, capsys):
    head = ("transcript_id,mi_quality,video_title,video_url,topic,utterance_id,interlocutor,timestamp,"
            "utterance_text,main_therapist_behaviour,client_talk_type,question_exists,question_subtype,"
            "reflection_exists,reflection_subtype,therapist_input_exists,therapist_input_subtype")
    turns = [("therapist", "What brings you in today?", "question", "n/a", "open", ""),
             ("client", "I want to cut down on my drinking.", "n/a", "change", "", ""),
             ("therapist", "You want to drink less.", "reflection", "n/a", "", "simple"),
             ("client", "But I like a drink after work.", "n/a", "sustain", "", ""),
             ("therapist", "Do you drink every day?", "question", "n/a", "closed", ""),
             ("client", "Mostly.", "n/a", "neutral", "", ""),
             ("therapist", "Part of you enjoys it and part of you worries where it is going.", "reflection", "n/a",
              "", "complex")]
    rows = [head] + [f"{t},high,v,u,alcohol,{k},{who},00:00:0{k},{said},{main},{talk},{bool(q)},{q or 'n/a'},"
                     f"{bool(r)},{r or 'n/a'},False,n/a" for t in range(6) for k, (who, said, main, talk, q, r)
                     in enumerate(turns)]
    (tmp_path / "annomi.csv").write_text("\n".join(rows) + "\n")
    assert main(["evaluate", str(tmp_path / "annomi.csv"), "--report", str(tmp_path / "r.json")]) == 0
    assert "95% intervals, the 6 sessions resampled (2000 times): therapist macro-F1" in capsys.readouterr().out
    (rep,) = json.loads((tmp_path / "r.json").read_text())["heldout"].values()
    iv = rep["intervals"]
    assert iv["therapist"]["macro_f1"]["point"] == rep["therapist_4class"]["macro_f1"]
    assert iv["client"]["macro_f1"]["point"] == rep["client_3class"]["macro_f1"]
    assert iv["open_closed"]["accuracy"]["point"] == rep["open_vs_closed_accuracy"]
    assert iv["simple_complex"]["accuracy"]["point"] == rep["simple_vs_complex_accuracy"]


# Tests added by a mutation audit: the metric definitions, worked out by hand, where the tests above compare one
# implementation with another or check only a part of a figure.


def test_kappa_is_undefined_not_nan_when_both_sides_give_one_code():
    rep = utterance_report(["SR", "SR", "SR"], ["SR", "SR", "SR"])
    assert rep["kappa"] is None and rep["accuracy"] == 1.0


def test_a_95_percent_bootstrap_interval_of_a_mean_spans_about_four_standard_errors():
    # percentile bootstrap of a mean: the central 95% of resampled means, about mean +- 1.96 standard errors
    # (a 90% interval would span 3.3 of them)
    from mi_coder.evaluate.metrics import bootstrap

    a = np.random.default_rng(0).normal(0, 1, 60)
    se = a.std() / np.sqrt(len(a))
    for strata in (None, np.zeros(len(a))):
        low, high = bootstrap(lambda x, y: float(x.mean()), a, a, strata=strata)
        assert 3.6 < (high - low) / se < 4.3
        assert low < a.mean() < high


def test_session_intervals_are_the_central_share_of_the_resampled_figures():
    from mi_coder.evaluate.metrics import _percentiles

    assert _percentiles(0.95)(np.arange(1001.0)) == [25.0, 975.0]  # 2.5th and 97.5th percentiles
    assert _percentiles(0.9)(np.arange(1001.0)) == [50.0, 950.0]


def test_question_f1_over_sessions_counts_q_as_a_question_and_five_sessions_get_intervals():
    from mi_coder.evaluate.heldout import group_report
    from mi_coder.evaluate.metrics import session_intervals

    sessions = [[("Q", "OQ"), ("SR", "SR")], [("Q", "CQ"), ("CT", "CT")], [("OQ", "SR"), ("FN", "FN")],
                [("SR", "Q")], [("CR", "CR"), ("ST", "FN")]]
    # questions (OQ, CQ, Q) on practitioner rows: Q/OQ and Q/CQ agree, OQ/SR is missed, SR/Q is extra:
    # F1 = 2 * 2 / (2 * 2 + 1 + 1)
    iv = session_intervals(sessions, n=200)
    assert iv is not None and iv["sessions"] == 5  # INTERVAL_MIN_SESSIONS: five are enough
    assert iv["question_f1"]["point"] == round(4 / 6, 3)
    assert group_report([p for s in sessions for p in s])["question_f1"] == round(4 / 6, 3)


def test_turn_task_intervals_give_the_macro_f1_and_accuracy_of_all_sessions():
    from mi_coder.evaluate.metrics import task_intervals

    sessions = [[("question", "question"), ("reflection", "question")],
                [("reflection", "reflection"), ("other", "other")],
                [("question", "question"), ("question", "reflection")],
                [("other", "question")], [("reflection", "reflection")]]
    # question: tp 2, 3 in the reference, 4 given -> F1 4/7; reflection: tp 2, 3, 3 -> 4/6; other: tp 1, 2, 1 -> 2/3
    rep = task_intervals(sessions, ["question", "reflection", "other"], n=200)
    assert rep["macro_f1"]["point"] == round((4 / 7 + 4 / 6 + 2 / 3) / 3, 3)
    assert rep["accuracy"]["point"] == 5 / 8


def test_agreement_by_role_follows_the_role_of_the_reference_code():
    from mi_coder.evaluate.heldout import _compared, group_report

    # a practitioner utterance the machine coded CT is a practitioner miss, not a client utterance
    rep = _compared([("OQ", "OQ"), ("SR", "CT"), ("CT", "CT")])
    assert (rep["kappa_by_role"]["practitioner"]["n"], rep["kappa_by_role"]["client"]["n"]) == (2, 1)
    # and a client utterance given a practitioner code counts against the client figures, not left out
    client = group_report([("CT", "CT"), ("FN", "OQ"), ("ST", "ST")])["client"]
    assert client["n"] == 3 and client["per_code"]["FN"]["recall"] == 0.0


def test_topic_folds_never_test_a_topic_their_annomi_training_transcripts_are_about():
    from mi_coder.evaluate.crossval import _annomi_groups, _group_folds
    from mi_coder.train.annomi import annomi_topic

    assert annomi_topic("Smoking cessation ") == annomi_topic("smoking  cessation") == "smoking cessation"
    assert annomi_topic("smoking cessation; reducing alcohol consumption") == "smoking cessation"
    assert annomi_topic("") == annomi_topic(None) == "unidentifiable"
    topics = ["reducing alcohol consumption", "smoking cessation", "smoking cessation ", "weight loss",
              "more exercise / increasing activity", "reducing drug use", "Weight loss", "asthma management"]
    rows = [{"transcript_id": str(i), "video_url": f"v{i}", "topic": topics[i % len(topics)], "utterance_id": str(k)}
            for i in range(40) for k in range(3)]
    turns = pd.DataFrame(rows)
    tids = turns["transcript_id"].unique()
    by_topic = _annomi_groups(turns, tids, "topic")
    assert len(set(by_topic)) == 6  # case and spacing do not make a topic of their own
    assert len(set(_annomi_groups(turns, tids, "video"))) == 40
    for seed in (None, 3):
        for train, test in _group_folds(4, seed).split(tids, groups=by_topic):
            assert not set(by_topic[train]) & set(by_topic[test])
    with pytest.raises(ValueError):
        _annomi_groups(turns, tids, "annotator")


def test_the_confusion_matrix_is_scikit_learns_and_a_one_code_review_prints_no_library_warning():
    # `evaluate --agreement` on a review with one reviewed utterance printed scikit-learn's "A single label was found"
    import random
    import warnings

    from sklearn.metrics import confusion_matrix

    from mi_coder.evaluate.metrics import utterance_report

    rng = random.Random(3)
    codes = ["OQ", "CQ", "SR", "CR", "AF", "NC"]
    y_true = [rng.choice(codes) for _ in range(200)]
    y_pred = [rng.choice(codes + ["GI"]) for _ in range(200)]
    labels = ["CR", "SR", "OQ", "CQ", "AF", "PER"]  # GI and NC outside the labels, PER never given
    assert utterance_report(y_true, y_pred, labels)["confusion"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = utterance_report(["CQ"], ["CQ"])
    assert report["confusion"] == [[1]] and report["kappa"] is None


def test_a_review_downloads_unusual_pair_is_said_once_by_agreement(tmp_path):
    # a supervisor's audit: evaluate --agreement read the download three times and said the same warning twice
    import warnings

    from mi_coder.evaluate.agreement import agreement_report

    path = tmp_path / "s.reviewed.csv"
    path.write_text("session_id,turn_id,utterance_id,speaker,role,text,machine_code,confidence,reviewed_code,code,"
                    "reviewer,reviewed_at,code2\n"
                    "s,1,1.1,PO,practitioner,You need to call him.,GI,0.9,GI,GI,Sam,t,AF\n"
                    "s,2,2.1,Client,client,Sure.,FN,0.9,,FN,,,\n"
                    "s,3,3.1,PO,practitioner,You want to keep the job.,SR,0.8,SR,SR,Sam,t,\n"
                    "s,4,4.1,Client,client,I do.,CT,0.8,,CT,,,\n", encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = agreement_report(path)["agreement"]
    said = [str(w.message) for w in caught if "two codes the coding guide does not give" in str(w.message)]
    assert len(said) == 1 and "GI+AF x1" in said[0]
    assert report["n_utterances"] == 2


def test_score_report_of_a_miti_table_with_questions_of_unknown_form(tmp_path):
    # a code review: `score --report` on a MITI 4.2.1 table coding Q died on a traceback ('Q' is not in list)
    table = tmp_path / "q.csv"
    table.write_text("session_id,speaker,text,code\n" + "".join(
        f"s1,T,What brings you here today {k}?,Q\ns1,C,My doctor sent me.,FN\ns1,T,Your doctor is worried.,SR\n"
        for k in range(3)))
    assert main(["score", str(table), "--out", str(tmp_path / "out"), "--report"]) == 0
    page = (tmp_path / "out" / "reports" / "s1.html").read_text()
    assert "question (form not coded" in html.unescape(page)  # Q in the legend, where the page has one
