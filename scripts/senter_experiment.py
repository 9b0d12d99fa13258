"""Experiment: a spaCy ``senter`` trained with spaCy's own training loop, for utterance boundaries in
unpunctuated speech, against the shipped hashed linear gap classifier (mi_coder.boundary) on the same fold.

    python scripts/senter_experiment.py [--minutes 20] [--report FILE.json]

Data, labels and scoring are those of ``scripts/train_boundary_model.py``: ``annomi_sequences`` (reference
utterance starts per AnnoMI turn, the hold-out left out, grouped by video), the team corpus
(``corpus_sequences``), caption-style training copies (``with_variants`` / ``caption_variant``), and
``boundary_scores`` / ``question_recall``. The split is that script's ``GroupKFold(folds)`` over the video
groups; only fold 1 of 5 (the first split) is measured, and the linear model is trained and measured on the
same fold with the same functions, so the two figures compare like for like.

The senter: a blank English pipeline with only a ``senter`` (its own HashEmbedCNN tok2vec over NORM, PREFIX,
SUFFIX and SHAPE; no vectors, no downloads), tokens = the sequence's words (a whitespace tokenizer), trained
by ``spacy.cli.train.train`` from a generated config. The dev corpus that picks ``model-best`` is a tenth of
the fold's training video groups, held out from senter training (the linear model trains on all of them).
Training stops at ``--max-steps`` or after ``--minutes`` (a ``before_update`` callback; spaCy's loop then
saves ``model-last``, and ``model-best`` holds the best dev checkpoint so far).

Figures: boundary precision, recall, F1 against the reference and against plain sentence ends, whole-question
recall; the senter at its own decision (argmax) and at P(start) >= the linear model's threshold (0.10, chosen
for the linear model on this same fold); words per second on one thread (senter: ``nlp.pipe`` over the test
turns as text; linear: ``BoundaryModel.starts`` over the test turns' words).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from mi_coder.boundary import THRESHOLD, boundary_scores, question_recall, train_boundary_model  # noqa: E402
from mi_coder.train.boundary_data import measured, with_variants  # noqa: E402
from train_boundary_model import SHARED, annomi_sequences, corpus_sequences  # noqa: E402

# One corpus reader block per split (train, dev), the same settings for both.
CORPUS = """
[corpora.{name}]
@readers = "spacy.Corpus.v1"
path = ${{paths.{name}}}
max_length = 0
gold_preproc = false
limit = 0
augmenter = null
"""

CONFIG = """
[paths]
train = null
dev = null
vectors = null
init_tok2vec = null

[system]
gpu_allocator = null
seed = {seed}

[nlp]
lang = "en"
pipeline = ["senter"]
batch_size = 256
disabled = []
before_creation = null
after_creation = null
after_pipeline_creation = null

[nlp.tokenizer]
@tokenizers = "senter_exp.whitespace.v1"

[components]

[components.senter]
factory = "senter"
overwrite = false
scorer = {{"@scorers":"spacy.senter_scorer.v1"}}

[components.senter.model]
@architectures = "spacy.Tagger.v2"
nO = null
normalize = false

[components.senter.model.tok2vec]
@architectures = "spacy.HashEmbedCNN.v2"
pretrained_vectors = null
width = {width}
depth = {depth}
embed_size = {embed_size}
window_size = 1
maxout_pieces = 3
subword_features = true

[corpora]
{corpora}

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}
dropout = 0.1
accumulate_gradient = 1
patience = {patience}
max_epochs = {max_epochs}
max_steps = {max_steps}
eval_frequency = {eval_frequency}
frozen_components = []
annotating_components = []

[training.before_update]
@callbacks = "senter_exp.time_cap.v1"
minutes = {minutes}

[training.batcher]
@batchers = "spacy.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2
get_length = null

[training.batcher.size]
@schedules = "compounding.v1"
start = 100
stop = 1000
compound = 1.001
t = 0.0

[training.logger]
@loggers = "spacy.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001

