"""Compare coder settings on the grouped folds: ``evaluate.crossval.cross_validate`` (AnnoMI by video, the fixed
hold-out left out, and the team sessions by session, in the same folds), no calibration folds. For choosing
features and settings; never reads the AnnoMI hold-out or the external dev set. Appends a summary line to
scripts/experiments.jsonl.

    python scripts/experiment.py --name NAME [--no-line-corpus] [--set KEY=VALUE ...]   # train_coder keywords
        [--decode '[{}, {"unsure": {"CR": 0.5}}]']   # decoding settings measured on the same fold models

The shipped model's settings are ``SETTINGS`` in scripts/train_default_model.py; pass them with --set to measure
against it (2.7: --set behaviour=true balance=0.5 'unsure={"CR": 0.7}' role_behaviour=false
'role_only_batches=["l","m","n","o","p","q","r"]' role_turn_stage=true). Without role_only_batches every batch
but the held-back ones (train.examples.HELD_BACK_BATCHES) trains the code models too.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from mi_coder.evaluate.crossval import cross_validate
    from mi_coder.train.annomi import holdout_ids
    from mi_coder.train.examples import corpus_session_files
    from mi_coder.train.fit import load_training_data

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True)
    parser.add_argument("--no-line-corpus", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--fold-seed", type=int, default=None,
                        help="shuffle videos and sessions into folds with this seed (a fresh split; default: the "
                             "deterministic grouping every recorded figure comes from)")
    parser.add_argument("--hold-out-by", choices=("video", "topic"), default="video",
                        help="group AnnoMI transcripts into folds by source video (default) or by topic (each fold's "
                             "test transcripts about target behaviours no training transcript is about)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--batches", default="", help="coded-session batches to use (letters; default: those the "
                        "shipped model trains on, train.examples.corpus_session_files)")
    parser.add_argument("--decode", default=None,
                        help="JSON list of decoding settings (Coder attributes, e.g. unsure, client_turn_weight): "
                             "each fold's model is trained once and measured once per setting")
    parser.add_argument("--unpunctuated", action="store_true",
                        help="also code each fold's AnnoMI sessions stripped of punctuation and casing (captions)")
    parser.add_argument("--annomi-codes", nargs="*", default=[],
                        help="CSVs of AnnoMI practitioner utterances re-coded with MITI codes (transcript_id, "
                             "utterance_id, k, code; train.annomi.apply_utterance_codes)")
    parser.add_argument("--annomi-codes-reference-only", action="store_true",
                        help="with --annomi-codes: use the re-coded utterances as the folds' reference only, not "
                             "as training labels (the same reference for a model trained without them)")
    parser.add_argument("--annomi-reference-codes", nargs="*", default=[],
                        help="with --annomi-codes: more re-code CSVs that are the folds' reference only (to compare "
                             "a model trained on some re-codes with one trained on more, on the same reference)")
    parser.add_argument("--annomi-fraction", type=float, default=1.0,
                        help="keep this share of each fold's AnnoMI training transcripts (whole videos, or whole "
                             "topics with --hold-out-by topic; a learning curve: the test folds are the same)")
    parser.add_argument("--session-fraction", type=float, default=1.0,
                        help="keep this share of each fold's coded training sessions (whole sessions)")
    parser.add_argument("--set", nargs="*", default=[], help="train_coder keyword=value (JSON values)")
    args = parser.parse_args()
    for name in ("annomi_fraction", "session_fraction"):
        if not 0 < getattr(args, name) <= 1:
            parser.error(f"--{name.replace('_', '-')} is a share of the training data, above 0 and at most 1")
    kwargs = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    started = time.time()
    paths = [str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"),
             *(sorted(p for p in glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))
                      if Path(p).name.split("_")[0] in args.batches) if args.batches
               else corpus_session_files(ROOT / "data" / "corpus" / "sessions"))]
    if not args.no_line_corpus:
        paths += sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv")))
    data = load_training_data(paths, exclude_annomi=holdout_ids())
    if args.annomi_codes:
        from mi_coder.train.annomi import read_utterance_code_files

        codes = read_utterance_code_files(args.annomi_codes)
        reference = read_utterance_code_files(args.annomi_reference_codes) if args.annomi_reference_codes else None
        data = data.with_annomi_codes(codes, train=not args.annomi_codes_reference_only, reference=reference)
    decodes = json.loads(args.decode) if args.decode else None
    reports = cross_validate(data, args.folds, kwargs, jobs=args.jobs, unpunctuated=args.unpunctuated, decodes=decodes,
                             fold_seed=args.fold_seed, hold_out=args.hold_out_by,
                             fractions=(args.annomi_fraction, args.session_fraction))
    for decode, report in zip(decodes or [None], reports if decodes else [reports]):
        summary = summarize(args, kwargs, report, decode, started)
        print(json.dumps(summary, default=str))
        with open(ROOT / "scripts" / "experiments.jsonl", "a") as f:
            f.write(json.dumps(summary, default=str) + "\n")
    return 0


def summarize(args: argparse.Namespace, kwargs: dict, report: dict, decode: dict | None, started: float) -> dict:
    cv, team = report["annomi_cv"], report.get("team_sessions_cv", {})
    level = cv["session_level"]
    summary = {
        "name": args.name + (f" decode={json.dumps(decode)}" if decode is not None else ""), "settings": kwargs,
        **({"decode": decode} if decode is not None else {}), "line_corpus": not args.no_line_corpus,
        **({"batches": args.batches} if args.batches else {}),
        **({"fold_seed": args.fold_seed} if args.fold_seed is not None else {}),
        **({"hold_out": args.hold_out_by} if args.hold_out_by != "video" else {}),
        **({"annomi_fraction": args.annomi_fraction} if args.annomi_fraction < 1 else {}),
        **({"session_fraction": args.session_fraction} if args.session_fraction < 1 else {}),
        **({"annomi_codes": " ".join(Path(p).name for p in args.annomi_codes)
            + (" (reference only)" if args.annomi_codes_reference_only else "")
            + "".join(f" + {Path(p).name} (reference only)" for p in args.annomi_reference_codes or [])}
           if args.annomi_codes else {}),
        "annomi_therapist_f1": cv["therapist_4class"]["macro_f1"], "annomi_client_f1": cv["client_3class"]["macro_f1"],
        "annomi_therapist_per_class_f1": {c: m["f1"] for c, m in cv["therapist_4class"].get("per_code", {}).items()},
        "annomi_oq_cq": cv.get("open_vs_closed_accuracy"), "annomi_sr_cr": cv.get("simple_vs_complex_accuracy"),
        **{f"session_{k}": level[k] for k in ("r_q_spearman_expected", "low_quality_reflection_volley_ratio",
                                              "low_quality_reflection_volley_ratio_expected") if k in level},
        "session_r_q_spearman": level["r_q_spearman"], "session_low_quality_reflection_ratio":
            level["low_quality_reflection_ratio"], "session_fidelity_auc_machine": level["fidelity_auc_machine"],
        "team_macro_f1": team.get("macro_f1"), "team_group_kappa": team.get("practitioner_groups", {}).get("kappa"),
        "team_client_f1": team.get("client", {}).get("macro_f1"),
        "role_element_f1": {e: m["f1"] for e, m in team.get("role_clarification", {}).items()},
        "team_per_code_f1": {c: m["f1"] for c, m in team.get("per_code", {}).items() if m["support"]},
        "annomi_utterance_f1": {c: m["f1"] for c, m in cv.get("utterance_level", {}).get("per_code", {}).items()
                                if m.get("support")},
        "team_client_per_code_f1": {c: team.get("per_code", {}).get(c, {}).get("f1") for c in ("CT", "ST", "FN")},
        "per_fold": cv.get("per_fold"),
        "session_values": cv.get("session_values"),
        "seconds": round(time.time() - started),
    }
    bare = cv.get("unpunctuated")
    if bare:
        summary["unpunctuated"] = {
            "annomi_therapist_f1": bare["therapist_4class"]["macro_f1"],
            "annomi_client_f1": bare["client_3class"]["macro_f1"],
            "annomi_oq_cq": bare.get("open_vs_closed_accuracy"), "annomi_sr_cr": bare.get("simple_vs_complex_accuracy"),
            "therapist_per_class_f1": {c: m["f1"] for c, m in bare["therapist_4class"].get("per_code", {}).items()}}
        bare_level = cv.get("unpunctuated_session_level")
        if bare_level:  # session figures from the stripped copies (captions), against the same human codes
            summary["unpunctuated"].update({
                "session_r_q_spearman": bare_level["r_q_spearman"],
                "session_low_quality_reflection_ratio": bare_level["low_quality_reflection_ratio"],
                "session_fidelity_auc_machine": bare_level["fidelity_auc_machine"],
                "session_values": cv.get("unpunctuated_session_values")})
    return summary


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
