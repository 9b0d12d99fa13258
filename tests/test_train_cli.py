"""Training, evaluating and retraining with reviewed codes, as real subprocess runs of the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow  # trains three models (about two minutes); run with -m slow, as .ci/run does


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mi_coder", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def coded(tmp_path_factory):
    """Two small coded tables cut from the team corpus: eight sessions to train on, two to test on."""
    folder = tmp_path_factory.mktemp("coded")
    u = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "a_utterances.csv", dtype=str, keep_default_na=False)
    table = u.rename(columns={"turn": "turn_id"})[["session_id", "turn_id", "speaker", "text", "code"]]
    ids = table["session_id"].unique()
    table[table["session_id"].isin(ids[:8])].to_csv(folder / "train.csv", index=False)
    table[table["session_id"].isin(ids[8:10])].to_csv(folder / "test.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def model(coded, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    out = coded / "model"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "train", str(coded / "train.csv"), "--out", str(out),
                             "--utterances", "given"], capture_output=True, text=True,
                            env={**__import__("os").environ, "MI_CODER_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    return out, home


def test_train_writes_a_model_folder_with_a_card(model):
    out, _ = model
    meta = json.loads((out / "meta.json").read_text())
    assert set(meta["artifacts"]) == {"features.json", "weights.npz"}
    assert "## Training data and protocol" in (out / "MODEL_CARD.md").read_text()
    protocol = meta["training"]["protocol"]  # what was done with these tables, not the shipped model's recipe
    assert protocol.startswith("the coded tables' utterance codes train") and "not re-scaled" in protocol
    assert "AnnoMI" not in protocol.split("(no AnnoMI")[0]
    assert json.loads((out / "run.json").read_text())["training_paths"][0].endswith("train.csv")


def test_evaluate_held_out_and_folds_and_agreement_of_reviewed_codes(model, coded, tmp_path):
    out, home = model
    env = {**__import__("os").environ, "MI_CODER_HOME": str(home)}
    held = subprocess.run([sys.executable, "-m", "mi_coder", "evaluate", str(coded / "test.csv"), "--model", str(out),
                           "--utterances", "given", "--report", str(tmp_path / "h.json")],
                          capture_output=True, text=True, env=env)
    assert held.returncode == 0, held.stderr
    rep = json.loads((tmp_path / "h.json").read_text())["heldout"][str(coded / "test.csv")]
    assert rep["n"] > 100 and 0.2 < rep["accuracy"] <= 1.0
    folds = run("evaluate", str(coded / "train.csv"), "--folds", "2", "--utterances", "given")
    assert folds.returncode == 0, folds.stderr
    assert "cross-validation of the coded tables (2-fold, grouped by session)" in folds.stdout
    assert "each fold trains mi-coder train's own recipe" in folds.stdout  # what was cross-validated, said
    # the line promised "as each fold ends" (a 5-fold run on researchers' tables printed nothing for half an hour)
    assert "fold 1 of 2 done" in folds.stderr and "fold 2 of 2 done" in folds.stderr
    # A reviewed-codes CSV, as the report's review mode downloads it: machine against reviewer.
    test = pd.read_csv(coded / "test.csv", dtype=str, keep_default_na=False)
    reviewed = test.rename(columns={"code": "machine_code"}).assign(reviewed_code="", reviewer="", reviewed_at="")
    reviewed["code"] = reviewed["machine_code"]
    reviewed.loc[:19, "reviewed_code"] = reviewed.loc[:19, "machine_code"]
    other = ({"CT": "FN"} if reviewed.loc[3, "speaker"] == "client" else {"NC": "GI"}).get(  # a code of its role
        reviewed.loc[3, "machine_code"], "CT" if reviewed.loc[3, "speaker"] == "client" else "NC")
    reviewed.loc[3, ["reviewed_code", "code"]] = other
    reviewed.to_csv(tmp_path / "reviewed.csv", index=False)
    agree = run("evaluate", "--agreement", str(tmp_path / "reviewed.csv"), "--utterances", "given")
    assert agree.returncode == 0, agree.stderr
    assert "on 20 utterances" in agree.stdout and "Krippendorff's alpha" in agree.stdout


def test_train_from_a_base_model_adds_reviewed_utterances_up_weighted(model, coded, tmp_path):
    out, home = model
    env = {**__import__("os").environ, "MI_CODER_HOME": str(home)}
    test = pd.read_csv(coded / "test.csv", dtype=str, keep_default_na=False)
    reviewed = test.rename(columns={"code": "machine_code"}).assign(reviewed_code="", reviewer="r", reviewed_at="t")
    reviewed["code"] = reviewed["machine_code"]
    reviewed.loc[:29, "reviewed_code"] = reviewed.loc[:29, "machine_code"]
    reviewed["model"] = "mi-coder-default 2.16"  # the review page names the coder of the machine codes
    reviewed.to_csv(tmp_path / "reviewed.csv", index=False)
    result = subprocess.run([sys.executable, "-m", "mi_coder", "train", "--base", str(out), "--add",
                             str(tmp_path / "reviewed.csv"), "--add-weight", "4", "--utterances", "given",
                             "--out", str(tmp_path / "m2")], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    meta = json.loads((tmp_path / "m2" / "meta.json").read_text())
    assert meta["training"]["added_reviewed"] == [{"file": "reviewed.csv", "utterances": 30, "sessions": 1,
                                                   "weight": 4.0, "machine_model": "mi-coder-default 2.16"}]
    assert meta["training"]["base_model"] == "model"
    assert "added_reviewed" in (tmp_path / "m2" / "MODEL_CARD.md").read_text()
    missing = subprocess.run([sys.executable, "-m", "mi_coder", "train", "--base", str(tmp_path / "nowhere"),
                              "--out", str(tmp_path / "m3")], capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def test_training_without_a_code_says_the_model_never_gives_it(coded, tmp_path):
    table = pd.read_csv(coded / "train.csv", dtype=str, keep_default_na=False)
    ids = table["session_id"].unique()[:3]
    table = table[table["session_id"].isin(ids)]
    table.loc[table["code"] == "CT", "code"] = "FN"  # a coder who never marked change talk
    table.to_csv(tmp_path / "no_ct.csv", index=False)
    out = tmp_path / "no_ct_model"
    result = run("train", str(tmp_path / "no_ct.csv"), "--out", str(out), "--utterances", "given")
    assert result.returncode == 0, result.stderr
    import re

    said = re.search(r"no utterance is coded ([A-Z, ]+) as its first code, so the model will never give", result.stderr)
    assert said and "CT" in said.group(1).split(", ")
    # three sessions are little to learn from, and a coder's blank rows are said, not silently dropped
    assert "little to learn from" in result.stderr and "measure the model with --folds" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert "CT" in meta["training"]["codes_never_given"]
    assert "**Never given**: " in (out / "MODEL_CARD.md").read_text()


def test_a_base_with_data_says_it_gives_its_recipe_only_and_the_card_gives_the_command_as_run(coded, tmp_path):
    # A researcher's audit: "--base" read as "start from the default model" gave a DATA-only model without a word;
    # the card's Reproduce command dropped --base (and --scheme, --utterances...); its protocol described the
    # default model's role-clarification detectors, which a model trained on a coded table has not got.
    env = {**__import__("os").environ, "MI_CODER_HOME": str(tmp_path / "home")}
    out = tmp_path / "based"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "train", "--base", str(ROOT / "models" / "mi-coder-default"),
                             str(coded / "train.csv"), "--utterances", "given", "--folds", "2", "--out", str(out)],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "the new model learns from DATA alone" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    command = meta["metrics"]["command"]
    assert command.startswith("mi-coder train --base ") and "--utterances given" in command and "--folds 2" in command
    assert f"Reproduce: `{command}`" in (out / "MODEL_CARD.md").read_text()
    assert not any(name.startswith("role_") for name in json.loads((out / "meta.json").read_text())["models"])
    assert "role-clarification" not in meta["training"]["protocol"]


def test_min_term_sessions_keeps_a_name_said_in_one_session_out_of_a_shared_model(coded, tmp_path):
    table = pd.read_csv(coded / "train.csv", dtype=str, keep_default_na=False)
    first = table["session_id"] == table["session_id"].iloc[0]
    table.loc[first, "text"] = table.loc[first, "text"] + " Quillonza."  # one client's name, said all session
    table.to_csv(tmp_path / "named.csv", index=False)
    out = tmp_path / "model"
    result = run("train", str(tmp_path / "named.csv"), "--out", str(out), "--utterances", "given",
                 "--min-term-sessions", "2")
    assert result.returncode == 0, result.stderr
    assert "illonz" not in (out / "features.json").read_text().lower()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["training"]["settings"]["min_term_groups"] == 2  # recorded: a --base of this model keeps it


def test_tables_that_code_no_client_talk_train_the_client_models_on_the_shipped_corpus_and_say_so(coded, tmp_path):
    # MITI 4.2.1 codes the practitioner only: such tables stopped training with "fewer than two client codes"
    table = pd.read_csv(coded / "train.csv", dtype=str, keep_default_na=False)
    table.loc[table["code"].isin(["CT", "ST", "FN"]), "code"] = ""
    table.to_csv(tmp_path / "miti.csv", index=False)
    out = tmp_path / "model"
    result = run("train", str(tmp_path / "miti.csv"), "--out", str(out), "--utterances", "given", "--folds", "2")
    assert result.returncode == 0, result.stderr
    assert "trained every fold and were never held out" in (out / "MODEL_CARD.md").read_text()
    # the folds' figures are the table's own sessions: no client code was held out (the table codes none)
    cv = json.loads((out / "meta.json").read_text())["metrics"]["team_corpus_cv"]
    assert not {c for c, m in cv["per_code"].items() if m.get("support")} & {"CT", "ST", "FN"}
    assert "never held out" in result.stderr
    assert "no client codes in the training tables (MITI 4.2.1 codes none)" in result.stderr
    assert "without a code are not trained on" not in result.stderr  # a MITI table's client rows lack no code
    recorded = json.loads((out / "meta.json").read_text())["training"]["client_corpus"]
    corpus = pd.concat([pd.read_csv(ROOT / "data" / "corpus" / "sessions" / f"{b}_utterances.csv", dtype=str)
                        for b in "abcdefghijk"])
    assert recorded["client_utterances"] == int((corpus["speaker"] == "client").sum())
    assert sorted(recorded["files"]) == [f"{b}_utterances.csv" for b in "abcdefghijk"]
    assert "the client models learn from the mi-coder team corpus" in (out / "MODEL_CARD.md").read_text()
    coded_out = tmp_path / "coded"
    result = run("code", str(ROOT / "data" / "examples" / "probation_session.txt"), "--model", str(out),
                 "--out", str(coded_out))
    assert result.returncode == 0, result.stderr
    utterances = pd.read_csv(coded_out / "utterances.csv")
    assert set(utterances.loc[utterances["role"] == "client", "code"]) <= {"CT", "ST", "FN"}
    assert utterances.loc[utterances["role"] == "client", "code"].nunique() >= 2
    # a corpus session given to evaluate is one the model trained on (its client rows): said, as for the tables
    corpus_a = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "a_utterances.csv", dtype=str, keep_default_na=False)
    first = corpus_a[corpus_a["session_id"] == corpus_a["session_id"].iloc[0]]
    first[["session_id", "turn", "speaker", "text", "code"]].to_csv(tmp_path / "seen.csv", index=False)
    result = run("evaluate", str(tmp_path / "seen.csv"), "--model", str(out), "--utterances", "given")
    assert "training data" in result.stderr and "seen.csv" in result.stderr
