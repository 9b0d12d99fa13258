"""The coder: features equal scikit-learn's, models round-trip through folders, integrity is enforced."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import numpy as np
import pytest

from mi_coder import ModelError, UsageError
from mi_coder.codes import ADVICE, CLIENT_CODES, PRACTITIONER_CODES
from mi_coder.io.reader import read_transcript
from mi_coder.model.features import FeatureSpace, StaticVectors, answer_tokens, char_wb_ngrams, negated_tokens, normalize, word_ngrams
from mi_coder.model.store import load_coder, save_coder
from mi_coder.train.examples import load_team_corpus, single_utterance_turns
from mi_coder.train.fit import train_coder

from .conftest import EXAMPLES, ROOT

TEXTS = ["So you're worried about the test?", "what brings you in today", "I don't know... maybe.",
         "You kept every appointment this month, even with the bus strike.", "Mm-hmm.", "It's up to you."]


@pytest.fixture(scope="module")
def small_coder():
    """A coder trained in seconds on 25 team-corpus rows per code: enough to exercise every code path. Its turn
    examples carry their subtypes, so it has the subtype turn models too (decoded only where a test sets
    ``subtype_turn_mix``)."""
    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    corpus = corpus.groupby("code", group_keys=False).head(25).reset_index(drop=True)
    turns = single_utterance_turns(corpus)
    turns["subcode"] = np.where(corpus["code"].isin(["SR", "CR", "OQ", "CQ"]), corpus["code"], None)
    return train_coder(corpus, turns, calibration_folds=2, subtype_turn_models=True)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("MI_CODER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_analyzers_reproduce_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [normalize(t) for t in TEXTS]
    words = TfidfVectorizer(ngram_range=(1, 3), token_pattern=r"(?u)\b[\w']+\b", lowercase=False).build_analyzer()
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False).build_analyzer()
    for doc in docs:
        assert word_ngrams(doc) == words(doc)  # in scikit-learn's order too
        assert sorted(char_wb_ngrams(doc)) == sorted(chars(doc))


def test_tfidf_rows_do_not_depend_on_the_documents_counted_with_them():
    from mi_coder.model.features import TfidfBlock

    docs = [normalize(t) for t in TEXTS] * 180 + ["", "qmark", "so so so so what what"]
    assert len(docs) > TfidfBlock._COUNT_ROWS  # more than one counting pass
    terms = sorted({g for d in docs for g in word_ngrams(d)})[::2] + ["so so"]
    block = TfidfBlock(terms, np.linspace(1.0, 3.0, len(terms)), "word")
    together = block.transform(docs)
    for k in (0, 5, len(docs) - 2, len(docs) - 1):
        alone = block.transform([docs[k]])
        # the same ids in the same order with the same weights: sums over a row add up as before
        row = slice(together.indptr[k], together.indptr[k + 1])
        np.testing.assert_array_equal(together.indices[row], alone.indices)
        np.testing.assert_array_equal(together.data[row], alone.data)
    # a Counter per document, as coding counted before the numpy pass: the same matrix, entry order included
    from collections import Counter

    import scipy.sparse as sp

    indices, data, indptr = [], [], [0]
    for doc in docs:
        counts = Counter(block.ids(doc))
        indices.extend(counts)
        data.extend(counts.values())
        indptr.append(len(indices))
    X = sp.csr_matrix((np.asarray(data, dtype=float), np.asarray(indices), np.asarray(indptr)),
                      shape=(len(docs), len(terms)))
    X.data = (1.0 + np.log(X.data)) * block.idf[X.indices]
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    reference = sp.csr_matrix(sp.diags(1.0 / norms) @ X)
    for part in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(together, part), getattr(reference, part))
    assert block.transform([]).shape == (0, len(terms))


def test_feature_space_equals_scikit_learn_tfidf_blocks():
    from sklearn.feature_extraction.text import TfidfVectorizer

    corpus = TEXTS * 3
    space = FeatureSpace.fit(corpus, corpus, max_word_features=1000, max_char_features=1000)
    ours = space.transform(TEXTS, [""] * len(TEXTS), [0] * len(TEXTS), [1] * len(TEXTS)).toarray()
    vec = TfidfVectorizer(ngram_range=(1, 3), min_df=2, max_features=1000, sublinear_tf=True, lowercase=False,
                          token_pattern=r"(?u)\b[\w']+\b").fit([normalize(t) for t in corpus])
    theirs = vec.transform([normalize(t) for t in TEXTS]).toarray()
    np.testing.assert_allclose(ours[:, : theirs.shape[1]], theirs, rtol=1e-6, atol=1e-9)


def test_coder_codes_every_practitioner_and_client_utterance_and_skips_others(small_coder, tmp_path):
    path = tmp_path / "family.txt"
    path.write_text("Counselor: What brings you both in today?\nClient: My mom says I drink too much.\n"
                    "Counselor: You're here because she's worried.\nClient: Yeah. I guess I could cut down.\n")
    session = read_transcript(path)[0]
    small_coder.code(session)
    for turn in session.turns:
        allowed = PRACTITIONER_CODES if turn.role == "practitioner" else CLIENT_CODES
        assert turn.utterances
        for u in turn.utterances:
            assert u.code in allowed
            assert 0 < u.confidence <= 1
        assert turn.meta["main_code"] in allowed


def test_model_folder_round_trip_gives_identical_codes(small_coder, tmp_path, home):
    from mi_coder.model.store import remember_trusted

    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    a = read_transcript(EXAMPLES / "health_session.txt")[0]
    b = read_transcript(EXAMPLES / "health_session.txt")[0]
    small_coder.code(a)
    loaded.code(b)
    assert [(u.code, round(u.confidence, 9)) for _, u in a.utterances()] == \
        [(u.code, round(u.confidence, 9)) for _, u in b.utterances()]
    card = (folder / "MODEL_CARD.md").read_text()
    assert "weights.npz" in card


def test_a_model_from_elsewhere_is_refused_unless_trusted(small_coder, tmp_path, home):
    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    with pytest.raises(ModelError, match="--trust-model"):
        load_coder(folder)
    assert load_coder(folder, trust=True).models.keys() == small_coder.models.keys()


@pytest.mark.parametrize("answer", ["no", "false", 0.0, None])
def test_trust_that_is_not_a_bool_is_refused_rather_than_read_as_true_or_false(small_coder, tmp_path, home, answer):
    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    with pytest.raises(UsageError, match="trust must be True or False"):
        load_coder(folder, trust=answer)


def test_altered_weights_fail_the_hash_check_even_when_trusted(small_coder, tmp_path, home):
    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    weights = folder / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256 does not match"):
        load_coder(folder, trust=True)


def test_meta_without_required_keys_is_refused(tmp_path, home):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"name": "x"}))
    with pytest.raises(ModelError, match="missing"):
        load_coder(folder, trust=True)


@pytest.mark.parametrize("edit, message", [
    (lambda meta: None, "a JSON object is expected"),
    (lambda meta: {**meta, "artifacts": {**meta["artifacts"], "/dev/zero": "0" * 64}}, "not a file name inside"),
    (lambda meta: {**meta, "artifacts": {**meta["artifacts"], "../weights.npz": "0" * 64}}, "not a file name inside"),
    (lambda meta: {**meta, "artifacts": list(meta["artifacts"])}, "must map file names"),
    (lambda meta: {**meta, "versions": "x"}, "'versions' must be a JSON object"),
    (lambda meta: {**meta, "decoding": {"unsure": ["CR"]}}, "decoding settings are malformed"),
])
def test_a_malformed_meta_json_is_one_model_error_and_never_opens_a_file_outside_the_folder(
        small_coder, tmp_path, home, edit, message):
    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps(edit(meta)))
    with pytest.raises(ModelError, match=message):
        load_coder(folder, trust=True)


def test_an_untrusted_model_is_refused_before_its_artifact_list_is_followed(small_coder, tmp_path, home, monkeypatch):
    import mi_coder.model.store as store

    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    hashed = []
    original = store.sha256
    monkeypatch.setattr(store, "sha256", lambda p: hashed.append(Path(p).name) or original(p))
    with pytest.raises(ModelError, match="--trust-model"):
        load_coder(folder)
    assert not set(hashed) - {"meta.json"}  # no artifact it lists was hashed (meta.json itself is hashed first)


def test_training_needs_two_labels_per_model():
    import pandas as pd

    from mi_coder import UsageError

    frame = pd.DataFrame({"source": "t", "group": ["a", "b"], "session_id": "s", "turn_id": ["1", "2"],
                          "role": "practitioner", "text": ["How are you?", "What now?"], "prev_text": "",
                          "position": 0, "n_in_turn": 1, "code": ["OQ", "OQ"], "weight": 1.0})
    with pytest.raises(UsageError, match="fewer than two (practitioner|client) codes .*found: "):
        train_coder(frame)


def test_head_tokens_find_the_question_form_behind_discourse_markers_with_or_without_punctuation():
    from mi_coder.model.features import head_tokens, strip_punctuation

    punctuated = "So, um, what do you make of that?"
    assert head_tokens(normalize(punctuated)).split()[0] == "h1_what"
    assert head_tokens(normalize(punctuated)) == head_tokens(normalize(strip_punctuation(punctuated)))
    inverted = head_tokens(normalize("Okay. Outside your mom, is there anyone else who can help?"))
    assert "ax_is_there" in inverted.split()
    statement = head_tokens(normalize("You know what you want.")).split()
    assert statement[0] == "h1_you" and not any(t.startswith("ax_") for t in statement)
    assert statement == head_tokens(normalize("you know what you want")).split()


def test_next_turn_block_changes_features_and_survives_saving():
    texts = ["You want to cut down.", "Do you drink?", "Drink less.", "Tell me more."] * 3
    nexts = ["Yeah, exactly.", "No, not really.", "Okay, I'll try.", "Well, it started last year."] * 3
    space = FeatureSpace.fit(texts, [""] * len(texts), nexts, max_word_features=100, max_char_features=100)
    assert space.following is not None
    with_next = space.transform(texts[:1], [""], [0], [1], ["Yeah, exactly."]).toarray()
    without = space.transform(texts[:1], [""], [0], [1], [""]).toarray()
    assert not np.allclose(with_next, without)
    again = FeatureSpace.from_parts(*space.to_parts())
    np.testing.assert_allclose(again.transform(texts, [""] * len(texts), [0] * len(texts), [1] * len(texts),
                                               nexts).toarray(),
                               space.transform(texts, [""] * len(texts), [0] * len(texts), [1] * len(texts),
                                               nexts).toarray())
    # No next turns in the training data (a corpus of single utterances): no next-turn block.
    assert FeatureSpace.fit(texts, [""] * len(texts), [""] * len(texts)).following is None


def test_turn_length_block_tells_a_one_word_answer_from_a_long_one_and_survives_saving():
    from mi_coder.model.features import N_LENGTHS, N_SHAPE, length_features

    texts = ["Do you drink?", "What happened that night?"] * 4
    prevs = ["I went out.", "It was a mess, honestly, I don't even know where to start with all of it."] * 4
    nexts = ["No.", "Well, we got into it at the bar and then it kept going until the police came and all."] * 4
    space = FeatureSpace.fit(texts, prevs, nexts, max_word_features=100, max_char_features=100, lengths=True)
    plain = FeatureSpace.fit(texts, prevs, nexts, max_word_features=100, max_char_features=100)
    assert space.n_shape == plain.n_shape + N_LENGTHS and space.n_features == plain.n_features + N_LENGTHS
    short, long = (space.transform([texts[0]], [prevs[0]], [0], [1], [n]).toarray() for n in nexts[:2])
    assert not np.allclose(short, long)
    assert length_features(3, 1)[4] == 1.0 and length_features(3, 20)[4] == 0.0  # a one-word answer
    assert length_features(0, 0)[-1] == 1.0  # no next turn at all
    again = FeatureSpace.from_parts(*space.to_parts())
    assert again.lengths and not FeatureSpace.from_parts(*plain.to_parts()).lengths
    rows = (texts, prevs, [0] * len(texts), [1] * len(texts), nexts)
    np.testing.assert_allclose(again.transform(*rows).toarray(), space.transform(*rows).toarray())
    assert N_SHAPE < space.n_shape


def test_permission_block_sees_leave_asked_in_the_previous_turn_or_earlier_in_the_turn_and_survives_saving():
    from mi_coder.model.features import N_PERMISSION, permission_features

    texts = ["Some people find the patch takes the edge off.", "Drink less.", "Tell me more."] * 3
    space = FeatureSpace.fit(texts, [""] * len(texts), None, max_word_features=100, max_char_features=100,
                             permission=True)
    plain = FeatureSpace.fit(texts, [""] * len(texts), None, max_word_features=100, max_char_features=100)
    assert space.n_shape == plain.n_shape + N_PERMISSION
    asked = "Would it be okay if I shared what has worked for other people?"
    assert permission_features(normalize(asked), normalize("Sure, go ahead.")) == [1.0, 1.0, 0.0]
    assert permission_features(normalize(asked), normalize("I'd rather not, to be honest, I've heard it all.")) \
        == [1.0, 0.0, 0.0]
    assert permission_features("", normalize("What should I do?")) == [0.0, 0.0, 1.0]
    assert permission_features(normalize("How was your week?"), normalize("Sure.")) == [0.0, 0.0, 0.0]
    row = ([texts[0]], ["Sure, go ahead."], [0], [1], [""])
    with_leave = space.transform(*row, [asked]).toarray()
    assert not np.allclose(with_leave, space.transform(*row, ["How was your week?"]).toarray())
    again = FeatureSpace.from_parts(*space.to_parts())
    assert again.permission and not FeatureSpace.from_parts(*plain.to_parts()).permission
    np.testing.assert_allclose(again.transform(*row, [asked]).toarray(), with_leave)


def test_training_rows_and_coding_rows_give_the_same_words_before_each_utterance():
    """The permission block is only honest if training (``with_own_prev_text``) and coding
    (``utterance_rows``) give an utterance the same context."""
    import pandas as pd

    from mi_coder.model.coder import utterance_rows
    from mi_coder.records import Session, Turn, Utterance
    from mi_coder.train.examples import with_own_prev_text

    spoken = [("practitioner", ["Hi Sam.", "Would it be okay if I shared an idea?"]), ("client", ["Sure."]),
              ("practitioner", ["Some people use the patch.", "It's your call."]), ("client", ["Hm.", "Maybe."])]
    turns = [Turn(id=str(i), speaker=r, role=r, text=" ".join(us),
                  utterances=[Utterance(f"{i}.{k}", u, 0, 0) for k, u in enumerate(us)])
             for i, (r, us) in enumerate(spoken)]
    rows, _ = utterance_rows([Session(id="s", source="x", turns=turns)], own=True)
    frame = pd.DataFrame([{"session_id": "s", "turn_id": str(i), "role": r, "text": u}
                          for i, (r, us) in enumerate(spoken) for u in us])
    assert with_own_prev_text(frame)["own_prev_text"].tolist() == rows[6]
    assert rows[6][:3] == ["", "Hi Sam.", ""]  # nothing said before; the turn's first utterance; the client's first
    assert rows[6][3] == "Hi Sam. Would it be okay if I shared an idea?"  # the practitioner's previous turn
    assert rows[6][4] == "Hi Sam. Would it be okay if I shared an idea? Some people use the patch."
    assert rows[6][6] == "Sure. Hm."


def test_client_balance_reweights_only_the_client_models():
    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    corpus = corpus.groupby("code", group_keys=False).head(25).reset_index(drop=True)
    corpus = corpus[~((corpus["code"] == "ST") & (corpus.index % 5 != 0))]  # sustain talk made rare
    kwargs = dict(calibration_folds=0, role_models=False, augment=False)
    same = train_coder(corpus, single_utterance_turns(corpus), balance=0.5, **kwargs)
    own = train_coder(corpus, single_utterance_turns(corpus), balance=0.5, client_balance=0.0, **kwargs)
    np.testing.assert_allclose(own.models["practitioner"].coef, same.models["practitioner"].coef)
    assert not np.allclose(own.models["client"].coef, same.models["client"].coef)


def test_split_client_turn_weight_reweights_only_client_utterances_that_carry_a_whole_turns_label():
    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    corpus = corpus.groupby("code", group_keys=False).head(12).reset_index(drop=True)
    client = corpus["role"] == "client"
    # Half the client rows stand in for AnnoMI utterances of two-utterance turns labelled as a whole.
    corpus.loc[client & (corpus.index % 2 == 0), ["source", "n_in_turn"]] = ["annomi", 2]
    kwargs = dict(calibration_folds=0, role_models=False, augment=False, drop_gaps=False)
    same = train_coder(corpus, **kwargs)
    kept = train_coder(corpus, split_client_turn_weight=1.0, **kwargs)
    left_out = train_coder(corpus, split_client_turn_weight=0.0, **kwargs)
    np.testing.assert_allclose(kept.models["client"].coef, same.models["client"].coef)
    np.testing.assert_allclose(left_out.models["practitioner"].coef, same.models["practitioner"].coef)
    assert not np.allclose(left_out.models["client"].coef, same.models["client"].coef)


def test_featurizing_in_chunks_gives_the_same_probabilities(small_coder, monkeypatch):
    import mi_coder.model.coder as coder_module

    session = read_transcript(EXAMPLES / "health_session.txt")[0]
    whole = small_coder.code_segmented(small_coder.code(session))
    monkeypatch.setattr(coder_module, "CHUNK_ROWS", 3)
    chunked = small_coder.code_segmented([session])
    assert len(whole) > 3
    np.testing.assert_allclose(whole, chunked)


def _saved(small_coder, tmp_path):
    return save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})


def test_trust_skips_the_provenance_check_but_never_the_file_hashes(small_coder, tmp_path, home):
    folder = _saved(small_coder, tmp_path)
    meta = json.loads((folder / "meta.json").read_text())
    meta["artifacts"] = {}
    (folder / "meta.json").write_text(json.dumps(meta))
    with np.load(folder / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["practitioner__intercept"] = arrays["practitioner__intercept"] + 5.0  # rewritten weights
    np.savez(folder / "weights.npz", **arrays)
    with pytest.raises(ModelError, match="lists no SHA-256 for features.json, weights.npz"):
        load_coder(folder, trust=True)


def test_the_shipped_model_loads_where_the_trust_store_cannot_be_read(small_coder, tmp_path, monkeypatch):
    # A service account whose HOME is another user's (sudo -u, a container): stat() of the store raised
    # PermissionError and every command failed, the shipped model included.
    import warnings

    import mi_coder.model.store as store

    class Unreadable(type(tmp_path)):
        def exists(self, *args, **kwargs):  # type: ignore[override]
            raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(store, "_trust_store", lambda: Unreadable(tmp_path / "home" / "trusted_models.json"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the pinned model needs no store: not even a warning
        store.verify(store.default_model_dir())
    folder = _saved(small_coder, tmp_path)
    with pytest.warns(UserWarning, match="trust store cannot be read"), pytest.raises(ModelError, match="--trust-model"):
        store.verify(folder)


def test_pickled_weights_are_refused_without_advice_to_unpickle_them(small_coder, tmp_path, home):
    import pickle

    from mi_coder.model.store import sha256

    folder = _saved(small_coder, tmp_path)
    (folder / "weights.npz").write_bytes(pickle.dumps({"not": "arrays"}))  # a pickle posing as the weights
    meta = json.loads((folder / "meta.json").read_text())
    meta["artifacts"]["weights.npz"] = sha256(folder / "weights.npz")
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="pickled Python objects, which mi-coder never loads") as caught:
        load_coder(folder, trust=True)
    assert "allow_pickle" not in str(caught.value)


def test_a_weights_file_swapped_after_its_hash_was_checked_is_never_read(small_coder, tmp_path, home, monkeypatch):
    import mi_coder.model.store as store

    folder = _saved(small_coder, tmp_path)
    checked = store.verified

    def racing(model_dir, trust=False):  # another process swaps the file between the check and the load
        out = checked(model_dir, trust)
        (folder / "weights.npz").write_bytes(b"swapped in after the check")
        return out

    monkeypatch.setattr(store, "verified", racing)
    coder = load_coder(folder, trust=True)  # the bytes that were hashed are the bytes loaded
    assert np.array_equal(coder.models["practitioner"].coef, small_coder.models["practitioner"].coef)


def test_non_finite_weights_and_archives_that_unpack_too_large_are_model_errors(small_coder, tmp_path, home,
                                                                                monkeypatch):
    import mi_coder.model.store as store
    from mi_coder.model.store import sha256

    folder = _saved(small_coder, tmp_path)
    with np.load(folder / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["practitioner__coef"] = np.full_like(arrays["practitioner__coef"], np.nan)
    np.savez(folder / "weights.npz", **arrays)
    meta = json.loads((folder / "meta.json").read_text())
    meta["artifacts"]["weights.npz"] = sha256(folder / "weights.npz")
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="practitioner weights are not finite numbers"):
        load_coder(folder, trust=True)  # it loaded, and coded every utterance OQ with no confidence
    monkeypatch.setattr(store, "MAX_ARTIFACT_BYTES", 1000)  # as a small file declaring arrays of many GB
    with pytest.raises(ModelError, match="too large to be a model file"):
        load_coder(folder, trust=True)


def test_an_altered_default_model_is_refused_even_when_trusted(small_coder, tmp_path, home, monkeypatch):
    import mi_coder.model.store as store

    folder = _saved(small_coder, tmp_path)  # not a meta.json this installation trusts
    monkeypatch.setattr(store, "default_model_dir", lambda: folder)
    with pytest.raises(ModelError, match="the shipped default model was changed since mi-coder was installed"):
        load_coder(trust=True)
    store.remember_trusted(folder / "meta.json")  # a default model retrained in a checkout is trusted here
    assert load_coder(trust=False) is not None


def test_weights_of_the_wrong_shape_are_a_model_error_on_load(small_coder, tmp_path, home):
    from mi_coder.model.store import sha256

    folder = _saved(small_coder, tmp_path)
    with np.load(folder / "weights.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["client__coef"] = arrays["client__coef"][:, :-7]
    np.savez(folder / "weights.npz", **arrays)
    meta = json.loads((folder / "meta.json").read_text())
    meta["artifacts"]["weights.npz"] = sha256(folder / "weights.npz")
    (folder / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"client weights have shape .* expected"):
        load_coder(folder, trust=True)


def test_the_same_training_gives_the_same_meta_hash(small_coder, tmp_path, home):
    from mi_coder.model.store import sha256

    first = save_coder(small_coder, tmp_path / "a", {"name": "t", "version": "0", "labels": {}, "training": {}})
    second = save_coder(small_coder, tmp_path / "b", {"name": "t", "version": "0", "labels": {}, "training": {}})
    assert sha256(first / "meta.json") == sha256(second / "meta.json")
    assert (first / "run.json").exists()  # when it was trained is kept, outside the hashed file


def test_an_utterance_carries_at_most_the_likeliest_role_element():
    from mi_coder.model.coder import role_decisions

    p = np.array([[0.7, 0.6, 0.1, 0.2],   # two over 0.5: only the likelier
                  [0.4, 0.3, 0.49, 0.1],  # none reaches 0.5
                  [0.1, 0.2, 0.55, 0.9]])
    assert role_decisions(p).tolist() == [[True, False, False, False], [False] * 4, [False, False, False, True]]
    assert role_decisions(np.zeros((0, 4))).shape == (0, 4)


def test_the_shipped_detectors_give_no_utterance_two_role_elements():
    coder = load_coder()
    sessions = [s for p in sorted(EXAMPLES.glob("*.txt")) for s in read_transcript(p)]
    coder.code(sessions)
    elements = [u.meta.get("role_elements", []) for s in sessions for t in s.turns for u in t.utterances]
    assert any(elements) and all(len(e) <= 1 for e in elements)


def test_unsure_rule_gives_simple_reflection_unless_complex_is_twice_as_likely():
    from mi_coder.model.coder import apply_unsure

    codes = ["SR", "CR", "GI"]
    probs = np.array([[0.35, 0.55, 0.10],   # CR ahead, but not at odds of 2:1: SR (MITI: unsure, code SR)
                      [0.20, 0.70, 0.10]])  # CR at 3.5:1: stays CR
    out = apply_unsure(probs, codes, {"CR": 0.5})
    assert [codes[i] for i in out.argmax(axis=1)] == ["SR", "CR"]
    assert out[0].tolist() == [0.55, 0.35, 0.10]  # exchanged with SR: the other codes keep their probability
    assert out[1].tolist() == probs[1].tolist()
    assert apply_unsure(probs, codes, {}) is probs


def test_unsure_mi_adherent_rule_gives_the_likeliest_code_that_is_not_mi_adherent():
    from mi_coder.model.coder import apply_unsure

    codes = ["SR", "AF", "SEEK", "EA", "GI"]
    probs = np.array([[0.30, 0.40, 0.25, 0.00, 0.05],   # AF ahead but unsure: SR (not SEEK, also MI-adherent)
                      [0.10, 0.70, 0.05, 0.05, 0.10],   # AF at 7:1: stays AF
                      [0.05, 0.05, 0.05, 0.45, 0.40],   # EA unsure against information: GI
                      [0.20, 0.40, 0.30, 0.00, 0.10]])  # unsure only between two MI-adherent codes: stays AF
    out = apply_unsure(probs, codes, {"AF": 0.7, "SEEK": 0.7, "EA": 0.7})
    assert [codes[i] for i in out.argmax(axis=1)] == ["SR", "AF", "GI", "AF"]
    assert out[0].tolist() == [0.40, 0.30, 0.25, 0.00, 0.05]


def _coded_with_unsure_rules(small_coder, unsure: dict):
    """The small coder with ``unsure`` rules, and the probation example coded without and with them."""
    return _coded_with_decoding(small_coder, unsure=unsure)


def _coded_with_decoding(small_coder, **decoding):
    """The small coder with other decoding settings (Coder keywords), and the probation example coded without
    and with them."""
    from mi_coder.model.coder import Coder

    ruled = Coder(small_coder.features, small_coder.models, meta=small_coder.meta,
                  turn_weight=small_coder.turn_weight, **decoding)
    plain = read_transcript(EXAMPLES / "probation_session.txt")[0]
    strict = read_transcript(EXAMPLES / "probation_session.txt")[0]
    small_coder.code(plain)
    ruled.code(strict)
    return ruled, plain, strict


def test_unsure_client_rule_codes_follow_neutral_unless_change_talk_is_clearly_ahead(small_coder):
    from mi_coder.model.coder import apply_unsure

    codes = ["CT", "ST", "FN"]
    probs = np.array([[0.50, 0.10, 0.40],   # CT ahead, but not at odds of 1/0.7 against FN: FN
                      [0.80, 0.05, 0.15]])  # clearly change talk: stays CT
    out = apply_unsure(probs, codes, {"CT": 0.7, "CR": 0.7})  # a practitioner rule leaves client columns alone
    assert [codes[i] for i in out.argmax(axis=1)] == ["FN", "CT"]
    _, plain, session = _coded_with_unsure_rules(small_coder, {"CT": 1e-6, "ST": 1e-6})
    assert {u.code for t in plain.turns if t.role == "client" for u in t.utterances} & {"CT", "ST"}
    client = [u.code for t in session.turns if t.role == "client" for u in t.utterances]
    assert client and set(client) == {"FN"}
    practitioner = [u.code for t in session.turns if t.role == "practitioner" for u in t.utterances]
    assert practitioner == [u.code for t in plain.turns if t.role == "practitioner" for u in t.utterances]


def test_unsure_rules_change_the_codes_and_survive_saving(small_coder, tmp_path, home):
    from mi_coder.model.store import remember_trusted

    ruled, plain, strict = _coded_with_unsure_rules(small_coder, {"CR": 1e-6, "PER": 1e-6})
    assert {u.code for _, u in plain.utterances()} & {"CR", "PER"}, "the example should hold CR or PER"
    assert not {u.code for _, u in strict.utterances()} & {"CR", "PER"}
    folder = save_coder(ruled, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    assert loaded.unsure == {"CR": 1e-6, "PER": 1e-6}
    rows = [u for t in plain.turns if t.role == "practitioner" for u in t.utterances]
    codes, _, probs = ruled.predict_rows(["practitioner"] * len(rows), [u.text for u in rows], [""] * len(rows),
                                         [0] * len(rows), [1] * len(rows))
    assert not set(codes) & {"CR", "PER"} and np.allclose(probs.sum(axis=1), 1.0)
    again = read_transcript(EXAMPLES / "probation_session.txt")[0]
    loaded.code(again)
    assert [u.code for _, u in again.utterances()] == [u.code for _, u in strict.utterances()]


def test_class_first_decoding_picks_the_likeliest_class_before_the_code():
    from mi_coder.model.coder import class_first_choice

    codes = list(PRACTITIONER_CODES)
    probs = np.zeros((3, len(codes)))
    # Reflection 0.45 on two codes against information/persuasion 0.55 on four: the code outright is SR,
    # the class first is information/persuasion, and within it GI.
    for row, spread in enumerate([{"SR": .25, "CR": .20, "GI": .22, "PER": .18, "CON": .10, "PWP": .05},
                                  {"SR": .60, "CR": .10, "GI": .30},        # reflection clearly ahead: SR
                                  {"OQ": .30, "CQ": .25, "NC": .45}]):      # question 0.55 beats NC 0.45: OQ
        for code, p in spread.items():
            probs[row, codes.index(code)] = p
    assert [codes[i] for i in class_first_choice(probs)] == ["GI", "SR", "OQ"]
    assert [codes[i] for i in probs.argmax(axis=1)] == ["SR", "SR", "NC"]


def test_class_first_changes_codes_only_where_a_class_splits_its_probability_and_survives_saving(
        small_coder, tmp_path, home):
    from mi_coder.codes import FOUR_CLASS
    from mi_coder.model.store import remember_trusted

    first, plain, decided = _coded_with_decoding(small_coder, class_first=True)
    pairs = [(a.code, b.code) for (_, a), (_, b) in zip(plain.utterances(), decided.utterances())]
    changed = [(a, b) for a, b in pairs if a != b]
    # A change moves an utterance to another class (never to a sibling code of the same class).
    assert all(FOUR_CLASS.get(a) != FOUR_CLASS.get(b) for a, b in changed)
    folder = save_coder(first, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    assert loaded.class_first and not small_coder.class_first
    again = read_transcript(EXAMPLES / "probation_session.txt")[0]
    loaded.code(again)
    assert [u.code for _, u in again.utterances()] == [u.code for _, u in decided.utterances()]


def test_form_block_marks_echoed_backchannels_cut_off_fragments_and_answers_to_the_clients_question():
    from mi_coder.model.features import N_FORM, content_words, form_features

    def form(text: str, prev: str) -> list[float]:
        return form_features(text, normalize(text), normalize(prev), frozenset(content_words(prev)))

    assert form("All right.", "All right.")[:2] == [1.0, 1.0]           # a backchannel that echoes
    assert form("You feel let down by him.", "He let me down again.")[:2] == [0.0, 0.0]  # a reflection: neither
    assert form("-as well as your teeth.", "Yeah.")[2] == 1.0            # the rest of an interrupted turn
    assert form("You're-", "I wanted a change.")[3] == 1.0               # cut off
    assert form("I do it three days a week.", "You do Tai Chi?")[4] == 1.0   # answers the client's question
    assert form("I do it three days a week", "you do tai chi")[4] == 0.0  # captions carry no question mark
    assert form("When you first start, you often feel wobbly.", "I could not.")[5] == 1.0
    assert form("You're worried you'll fall.", "I could not.")[5] == 0.0
    texts = ["All right.", "You feel let down.", "When you start, it's hard."] * 3
    space = FeatureSpace.fit(texts, ["All right."] * len(texts), None, max_word_features=100,
                             max_char_features=100, form=True)
    assert space.n_shape == FeatureSpace.fit(texts, ["All right."] * len(texts)).n_shape + N_FORM
    again = FeatureSpace.from_parts(*space.to_parts())
    assert again.form
    rows = (texts, ["All right."] * len(texts), [0] * len(texts), [1] * len(texts))
    np.testing.assert_allclose(again.transform(*rows).toarray(), space.transform(*rows).toarray())


def test_reflections_that_need_a_reflective_turn_become_fewer_and_the_setting_survives_saving(
        small_coder, tmp_path, home):
    from mi_coder.model.store import remember_trusted

    def coded(coder):
        session = read_transcript(EXAMPLES / "probation_session.txt")[0]
        coder.code(session)
        return [u.code for _, u in session.utterances()]

    strict, plain_session, strict_session = _coded_with_decoding(small_coder,
                                                                 code_turn_weights={"SR": 50.0, "CR": 50.0})
    plain = [u.code for _, u in plain_session.utterances()]
    fewer = [u.code for _, u in strict_session.utterances()]
    reflections = sum(c in ("SR", "CR") for c in plain)
    assert reflections, "the example should hold reflections"
    assert sum(c in ("SR", "CR") for c in fewer) < reflections
    # Only reflections move: every other code stays where it was or takes a reflection's place.
    assert all(a == b for a, b in zip(plain, fewer) if a not in ("SR", "CR"))
    folder = save_coder(strict, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(folder / "meta.json")
    assert load_coder(folder).code_turn_weights == {"SR": 50.0, "CR": 50.0}
    assert coded(load_coder(folder)) == fewer


def test_role_detectors_can_be_trained_without_the_behaviour_block_while_code_models_keep_it():
    from mi_coder.train.examples import load_session_corpus

    rows = load_session_corpus([ROOT / "data" / "corpus" / "sessions" / "j_utterances.csv"])
    kwargs = dict(behaviour=True, calibration_folds=0, augment=False, max_iter=200)
    without = train_coder(rows, role_behaviour=False, **kwargs)
    columns = without.features.block_columns("behaviour")
    assert len(columns) == 10 and columns[0] == (len(without.features.words) + len(without.features.chars)
                                                 + len(without.features.context) + 14)
    role_keys = [k for k in without.models if k.startswith("role_")]
    assert len(role_keys) == 4
    for key in role_keys:
        assert not without.models[key].coef[:, columns].any(), key
    assert without.models["practitioner"].coef[:, columns].any()
    with_block = train_coder(rows, **kwargs)
    assert any(with_block.models[k].coef[:, columns].any() for k in role_keys)
    assert len(FeatureSpace.fit(["a b"] * 3, ["c"] * 3).block_columns("behaviour")) == 0


def test_latent_semantic_block_projects_utterance_and_preceding_turn_and_survives_saving():
    texts = ["you feel let down by him", "he let me down again", "what would help you quit",
             "you want to quit smoking", "i smoke when i am stressed", "how do you feel about drinking",
             "you are worried about your health", "it is your choice", "you have worked hard on this"] * 3
    prev = ["i feel let down", "so what now", "i want to stop", "smoking helps me", "why do you smoke",
            "i drink on weekends", "my doctor said so", "what should i do", "i went every day"] * 3
    plain = FeatureSpace.fit(texts, prev, None, max_word_features=200, max_char_features=100)
    space = FeatureSpace.fit(texts, prev, None, max_word_features=200, max_char_features=100, lsa=4)
    rows = (texts, prev, [0] * len(texts), [1] * len(texts))
    X = space.transform(*rows).toarray()
    assert X.shape[1] == space.n_features == plain.n_features + 8
    np.testing.assert_allclose(X[:, :plain.n_features], plain.transform(*rows).toarray())
    np.testing.assert_allclose(np.linalg.norm(X[:, -8:-4], axis=1), 1.0, atol=1e-6)  # the utterance, unit length
    prev_norms = np.linalg.norm(X[:, -4:], axis=1)  # the preceding turn, x context weight; zero when none of
    assert np.isclose(prev_norms, 0.5).sum() >= 18     # its words is in the utterance vocabulary
    assert (np.isclose(prev_norms, 0.5) | np.isclose(prev_norms, 0.0)).all()
    again = FeatureSpace.from_parts(*space.to_parts())
    np.testing.assert_allclose(again.transform(*rows).toarray(), X, atol=1e-6)
    assert FeatureSpace.from_parts(*plain.to_parts()).lsa is None


def test_static_vectors_average_known_words_by_weight_and_ignore_unknown_ones():
    table = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]) / np.array([[1.0], [1.0], [np.sqrt(2)]])
    vectors = StaticVectors(["proud", "smoke", "effort"], table)
    got = vectors.transform(["proud", "proud smoke", "zzz unknown", ""])
    np.testing.assert_allclose(got[0], [1.0, 0.0])
    np.testing.assert_allclose(got[1], [np.sqrt(0.5), np.sqrt(0.5)])
    np.testing.assert_allclose(got[2:], 0.0)  # no known word: zero, not a division by zero
    weighted = vectors.fit_weights(["smoke", "smoke", "smoke proud"])  # "proud" is rarer: it weighs more
    assert weighted.weights[0] > weighted.weights[1]
    mixed = weighted.transform(["proud smoke"])[0]
    assert mixed[0] > mixed[1]


def test_shipped_static_vectors_place_paraphrases_nearer_than_unrelated_words():
    vectors = StaticVectors.load(str(ROOT / "data" / "vectors" / "minilm-l6-v2-static.npz"))
    praise, effort, schedule = vectors.transform(["you worked so hard and i am proud of you",
                                                  "you put a lot of effort into this",
                                                  "what time is your next appointment"])
    assert praise @ effort > praise @ schedule + 0.1
    assert vectors.transform(["probation"])[0] @ vectors.transform(["parole"])[0] > 0.5


def test_static_vector_block_adds_utterance_turn_and_cosine_columns_and_survives_saving():
    texts = ["you feel let down by him", "what would help you quit", "you have worked hard on this"] * 3
    prev = ["i feel let down", "i want to stop", "i went every day"] * 3
    table = np.random.default_rng(0).normal(size=(6, 4))
    vectors = StaticVectors(["let", "down", "quit", "stop", "worked", "hard"], table)
    plain = FeatureSpace.fit(texts, prev, None, max_word_features=200, max_char_features=100)
    space = FeatureSpace.fit(texts, prev, None, max_word_features=200, max_char_features=100, vectors=vectors)
    rows = (texts, prev, [0] * len(texts), [1] * len(texts))
    X = space.transform(*rows).toarray()
    assert X.shape[1] == space.n_features == plain.n_features + 9
    np.testing.assert_allclose(X[:, :plain.n_features], plain.transform(*rows).toarray())
    mine, theirs, cosine = X[:, -9:-5], X[:, -5:-1] / 0.5, X[:, -1]  # the turn's vector x context weight
    np.testing.assert_allclose(np.linalg.norm(mine, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(cosine, np.einsum("ij,ij->i", mine, theirs), atol=1e-6)
    np.testing.assert_allclose(cosine[0], 1.0, atol=1e-3)  # "let down" in both
    again = FeatureSpace.from_parts(*space.to_parts())
    np.testing.assert_allclose(again.transform(*rows).toarray(), X, atol=1e-2)  # the table is kept as float16
    assert FeatureSpace.from_parts(*plain.to_parts()).vectors is None


def test_a_feature_space_with_the_run_time_encoder_is_refused_when_saved():
    texts, prev = ["you feel let down", "what would help"] * 2, ["i feel let down", "i want to stop"] * 2
    plain = FeatureSpace.fit(texts, prev, None, max_word_features=50, max_char_features=50)
    space = FeatureSpace.fit(texts, prev, None, max_word_features=50, max_char_features=50, encoder=True)
    assert space.n_features == plain.n_features + 2 * 384 + 1
    with pytest.raises(ModelError, match="cannot be saved"):
        space.to_parts()


def test_negation_scope_marks_the_negated_words_until_a_clause_word_and_survives_saving():
    assert negated_tokens(normalize("I don't really want to quit, but I should.")) == \
        "neg_really neg_want neg_to neg_quit"
    assert negated_tokens(normalize("I want to quit.")) == ""
    assert negated_tokens(normalize("i never said it was easy so whatever")) == "neg_said neg_it neg_was neg_easy"
    texts = ["i want to quit", "i don't want to quit", "i can't stop now", "i will not stop",
             "i never want to drink", "i want to drink"] * 3
    plain = FeatureSpace.fit(texts, [""] * len(texts), None, max_word_features=200, max_char_features=100)
    space = FeatureSpace.fit(texts, [""] * len(texts), None, max_word_features=200, max_char_features=100,
                             negation=True)
    rows = (texts, [""] * len(texts), [0] * len(texts), [1] * len(texts))
    X = space.transform(*rows).toarray()
    extra = space.n_features - plain.n_features
    assert extra == len(space.negation) and "neg_want" in space.negation.terms
    np.testing.assert_allclose(X[:, :plain.n_features], plain.transform(*rows).toarray())
    assert not X[0, plain.n_features:].any() and X[1, plain.n_features:].any()  # only negated words fill it
    again = FeatureSpace.from_parts(*space.to_parts())
    np.testing.assert_allclose(again.transform(*rows).toarray(), X)
    assert FeatureSpace.from_parts(*plain.to_parts()).negation is None


def test_answer_block_reads_how_the_next_turn_opens_for_the_last_utterance_of_a_turn_only():
    assert answer_tokens(normalize("Well, um, I think it's the money.")) == "a1_well alen_6_12 a2_well_um"
    assert answer_tokens(normalize("No.")) == "a1_no alen_1"
    assert answer_tokens(normalize("What do you mean?")) == "a1_what alen_4_5 a2_what_do aqmark"
    assert answer_tokens("") == ""
    texts = ["did you drink", "what happened then", "you want to stop", "so you felt bad"] * 3
    nexts = ["no", "well um it started when i got home from work", "yeah", "yeah exactly"] * 3
    plain = FeatureSpace.fit(texts, [""] * len(texts), nexts, max_word_features=200, max_char_features=100)
    space = FeatureSpace.fit(texts, [""] * len(texts), nexts, max_word_features=200, max_char_features=100,
                             answer=True)
    assert {"a1_no", "a1_well", "a1_yeah", "alen_1"} <= set(space.answer.terms)
    last = (texts, [""] * len(texts), [0] * len(texts), [1] * len(texts), nexts)
    first = (texts, [""] * len(texts), [0] * len(texts), [2] * len(texts), nexts)  # not the turn's last utterance
    X = space.transform(*last).toarray()
    extra = space.n_features - plain.n_features
    assert extra == len(space.answer)
    np.testing.assert_allclose(X[:, :plain.n_features], plain.transform(*last).toarray())
    assert X[:, plain.n_features:].any(axis=1).all()
    assert not space.transform(*first).toarray()[:, plain.n_features:].any()
    again = FeatureSpace.from_parts(*space.to_parts())
    np.testing.assert_allclose(again.transform(*last).toarray(), X)
    assert FeatureSpace.from_parts(*plain.to_parts()).answer is None


def test_role_detectors_can_read_the_practitioners_own_words_before_while_code_models_do_not(tmp_path, home):
    from mi_coder.model.store import remember_trusted
    from mi_coder.train.examples import load_session_corpus

    rows = load_session_corpus([ROOT / "data" / "corpus" / "sessions" / "j_utterances.csv"])
    coder = train_coder(rows, behaviour=True, calibration_folds=0, augment=False, max_iter=200,
                        role_own_words=True, role_behaviour=False)
    own = coder.features.block_columns("own")
    assert len(own) > 50 and own[-1] == coder.features.n_features - 1
    assert not coder.models["practitioner"].coef[:, own].any() and not coder.models["client"].coef[:, own].any()
    assert any(coder.models[k].coef[:, own].any() for k in coder.models if k.startswith("role_"))
    folder = save_coder(coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    assert loaded.features.own is not None and loaded.features.own.terms == coder.features.own.terms
    a, b = (read_transcript(EXAMPLES / "probation_session.txt")[0] for _ in range(2))
    coder.code(a)
    loaded.code(b)
    assert [u.meta.get("role_elements") for _, u in a.utterances()] == \
        [u.meta.get("role_elements") for _, u in b.utterances()]
    assert any(u.meta.get("role_elements") for _, u in a.utterances())


@pytest.mark.slow  # about 20-25 s: the fast suite stays under 5 minutes on 2 cores
def test_role_only_batches_train_the_role_detectors_but_not_the_code_models():
    from mi_coder.train.examples import load_session_corpus

    folder = ROOT / "data" / "corpus" / "sessions"
    rows = load_session_corpus([folder / "j_utterances.csv", folder / "m_utterances.csv"])
    kwargs = dict(behaviour=True, calibration_folds=0, augment=False, max_iter=200)
    both = train_coder(rows, **kwargs)
    role_only = train_coder(rows, role_only_batches=["m"], **kwargs)
    j_only = train_coder(rows[rows["group"].str.startswith("team:j-")], **kwargs)
    # The code models learn from j alone (same classes, different weights than with m)...
    assert not np.allclose(both.models["practitioner"].coef, role_only.models["practitioner"].coef)
    # ...while the role detectors still learn from m: they differ from detectors trained on j alone, whose
    # feature space lacks m's words.
    assert role_only.features.n_features == both.features.n_features > j_only.features.n_features
    assert np.allclose(both.models["role_client_role"].coef, role_only.models["role_client_role"].coef)


def test_turn_features_read_the_other_utterances_of_the_same_turn_only():
    from mi_coder.model.role_turns import EDGE, TurnStage, turn_features

    p = np.array([[0.9, 0.1], [0.2, 0.3], [0.6, 0.7]])
    X = turn_features(p, np.array(["s#1", "s#1", "s#3"]))
    assert X.shape == (3, TurnStage.n_features(2))
    logit = lambda q: np.log(q / (1 - q))  # noqa: E731
    np.testing.assert_allclose(X[1, 2:4], logit(p[0]))        # the previous utterance of the turn
    np.testing.assert_allclose(X[0, 4:6], logit(p[1]))        # the next one
    np.testing.assert_allclose(X[0, 6:8], logit(p[1]))        # the best of the turn's others
    np.testing.assert_allclose(X[2, 2:8], logit(EDGE))        # a one-utterance turn sees no neighbour
    assert X[:, -1].tolist() == [1.0, 1.0, 0.0]


def test_turn_stage_carries_an_element_from_an_explanation_to_its_continuation():
    from mi_coder.model.role_turns import TurnStage, turn_features

    rng = np.random.default_rng(0)
    p, keys, y = [], [], []
    for t in range(300):  # turns of two: a clear explanation then a line that carries it only through it
        explained = t % 3 == 0
        first = 0.85 + 0.1 * rng.random() if explained else 0.05 + 0.1 * rng.random()
        second = 0.15 + 0.1 * rng.random()
        p += [[first], [second]]
        keys += [f"s#{t}", f"s#{t}"]
        y += [[explained], [explained]]
    for t in range(300, 500):  # the same weak score alone in its turn: no element
        p.append([0.15 + 0.1 * rng.random()])
        keys.append(f"s#{t}")
        y.append([False])
    stage = TurnStage.fit(turn_features(np.array(p), np.array(keys)), np.array(y))
    out = stage.predict_proba(turn_features(np.array([[0.9], [0.2], [0.2], [0.05], [0.2]]),
                                            np.array(["a", "a", "b", "c", "c"])))[:, 0]
    assert out[1] > 0.5                      # the continuation of an explanation carries the element
    assert out[2] < 0.5 and out[4] < 0.5     # the same line alone, or after unrelated talk, does not
    assert out[0] > 0.5
    assert TurnStage.from_dict(stage.to_dict()).predict_proba(np.zeros((1, 5))).shape == (1, 1)


def test_a_role_turn_stage_survives_saving_and_a_malformed_one_is_refused(tmp_path, home):
    from mi_coder.model.store import remember_trusted
    from mi_coder.train.examples import load_session_corpus

    rows = load_session_corpus([ROOT / "data" / "corpus" / "sessions" / "j_utterances.csv"])
    coder = train_coder(rows, behaviour=True, calibration_folds=0, augment=False, max_iter=200,
                        role_behaviour=False, role_turn_stage=True)
    assert coder.role_stage.coef.shape == (4, 17)
    folder = save_coder(coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    np.testing.assert_allclose(loaded.role_stage.coef, coder.role_stage.coef, atol=1e-6)
    a, b = (read_transcript(EXAMPLES / "probation_session.txt")[0] for _ in range(2))
    coder.code(a)
    loaded.code(b)
    assert [u.meta.get("role_elements") for _, u in a.utterances()] == \
        [u.meta.get("role_elements") for _, u in b.utterances()]
    meta = json.loads((folder / "meta.json").read_text())
    meta["decoding"]["role_stage"]["coef"] = [[0.0] * 3] * 4
    (folder / "meta.json").write_text(json.dumps(meta))
    remember_trusted(folder / "meta.json")
    with pytest.raises(ModelError, match="role-clarification stage is malformed"):
        load_coder(folder)


def test_turns_without_punctuation_are_decided_by_the_turn_models_trained_on_unpunctuated_copies():
    from mi_coder.codes import FOUR_CLASS
    from mi_coder.model.coder import main_code
    from mi_coder.records import Session, Turn
    from mi_coder.train.fit import load_training_data

    data = load_training_data([ROOT / "data" / "corpus" / "sessions" / "j_utterances.csv"])
    keep = set(data.examples["session_id"].unique()[:4])  # enough for every turn model, in seconds
    coder = train_coder(data.examples[data.examples["session_id"].isin(keep)],
                        data.turn_examples[data.turn_examples["session_id"].isin(keep)], calibration_folds=0,
                        max_iter=200, bare_turn_models=True, role_models=False)
    assert {"practitioner_turn_bare", "client_turn_bare"} <= set(coder.models)
    bare = coder.models["practitioner_turn_bare"]
    bare.intercept = bare.intercept.copy()
    bare.intercept[list(bare.classes).index("question")] += 50.0  # this model now reads every turn as a question

    def turn_class(text: str) -> str:
        session = Session(id="s", source="test", turns=[
            Turn(id="1", speaker="C", role="client", text="I went to every meeting this month"),
            Turn(id="2", speaker="P", role="practitioner", text=text)])
        coder.code(session)
        return FOUR_CLASS.get(main_code(session.turns[1]), "other")

    punctuated = "You went to every one of them. That took real effort."
    assert turn_class(punctuated.lower().replace(".", "")) == "question"
    assert turn_class(punctuated) != "question"  # punctuated turns keep the models trained on both


def test_naive_bayes_blend_stays_one_linear_model_between_the_two():
    import scipy.sparse as sp
    from sklearn.naive_bayes import ComplementNB

    from mi_coder.model.estimator import LinearClassifier

    rng = np.random.default_rng(0)
    y = np.array(["CT", "FN", "ST"])[rng.integers(0, 3, 300)]
    dense = rng.random((300, 12)) * (rng.random((300, 12)) < 0.4)
    dense[np.arange(300), np.searchsorted(["CT", "FN", "ST"], y)] += 1.0  # one informative column per class
    X = sp.csr_matrix(dense)
    plain = LinearClassifier(C=1.0, class_weight=None, calibration_folds=0).fit(X, y)
    nb_only = LinearClassifier(C=1.0, class_weight=None, calibration_folds=0, nb_mix=1.0).fit(X, y)
    half = LinearClassifier(C=1.0, class_weight=None, calibration_folds=0, nb_mix=0.5).fit(X, y)
    lr = plain.coef_ - plain.coef_.mean(axis=0)
    nb = ComplementNB().fit(X, y).feature_log_prob_
    nb = nb - nb.mean(axis=0)
    np.testing.assert_allclose(nb_only.coef_, nb * np.linalg.norm(lr) / np.linalg.norm(nb), rtol=1e-6)
    np.testing.assert_allclose(half.coef_, 0.5 * lr + 0.5 * nb_only.coef_, rtol=1e-6)
    assert (half.predict(X) == y).mean() > 0.9  # still a working classifier
    np.testing.assert_allclose(half.to_linear_model().predict_proba(X), half.predict_proba(X))


def test_session_adaptation_follows_the_sessions_base_rates_and_leaves_short_sessions_near_the_model():
    from mi_coder.model.coder import adapt_to_session

    # a classifier fitted to equal shares, unsure about most rows, in a session where class 0 dominates
    sure = np.tile([[0.9, 0.1]], (40, 1))
    unsure = np.tile([[0.45, 0.55]], (20, 1))
    p = np.vstack([sure, unsure])
    adapted = adapt_to_session(p, np.array([0.5, 0.5]), strength=10)
    np.testing.assert_allclose(adapted.sum(axis=1), 1.0)
    assert (adapted[40:, 0] > 0.5).all()  # the ambiguous rows follow the session's majority
    assert (adapted[:40, 0] > 0.9).all()
    weak = adapt_to_session(p, np.array([0.5, 0.5]), strength=10_000)  # a strong prior: almost no change
    np.testing.assert_allclose(weak, p, atol=0.01)
    np.testing.assert_allclose(adapt_to_session(p, np.array([0.5, 0.5]), strength=0), p)
    # a session at the training shares is left where it was
    balanced = np.vstack([np.tile([[0.8, 0.2]], (30, 1)), np.tile([[0.2, 0.8]], (30, 1))])
    np.testing.assert_allclose(adapt_to_session(balanced, np.array([0.5, 0.5]), strength=10), balanced, atol=1e-6)


def test_a_saved_model_keeps_its_class_shares_and_adapts_to_a_session_only_when_asked(tmp_path, home):
    import pandas as pd

    from mi_coder.model.store import remember_trusted

    rows = []
    for k in range(12):
        rows += [("practitioner", "What brings you in today?", "OQ"), ("client", "I want to quit drinking.", "CT"),
                 ("practitioner", "You want to quit.", "SR"), ("client", "I like drinking though.", "ST"),
                 ("practitioner", "The group meets on Tuesdays.", "GI"), ("client", "Okay.", "FN")]
    frame = pd.DataFrame([{"source": "coded", "group": f"s{i // 6}", "session_id": f"s{i // 6}", "turn_id": str(i),
                           "role": r, "text": t, "prev_text": "", "next_text": "", "position": 0, "n_in_turn": 1,
                           "code": c, "weight": 1.0} for i, (r, t, c) in enumerate(rows)])
    coder = train_coder(frame, calibration_folds=0, max_iter=300)
    assert set(coder.class_priors) == {"practitioner", "client"}
    assert abs(sum(coder.class_priors["practitioner"].values()) - 1) < 1e-5
    out = save_coder(coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    remember_trusted(out / "meta.json")
    again = load_coder(out)
    assert again.class_priors == coder.class_priors and again.prior_adaptation == 0.0
    again.use_profile("adapt", {"prior_adaptation": 30})
    assert again.prior_adaptation == 30.0
    coder.class_priors = {}
    with pytest.raises(ValueError, match="class shares"):
        coder.use_profile("adapt", {"prior_adaptation": 30})


def test_a_coder_trained_without_any_sustain_talk_still_codes_client_turns():
    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    corpus = corpus.groupby("code", group_keys=False).head(12).reset_index(drop=True)
    corpus = corpus[corpus["code"] != "ST"].reset_index(drop=True)  # small data: no sustain talk at all
    coder = train_coder(corpus, single_utterance_turns(corpus), calibration_folds=0, role_models=False,
                        augment=False)
    assert "ST" not in list(coder.models["client_turn"].classes)
    session = coder.code(read_transcript(EXAMPLES / "health_session.txt")[0])[0]
    client = [u.code for t in session.turns if t.role == "client" for u in t.utterances]
    assert client and set(client) <= set(CLIENT_CODES) - {"ST"}


def test_the_coder_double_codes_a_permission_request_as_a_question_and_seek_and_nothing_else():
    from mi_coder.model.coder import second_code_for

    assert second_code_for("CQ", "Would it be okay if I mentioned a few things other people have tried?") == "SEEK"
    assert second_code_for("OQ", "Can I tell you how that gets handled on my end?") == "SEEK"
    assert second_code_for("GI", "Would it be okay if I mentioned a few things?") == ""  # not a question
    assert second_code_for("CQ", "Did you go to the group?") == ""
    from mi_coder import load_coder
    from mi_coder.io.reader import read_transcript

    from .conftest import EXAMPLES

    (session,) = read_transcript(EXAMPLES / "probation_session.txt")
    coder = load_coder()
    coder.code(session)  # segmented and coded by the shipped model
    for turn in session.turns:
        for u in turn.utterances:
            u.meta["code2"] = "EA"  # a second code the source carried is replaced by the machine's
    coder.code_segmented([session])
    seconds = {u.text: u.meta.get("code2") for t in session.turns if t.role == "practitioner" for u in t.utterances}
    assert seconds["Would it be okay if I mentioned a few things other people have tried for the sleep piece?"] == "SEEK"
    assert set(seconds.values()) == {"", "SEEK"}


def test_held_out_evaluation_never_compares_a_human_label_with_itself(small_coder, tmp_path):
    """The machine's copy of a coded table starts uncoded: a model without role detectors labels no role
    elements (it scored F1 1.0 on the human ones), and a third speaker's rows it does not code are not matches."""
    import pandas as pd

    from mi_coder.evaluate.heldout import heldout_report

    u = pd.read_csv(ROOT / "data" / "corpus" / "sessions" / "s_utterances.csv", dtype=str, keep_default_na=False)
    first = u[u["session_id"] == u["session_id"].iloc[0]]
    table = first.rename(columns={"turn": "turn_id", "role": "role_elements"})[
        ["session_id", "turn_id", "speaker", "text", "code", "role_elements"]]
    observer = pd.DataFrame([{"session_id": table["session_id"].iloc[0], "turn_id": "999", "speaker": "observer",
                              "text": "I'm just here to observe today, carry on.", "code": "NC", "role_elements": ""}])
    table = pd.concat([table.iloc[:3], observer, table.iloc[3:]], ignore_index=True)
    table.to_csv(tmp_path / "coded.csv", index=False)
    assert not any(k.startswith("role_") for k in small_coder.models)
    rep = heldout_report(small_coder, [tmp_path / "coded.csv"])["heldout"][str(tmp_path / "coded.csv")]
    assert rep["n"] == int((table["speaker"] != "observer").sum())
    roles = rep["role_clarification"]  # the table labels elements; this model labels none
    labelled = [e for e, r in roles.items() if r["support"]]
    assert labelled and all(roles[e]["f1"] == 0.0 for e in labelled)