[training.score_weights]
sents_f = 1.0
sents_p = 0.0
sents_r = 0.0

[pretraining]

[initialize]
vectors = ${{paths.vectors}}
init_tok2vec = ${{paths.init_tok2vec}}
vocab_data = null
lookups = null
before_init = null
after_init = null

[initialize.components]

[initialize.tokenizer]
"""


class TimeUp(BaseException):
    """Raised by the time-cap callback; a BaseException so spaCy's loop saves model-last and re-raises."""


def _register() -> None:
    from spacy.tokens import Doc
    from spacy.util import registry

    @registry.tokenizers("senter_exp.whitespace.v1")
    def whitespace_tokenizer():  # type: ignore[no-untyped-def]
        class WhitespaceTokenizer:
            """Tokens are the space-separated words (nothing to save: to_disk/from_disk are no-ops)."""

            def __init__(self, vocab) -> None:  # type: ignore[no-untyped-def]
                self.vocab = vocab

            def __call__(self, text: str) -> Doc:
                words = text.split(" ") if text else []
                return Doc(self.vocab, words=words, spaces=[True] * (len(words) - 1) + [False] if words else [])

            def to_disk(self, path, **kwargs) -> None:  # type: ignore[no-untyped-def]
                Path(path).mkdir(parents=True, exist_ok=True)

            def from_disk(self, path, **kwargs):  # type: ignore[no-untyped-def]
                return self

            def to_bytes(self, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
                return b""

            def from_bytes(self, data, **kwargs):  # type: ignore[no-untyped-def]
                return self

        return lambda nlp: WhitespaceTokenizer(nlp.vocab)

    @registry.callbacks("senter_exp.time_cap.v1")
    def time_cap(minutes: float):  # type: ignore[no-untyped-def]
        deadline = [None]

        def before_update(nlp, info):  # type: ignore[no-untyped-def]
            if deadline[0] is None:
                deadline[0] = time.time() + 60 * minutes
            elif time.time() > deadline[0]:
                raise TimeUp(f"time cap of {minutes} min reached at step {info['step']}, epoch {info['epoch']}")

        return before_update


def to_doc(vocab, words: list[str], starts: list[bool] | None = None):  # type: ignore[no-untyped-def]
    from spacy.tokens import Doc

    kwargs = {"sent_starts": [bool(s) for s in starts]} if starts is not None else {}
    return Doc(vocab, words=list(words), spaces=[True] * (len(words) - 1) + [False], **kwargs)


def write_docbin(path: Path, vocab, pairs) -> None:  # type: ignore[no-untyped-def]
    from spacy.tokens import DocBin

    db = DocBin(attrs=["SENT_START"], store_user_data=False)
    for words, starts in pairs:
        if words:
            db.add(to_doc(vocab, words, starts))
    db.to_disk(path)


def fold_one(annomi: list[dict], folds: int):  # type: ignore[no-untyped-def]
    """The first split of train_boundary_model.py's cross_validate: GroupKFold(folds) over video groups."""
    from sklearn.model_selection import GroupKFold

    groups = np.array([s["group"] for s in annomi])
    train, test = next(iter(GroupKFold(folds).split(annomi, groups=groups)))
    return list(train), list(test)


def senter_predict(nlp, test: list[dict], threshold: float):  # type: ignore[no-untyped-def]
    """Starts at the senter's own decision, and at P(start) >= threshold, from one pass of the model."""
    senter = nlp.get_pipe("senter")
    s_index = list(senter.labels).index("S") if "S" in senter.labels else 1
    docs = [nlp.make_doc(" ".join(s["words"])) for s in test]
    argmax, at_t = [], []
    for k in range(0, len(docs), 256):
        batch = docs[k:k + 256]
        scores = senter.model.predict(batch)
        for doc, sc in zip(batch, scores):
            sc = np.asarray(sc, dtype=np.float64)
            if not np.allclose(sc.sum(axis=1), 1.0, atol=1e-3):  # raw logits (normalize=false)
                sc = np.exp(sc - sc.max(axis=1, keepdims=True))
                sc /= sc.sum(axis=1, keepdims=True)
            p = sc[:, s_index]
            a = [bool(x) for x in sc.argmax(axis=1) == s_index]
            b = [bool(x) for x in p >= threshold]
            a[0] = b[0] = True
            argmax.append(a)
            at_t.append(b)
    # The senter's set_annotations path gives the same as argmax; check on the first turns.
    for s, a in zip(test[:50], argmax[:50]):
        doc = nlp(" ".join(s["words"]))
        assert [bool(t.is_sent_start) for t in doc][1:] == a[1:], "argmax disagrees with the pipeline"
    return argmax, at_t


def words_per_second(fn, items, n_words: int, repeat: int = 2) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(items)
        best = min(best, time.perf_counter() - t)
    return round(n_words / best)


def scores(ref, sent, pred, qs) -> dict:  # type: ignore[no-untyped-def]
    return {"vs_reference": boundary_scores(ref, pred), "vs_sentence_ends": boundary_scores(sent, pred),
            "question_recall": question_recall(ref, pred, qs)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--minutes", type=float, default=20.0, help="training time cap")
    parser.add_argument("--max-steps", type=int, default=20000)
    parser.add_argument("--max-epochs", type=int, default=0, help="0: no epoch cap (steps and time cap)")
    parser.add_argument("--patience", type=int, default=4000)
    parser.add_argument("--eval-frequency", type=int, default=200)
    parser.add_argument("--width", type=int, default=96)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--embed-size", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit-train", type=int, default=0, help="smoke runs: sample this many train turns")
    parser.add_argument("--limit-test", type=int, default=0, help="smoke runs: sample this many test turns")
    parser.add_argument("--no-corpus", action="store_true", help="leave the team corpus out of training")
    parser.add_argument("--workdir", help="keep config, DocBins and models here (default: a temp dir)")
    parser.add_argument("--report", help="write the summary JSON here")
    args = parser.parse_args()

    import spacy
    from thinc.api import set_gpu_allocator  # noqa: F401  (thinc present; CPU only)

    _register()
    t0 = time.time()
    annomi = annomi_sequences(args.annomi)
    corpus = [] if args.no_corpus else corpus_sequences()
    train_idx, test_idx = fold_one(annomi, args.folds)
    rng = random.Random(args.seed)
    if args.limit_train:
        train_idx = sorted(rng.sample(train_idx, min(args.limit_train, len(train_idx))))
        corpus = corpus[: max(1, args.limit_train // 10)] if corpus else []
    if args.limit_test:
        test_idx = sorted(rng.sample(test_idx, min(args.limit_test, len(test_idx))))
    train = [annomi[i] for i in train_idx]
    test = measured([annomi[i] for i in test_idx])
    data_seconds = round(time.time() - t0)
    print(f"data ready in {data_seconds}s: {len(train)} train turns, {len(test)} test turns", file=sys.stderr,
          flush=True)

    ref = [s["starts"] for s in test]
    sent = [s["sentences"] for s in test]
    qs = [s["questions"] for s in test]
    test_words = sum(len(s["words"]) for s in test)

    # Linear model: exactly train_boundary_model.py's fold-k training (seed=k, k=0 for fold 1).
    t = time.time()
    linear = train_boundary_model(with_variants(train + corpus, seed=0), C=1.0)
    linear_train_s = round(time.time() - t)
    linear_pred = [linear.starts(s["words"]) for s in test]
    linear_wps = words_per_second(lambda xs: [linear.starts(s["words"]) for s in xs], test, test_words)
    print(f"linear model done in {linear_train_s}s", file=sys.stderr, flush=True)

    # Senter: dev = a tenth of the training video groups, held out of senter training.
    groups = sorted({s["group"] for s in train})
    random.Random(args.seed).shuffle(groups)
    dev_groups = set(groups[: max(1, len(groups) // 10)])
    senter_train = [s for s in train if s["group"] not in dev_groups]
    senter_dev = measured([s for s in train if s["group"] in dev_groups])
    train_pairs = with_variants(senter_train + corpus, seed=0)

    tmp = tempfile.TemporaryDirectory(prefix="senter_exp_")
    work = Path(args.workdir) if args.workdir else Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    vocab = spacy.blank("en").vocab
    write_docbin(work / "train.spacy", vocab, train_pairs)
    write_docbin(work / "dev.spacy", vocab, [(s["words"], s["starts"]) for s in senter_dev])
    config_text = CONFIG.format(corpora="".join(CORPUS.format(name=n) for n in ("train", "dev")), seed=args.seed, width=args.width, depth=args.depth, embed_size=args.embed_size,
                                patience=args.patience, max_epochs=args.max_epochs, max_steps=args.max_steps,
                                eval_frequency=args.eval_frequency, minutes=args.minutes)
    (work / "config.cfg").write_text(config_text)

    from spacy.cli.train import train as spacy_train

    t = time.time()
    stopped = "max_steps, patience or max_epochs"
    try:
        spacy_train(work / "config.cfg", work / "output",
                    overrides={"paths.train": str(work / "train.spacy"), "paths.dev": str(work / "dev.spacy")})
    except TimeUp as e:
        stopped = str(e)
    senter_train_s = round(time.time() - t)
    best = work / "output" / "model-best"
    model_dir = best if best.exists() else work / "output" / "model-last"
    nlp = spacy.load(model_dir)
    meta = json.loads((model_dir / "meta.json").read_text())
    print(f"senter trained in {senter_train_s}s ({stopped}); using {model_dir.name}", file=sys.stderr, flush=True)

    argmax, at_t = senter_predict(nlp, test, THRESHOLD)
    texts = [" ".join(s["words"]) for s in test]
    senter_wps = words_per_second(lambda xs: list(nlp.pipe(xs, batch_size=256)), texts, test_words)

    report = {
        "fold": f"1 of {args.folds} (GroupKFold over video groups, as train_boundary_model.py)",
        "train_turns": len(train), "test_turns": len(test), "test_words": test_words,
        "corpus_turns_in_training": len(corpus),
        "senter": {
            "argmax": scores(ref, sent, argmax, qs),
            f"p_start_ge_{THRESHOLD}": scores(ref, sent, at_t, qs),
            "words_per_second_1_thread": senter_wps,
            "train_seconds": senter_train_s, "stopped_by": stopped, "model": model_dir.name,
            "dev_sents_f": meta.get("performance", {}).get("sents_f"),
            "train_docs": len(train_pairs), "dev_turns": len(senter_dev),
            "config": {"tok2vec": "spacy.HashEmbedCNN.v2", "width": args.width, "depth": args.depth,
                       "embed_size": args.embed_size, "window_size": 1, "maxout_pieces": 3,
                       "attrs": "NORM PREFIX SUFFIX SHAPE", "head": "spacy.Tagger.v2", "dropout": 0.1,
                       "optimizer": "Adam lr 0.001, L2 0.01, averages", "batcher": "by_words 100->1000",
                       "max_steps": args.max_steps, "max_epochs": args.max_epochs, "patience": args.patience,
                       "eval_frequency": args.eval_frequency, "minutes_cap": args.minutes},
        },
        "linear": {
            f"threshold_{THRESHOLD}": scores(ref, sent, linear_pred, qs),
            "words_per_second_1_thread": linear_wps, "train_seconds": linear_train_s,
            "train_sequences": "with_variants(fold train + corpus, seed=0): as cross_validate fold 1",
        },
        "seconds": round(time.time() - t0),
        "command": "python scripts/senter_experiment.py " + " ".join(sys.argv[1:]),
    }
    text = json.dumps(report, indent=1, default=str)
    print(text)
    if args.report:
        Path(args.report).write_text(text + "\n")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
