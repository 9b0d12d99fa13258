"""`mi-coder train --base MODEL`: the new model repeats the base's recipe, not only its settings."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from mi_coder.cli import main
from mi_coder.errors import UsageError
from mi_coder.model.store import default_model_dir, load_boundary, load_coder, sha256
from mi_coder.train.fit import _recorded_paths, load_training_data, read_base, run_record, train_from_files

from .conftest import ANNOMI_FULL, ROOT, needs_annomi

# One worker runs this module: its module-scoped model is then built once, not once on each worker.
pytestmark = pytest.mark.xdist_group("test_train_base")

PROFILES = {"sessions": {"code_turn_weights": {"SR": 3.0, "CR": 3.0}, "purpose": "session indicators"}}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A small base model as the default build writes one: a boundary model, a decoding profile, a fitted output
    temperature, its training file recorded in run.json. The data sit in tmp/checkout/data, the model in
    tmp/checkout/models/base; models trained here are trusted in tmp/home."""
    tmp_path = tmp_path_factory.mktemp("base")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MI_CODER_HOME", str(tmp_path / "home"))
        yield _base(tmp_path)


def _base(tmp_path):
    data = tmp_path / "checkout" / "data"
    data.mkdir(parents=True)
    table = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "a_utterances.csv", dtype=str, keep_default_na=False)
    table = table[table["session_id"].isin(table["session_id"].unique()[:2])]
    table.rename(columns={"turn": "turn_id"})[["session_id", "turn_id", "speaker", "text", "code"]].to_csv(
        data / "coded.csv", index=False)
    folder = tmp_path / "checkout" / "models" / "base"
    train_from_files([data / "coded.csv"], folder, data=load_training_data([data / "coded.csv"]),
                     train_kwargs={"calibration_folds": 2}, boundary=load_boundary(),
                     output_temperature=1.37, decoding_profiles=PROFILES)
    return folder


def reviewed(tmp_path):
    table = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "b_utterances.csv", dtype=str, keep_default_na=False)
    table = table[table["session_id"] == table["session_id"].iloc[0]].rename(columns={"turn": "turn_id"})
    table = table[["session_id", "turn_id", "speaker", "text", "code"]].assign(reviewed_code=lambda t: t["code"])
    table.to_csv(tmp_path / "reviewed.csv", index=False)
    return tmp_path / "reviewed.csv"