COLLABORATIVE_QUESTIONS = """Counselor: How would you like us to work on this together?
Client: Maybe step by step.
Counselor: Could we work out a plan together that feels right for you?
Client: Yes.
Counselor: Is it okay with you if we set an agenda together for today?
Client: Sure.
Counselor: It's your call whether you go to the group.
Client: I'll think about it.
"""


def test_a_question_coded_seek_keeps_its_question_code_with_seek_second(tmp_path):
    from mi_coder.model.coder import is_question_form
    from mi_coder.scoring import session_scores

    path = tmp_path / "collab.txt"
    path.write_text(COLLABORATIVE_QUESTIONS)
    coder = load_coder()
    coded = {}
    for flag in (False, True):
        coder.question_second_codes = flag
        session = read_transcript(path)[0]
        coder.code(session)
        coded[flag] = (session, [(u.code, u.meta.get("code2", ""), u.text) for t in session.turns
                                 if t.role == "practitioner" for u in t.utterances])
    swapped = [(a, b) for a, b in zip(coded[False][1], coded[True][1]) if a[0] in ("SEEK", "EA") and is_question_form(a[2])]
    assert swapped, "the fixture should hold a question the model codes SEEK"
    for (code, _, _), (code_on, second_on, _) in swapped:
        assert code_on in ("OQ", "CQ") and second_on == code  # the question counted, the adherent code kept
    assert not any(c in ("SEEK", "EA") and is_question_form(t) for c, _, t in coded[True][1])
    statement = [x for x in coded[True][1] if x[2].startswith("It's your call")]
    assert statement and statement[0][0] == coded[False][1][3][0]  # a statement is left as coded
    off, on = session_scores(coded[False][0]), session_scores(coded[True][0])
    # the questions count as questions, and every SEEK is still counted (a client's "Yes." now answers a question,
    # so volleys can split: per-utterance counts are the ones to compare)
    assert on["utt_OQ"] + on["utt_CQ"] > off["utt_OQ"] + off["utt_CQ"] and on["utt_SEEK"] == off["utt_SEEK"]


