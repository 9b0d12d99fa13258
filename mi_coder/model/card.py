"""The model card: a Markdown page generated from a model's ``meta.json``, so the two never disagree."""

from __future__ import annotations

import json
from typing import Any


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def _per_code(report: dict) -> str:
    rows = [[code, m["precision"], m["recall"], m["f1"], m["support"]] for code, m in report["per_code"].items()
            if m["support"]]
    return _table(["code", "precision", "recall", "F1", "support"], rows)


def _rounded(value: object, digits: int = 3) -> object:
    """A float as a card prints it (1.9500000000000002 read 1.95 elsewhere on the card); anything else as it is."""
    return round(value, digits) if isinstance(value, float) else value


def _role_figures(report: dict) -> str:
    """The figures to cite from a held-out report, where it has them: kappa per role (the pooled kappa mixes
    practitioner and client codes), practitioner code-group kappa, reflection and question F1, client macro-F1."""
    parts = [f"{role} kappa {m['kappa']}" for role, m in (report.get("kappa_by_role") or {}).items() if m.get("n")]
    if report.get("practitioner_groups"):
        parts.append(f"code-group kappa {report['practitioner_groups']['kappa']}")
    parts += [f"{label} {report[key]}" for key, label in (("reflection_f1", "reflection F1"),
                                                           ("question_f1", "question F1")) if report.get(key) is not None]
    if report.get("client"):
        parts.append(f"client macro-F1 {report['client']['macro_f1']}")
    return (" By role: " + ", ".join(parts) + ".") if parts else ""


def _confusion(report: dict) -> str:
    from ..evaluate.metrics import confusion_rows

    columns, rows = confusion_rows(report)
    return _table(["reference \\ given", *columns], [[code, *counts] for code, counts in rows])