def test_a_model_trained_from_a_base_keeps_its_boundary_model_profiles_and_temperature(base, tmp_path):
    out = tmp_path / "new"
    assert main(["train", "--base", str(base), "--add", str(reviewed(tmp_path)), "--utterances", "given",
                 "--out", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert sha256(out / "boundary.npz") == sha256(base / "boundary.npz")
    assert meta["decoding_profiles"] == PROFILES
    assert meta["training"]["output_temperature"] == 1.37
    assert meta["training"]["carried_from_base"] == {
        "boundary model": "the base model's boundary.npz", "decoding profiles": "sessions",
        "output temperature": "1.37, fitted on the base's own AnnoMI cross-validation (used unless this training "
                              "fits one: --folds with AnnoMI)"}
    assert meta["training"]["added_reviewed"][0]["utterances"] > 50
    assert load_coder(out, profile="sessions").code_turn_weights == {"SR": 3.0, "CR": 3.0}
    assert "carried_from_base" in (out / "MODEL_CARD.md").read_text()


def test_a_base_reads_its_training_files_relative_to_its_folder_first_so_a_moved_checkout_reads_its_own(base, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(base.parents[1], moved)
    # both copies exist: the model reads the files of its own checkout, not those at the recorded absolute path
    assert read_base(moved / "models" / "base", [], trust=True).paths == [str((moved / "data" / "coded.csv").resolve())]
    original = base.parents[1] / "data" / "coded.csv"
    original.rename(original.with_suffix(".away"))  # the recorded absolute path no longer exists
    try:
        recipe = read_base(moved / "models" / "base", [], trust=True)
        assert recipe.paths == [str((moved / "data" / "coded.csv").resolve())] and recipe.own_files
        (moved / "data" / "coded.csv").unlink()
        with pytest.raises(UsageError, match="training files are not on this machine"):
            read_base(moved / "models" / "base", [], trust=True)
    finally:
        original.with_suffix(".away").rename(original)


def test_data_reached_through_a_linked_folder_next_to_the_checkout_is_found_next_to_another_checkout(tmp_path):
    # the training machine links ../shared to a folder elsewhere; another machine has a real ../shared
    target = tmp_path / "elsewhere" / "shared"
    target.mkdir(parents=True)
    (target / "coded.csv").write_text("x\n")
    trained = tmp_path / "a" / "checkout"
    (trained / "models").mkdir(parents=True)
    (tmp_path / "a" / "shared").symlink_to(target)
    run = run_record(trained / "models" / "m", [trained / ".." / "shared" / "coded.csv"])
    assert run["training_paths"] == [str((target / "coded.csv").resolve())]
    assert run["training_paths_from_model"] == ["../../../shared/coded.csv"]
    other = tmp_path / "b" / "checkout" / "models" / "m"
    other.mkdir(parents=True)
    (tmp_path / "b" / "shared").mkdir()
    (tmp_path / "b" / "shared" / "coded.csv").write_text("x\n")
    found, missing = _recorded_paths(other, run, "training_paths")
    assert found == [str((tmp_path / "b" / "shared" / "coded.csv").resolve())] and not missing


def test_named_data_replace_the_base_files_its_hold_out_and_its_re_codes(base, tmp_path):
    recipe = read_base(base, [str(tmp_path / "mine.csv")], trust=True)
    assert recipe.paths == [str(tmp_path / "mine.csv")] and not recipe.own_files
    assert recipe.boundary is not None and recipe.profiles == PROFILES
    assert set(recipe.carried()) == {"boundary model", "decoding profiles", "output temperature"}


@needs_annomi
def test_the_shipped_model_as_base_repeats_its_hold_out_and_its_annomi_re_codes():
    recipe = read_base(default_model_dir(), [])
    meta = json.loads((default_model_dir() / "meta.json").read_text())
    assert str(ANNOMI_FULL.resolve()) in recipe.paths
    assert recipe.exclude_annomi == set(meta["training"]["annomi_holdout_excluded"]) and len(recipe.exclude_annomi) >= 20
    recoded = [f["file"] for f in meta["training"]["files"] if f["layout"].startswith("AnnoMI utterance re-codes")]
    assert len(recoded) >= 2  # 2.9: other, unknown; 2.11 adds flagged (E48)
    assert [p.rsplit("/", 1)[-1] for p in recipe.annomi_codes] == recoded
    assert recipe.settings == meta["training"]["settings"] and recipe.profiles == meta["decoding_profiles"]


def test_a_training_file_changed_since_the_base_read_it_is_said_to_be_read_as_it_is_now(base, tmp_path):
    moved = tmp_path / "copy"
    shutil.copytree(base.parents[1], moved)
    recipe = read_base(moved / "models" / "base", [], trust=True)  # unchanged: no warning
    coded = moved / "data" / "coded.csv"
    coded.write_text(coded.read_text().replace(",CQ", ",OQ", 1))
    with pytest.warns(UserWarning, match="coded.csv changed since the base model read them"):
        assert read_base(moved / "models" / "base", [], trust=True).paths == recipe.paths


def test_the_card_of_a_model_trained_on_ones_own_tables_describes_those_tables_not_the_team_corpus():
    from mi_coder.model.card import render_model_card

    folds = {"macro_f1": 0.5, "kappa": 0.4, "reliability": {"ece": 0.05},
             "per_code": {"OQ": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 3}}}
    meta = {"name": "mine", "version": "1.0", "description": "d", "labels": {"practitioner": ["OQ"], "client": ["FN"]},
            "training": {"files": [{"file": "mine.csv", "layout": "coded table", "utterances": 10, "sessions": 2}],
                         "protocol": "p"},
            "metrics": {"folds": 2, "team_corpus_cv": folds}, "artifacts": {}}
    card = render_model_card(meta)
    assert "### The training data (held-out folds)" in card and "on mine.csv, 2-fold cross-validation" in card
    assert "Team corpus" not in card and "team-written" not in card and "AnnoMI holds" not in card
    assert "Trained on the files listed above only" in card
    assert "By role" not in card  # a report without the per-role figures (an older model's) shows none

    folds.update({"kappa_by_role": {"practitioner": {"n": 6, "kappa": 0.62}, "client": {"n": 4, "kappa": 0.31}},
                  "practitioner_groups": {"kappa": 0.7}, "reflection_f1": 0.55, "question_f1": 0.9,
                  "client": {"macro_f1": 0.44}})
    card = render_model_card(meta)
    assert ("By role: practitioner kappa 0.62, client kappa 0.31, code-group kappa 0.7, reflection F1 0.55, "
            "question F1 0.9, client macro-F1 0.44.") in card


def test_calibration_folds_left_with_one_code_fall_back_to_no_temperature_instead_of_failing():
    import numpy as np
    from scipy.sparse import csr_matrix

    from mi_coder.model.estimator import LinearClassifier

    # six utterances in three groups; every group but the last is all one code, so two of the three calibration
    # folds train on one code only (a tiny reviewed table added to a small one)
    X = csr_matrix(np.eye(6))
    y = np.array(["OQ", "OQ", "OQ", "OQ", "SR", "SR"])
    model = LinearClassifier(calibration_folds=3).fit(X, y, groups=np.array([0, 0, 1, 1, 2, 2]))
    assert model.temperature_ == 1.0 and list(model.classes_) == ["OQ", "SR"]


def test_a_run_record_edited_to_train_on_files_the_base_never_listed_is_refused(base, tmp_path):
    moved = tmp_path / "copy"
    shutil.copytree(base.parents[1], moved)
    folder = moved / "models" / "base"
    run = json.loads((folder / "run.json").read_text())
    planted = moved / "data" / "planted.csv"
    shutil.copy(moved / "data" / "coded.csv", planted)
    (folder / "run.json").write_text(json.dumps({**run, "training_paths": [str(planted)],
                                                 "training_paths_from_model": ["../../data/planted.csv"]}))
    with pytest.raises(UsageError, match="names training files that its meta.json does not list .planted.csv"):
        read_base(folder, [], trust=True)
    # cut down to some of the files (here none of them): the base would train on those alone
    (folder / "run.json").write_text(json.dumps({**run, "training_paths": [], "training_paths_from_model": []}))
    with pytest.raises(UsageError, match="leaves out training files that its meta.json lists .coded.csv"):
        read_base(folder, [], trust=True)
    # another file of the same name: said, whatever the order of run.json's list
    other = moved / "elsewhere" / "coded.csv"
    other.parent.mkdir()
    other.write_text((moved / "data" / "coded.csv").read_text().replace("\n", "\r\n", 1))
    (folder / "run.json").write_text(json.dumps({**run, "training_paths": [str(other)],
                                                 "training_paths_from_model": ["../../elsewhere/coded.csv"]}))
    with pytest.warns(UserWarning, match="coded.csv changed since the base model read them"):
        read_base(folder, [], trust=True)
    (folder / "run.json").write_text("{not json")
    with pytest.raises(UsageError, match="run.json is not valid JSON"):
        read_base(folder, [], trust=True)
    assert read_base(folder, [str(planted)], trust=True).paths == [str(planted)]  # data named: run.json not read


def test_the_protocol_describes_a_subtype_turn_model_only_where_the_model_has_one():
    # a researcher's audit: a model trained with --base on the researcher's own tables (no AnnoMI subtype labels) had
    # a card saying a question turn's main code comes from a subtype turn model it never trained
    from mi_coder.train.fit import _decoding_protocol

    settings = {"subtype_turn_models": ["OQ_CQ"], "subtype_turn_mix": 1.0, "role_behaviour": False}
    without = _decoding_protocol(settings, roles=False, models={"practitioner", "client", "practitioner_turn"})
    assert "subtype" not in without and "role-clarification" not in without
    with_it = _decoding_protocol(settings, roles=False, models={"practitioner", "practitioner_turn_OQ_CQ"})
    assert "a turn model of the subtype reads in the whole turn" in with_it