ADVICE_AFTER_PERMISSION = """Counselor: Would it be okay if I shared some ideas?
Client: Sure.
Counselor: A lot of people find it easier to drop the evening cigarette first. Many smokers use the patch together with the gum for the cravings. One option is the nicotine spray, which works faster than the patch. You could try chewing gum after meals instead of the cigarette. The patch gives a steady level of nicotine through the day.
Client: Hm.
Counselor: You need to stop smoking before the surgery.
"""


def test_advice_after_leave_was_asked_is_persuade_with_permission_and_information_stays_information(tmp_path):
    from mi_coder.model.coder import permission_context

    path = tmp_path / "advice.txt"
    path.write_text(ADVICE_AFTER_PERMISSION)
    session = read_transcript(path)[0]
    coder = load_coder()
    coder.code(session)  # segments it
    rows = [(t.role, u.text) for t in session.turns if t.role in ("practitioner", "client") for u in t.utterances]
    leave = dict(zip([text for _, text in rows], permission_context([session])))
    assert not leave[rows[0][1]]  # the request itself
    assert leave["A lot of people find it easier to drop the evening cigarette first."]
    assert leave["The patch gives a steady level of nicotine through the day."]
    assert not leave["You need to stop smoking before the surgery."]  # the next turn asked nothing

    coded = {}
    for flag in (False, True):
        coder.permission_advice = flag
        session = read_transcript(path)[0]
        coder.code(session)
        coded[flag] = {u.text: u.code for t in session.turns if t.role == "practitioner" for u in t.utterances}
    for text, before in coded[False].items():
        after = coded[True][text]
        if leave[text] and (before == "PER" or (before == "GI" and ADVICE.search(text))):
            assert after == "PWP", text
        else:
            assert after == before, text  # information, questions and advice without leave keep their codes
    assert coded[True]["The patch gives a steady level of nicotine through the day."] != "PWP"
    n_pwp = {flag: list(codes.values()).count("PWP") for flag, codes in coded.items()}
    assert n_pwp[True] >= n_pwp[False] + 2  # the fixture holds advice the model alone codes GI


