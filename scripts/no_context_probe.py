"""E73's outside probe: the shipped recipe trained with and without ``context_dropout`` (practitioner examples copied
without the turns around them, ``train.fit.without_context``), each measured on a coded table whose practitioner
sentences have no turn around them.

    python scripts/no_context_probe.py --table sentences.csv [--practitioner Counsellor] [--dropout 0.5]
        [--external ../shared/data/external_dev/mibot_misc_gold.csv] [--report probe.json]

The table E73 names is the test split of Welivita and Pu's peer-support MI dataset (COLING 2022; the "MI Gold"
classifier output in github.com/anuradha1992/Boosting-with-MI-Strategy, ``Software/MI Classifier/output/mi_gold/
test_output.csv``), with a ``session_id`` (one per row) and a ``speaker`` column added; it is not part of this
repository, and nothing trains on it. Both arms train on the build's data (``train_default_model.py``: the AnnoMI dev
split without the hold-out, the team corpus, the AnnoMI re-codes) with its SETTINGS and the shipped model's output
temperature; ``--external`` is read for both arms after the verdict (reported, never a choice). About 4 minutes an
arm on two cores.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def figures(report: dict) -> dict:
    """The probe's figures of one ``heldout_report`` entry."""
    per = report["per_code"]
    return {"group_kappa": report["practitioner_groups"]["kappa"], "af_f1": per.get("AF", {}).get("f1"),
            "reflection_f1": report["reflection_f1"], "question_f1": report["question_f1"],
            "macro_f1": report["macro_f1"], "accuracy": report["accuracy"],
            "per_code_f1": {c: v["f1"] for c, v in per.items()},
            "given": {c: int(sum(row[k] for row in report["confusion"]))
                      for k, c in enumerate(report["labels"])}}


def main() -> int:
    from train_default_model import ANNOMI_CODES, SETTINGS, SHARED

    from mi_coder.evaluate.heldout import heldout_report
    from mi_coder.io.base import ReadOptions
    from mi_coder.train.annomi import holdout_ids
    from mi_coder.train.examples import corpus_session_files
    from mi_coder.train.fit import load_training_data, train_coder, with_annomi_code_files, with_client_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True, help="coded table of practitioner sentences, one session a row")
    parser.add_argument("--scheme", default="misc")
    parser.add_argument("--practitioner", default="Counsellor")
    parser.add_argument("--dropout", type=float, default=0.5)
    parser.add_argument("--annomi", default=str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--external", default=None, help="read for both arms after the verdict (reported only)")
    parser.add_argument("--report", default=None, help="write every figure to this JSON file")
    args = parser.parse_args()
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731

    corpus = corpus_session_files(ROOT / "data" / "corpus" / "sessions")
    corpus += sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv")))
    data = with_annomi_code_files(load_training_data([args.annomi, *corpus], exclude_annomi=holdout_ids()),
                                  [ROOT / p for p in ANNOMI_CODES])
    data = with_client_corpus(data, say)
    meta = json.loads((ROOT / "models" / "mi-coder-default" / "meta.json").read_text())
    temperature = meta["metrics"]["annomi_cv"]["output_temperature"]
    options = ReadOptions(practitioner=args.practitioner)
    out: dict = {"table": Path(args.table).name, "dropout": args.dropout, "arms": {}}
    coders = {}
    for arm, dropout in (("baseline", 0.0), ("context_dropout", args.dropout)):
        say(f"training {arm}")
        coder = train_coder(data.examples, data.turn_examples, output_temperature=temperature,
                            **{**SETTINGS, "context_dropout": dropout})
        coders[arm] = coder
        rep = heldout_report(coder, [args.table], options, scheme=args.scheme)["heldout"][args.table]
        out["arms"][arm] = figures(rep)
        f = out["arms"][arm]
        say(f"{arm}: group kappa {f['group_kappa']}, AF F1 {f['af_f1']}, reflection F1 {f['reflection_f1']}, "
            f"macro-F1 {f['macro_f1']}, NC given {f['given'].get('NC')}")
    base, new = out["arms"]["baseline"], out["arms"]["context_dropout"]
    out["verdict"] = {"group_kappa_change": round(new["group_kappa"] - base["group_kappa"], 3),
                      "af_f1_change": round((new["af_f1"] or 0) - (base["af_f1"] or 0), 3)}
    say(f"change: group kappa {out['verdict']['group_kappa_change']:+.3f}, AF F1 {out['verdict']['af_f1_change']:+.3f}")
    if args.external:  # after the verdict: reported, never a choice
        for arm, coder in coders.items():
            rep = heldout_report(coder, [args.external], scheme="misc")["heldout"][args.external]
            out.setdefault("external", {})[arm] = {**figures(rep), "client_macro_f1": rep["client"]["macro_f1"]}
            f = out["external"][arm]
            say(f"external, {arm}: group kappa {f['group_kappa']}, AF F1 {f['af_f1']}, reflection F1 "
                f"{f['reflection_f1']}, question F1 {f['question_f1']}, client {f['client_macro_f1']}")
    if args.report:
        Path(args.report).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out["verdict"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