def render_model_card(meta: dict) -> str:
    """Markdown model card from model metadata (sections appear only for what the metadata holds)."""
    v = meta.get("versions", {})
    lines = [
        f"# Model card: {meta['name']} {meta['version']}",
        "",
        meta.get("description", ""),
        "",
        "## Versions",
        "",
        _table(["package", "version"], [[k, val] for k, val in v.items()]),
        "",
        "## Labels",
        "",
        f"Practitioner utterances: {' '.join(meta['labels'].get('practitioner', []))}  ",
        f"Client utterances: {' '.join(meta['labels'].get('client', []))}",
        *(["", f"**Never given**: {' '.join(meta['training']['codes_never_given'])} (no training utterance has "
           "the code first, so this model never gives it as a first code"
           + ("; SEEK still comes as a second code on a question that asks leave, by rule"
              if "SEEK" in meta["training"]["codes_never_given"] else "") + ")"]
          if meta.get("training", {}).get("codes_never_given") else []),
        "",
        "## Training data and protocol",
        "",
    ]
    training = meta.get("training", {})
    for key, value in training.items():
        if key.endswith("fingerprints") and isinstance(value, (list, tuple)):
            value = (f"{len(value)} {'AnnoMI transcripts' if key.startswith('annomi') else 'whole sessions'}, each as "
                     "its words' SHA-256 (in meta.json): `evaluate` warns about any of them it is given")
        elif isinstance(value, (list, tuple)):
            value = "; ".join(" ".join(f"{k}: {v}" for k, v in item.items()) if isinstance(item, dict) else str(item)
                              for item in value)
        elif key == "client_corpus" and isinstance(value, dict):
            value = (f"**the client models learn from the {value.get('source')}** ({value.get('client_utterances')} "
                     f"client utterances of {value.get('sessions')} sessions the mi-coder team wrote), because "
                     f"{value.get('why')}; the practitioner models learn from the tables alone. Client codes from "
                     "this model are the team corpus's, not your coders'")
        elif isinstance(value, dict):
            value = "; ".join(f"{k}: {val}" for k, val in value.items())
        lines.append(f"- **{key}**: {value}")
    metrics = meta.get("metrics", {})
    if metrics:
        lines += ["", "## Evaluation", ""]
        if metrics.get("command"):
            lines += [f"Reproduce: `{metrics['command']}`", ""]
        annomi = metrics.get("annomi_cv")
        if annomi:
            lines += [
                f"AnnoMI dev split, {annomi['folds']}-fold cross-validation grouped by source video "
                f"({annomi['n_sessions']} transcripts, {annomi['n_groups']} videos); every session coded by a model "
                "that never saw its video. The team corpus joins every training fold.",
                "",
                _table(["task", "metric", "value", "target", "published anchor"], [
                    ["therapist 4-class turn task", "macro-F1", annomi["therapist_4class"]["macro_f1"], ">= 0.76",
                     "TF-IDF 0.72, RoBERTa 0.81, human Fleiss' kappa 0.74"],
                    ["therapist 4-class turn task", "Cohen's kappa", annomi["therapist_4class"]["kappa"], "", ""],
                    ["client change/neutral/sustain", "macro-F1", annomi["client_3class"]["macro_f1"], ">= 0.56",
                     "BERT 0.58"],
                    ["open vs closed (question turns)", "accuracy", annomi.get("open_vs_closed_accuracy"), ">= 0.80", ""],
                    ["simple vs complex (reflection turns)", "accuracy", annomi.get("simple_vs_complex_accuracy"),
                     ">= 0.65", ""],
                    ["utterance level (derived labels)", "macro-F1", annomi["utterance_level"]["macro_f1"], "", ""],
                    ["confidence calibration (honest, see below)", "ECE", annomi["reliability"]["ece"], "", ""],
                ]),
                "",
                "Therapist 4-class, per class:",
                "",
                _per_code(annomi["therapist_4class"]),
                "",
                "Client talk, per class:",
                "",
                _per_code(annomi["client_3class"]),
            ]
            if annomi.get("unpunctuated"):
                u = annomi["unpunctuated"]
                lines += ["", "Same protocol with every AnnoMI transcript lower-cased and stripped of punctuation "
                              "(automatic-caption style) at coding time, each fold split by a boundary model trained "
                              "on that fold's training data only:", "",
                          _table(["task", "punctuated", "unpunctuated"], [
                              ["therapist 4-class macro-F1", annomi["therapist_4class"]["macro_f1"],
                               u["therapist_4class"]["macro_f1"]],
                              ["client 3-class macro-F1", annomi["client_3class"]["macro_f1"],
                               u["client_3class"]["macro_f1"]],
                              ["open vs closed accuracy", annomi.get("open_vs_closed_accuracy"),
                               u.get("open_vs_closed_accuracy")],
                              ["simple vs complex accuracy", annomi.get("simple_vs_complex_accuracy"),
                               u.get("simple_vs_complex_accuracy")],
                          ])]
            rel = annomi.get("reliability", {})
            if rel.get("bins"):
                before = annomi.get("reliability_before_temperature", {}).get("ece")
                lines += ["", "Reliability of confidences: utterances with a derived AnnoMI label, out of fold; each "
                              "fold's confidences re-scaled by an output temperature fitted on the other folds "
                              f"(ECE before re-scaling: {before}; shipped temperature "
                              f"{_rounded(annomi.get('output_temperature'))}).", "",
                          _table(["confidence", "n", "mean confidence", "accuracy"],
                                 [[b["bin"], b["n"], b["mean_confidence"], b["accuracy"]] for b in rel["bins"]])]
        level = (annomi or {}).get("session_level")
        if level:
            lines += ["", "Session level, out of fold (AnnoMI human codes from the turn labels):", "",
                      _table(["measure", "value", "target"], [
                          ["R:Q, Spearman machine vs human", level.get("r_q_spearman"), ">= 0.85"],
                          ["reflection turns in low-quality sessions, machine / human",
                           f"{level.get('low_quality_reflection_ratio')} ({level['low_quality_reflection_turns']['machine']}"
                           f" / {level['low_quality_reflection_turns']['human']})", "<= 1.3"],
                          ["fidelity_index AUC, high vs low quality, machine codes", level.get("fidelity_auc_machine"),
                           ">= 0.85"],
                          ["fidelity_index AUC, human codes (reference)", level.get("fidelity_auc_human"), ""],
                      ])]
        hold = metrics.get("annomi_holdout")
        if hold:
            hl = hold.get("session_level", {})
            lines += ["", "### AnnoMI fixed hold-out (reported once per model version)", "",
                      f"{hold.get('n_sessions')} transcripts (`data/annomi_holdout.json`, whole videos, both quality "
                      "levels) that no training run, feature or setting choice has seen.", "",
                      _table(["task", "value"], [
                          ["therapist 4-class macro-F1", hold["therapist_4class"]["macro_f1"]],
                          ["client 3-class macro-F1", hold["client_3class"]["macro_f1"]],
                          ["open vs closed accuracy", hold.get("open_vs_closed_accuracy")],
                          ["simple vs complex accuracy", hold.get("simple_vs_complex_accuracy")],
                          ["R:Q Spearman machine vs human", hl.get("r_q_spearman")],
                          ["low-quality reflection turns, machine / human", hl.get("low_quality_reflection_ratio")],
                          ["fidelity_index AUC (machine codes)", hl.get("fidelity_auc_machine")],
                      ])]
            bare = hold.get("unpunctuated")
            if bare:
                lines += ["", "The same transcripts lower-cased and stripped of punctuation (automatic-caption style), "
                              "split by the shipped boundary model (trained without the hold-out):", "",
                          _table(["task", "punctuated", "unpunctuated"], [
                              [name, hold[key]["macro_f1"], bare[key]["macro_f1"]]
                              for name, key in (("therapist 4-class macro-F1", "therapist_4class"),
                                                ("client 3-class macro-F1", "client_3class"))] + [
                              [name, hold.get(key), bare.get(key)]
                              for name, key in (("open vs closed accuracy", "open_vs_closed_accuracy"),
                                                ("simple vs complex accuracy", "simple_vs_complex_accuracy"))])]
        ext = metrics.get("external_dev")
        if ext:
            groups = ext.get("practitioner_groups", {})
            lines += ["", "### External dev set (outside AnnoMI; evaluation only)", "",
                      f"`{ext.get('file')}`: 10 smoking-cessation sessions, human MISC 2.5 codes mapped to MITI 4.2.1 "
                      "(`mi_coder.schemes`). Never trained or tuned on. Reproduce: `mi-coder evaluate --scheme misc "
                      "../shared/data/external_dev/mibot_misc_gold.csv`.", "",
                      _table(["measure", "value", "target", "GPT-4o (AutoMISC)"], [
                          ["AF F1", ext["per_code"].get("AF", {}).get("f1"), ">= 0.60", 0.44],
                          ["reflection (SR or CR) F1", ext.get("reflection_f1"), ">= 0.70", 0.61],
                          ["question (OQ or CQ) F1", ext.get("question_f1"), ">= 0.93", 0.93],
                          ["code-group kappa (practitioner)", groups.get("kappa"), ">= 0.55", 0.52],
                          ["client CT/ST/FN macro-F1", ext.get("client", {}).get("macro_f1"), ">= 0.70", 0.77],
                      ]), "", "Per code:", "", _per_code(ext)]
            if ext.get("confusion"):
                lines += ["", "Confusion matrix (rows: the human codes; columns: the codes the model gave):", "",
                          _confusion(ext)]
        lines += _profiles(meta)
        prev = metrics.get("previous_model")
        if ext and prev:
            pe, pc = prev["external_dev"], prev["annomi_cv"]
            codes = [c for c, m in ext["per_code"].items() if m["support"]]
            lines += ["", f"### Against the previous model ({prev['name']})", "",
                      f"External dev set, per code (F1; `{prev['command']}`):", "",
                      _table(["code", "support", prev["name"], f"{meta['name']} {meta['version']}"],
                             [[c, ext["per_code"][c]["support"], pe["per_code"].get(c, {}).get("f1"),
                               ext["per_code"][c]["f1"]] for c in codes]
                             + [["code-group kappa", "", pe["practitioner_group_kappa"], groups.get("kappa")],
                                ["reflection F1", "", pe["reflection_f1"], ext.get("reflection_f1")],
                                ["question F1", "", pe["question_f1"], ext.get("question_f1")],
                                ["client macro-F1", "", pe["client_macro_f1"], ext.get("client", {}).get("macro_f1")]]),
                      "", f"AnnoMI, {pc['note']}: therapist 4-class {pc['therapist_4class_macro_f1']}, client "
                      f"{pc['client_3class_macro_f1']}, open/closed {pc['open_vs_closed_accuracy']}, simple/complex "
                      f"{pc['simple_vs_complex_accuracy']}" + _previous_sessions(pc.get("session_level")) + "."]
            if pc.get("per_class") and annomi and hold:
                rows = []
                old_hold = pc.get("holdout_per_class")  # the previous model's hold-out, when recorded
                for task in ("therapist_4class", "client_3class"):
                    for cls, f1 in pc["per_class"][task].items():
                        rows.append([task, cls, f1, annomi[task]["per_code"][cls]["f1"]]
                                    + ([old_hold[task].get(cls)] if old_hold else [])
                                    + [hold[task]["per_code"][cls]["f1"]])
                lines += ["", "AnnoMI per class (F1):", "",
                          _table(["task", "class", f"{prev['name']} CV ({pc.get('n_sessions', 106)})",
                                  f"{meta['version']} CV ({annomi.get('n_sessions', '')})"]
                                 + ([f"{prev['name']} hold-out ({hold.get('n_sessions', 20)})"] if old_hold else [])
                                 + [f"{meta['version']} hold-out ({hold.get('n_sessions', 20)})"], rows)]
        team_s = metrics.get("team_sessions_cv")
        if team_s:
            roles = team_s.get("role_clarification", {})
            lines += ["", "### Team coded sessions (held out by session)", "",
                      "Written by the mi-coder team (data/corpus/DATA_CARD.md): these show how well the codes *as "
                      "defined* are learned, **not** real-world accuracy.", "",
                      f"Macro-F1 {team_s['macro_f1']}, kappa {team_s['kappa']}; code-group kappa "
                      f"{team_s.get('practitioner_groups', {}).get('kappa')}; client macro-F1 "
                      f"{team_s.get('client', {}).get('macro_f1')}.", "", _per_code(team_s)]
            if roles:
                lines += ["", "Role-clarification detectors (practitioner utterances of held-out sessions; target "
                              "F1 >= 0.80):", "",
                          _table(["element", "precision", "recall", "F1", "support"],
                                 [[e, m["precision"], m["recall"], m["f1"], m["support"]] for e, m in roles.items()])]
            team_h = metrics.get("team_holdout") or {}
            before = (metrics.get("previous_model") or {}).get("team_holdout", {})
            for name, rep in team_h.get("files", {}).items():
                hr = rep.get("role_clarification", {})
                old = before.get(name)  # the previous model's F1 on the same batch, when recorded
                lines += ["", f"Fixed hold-out `{name}` ({team_h['why'].get(name, '')}; `{team_h['command']}`): "
                              f"{rep.get('n_sessions')} sessions, never trained on; code macro-F1 {rep.get('macro_f1')}, "
                              f"code-group kappa {rep.get('practitioner_groups', {}).get('kappa')}, client macro-F1 "
                              f"{rep.get('client', {}).get('macro_f1')}. Role clarification:", "",
                          _table(["element", "precision", "recall", "F1", "support", "F1 per practitioner turn"]
                                 + ([f"F1 of {metrics['previous_model']['name']}"] if old else []),
                                 [[e, m["precision"], m["recall"], m["f1"], m["support"],
                                   rep.get("role_clarification_per_turn", {}).get(e, {}).get("f1")]
                                  + ([old.get(e)] if old else [])
                                  for e, m in hr.items()])]
                checklist = rep.get("role_checklist", {})
                if checklist:
                    lines += ["", "The report's checklist (element found anywhere in the session):", "",
                              _table(["element", "sessions agreeing", "labelled", "found of those", "found, not labelled"],
                                     [[e, f"{m['sessions_agree']} of {m['sessions']}", m["present"], m["found"],
                                       m["found_where_absent"]] for e, m in checklist.items()])]
            decisions = metrics.get("role_decisions")
            if decisions:
                lines += ["", "These figures decide each element on its own. The coder gives an utterance at most one "
                              "element, the likeliest reaching 0.5 (`model.coder.role_decisions`); a grouped CV of "
                              f"the detectors alone on the team sessions (`{decisions['command']}`; features fitted "
                              "on the team sessions only) decided the same probabilities both ways:", "",
                          _table(["element", "F1 independent", "F1 at most one (shipped)", "support"],
                                 [[e, m["f1"], decisions["exclusive"][e]["f1"], m["support"]]
                                  for e, m in decisions["independent"].items()])]
        boundary = metrics.get("boundary_cv")
        if boundary:
            mr, ms = boundary["model_vs_reference"], boundary["model_vs_sentence_ends"]
            rr = boundary["rules_1x_vs_reference"]
            lines += ["", "### Utterance boundaries in unpunctuated speech (boundary.npz)", "",
                      f"AnnoMI turns stripped of punctuation and casing, {boundary['folds']}-fold CV grouped by video "
                      f"({boundary['turns']} turns; `{boundary['command']}`):", "",
                      _table(["splitter", "reference", "precision", "recall", "F1", "whole questions kept"], [
                          ["boundary model", "mi-coder's segmentation of the punctuated text", mr["precision"],
                           mr["recall"], mr["f1"], boundary.get("model_question_recall")],
                          ["boundary model", "sentence ends of the punctuated text", ms["precision"], ms["recall"],
                           ms["f1"], ""],
                          ["rules of mi-coder 1.x", "mi-coder's segmentation of the punctuated text", rr["precision"],
                           rr["recall"], rr["f1"], boundary.get("rules_1x_question_recall")],
                      ])]
        team = metrics.get("team_corpus_cv")
        files = [f for f in meta.get("training", {}).get("files", []) if isinstance(f, dict)]
        team_written = any(str(f.get("layout", "")).startswith("team") for f in files)
        if team and team_written:
            lines += ["", "### Team corpus (held-out folds)", "",
                      f"Per-code F1 on the team-written corpus, {metrics.get('folds', 5)}-fold cross-validation"
                      + (" (AnnoMI joins every training fold)" if metrics.get("annomi_cv") else "")
                      + ". The corpus was written by the mi-coder team to cover codes AnnoMI lacks; it is cleaner "
                      "than real speech and shares its writers' habits, so **these figures are not evidence of "
                      "real-world accuracy**.", "",
                      f"Macro-F1 {team['macro_f1']}, kappa {team['kappa']}, ECE {team['reliability']['ece']}."
                      + _role_figures(team), "",
                      _per_code(team)]
        elif team:
            lines += ["", "### The training data (held-out folds)", "",
                      f"Per-code F1 on {', '.join(str(f.get('file')) for f in files)}, "
                      f"{metrics.get('folds', 5)}-fold cross-validation grouped by session. Each fold trains as "
                      "the saved model is trained (utterance and turn models) and codes its held-out sessions as "
                      "whole sessions, as the saved model codes them.", "",
                      f"Macro-F1 {team['macro_f1']}, kappa {team['kappa']}, ECE {team['reliability']['ece']}."
                      + _role_figures(team)
                      + (" The team corpus's client utterances (client_corpus above) trained every fold and were "
                         "never held out: these figures are your tables' sessions alone, which code no client talk."
                         if meta.get("training", {}).get("client_corpus") else ""), "",
                      _per_code(team)]
        speed = metrics.get("speed")
        if speed:
            lines += ["", "### Speed", "", _table(["measure", "value"], [[k, val] for k, val in speed.items()])]
    trained_on_annomi = any(f.get("layout") == "AnnoMI" for f in meta.get("training", {}).get("files", [])
                            if isinstance(f, dict))
    lines += ["", "## Limitations", ""]
    if not trained_on_annomi:
        lines += ["- Trained on the files listed above only"
                  + (" (and, for client codes, on mi-coder's team corpus: client_corpus above)"
                     if meta.get("training", {}).get("client_corpus") else "")
                  + ": its codes are as good as those files' coding and as "
                  "general as their sessions; measure it on sessions it did not read (`mi-coder evaluate`)."]
    else:
        lines += [
              "- AnnoMI holds demonstration videos of MI (mostly high quality), professionally transcribed; real "
              "sessions, other settings (probation, child welfare) and automatic transcripts will score lower.",
              "- AnnoMI has no affirmation, seeking-collaboration, autonomy, persuade or confront labels: those codes "
              + ("are learned from the team corpus and from the AnnoMI utterances re-coded one by one by LLM helper "
                 "coders (the re-code files above; a developer's sample read about nine in ten right, no human "
                 "second coder)" if any("re-codes" in str(f.get("layout", "")) for f in
                                        meta.get("training", {}).get("files", []) if isinstance(f, dict))
                 else "are learned from the team corpus alone")
              + "; the external dev set is the only outside check on them."]
    lines += [("- The model gives one code per utterance; a rule adds SEEK as second code (`code2`) to a question "
               "that asks permission, and a question the model codes SEEK or EA keeps its question code with SEEK or "
               "EA second; other collaboration-seeking questions count as questions alone."
               if meta.get("decoding", {}).get("question_second_codes") else
               "- The model gives one code per utterance; a rule adds SEEK as second code (`code2`) to a question "
               "that asks permission, so other collaboration-seeking questions count as questions alone."),
              "- Codes are suggestions for a human coder's review, not a substitute for MITI coding by trained coders.",
              *(["", "## Changes since the model was built", "", *(f"- {note}" for note in meta["revisions"])]
                if meta.get("revisions") else []),
              "", "## Files", "",
              _table(["file", "SHA-256"], [[k, f"`{h}`"] for k, h in meta.get("artifacts", {}).items()]), ""]
    return "\n".join(lines)