def test_in_captions_a_question_by_inversion_is_coded_a_question_not_part_of_a_reflection(tmp_path):
    from mi_coder.model.coder import caption_question_rows, utterance_rows

    path = tmp_path / "captions.txt"
    path.write_text("PO: hi alice thanks for coming in so what brings you here today\n"
                    "Client: um well my doctor said i should come because my sugar has been all over the place\n"
                    "PO: so your doctor is worried about your blood sugar and you work nights and you're tired when you "
                    "get home and you'd like an easier way to track your sugar did i get that right\n"
                    "Client: yeah pretty much\n")
    written = tmp_path / "written.txt"  # a punctuated transcript: a turn left without a mark is the writer's call
    written.write_text("PO: So your doctor is worried. Did I get that right.\n"
                       "Client: Yeah. Pretty much, and the night shifts make it worse.\n"
                       "PO: did you bring the log from last week\n"
                       "Client: I forgot it at home, sorry.\n")
    coder = load_coder()
    coded = {}
    for flag in (False, True):
        coder.caption_questions = flag
        session = read_transcript(path, practitioner="PO")[0]
        coder.code(session)
        (roles, texts, *_), _ = utterance_rows([session])
        flagged = dict(zip(texts, caption_question_rows([session])))
        coded[flag] = [(u.code, u.text) for t in session.turns if t.role == "practitioner" for u in t.utterances]
    assert flagged["did i get that right"]
    assert not any(flagged[text] for text in texts if text.startswith(("so your doctor", "so what brings")))
    other = read_transcript(written, practitioner="PO")[0]
    coder.code(other)
    (_, other_texts, *_), _ = utterance_rows([other])
    assert "did you bring the log from last week" in other_texts and not any(caption_question_rows([other]))
    assert dict((text, code) for code, text in coded[True])["did i get that right"] in ("OQ", "CQ")
    for (before, text), (after, _) in zip(coded[False], coded[True]):
        if not flagged[text] or before not in ("SR", "CR", "GI", "NC"):
            assert after == before, text  # everything else keeps its code


