"""Retrain the shipped default model, evaluate it, and pin its hash.

    python scripts/train_default_model.py        # needs ../shared/data (AnnoMI dev split, external dev set)

1. Training data: the AnnoMI dev split **minus the fixed hold-out** (``data/annomi_holdout.json``), the team
   corpus of coded sessions (``data/corpus/sessions``) and, unless ``--no-line-corpus``, the older corpus of
   single lines (``data/corpus/team_*.csv``); the AnnoMI utterances re-coded one by one (``ANNOMI_CODES``, keys
   and codes only) replace the labels the turn rules give them, in training and in the folds' reference.
2. Cross-validation, 5 folds: AnnoMI grouped by source video (turn tasks, punctuated and unpunctuated, the
   unpunctuated text of each fold split by a boundary model trained on that fold's training data only;
   session level: R:Q Spearman, reflections in low-quality sessions, fidelity AUC), and the team sessions
   grouped by session (per-code figures).
3. The final model on all of it; then, once, the AnnoMI hold-out (punctuated, and stripped of punctuation
   and split by the shipped boundary model) and the external dev set (MISC 2.5 codes mapped to MITI;
   evaluation only, never trained or tuned on).
4. The speed benchmark; the SHA-256 of the final meta.json is pinned in mi_coder/model/_trusted.py.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_coder.evaluate.crossval import training_metrics  # noqa: E402
from mi_coder.evaluate.heldout import annomi_holdout_report, heldout_report  # noqa: E402
from mi_coder.model.card import render_model_card  # noqa: E402
from mi_coder.model.store import DEFAULT_MODEL, json_default, load_coder, remember_trusted, sha256  # noqa: E402
from mi_coder.train.annomi import holdout_ids, load_annomi_turns  # noqa: E402
from mi_coder.train.examples import HELD_BACK_BATCHES, corpus_session_files  # noqa: E402
from mi_coder.train.fit import load_training_data, train_from_files, with_annomi_code_files  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
# The shipped model's training settings (chosen with scripts/experiment.py on grouped CV; never on the hold-out
# or the external dev set). balance 0.5 (2.1): class weights the square root of balanced; on the same folds
# AnnoMI therapist 0.747 -> 0.750, simple/complex 0.591 -> 0.603, fidelity AUC 0.799 -> 0.818, low-quality
# reflection ratio 1.76 -> 1.72, team sessions macro-F1 0.693 -> 0.687 (scripts/experiments.jsonl, E2 vs E3).
# The role-clarification detectors stay fully balanced (their F1 fell with 0.5: purpose 0.82 -> 0.70).
# 2.2 keeps these settings; what changed is how AnnoMI advice turns become PER/PWP (mi_coder.train.annomi).
# 2.3 adds MITI's "unsure between SR and CR: SR" when decoding (model.coder.apply_unsure: CR only at odds of
# 1/0.7 against SR, else the two are exchanged). Measured on the same grouped-CV fold models (E6 in
# scripts/experiments.jsonl, ``experiment.py --decode``, as a factor 0.7 on CR, with batch l in the data):
# fidelity AUC 0.830 -> 0.867, low-quality reflection ratio 1.88 -> 1.76, R:Q Spearman 0.556 -> 0.572, AnnoMI simple/complex 0.600
# -> 0.595, team SR 0.502 -> 0.530, CR 0.667 -> 0.652. The shipped form exchanges CR with SR only, so no
# reflection becomes another code (the factor form also moved some to GI/AF). A factor 0.5 cost simple/complex
# (0.568); "unsure between PER and GI: GI" at 0.5 raised the low-quality reflection ratio to 1.96. Decoding
# client utterances without their turn's label (client_turn_weight 0) raised team-session client macro-F1
# 0.640 -> 0.651 but lowered AnnoMI's utterance-level CT 0.496 -> 0.450 and ST 0.383 -> 0.326 in the same
# experiment, and the first 2.3 build with it read the external dev set's client talk at 0.565 (2.2: 0.61): it
# is left at the default. Corpus batches l and m train since 2.6; n and o are the role detectors' fixed hold-outs
# (train.examples.HELD_BACK_BATCHES; measured by add_team_holdout). They train the role-clarification detectors
# and the feature space only (role_only_batches): a first 2.6 build with them in the code models too lowered AnnoMI
# client macro-F1 on the grouped folds 0.545 -> 0.528 (fidelity AUC 0.862 -> 0.838; therapist 0.748 either way)
# and the external set's client talk 0.603 -> 0.563; they are openings, mostly neutral client talk.
# 2.4 keeps 2.3's settings; its data changed: yes/no questions inside multi-question AnnoMI turns labelled open
# are left out instead of OQ (mi_coder.train.annomi), and the role labels were reconciled across batches (data
# card). Measured and not taken (E7/E8): turn-length features (FeatureSpace lengths: R:Q Spearman 0.56 -> 0.61
# but fidelity AUC 0.862 -> 0.764, low-quality reflection ratio 1.92 -> 2.16) and client unsure rules CT/ST
# x0.7 (team client F1 unchanged, AnnoMI utterance-level client macro 0.537 -> 0.533); client_balance 0.25 and
# 1.0 (E9: AnnoMI client 0.540 and 0.538 against 0.546 at the shared 0.5).
# Measured and not taken (eighth session, E10-E16): permission context features, split client turns left to the
# turn model, role detectors at 0.75 of balanced, form features, class-first decoding, a higher turn_weight for
# every code (3: low-quality reflection ratio 1.44 but team code-group kappa 0.815 -> 0.761), and reflections that
# need a reflective turn (code_turn_weights SR/CR 3, E16: on the folds low-quality ratio 1.92 -> 0.88, R:Q
# Spearman 0.560 -> 0.649, fidelity AUC 0.856; a full build of it read the external dev set's reflections at
# F1 0.609 (2.4: 0.708) and group kappa 0.492 (0.548), hold-out R:Q Spearman 0.718 (0.805): not shipped).
# 2.5 keeps 2.4's settings for the code models; its role-clarification detectors are trained without the behaviour
# block (role_behaviour False: its weights there are zero). On the grouped folds (E17, same folds as its baseline):
# practitioner's role 0.838 -> 0.861, client's role 0.720 -> 0.779, participation 0.795 -> 0.806, purpose 0.862 ->
# 0.855, every code task unchanged (the code models do not see the detectors). Its data: the role labels of
# batches e, f, g, k reviewed against the written conventions (10 labels; data card); batch m written and held
# back like l. Measured and not taken: the latent semantic block (lsa 100, E18) and detectors that also read the
# practitioner's own words before each utterance (role_own_words, E19: client's role 0.752 -> 0.772, purpose
# 0.908 -> 0.852, participation 0.800 -> 0.791).
# 2.7 keeps 2.6's settings for the code models. Its role-clarification detectors also learn from batches n and o
# (2.6's hold-outs) and p, q, r (openings whose role statements run over several utterances and turns), and gain a
# second stage over the scores of a turn's utterances (role_turn_stage, model.role_turns), chosen on the grouped
# folds and on n and o before s and t were opened (python scripts/role_decision_cv.py --no-behaviour --holdout no
# [--turn-stage]: folds mean F1 0.784 -> 0.822, n and o 0.846 -> 0.902; each of p, q, r held out of training in turn
# 0.798 / 0.725 / 0.823 -> 0.826 / 0.749 / 0.842; the words of the turn's other utterances as features gave 0.800 and
# 0.864, the stage also reading across turns 0.824 and 0.906: not taken, for the simpler stage; data card).
# 2.8 keeps 2.7's settings; its detectors' data changed only (no setting chosen, rule fixed before y and z existed:
# data card): the participation labels reviewed under the settled convention, and batches u, v (2.7's checks) and
# w, x (openings written for indirect client's-role statements and participation) train the detectors.
# 2.12 is 2.11 (weights unchanged) decoded with question_second_codes: a question the code model codes SEEK or EA
# is coded OQ/CQ with SEEK/EA second, as the coding guide double-codes it (E50, fold seed 14, rule in
# docs/PREREGISTRATIONS.md: every turn task unchanged, R:Q Spearman +0.001, fidelity AUC -0.004 within one SE,
# team code-group kappa +0.005).
SETTINGS = {"behaviour": True, "balance": 0.5, "unsure": {"CR": 0.7}, "role_behaviour": False,
            "role_only_batches": ["l", "m", "n", "o", "p", "q", "r", "u", "v", "w", "x"],
            "role_turn_stage": True, "question_second_codes": True, "bare_turn_mix": 1.0,
            "subtype_turn_models": ["OQ_CQ"], "subtype_turn_mix": 1.0, "caption_questions": True}
# Decoding profiles shipped with the model (``mi-coder code --profile NAME``): the same weights decoded for another
# purpose. "sessions": reflections only where the turn as a whole reads as reflective (code_turn_weights SR/CR 3,
# E16 in scripts/experiments.jsonl, chosen on the grouped folds): session reflection counts and the fidelity
# index closer to human codes on AnnoMI, single utterance codes less accurate outside AnnoMI. The build measures
# each profile on the hold-out and the external dev set (reported, never used to choose).
PROFILES = {
    "sessions": {"code_turn_weights": {"SR": 3.0, "CR": 3.0},
                 "purpose": "session indicators (reflection counts, R:Q, fidelity index) for spoken sessions; the "
                            "default profile codes single utterances more accurately outside AnnoMI"},
}
PROFILE_EXPERIMENTS = {"sessions": "E51"}  # the experiments.jsonl lines that measured each profile on the folds (E49: 2.11; E32: 2.9)
# 2.9: AnnoMI training-transcript utterances re-coded one by one by helper coders (data card) are training labels,
# each file taken by a rule written before its result on a fresh split (E29b, E30, E31 in scripts/experiments.jsonl;
# docs/ACCURACY_HISTORY.md, fifteenth session). 2.11 adds the flagged-turn re-codes, taken by E48 (a third fresh
# split, fold seed 13, bounds in SE units written before; seeds 1 and 2 in E31/E33): fidelity AUC +0.067 and
# reflections in low-quality sessions -0.31 over the three splits, R:Q Spearman -0.005 (SE 0.046).
# 2.13 adds the single-utterance turns re-coded one by one, with a reflection said as a question kept a reflection as
# AnnoMI's annotators coded it (data/annomi_single_codes_reflective.csv), taken by E56 (fold seed 19); E55 (fold seed 18,
# the helpers' codes as written, those 52 coded as questions) had failed on fidelity AUC.
# 2.14 adds the client utterances of multi-utterance change and sustain turns coded one by one
# (data/annomi_client_codes.csv), taken by E57 (fold seed 20, a third split; seeds 1 and 2 in E30 and E33-fc): client
# utterance macro-F1 +0.019 (SE 0.006), every turn task and session figure unchanged.
# 2.15 is 2.14's weights decoded with bare_turn_mix 1.0: a practitioner turn without any punctuation mark (captions)
# takes its main code's class from its utterances too, taken by E69 (fold seed 31, written before its run): stripped
# therapist turn task +0.017 (SE 0.003), every fold up, every punctuated figure unchanged.
# 2.16 adds a turn model of a question's subtype (open or closed) over AnnoMI's whole question turns, which weighs a
# question turn's OQ/CQ main code (subtype_turn_mix 1.0), taken by E72 (fold seed 34, written before its run): open/closed
# +0.017 per fold (SE 0.007), punctuated and stripped; the reflection subtype model of E71/E72 is left out (simple/complex
# +0.002 and -0.016 on the two splits).
# 2.17 is 2.16's weights with the boundary model deciding with the question-by-inversion rule
# (evaluate.crossval.BOUNDARY_QUESTION_RULE), taken by E77 (fold seed 40, written before its run): questions kept in
# stripped speech +0.014 per fold (SE 0.003), boundary F1 -0.000, the coder's stripped-text turn tasks +0.000 to +0.003.
# 2.18 is 2.17's weights with the rule at level 2 (yes/no questions by inversion, and question words before an auxiliary
# and a noun phrase), taken by E78 (fold seed 41, written before its run): questions kept +0.013 per fold (SE 0.001),
# boundary F1 +0.000, the coder's stripped-text turn tasks -0.002 to +0.000.
# 2.19 is 2.18's weights decoded with caption_questions: in a transcript without punctuation (fewer sentence ends than
# one per 100 words), an utterance that opens as a question by inversion and that the code model reads as a statement
# is coded OQ or CQ, taken by E80 (fold seed 43, written before its run): the caption copies' R:Q Spearman +0.010 (SE
# 0.015), every stripped-text turn task +0.000 to +0.001, every punctuated figure +0.000; and with the boundary model's
# question rule at level 3 (level 2 without its false starts in statements), taken by E81 (fold seed 45): boundary
# precision and F1 +0.001 per fold, questions kept +0.000, every coder figure +0.000.
ANNOMI_CODES = ["data/annomi_other_codes.csv", "data/annomi_unknown_codes.csv", "data/annomi_flagged_codes.csv",
                "data/annomi_single_codes_reflective.csv", "data/annomi_client_codes.csv"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--external", default=str(SHARED / "external_dev" / "mibot_misc_gold.csv"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "models" / DEFAULT_MODEL))
    parser.add_argument("--version", default="2.19")
    parser.add_argument("--no-line-corpus", action="store_true", help="leave out data/corpus/team_*.csv")
    parser.add_argument("--skip-benchmark", action="store_true")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the hash (experiments)")
    parser.add_argument("--jobs", type=int, default=2, help="cross-validation folds run in this many processes")
    parser.add_argument("--boundary-report", default=str(ROOT / "models" / "boundary_cv.json"),
                        help="cross-validation figures of the boundary model (scripts/train_boundary_model.py "
                             "--report), copied into the model card")
    parser.add_argument("--refresh-speed", action="store_true",
                        help="only re-run the speed benchmark on the existing model, update its card and re-pin")
    parser.add_argument("--team-holdout-only", action="store_true",
                        help="only (re)measure the existing model on the team corpus's fixed hold-out batches "
                             "(train.examples.HELD_BACK_BATCHES), update its card and re-pin")
    parser.add_argument("--profiles-only", action="store_true",
                        help="only (re)write the decoding profiles of the existing model and measure them on the "
                             "hold-out and the external dev set, update its card and re-pin")
    parser.add_argument("--boundary-report-only", action="store_true",
                        help="only (re)read --boundary-report into the existing model's meta.json, update its card "
                             "and re-pin")
    parser.add_argument("--previous-meta", default=None,
                        help="the previous shipped model's meta.json (e.g. from git show HEAD:models/mi-coder-default/"
                             "meta.json): its external, AnnoMI and team hold-out figures go beside the new model's "
                             "in the card")
    parser.add_argument("--previous-command", default="",
                        help="how to reproduce the previous model's external figures (shown in the card)")
    args = parser.parse_args()
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    if args.refresh_speed:
        return finish(Path(args.out), args, benchmark=True)
    if args.profiles_only:
        add_profiles(Path(args.out), args, say)
        return finish(Path(args.out), args, benchmark=False)
    if args.boundary_report_only:
        meta_path = Path(args.out) / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta["metrics"]["boundary_cv"] = json.loads(Path(args.boundary_report).read_text())
        meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
        return finish(Path(args.out), args, benchmark=False)
    if args.team_holdout_only:
        add_team_holdout(Path(args.out), say)
        return finish(Path(args.out), args, benchmark=False)
    corpus = corpus_session_files(ROOT / "data" / "corpus" / "sessions")  # held-back batches left out
    if not args.no_line_corpus:
        corpus += sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv")))
    paths = [args.annomi, *corpus]
    held = holdout_ids()
    data = with_annomi_code_files(load_training_data(paths, exclude_annomi=held), [ROOT / p for p in ANNOMI_CODES])
    settings = dict(SETTINGS)
    metrics = (training_metrics(data, args.folds, progress=say, jobs=args.jobs, train_kwargs={**settings, "max_iter": 1000})
               if args.folds > 1 else {})
    say("training the boundary model for unpunctuated speech")
    from train_boundary_model import train_final  # noqa: E402 (scripts/ is on the path: this script's folder)

    boundary = train_final(args.annomi)
    out = Path(args.out)
    train_from_files(paths, out, name=DEFAULT_MODEL, version=args.version, metrics=metrics, progress=say, data=data,
                     train_kwargs=settings, boundary=boundary, annomi_codes=[ROOT / p for p in ANNOMI_CODES])
    if Path(args.boundary_report).exists():
        meta_b = json.loads(Path(args.boundary_report).read_text())
    else:
        meta_b = None
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["training"]["annomi_holdout_excluded"] = sorted(held, key=int)
    if meta_b:
        meta["metrics"]["boundary_cv"] = meta_b
    coder = load_coder(out, trust=True)
    turns = load_annomi_turns(args.annomi)
    turns = turns[turns["transcript_id"].astype(str).isin(held)].reset_index(drop=True)
    meta["metrics"]["annomi_holdout"] = annomi_holdout_report(coder, turns)
    say(f"AnnoMI hold-out: therapist 4-class macro-F1 {meta['metrics']['annomi_holdout']['therapist_4class']['macro_f1']}")
    if Path(args.external).exists():
        ext = heldout_report(coder, [args.external], scheme="misc")["heldout"][args.external]
        meta["metrics"]["external_dev"] = {"file": Path(args.external).name, "scheme": "misc", **ext}
        say(f"external dev: group kappa {ext['practitioner_groups']['kappa']}, AF F1 {ext['per_code']['AF']['f1']}, "
            f"reflection F1 {ext['reflection_f1']}, question F1 {ext['question_f1']}, "
            f"client macro-F1 {ext['client']['macro_f1']}")
    meta["metrics"]["command"] = "python scripts/train_default_model.py"
    meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
    remember_trusted(meta_path)  # the benchmark loads the default folder, whose meta.json has just changed
    add_profiles(out, args, say)
    add_team_holdout(out, say)
    if args.previous_meta:
        meta = json.loads(meta_path.read_text())
        meta["metrics"]["previous_model"] = previous_model(json.loads(Path(args.previous_meta).read_text()),
                                                           args.previous_command)
        meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
        remember_trusted(meta_path)
    return finish(out, args, benchmark=not args.skip_benchmark)


def previous_model(old: dict, command: str) -> dict:
    """The previous model's figures the card sets beside the new model's (``card.render_model_card``: "Against
    the previous model"), from its meta.json."""
    m = old["metrics"]
    ext, cv, hold = m["external_dev"], m["annomi_cv"], m["annomi_holdout"]
    name = f"{old['name']} {old['version']}"
    hs = hold.get("session_level", {})
    per_class = lambda rep: {t: {c: v["f1"] for c, v in rep[t]["per_code"].items()}  # noqa: E731
                             for t in ("therapist_4class", "client_3class")}
    return {
        "name": name,
        "command": command or f"mi-coder evaluate --scheme misc ../shared/data/external_dev/mibot_misc_gold.csv "
                              f"--model <{old['version']} folder> --trust-model",  # an archived folder is not the pinned one
        "external_dev": {"per_code": ext["per_code"], "practitioner_group_kappa": ext["practitioner_groups"]["kappa"],
                         "reflection_f1": ext["reflection_f1"], "question_f1": ext["question_f1"],
                         "client_macro_f1": ext["client"]["macro_f1"]},
        "annomi_cv": {
            "note": (f"{old['version']}'s {cv.get('folds', 5)}-fold grouped CV over the same {cv.get('n_sessions')} "
                     f"transcripts (its hold-out: therapist {hold['therapist_4class']['macro_f1']}, client "
                     f"{hold['client_3class']['macro_f1']}, open/closed {hold['open_vs_closed_accuracy']}, "
                     f"simple/complex {hold['simple_vs_complex_accuracy']}, R:Q Spearman {hs.get('r_q_spearman')}, "
                     f"low-quality reflection ratio {hs.get('low_quality_reflection_ratio')}, fidelity AUC "
                     f"{hs.get('fidelity_auc_machine')})"),
            "n_sessions": cv.get("n_sessions"),
            "therapist_4class_macro_f1": cv["therapist_4class"]["macro_f1"],
            "client_3class_macro_f1": cv["client_3class"]["macro_f1"],
            "open_vs_closed_accuracy": cv["open_vs_closed_accuracy"],
            "simple_vs_complex_accuracy": cv["simple_vs_complex_accuracy"],
            "session_level": {k: cv["session_level"][k] for k in ("r_q_spearman", "low_quality_reflection_ratio",
                                                                  "fidelity_auc_machine")},
            "per_class": per_class(cv), "holdout_per_class": per_class(hold)},
        "team_holdout": {f: {e: r["f1"] for e, r in rep.get("role_clarification", {}).items()}
                         for f, rep in m.get("team_holdout", {}).get("files", {}).items()},
    }


def add_team_holdout(out: Path, say) -> None:  # type: ignore[no-untyped-def]
    """Code the team corpus's fixed hold-out batches (``HELD_BACK_BATCHES`` with files: written apart, never
    trained on) with the model and put its agreement with their codes and role labels in meta.json."""
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    folder = ROOT / "data" / "corpus" / "sessions"
    files = {b: folder / f"{b}_utterances.csv" for b in sorted(HELD_BACK_BATCHES)
             if (folder / f"{b}_utterances.csv").exists()}
    coder = load_coder(out, trust=True)
    reports = {}
    for batch, path in files.items():
        rep = heldout_report(coder, [str(path)])["heldout"][str(path)]
        with open(path, newline="", encoding="utf-8") as fh:
            listed = len({row["session_id"] for row in csv.DictReader(fh)})
        if rep["n_sessions"] != listed:  # the card would say the file's count over figures from fewer sessions
            raise SystemExit(f"train_default_model: {path.name}: {rep['n_sessions']} of its {listed} sessions "
                             "were coded; the team hold-out figures need every session")
        reports[path.name] = {k: v for k, v in rep.items() if k not in ("confusion", "session_scores", "reliability")}
        roles = rep.get("role_clarification", {})
        say(f"team hold-out {path.name}: role clarification F1 " + ", ".join(f"{e} {m['f1']}" for e, m in roles.items()))
    meta["metrics"]["team_holdout"] = {
        "command": "python scripts/train_default_model.py --team-holdout-only",
        "why": {f"{b}_utterances.csv": HELD_BACK_BATCHES[b] for b in files}, "files": reports}
    meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
    remember_trusted(meta_path)


def add_profiles(out: Path, args: argparse.Namespace, say) -> None:  # type: ignore[no-untyped-def]
    """Write PROFILES into the model's meta.json and measure each on the hold-out and the external dev set,
    next to its grouped-fold figures from scripts/experiments.jsonl."""
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["decoding_profiles"] = PROFILES
    meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
    remember_trusted(meta_path)
    held = sorted(meta["training"].get("annomi_holdout_excluded") or holdout_ids(), key=int)
    turns = load_annomi_turns(args.annomi)
    turns = turns[turns["transcript_id"].astype(str).isin(held)].reset_index(drop=True)
    lines = [json.loads(line) for line in (ROOT / "scripts" / "experiments.jsonl").read_text().splitlines() if line]
    measured = {}
    for name, settings in PROFILES.items():
        coder = load_coder(out, trust=True, profile=name)
        report = {"annomi_holdout": annomi_holdout_report(coder, turns)}
        if Path(args.external).exists():
            ext = heldout_report(coder, [args.external], scheme="misc")["heldout"][args.external]
            report["external_dev"] = {"file": Path(args.external).name, "scheme": "misc", **ext}
        wanted = {k: v for k, v in settings.items() if k != "purpose"}
        folds = [line for line in lines if line["name"].startswith(PROFILE_EXPERIMENTS.get(name, "?") + " ")
                 and all(line.get("decode", {}).get(k) == v for k, v in wanted.items())]
        if folds:
            report["annomi_cv"] = {"experiment": folds[-1]["name"], **{k: folds[-1].get(k) for k in (
                "annomi_therapist_f1", "annomi_client_f1", "annomi_oq_cq", "annomi_sr_cr", "session_r_q_spearman",
                "session_low_quality_reflection_ratio", "session_fidelity_auc_machine", "team_group_kappa")}}
        measured[name] = report
        hl = report["annomi_holdout"]["session_level"]
        say(f"profile {name}: hold-out R:Q Spearman {hl.get('r_q_spearman')}, low-quality reflection ratio "
            f"{hl.get('low_quality_reflection_ratio')}, fidelity AUC {hl.get('fidelity_auc_machine')}")
    meta["metrics"]["profiles"] = measured
    meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
    remember_trusted(meta_path)


def finish(out: Path, args: argparse.Namespace, benchmark: bool) -> int:
    """Benchmark (optional), regenerate the model card from meta.json, and pin the meta hash."""
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    if benchmark:
        result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_code.py"), "--model", str(out),
                                 "--trust-model", "--json"], capture_output=True, text=True, check=True)
        meta["metrics"]["speed"] = json.loads(result.stdout)
    meta_path.write_text(json.dumps(meta, indent=2, default=json_default) + "\n")
    remember_trusted(meta_path)
    (out / "MODEL_CARD.md").write_text(render_model_card(meta))
    if args.no_pin:
        return 0
    digest = sha256(meta_path)
    trusted = ROOT / "mi_coder" / "model" / "_trusted.py"
    text = trusted.read_text()
    start = text.index("PINNED_META_SHA256")
    trusted.write_text(text[:start] + f'PINNED_META_SHA256: frozenset[str] = frozenset({{\n    "{digest}",\n}})\n')
    print(f"pinned {digest} in {trusted}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
