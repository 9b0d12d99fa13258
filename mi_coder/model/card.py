"""The model card: a Markdown page generated from a model's ``meta.json``, so the two never disagree."""

from __future__ import annotations

from typing import Any


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(out)


def _per_code(report: dict) -> str:
    rows = [[code, m["precision"], m["recall"], m["f1"], m["support"]] for code, m in report["per_code"].items()
            if m["support"]]
    return _table(["code", "precision", "recall", "F1", "support"], rows)


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
        "",
        "## Training data and protocol",
        "",
    ]
    training = meta.get("training", {})
    for key, value in training.items():
        if isinstance(value, (list, tuple)):
            value = "; ".join(" ".join(f"{k}: {v}" for k, v in item.items()) if isinstance(item, dict) else str(item)
                              for item in value)
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
                    ["therapist 4-class turn task", "macro-F1", annomi["therapist_4class"]["macro_f1"], ">= 0.80",
                     "TF-IDF 0.72, RoBERTa 0.81, human Fleiss' kappa 0.74"],
                    ["therapist 4-class turn task", "Cohen's kappa", annomi["therapist_4class"]["kappa"], "", ""],
                    ["client change/neutral/sustain", "macro-F1", annomi["client_3class"]["macro_f1"], ">= 0.60",
                     "BERT 0.58"],
                    ["open vs closed (question turns)", "accuracy", annomi.get("open_vs_closed_accuracy"), ">= 0.90", ""],
                    ["simple vs complex (reflection turns)", "accuracy", annomi.get("simple_vs_complex_accuracy"),
                     ">= 0.70", ""],
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
                              "(automatic-caption style) at coding time:", "",
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
                              f"{annomi.get('output_temperature')}).", "",
                          _table(["confidence", "n", "mean confidence", "accuracy"],
                                 [[b["bin"], b["n"], b["mean_confidence"], b["accuracy"]] for b in rel["bins"]])]
        team = metrics.get("team_corpus_cv")
        if team:
            lines += ["", "### Team corpus (held-out folds)", "",
                      "Per-code F1 on the team-written corpus, 5-fold cross-validation (AnnoMI joins every training "
                      "fold). The corpus was written by the mi-coder team to cover codes AnnoMI lacks; it is cleaner "
                      "than real speech and shares its writers' habits, so **these figures are not evidence of "
                      "real-world accuracy**.", "",
                      f"Macro-F1 {team['macro_f1']}, kappa {team['kappa']}, ECE {team['reliability']['ece']}.", "",
                      _per_code(team)]
        speed = metrics.get("speed")
        if speed:
            lines += ["", "### Speed", "", _table(["measure", "value"], [[k, val] for k, val in speed.items()])]
    lines += ["", "## Limitations", "",
              "- AnnoMI holds demonstration videos of MI (mostly high quality), professionally transcribed; real "
              "sessions, other settings (probation, child welfare) and automatic transcripts will score lower.",
              "- AnnoMI has no affirmation, seeking-collaboration, autonomy, persuade or confront labels: those codes "
              "are learned from the team corpus alone and are the least certain.",
              "- Codes are suggestions for a human coder's review, not a substitute for MITI coding by trained coders.",
              "", "## Files", "",
              _table(["file", "SHA-256"], [[k, f"`{h}`"] for k, h in meta.get("artifacts", {}).items()]), ""]
    return "\n".join(lines)