def test_a_session_reads_as_unpunctuated_speech_below_one_sentence_end_per_hundred_words(tmp_path):
    from mi_coder.model.coder import caption_question_rows, unpunctuated_session, utterance_rows

    bare = ("PO: so you have been working nights and sleeping in the day and you would like an easier way to keep "
            "track of your sugar did i get that right\n"
            "Client: yeah pretty much and the shifts keep changing so it is hard to plan anything at all\n")
    marked = "PO: So you feel worn out. Did I get that right?\n"  # a turn with marks inside a caption file
    path = tmp_path / "captions.txt"
    path.write_text(bare * 5 + marked)  # about 220 words, two sentence ends
    session = read_transcript(path, practitioner="PO")[0]
    assert unpunctuated_session(session)
    load_coder().code(session)
    (_, texts, *_), _ = utterance_rows([session])
    flagged = dict(zip(texts, caption_question_rows([session])))
    assert flagged["did i get that right"] and not flagged["Did I get that right?"]  # a marked turn: the writer's
    path.write_text(bare + marked)  # about 55 words, two sentence ends: a punctuated transcript
    assert not unpunctuated_session(read_transcript(path, practitioner="PO")[0])
    path.write_text(bare * 3 + "PO: so you are worn out... and the shifts... they keep changing\n")
    assert not unpunctuated_session(read_transcript(path, practitioner="PO")[0])  # ellipses: two ends in 137 words
    path.write_text(bare * 3 + "PO: you sleep about 4.5 hours a night did i get that right\n")
    session = read_transcript(path, practitioner="PO")[0]
    assert unpunctuated_session(session)  # a decimal point ends no sentence
    load_coder().code(session)
    (_, texts, *_), _ = utterance_rows([session])
    assert dict(zip(texts, caption_question_rows([session])))["did i get that right"]