def _previous_sessions(level: dict | None) -> str:
    """The previous model's session-level CV figures, when its entry has them."""
    if not level:
        return ""
    return (f"; session level R:Q Spearman {level.get('r_q_spearman')}, reflections in low-quality sessions "
            f"{level.get('low_quality_reflection_ratio')}x the human count, fidelity AUC {level.get('fidelity_auc_machine')}")


def _profiles(meta: dict) -> list[str]:
    """The decoding profiles' figures next to the default decoding's (hold-out, external set, grouped folds)."""
    metrics = meta.get("metrics", {})
    profiles = metrics.get("profiles") or {}
    hold, ext = metrics.get("annomi_holdout") or {}, metrics.get("external_dev") or {}
    lines: list[str] = []
    for name, got in profiles.items():
        settings = (meta.get("decoding_profiles") or {}).get(name, {})
        ph, pe, cv = got.get("annomi_holdout") or {}, got.get("external_dev") or {}, got.get("annomi_cv") or {}
        hl, phl = hold.get("session_level", {}), ph.get("session_level", {})
        cv_default = metrics.get("annomi_cv", {}).get("session_level", {})
        rows = [
            ["AnnoMI hold-out: R:Q Spearman", hl.get("r_q_spearman"), phl.get("r_q_spearman"), ">= 0.85"],
            ["AnnoMI hold-out: low-quality reflection ratio", hl.get("low_quality_reflection_ratio"),
             phl.get("low_quality_reflection_ratio"), "<= 1.3"],
            ["AnnoMI hold-out: fidelity_index AUC", hl.get("fidelity_auc_machine"), phl.get("fidelity_auc_machine"),
             ">= 0.85"],
            ["AnnoMI hold-out: therapist 4-class macro-F1", hold.get("therapist_4class", {}).get("macro_f1"),
             ph.get("therapist_4class", {}).get("macro_f1"), ""],
        ]
        if cv:
            rows += [[f"grouped folds ({cv['experiment'].split()[0]}): R:Q Spearman", cv_default.get("r_q_spearman"),
                      cv.get("session_r_q_spearman"), ">= 0.85"],
                     ["grouped folds: low-quality reflection ratio", cv_default.get("low_quality_reflection_ratio"),
                      cv.get("session_low_quality_reflection_ratio"), "<= 1.3"],
                     ["grouped folds: fidelity_index AUC", cv_default.get("fidelity_auc_machine"),
                      cv.get("session_fidelity_auc_machine"), ">= 0.85"]]
        if pe and ext:
            rows += [["external dev: reflection F1", ext.get("reflection_f1"), pe.get("reflection_f1"), ">= 0.70"],
                     ["external dev: code-group kappa", ext.get("practitioner_groups", {}).get("kappa"),
                      pe.get("practitioner_groups", {}).get("kappa"), ">= 0.55"],
                     ["external dev: AF F1", ext["per_code"].get("AF", {}).get("f1"),
                      pe["per_code"].get("AF", {}).get("f1"), ">= 0.60"],
                     ["external dev: question F1", ext.get("question_f1"), pe.get("question_f1"), ">= 0.93"]]
        shown = {k: v for k, v in settings.items() if k != "purpose"}
        lines += ["", f"### Decoding profile `{name}` (`mi-coder code --profile {name}`)", "",
                  f"The same weights, decoded with {json.dumps(shown)}: {settings.get('purpose', '')}. The grouped-fold "
                  "row of the default decoding is this model's own cross-validation above; the profile's is the "
                  "experiment named, on the same folds (its settings are its line in scripts/experiments.jsonl).", "",
                  _table(["measure", "default (utterances)", f"profile {name}", "target"], rows)]
    return lines