def test_a_client_turn_holding_change_talk_reads_as_change_talk_from_its_utterances():
    """client_turn_evidence: some utterance CT or ST, or all FN; one utterance gives its own probabilities."""
    import numpy as np

    from mi_coder.model.coder import client_turn_evidence

    codes = ["CT", "ST", "FN"]
    one = np.array([[0.2, 0.1, 0.7]])
    assert np.allclose(client_turn_evidence(one, codes), [0.2, 0.1, 0.7])
    filler_then_change = np.array([[0.05, 0.05, 0.9], [0.8, 0.05, 0.15]])  # "Um, yeah." + "I want to quit."
    evidence = client_turn_evidence(filler_then_change, codes)
    assert evidence.argmax() == 0 and np.isclose(evidence.sum(), 1.0)
    all_neutral = np.array([[0.1, 0.1, 0.8], [0.1, 0.1, 0.8], [0.1, 0.1, 0.8]])
    assert client_turn_evidence(all_neutral, codes).argmax() == 2


def test_client_turn_mix_survives_saving_and_a_profile_can_set_it(small_coder, tmp_path, home):
    from mi_coder.model.store import remember_trusted

    small_coder.client_turn_mix = 1.0
    try:
        folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    finally:
        small_coder.client_turn_mix = 0.0
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    assert loaded.client_turn_mix == 1.0
    session = read_transcript(EXAMPLES / "health_session.txt")[0]
    loaded.code(session)  # decodes with it
    assert all(t.meta.get("main_code") in CLIENT_CODES for t in session.turns if t.role == "client")
    loaded.use_profile("turns", {"client_turn_mix": 0.0})
    assert loaded.client_turn_mix == 0.0


def test_a_practitioner_turn_holding_a_question_reads_as_one_from_its_utterances():
    """practitioner_turn_evidence: per turn, the chance some utterance is of each class, normalized."""
    import numpy as np

    from mi_coder.codes import PRACTITIONER_CODES
    from mi_coder.model.coder import practitioner_turn_evidence

    codes = list(PRACTITIONER_CODES)
    classes = ["question", "reflection", "therapist_input", "other"]

    def row(**p):  # an utterance's code probabilities, the rest spread evenly
        rest = (1.0 - sum(p.values())) / (len(codes) - len(p))
        return [p.get(c, rest) for c in codes]

    # turn 1: "you've cut down a lot" + "how has that been"; turn 2: one reflection
    probs = np.array([row(SR=0.8), row(OQ=0.7), row(CR=0.9)])
    evidence = practitioner_turn_evidence(probs, np.array([0, 2]), codes, classes)
    assert evidence.shape == (2, 4) and np.allclose(evidence.sum(axis=1), 1.0)
    assert evidence[0, 0] > 0.3 and evidence[0, 1] > 0.3  # both a question and a reflection are in turn 1
    assert evidence[1].argmax() == 1


@pytest.mark.parametrize("setting, captions", [("bare_turn_mix", True), ("turn_mix", False)])
def test_a_turn_mix_changes_its_own_turns_only_and_survives_saving(small_coder, tmp_path, home, setting, captions):
    """bare_turn_mix reads captions' turns (no punctuation mark) and never a punctuated one; turn_mix the reverse."""
    from mi_coder.evaluate.segmentation import strip_text
    from mi_coder.model.store import remember_trusted

    def main_codes(coder, strip):
        session = read_transcript(EXAMPLES / "probation_session.txt")[0]
        if strip:
            for t in session.turns:
                t.text = strip_text(t.text)
        coder.code(session)
        return [t.meta.get("main_code") for t in session.turns if t.role == "practitioner"]

    before = {strip: main_codes(small_coder, strip) for strip in (False, True)}
    setattr(small_coder, setting, 1.0)
    try:
        after = {strip: main_codes(small_coder, strip) for strip in (False, True)}
        folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    finally:
        setattr(small_coder, setting, 0.0)
    assert after[not captions] == before[not captions]  # the other kind of turn is never affected
    assert after[captions] != before[captions]  # its own turns read their utterances too
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    other = "turn_mix" if setting == "bare_turn_mix" else "bare_turn_mix"
    assert getattr(loaded, setting) == 1.0 and getattr(loaded, other) == 0.0
    loaded.use_profile("turns", {setting: 0.0})
    assert getattr(loaded, setting) == 0.0


def test_subtype_turn_models_choose_within_the_class_only_and_survive_saving(small_coder, tmp_path, home):
    from mi_coder.model.coder import FOUR_CLASS
    from mi_coder.model.store import remember_trusted

    assert {"practitioner_turn_OQ_CQ", "practitioner_turn_SR_CR"} <= set(small_coder.models)

    def main_codes(c):
        session = read_transcript(EXAMPLES / "probation_session.txt")[0]
        c.code(session)
        return [t.meta.get("main_code") for t in session.turns if t.role == "practitioner"], \
            [u.code for t in session.turns for u in t.utterances]

    before, codes = main_codes(small_coder)
    small_coder.subtype_turn_mix = 50.0  # the subtype turn model all but decides
    try:
        after, codes_after = main_codes(small_coder)
        folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    finally:
        small_coder.subtype_turn_mix = 0.0
    assert after != before and codes_after == codes  # main codes move; utterance codes do not
    assert all(FOUR_CLASS[a] == FOUR_CLASS[b] for a, b in zip(after, before))  # within the turn's class only
    remember_trusted(folder / "meta.json")
    loaded = load_coder(folder)
    assert loaded.subtype_turn_mix == 50.0 and main_codes(loaded)[0] == after
    # the question model alone (2.16's recipe): question turns as with both models, reflection turns as with none
    del loaded.models["practitioner_turn_SR_CR"]
    expected = [a if FOUR_CLASS[b] == "question" else b for a, b in zip(after, before)]
    assert main_codes(loaded)[0] == expected
    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    few = corpus.groupby("code", group_keys=False).head(6).reset_index(drop=True)
    few_turns = single_utterance_turns(few).assign(
        subcode=np.where(few["code"].isin(["SR", "CR", "OQ", "CQ"]), few["code"], None))
    questions = train_coder(few, few_turns, calibration_folds=0, subtype_turn_models=["OQ_CQ"])
    assert "practitioner_turn_OQ_CQ" in questions.models and "practitioner_turn_SR_CR" not in questions.models
    with pytest.raises(UsageError, match="unknown pair"):
        train_coder(few, few_turns, calibration_folds=0, subtype_turn_models=["OQ/CQ"])


def test_a_name_said_in_one_session_alone_stays_out_of_the_vocabularies_with_min_term_groups(tmp_path):
    # a model trained on confidential transcripts lists its vocabulary in features.json: with min_term_groups 2 a
    # client's name said again and again in their own session is not in it, while words of every session are
    from mi_coder.model.features import TfidfBlock

    corpus = load_team_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv"))))
    corpus = corpus.groupby("code", group_keys=False).head(12).reset_index(drop=True)
    one = corpus.index[corpus["role"] == "practitioner"][:6]
    corpus.loc[one, "text"] = corpus.loc[one, "text"] + " Quillonza, that matters."
    corpus.loc[one, "group"] = "session-of-Quillonza"  # one session says the name six times
    kwargs = dict(calibration_folds=0, role_models=False, augment=False)
    terms = {}
    for k in (1, 2):
        coder = train_coder(corpus, min_term_groups=k, **kwargs)
        blocks = [b for b in vars(coder.features).values() if isinstance(b, TfidfBlock)]  # what features.json lists
        terms[k] = {t.lower() for b in blocks for t in b.terms}
    assert any("quillonza" in t for t in terms[1]) and any("illonz" in t for t in terms[1])  # as before
    assert not any("quillonza" in t or "illonz" in t for t in terms[2])
    assert "matters" in terms[2]  # a word said in other sessions too stays


def test_target_behaviour_words_are_one_token_and_a_saved_space_keeps_its_own_list():
    from mi_coder.model.features import TARGET_TOKEN, TARGET_WORDS, target_masker

    mask = target_masker(TARGET_WORDS)
    assert mask(normalize("I like drinking, but the cigarettes? My meds.")) == \
        f"i like {TARGET_TOKEN} but the {TARGET_TOKEN} qmark my {TARGET_TOKEN}"
    assert mask("drinkable weighty smoker's") == "drinkable weighty smoker's"  # whole words only
    texts = ["i like drinking beer", "i want to quit smoking", "you drink a lot", "what about the cigarettes",
             "so you want to cut down on drinking"] * 3
    rows = ([""] * len(texts), [0] * len(texts), [1] * len(texts))
    space = FeatureSpace.fit(texts, rows[0], max_word_features=200, max_char_features=200, targets=("drinking",))
    assert "i like tbeh" in space.words.terms and "quit smoking" in space.words.terms  # only the listed words
    terms, arrays = space.to_parts()
    assert terms["target_words"] == ["drinking"]
    again = FeatureSpace.from_parts(terms, arrays)
    assert (space.transform(texts, *rows) != again.transform(texts, *rows)).nnz == 0
    plain = FeatureSpace.fit(texts, rows[0], max_word_features=200, max_char_features=200)
    assert "target_words" not in plain.to_parts()[0] and "i like drinking" in plain.words.terms


def test_the_shipped_model_is_named_default_anywhere_and_a_missing_folder_is_said_to_be_missing(tmp_path, monkeypatch):
    # a researcher's audit: the README's `train --base models/mi-coder-default` run outside the checkout said "not a
    # model folder (no meta.json)" of a folder that did not exist
    from mi_coder.errors import ModelError
    from mi_coder.model.store import default_model_dir, model_folder, verify

    monkeypatch.chdir(tmp_path)
    assert model_folder("default") == model_folder("models/mi-coder-default") == default_model_dir()
    (tmp_path / "models" / "mi-coder-default").mkdir(parents=True)  # a folder of that name here is that folder
    assert model_folder("models/mi-coder-default").resolve() == tmp_path / "models" / "mi-coder-default"
    (tmp_path / "default").mkdir()  # a model trained with --out default is not hidden by the name (a code review)
    assert model_folder("default").resolve() == tmp_path / "default"
    with pytest.raises(ModelError, match=r"nosuch: no such folder \(the shipped model is named 'default'\)"):
        verify(tmp_path / "nosuch")


def test_a_copy_checked_against_its_senders_meta_hash_loads_and_is_trusted_after(small_coder, tmp_path, home):
    # a researcher's audit: a colleague had nothing to check a copied model against, and --trust-model on every command
    # also loaded a copy whose weights and meta.json hash were both changed
    from mi_coder.model.store import sha256

    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    digest = sha256(folder / "meta.json")
    with pytest.raises(ModelError, match=r"its meta.json's SHA-256 is [0-9a-f]{64}, not the 0{64} given"):
        load_coder(folder, trust="0" * 64)
    with pytest.raises(ModelError, match="--trust-model"):
        load_coder(folder)  # a wrong hash trusts nothing
    assert load_coder(folder, trust=digest.upper()).models.keys() == small_coder.models.keys()
    assert load_coder(folder).models.keys() == small_coder.models.keys()  # remembered on this machine
    with pytest.raises(UsageError, match="or a meta.json SHA-256 \\(64 hex digits\\)"):
        load_coder(folder, trust="abc")


def test_trust_by_hash_records_the_meta_json_it_checked_not_one_swapped_in_after(small_coder, tmp_path, home,
                                                                                  monkeypatch):
    # a code review: the trust store took the hash of meta.json as read again after the check, so a file swapped into
    # a shared folder in between became trusted, and loaded later with no option at all
    import mi_coder.model.store as store

    folder = save_coder(small_coder, tmp_path / "m", {"name": "t", "version": "0", "labels": {}, "training": {}})
    digest = store.sha256(folder / "meta.json")
    read = store.read_meta

    def swapped_after_reading(model_dir, raw):  # type: ignore[no-untyped-def]
        meta = read(model_dir, raw)
        (folder / "meta.json").write_bytes(raw.replace(b'"name": "t"', b'"name": "evil"'))
        return meta

    monkeypatch.setattr(store, "read_meta", swapped_after_reading)
    load_coder(folder, trust=digest)
    assert store.trusted_hashes() >= {digest}
    assert store.sha256(folder / "meta.json") not in store.trusted_hashes()
