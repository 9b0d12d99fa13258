"""Coding held-out files and comparing with their human codes; a plain-text summary of any evaluation report."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Sequence

from ..io.delimited import _header
from ..model.coder import Coder
from ..records import CLIENT, PRACTITIONER
from ..schemes import group
from ..train.annomi import annomi_sessions, is_annomi_layout, load_annomi_turns
from .agreement import (code_set, either_slot_report, question_form_uncoded, read_coded, second_codes,
                        session_score_agreement)
from .crossval import annomi_turn_tasks, code_with_probs, role_report
from .metrics import reliability, session_intervals, utterance_report


def heldout_report(coder: Coder, paths: Sequence, options=None, scheme: str = "miti") -> dict:  # type: ignore[no-untyped-def]
    """Code held-out files and compare with their human codes (AnnoMI layout or coded tables)."""
    report: dict[str, Any] = {}
    pooled: dict[str, list] = {"pairs": [], "conf": [], "human": [], "machine": [], "tables": [], "left_out": [],
                               "sessions": []}
    for path in paths:
        trained_on = _warn_if_trained_on(coder, Path(path))
        if is_annomi_layout(_header(Path(path))):
            turns = load_annomi_turns(path)
            _warn_if_trained_on_transcripts(coder, path, turns)
            sessions = annomi_sessions(turns)
            probs = code_with_probs(coder, sessions)
            report[str(path)] = annomi_turn_tasks(sessions, probs)
        else:
            human = read_coded(path, options, scheme)
            seen = [] if trained_on else _sessions_trained_on(coder, human)
            every_session_seen = bool(seen) and len(seen) == len(human)
            if seen:
                import warnings

                left = "left out of the figures" if len(seen) < len(human) else "the figures are not held-out ones"
                warnings.warn(f"{path}: {len(seen)} of {len(human)} session(s) ({', '.join(seen[:5])}"
                              f"{' ...' if len(seen) > 5 else ''}) are word for word in {coder.name}'s training data; "
                              f"{left}: evaluate on sessions the model never read", stacklevel=2)
                if len(seen) < len(human):  # the file's figures are held-out ones: over the sessions never read
                    human = [hs for hs in human if hs.id not in seen]
            machine = _uncoded(copy.deepcopy(human))  # not read twice: each warning about the file once
            coder.code(machine)
            if question_form_uncoded(human, machine):  # a MITI 4.2.1 table's Q: the coder's OQ and CQ compared as Q
                rep_note = "questions compared as Q (the table codes MITI 4.2.1's Question without its form)"
            else:
                rep_note = ""
            pairs = [(h.code, m.code) for hs, ms in zip(human, machine)
                     for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code]
            rep = _compared(pairs)
            rep["n_sessions"] = len(human)  # the sessions coded (a session that could not be read is not)
            by_session = [[(h.code, m.code) for (_, h), (_, m) in zip(hs.utterances(), ms.utterances())
                           if h.code and m.code] for hs, ms in zip(human, machine)]
            intervals = session_intervals(by_session)
            if intervals:
                rep["intervals"] = intervals
            if rep_note:
                rep["note"] = rep_note
            slots = either_slot_report([(code_set(h), code_set(m)) for hs, ms in zip(human, machine)
                                        for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code],
                                       second_codes(human, machine))
            if slots:  # SEEK the machine gives as a question's second code, against the reference's either column
                rep["either_slot"] = slots
            if seen:  # left out above where others remain; else every figure is on training data, and says so
                rep["sessions_in_training_data"] = seen
                if every_session_seen:
                    rep["model_trained_on_these_sessions"] = True
            conf = [m.confidence or 0.0 for hs, ms in zip(human, machine)
                    for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code]
            # the pooled figure is a held-out figure: it leaves out what the model trained on, file or session
            held = [(hs, ms) for hs, ms in zip(human, machine) if not trained_on and hs.id not in seen]
            if not held:
                pooled["left_out"].append(str(path))
            elif seen:
                pooled["left_out"].append(f"{path} ({len(seen)} session(s))")
            if held:
                pooled["tables"].append(str(path))
            pooled["pairs"].extend((h.code, m.code) for hs, ms in held
                                   for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code)
            pooled["sessions"].extend(pairs for (hs, _), pairs in zip(zip(human, machine), by_session)
                                      if not trained_on and hs.id not in seen)
            pooled["conf"].extend(m.confidence or 0.0 for hs, ms in held
                                  for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code)
            pooled["human"].extend(hs for hs, _ in held)
            pooled["machine"].extend(ms for _, ms in held)
            rep["reliability"] = reliability(conf, [a == b for a, b in pairs])
            rep["session_scores"] = session_score_agreement(human, machine)
            if scheme != "miti":
                rep["scheme_note"] = (f"the reference's {scheme.upper()} codes are mapped to MITI 4.2.1; MISC has no "
                                      "seeking-collaboration code, so SEEK the machine gives (often as a question's "
                                      "second code) counts in its mi_adherent and never in the reference's")
            roles = [(h.meta["human_roles"], ";".join(m.meta.get("role_elements", [])))
                     for hs, ms in zip(human, machine) for (t, h), (_, m) in zip(hs.utterances(), ms.utterances())
                     if t.role == PRACTITIONER and "human_roles" in h.meta]
            if roles:  # the table labels role clarification: per-element agreement on practitioner utterances
                rep["role_clarification"] = role_report(roles)
                rep["role_clarification_per_turn"] = role_report(role_turn_pairs(human, machine))
                rep["role_checklist"] = role_checklist_report(human, machine)
            if trained_on:
                rep["model_trained_on_this_file"] = True
            report[str(path)] = rep
    coded_tables = pooled["tables"]
    if len(coded_tables) > 1 and pooled["pairs"]:  # one session per file is common: the figure over all of them
        rep = _compared(pooled["pairs"])
        intervals = session_intervals(pooled["sessions"])
        if intervals:
            rep["intervals"] = intervals
        rep["reliability"] = reliability(pooled["conf"], [a == b for a, b in pooled["pairs"]])
        rep["session_scores"] = session_score_agreement(pooled["human"], pooled["machine"])
        if pooled["left_out"]:
            rep["left_out_as_training_data"] = pooled["left_out"]
        report[f"all {len(coded_tables)} coded tables together"] = rep
    return {"model": coder.name, "heldout": report}


def _compared(pairs: Sequence[tuple[str, str]]) -> dict:
    """Utterance-level and code-group agreement of (human, machine) code pairs, with kappa per role (the pooled
    kappa mixes two label sets that never meet)."""
    from ..codes import CLIENT_CODES
    from .agreement import _kappa

    rep = utterance_report([p[0] for p in pairs], [p[1] for p in pairs])
    rep.update(group_report(pairs))
    by_role = {}
    for role, is_client in (("practitioner", False), ("client", True)):
        pick = [(a, b) for a, b in pairs if (a in CLIENT_CODES) == is_client]
        if pick:
            by_role[role] = {"n": len(pick), "kappa": _kappa([a for a, _ in pick], [b for _, b in pick])}
    rep["kappa_by_role"] = by_role
    return rep


def _training(coder: Coder) -> dict:
    meta = getattr(coder, "meta", None) or {}
    training = meta.get("training", {}) if isinstance(meta, dict) else {}
    return training if isinstance(training, dict) else {}


def _warn_if_trained_on(coder: Coder, path: Path) -> bool:
    """A warning when ``path`` is one of the model's own training files (its SHA-256 where the model recorded it,
    whatever the file is called now, else its name): figures on training data overstate accuracy."""
    import warnings

    from ..model.store import sha256

    digest = None
    for f in _training(coder).get("files", []):
        if not isinstance(f, dict) or f.get("layout") == "AnnoMI":
            continue  # an AnnoMI file is checked transcript by transcript (its hold-out was left out)
        if f.get("sha256"):
            digest = digest or sha256(path)
            if f["sha256"] != digest:
                continue
        elif f.get("file") != path.name:
            continue
        warnings.warn(f"{path}: {coder.name} was trained on this file"
                      + ("" if f.get("sha256") else " (by its name)")
                      + "; figures on it overstate accuracy: evaluate on sessions the model never read", stacklevel=3)
        return True
    return False


def _sessions_trained_on(coder: Coder, sessions: Sequence) -> list[str]:
    """The ids of ``sessions`` whose words are those of a session the model trained on (any file, layout or codes:
    ``training.session_fingerprints``, recorded since the twenty-sixth session, and ``annomi_fingerprints``, the
    AnnoMI transcripts it trained on, since the twenty-eighth)."""
    from ..train.examples import session_fingerprint

    training = _training(coder)
    known = set(training.get("session_fingerprints") or []) | set(training.get("annomi_fingerprints") or [])
    return [s.id for s in sessions if known and session_fingerprint(
        [u.text for t, u in s.utterances() if t.role in (PRACTITIONER, CLIENT)]) in known]


def _warn_if_trained_on_transcripts(coder: Coder, path: Any, turns: Any) -> None:
    """A warning when AnnoMI transcripts the model trained on are among those evaluated (a model trained on an
    AnnoMI file read all its transcripts but its recorded hold-out)."""
    import warnings

    from ..train.annomi import transcript_fingerprints

    training = _training(coder)
    known = set(training.get("annomi_fingerprints") or []) | set(training.get("session_fingerprints") or [])
    ids = {str(t) for t in turns["transcript_id"].unique()}
    if "annomi_fingerprints" in training:  # the transcripts it trained on, by their words
        seen = sorted((t for t, f in transcript_fingerprints(turns).items() if f in known), key=lambda t: (len(t), t))
    elif any(isinstance(f, dict) and f.get("layout") == "AnnoMI" for f in training.get("files", [])):
        # a model from before the words were recorded: every transcript but its hold-out, by id
        seen = sorted(ids - {str(t) for t in training.get("annomi_holdout_excluded", [])}, key=lambda t: (len(t), t))
    else:
        return
    if seen:
        warnings.warn(f"{path}: {len(seen)} of {len(ids)} transcripts ({', '.join(seen[:5])}"
                      f"{' ...' if len(seen) > 5 else ''}) are word for word in {coder.name}'s training data; "
                      "figures on them overstate accuracy: evaluate on transcripts the model never read", stacklevel=3)


def _uncoded(sessions: Sequence) -> Sequence:
    """The machine's copy of a coded table, its human codes and labels removed before the coder sees it: whatever
    the coder does not code (an utterance of a third speaker, role elements a model without detectors does not
    label) would otherwise reach the comparison as the machine's and agree with itself."""
    for s in sessions:
        for _, u in s.utterances():
            u.code, u.confidence = None, None
            for key in ("role_elements", "human_roles", "code2", "original_code"):
                u.meta.pop(key, None)
    return sessions


def role_turn_pairs(human: Sequence, machine: Sequence) -> list[tuple[str, str]]:
    """(human, machine) role-element strings per practitioner turn: a turn carries an element when any of its
    utterances does (the unit the report cites as evidence)."""
    pairs = []
    for hs, ms in zip(human, machine):
        for ht, mt in zip(hs.turns, ms.turns):
            if ht.role != PRACTITIONER or not any("human_roles" in u.meta for u in ht.utterances):
                continue
            h = {e for u in ht.utterances for e in u.meta.get("human_roles", "").split(";") if e}
            m = {e for u in mt.utterances for e in u.meta.get("role_elements", [])}
            pairs.append((";".join(sorted(h)), ";".join(sorted(m))))
    return pairs


def role_checklist_report(human: Sequence, machine: Sequence) -> dict:
    """The report's role-clarification checklist against the human labels, per session: for each element, in
    how many sessions the human labels have it, how many of those the coder found it in (anywhere in the
    session), in how many it found it where the labels have none, and how many sessions agree."""
    from ..codes import ROLE_ELEMENTS

    out = {}
    for element in ROLE_ELEMENTS:
        pairs = [(any(element in h.meta.get("human_roles", "").split(";") for _, h in hs.utterances()),
                  any(element in m.meta.get("role_elements", []) for _, m in ms.utterances()))
                 for hs, ms in zip(human, machine)]
        out[element] = {"sessions": len(pairs), "present": sum(h for h, _ in pairs),
                        "found": sum(h and m for h, m in pairs), "found_where_absent": sum(m and not h for h, m in pairs),
                        "sessions_agree": sum(h == m for h, m in pairs)}
    return out


def group_report(pairs: Sequence[tuple[str, str]]) -> dict:
    """Group-level agreement (``schemes.GROUPS``) of (human, machine) code pairs, practitioner and client apart,
    plus the one-vs-rest F1 of the composite targets: any reflection, any question."""
    from ..codes import CLIENT_CODES

    prac = [(h, m) for h, m in pairs if h not in CLIENT_CODES]
    client = [(h, m) for h, m in pairs if h in CLIENT_CODES]
    out: dict[str, Any] = {}
    if prac:
        out["practitioner_groups"] = utterance_report([group(h) for h, _ in prac], [group(m) for _, m in prac])
        for name, members in (("reflection", {"SR", "CR"}), ("question", {"OQ", "CQ", "Q"})):  # Q: form uncoded
            tp = sum(h in members and m in members for h, m in prac)
            fp = sum(h not in members and m in members for h, m in prac)
            fn = sum(h in members and m not in members for h, m in prac)
            out[f"{name}_f1"] = round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else None
    if client:
        out["client"] = utterance_report([h for h, _ in client], [m for _, m in client], list(CLIENT_CODES))
    return out


def format_report(report: dict) -> str:
    """A plain-text summary of an evaluation report (the JSON holds everything)."""
    lines: list[str] = []

    def per_code(rep: dict, indent: str = "  ", agreement: bool = False) -> None:
        spans = (rep.get("intervals") or {}).get("per_code_f1", {})
        # the figures as the report holds them (three decimals): printed to two, 0.615 read 0.61 where 8/13 is 0.62
        lines.append(f"{indent}{'code':<16}{'prec':>7}{'rec':>7}{'F1':>7}{'n':>7}" + ("   F1 95% interval" if spans else ""))
        for code, m in rep["per_code"].items():
            if m["support"]:
                span = (spans.get(code) or {}).get("interval")
                lines.append(f"{indent}{code:<16}{m['precision']:>7.3f}{m['recall']:>7.3f}{m['f1']:>7.3f}{m['support']:>7}"
                             + (f"   {span[0]:.2f}-{span[1]:.2f}" if span else ""))
        extra = rep.get("predicted_only") or {}
        if extra:  # codes given where the reference never uses them: all false positives
            lines.append(f"{indent}" + ("in the second table but never in the first: " if agreement
                                        else "given but never in the reference: ")
                         + ", ".join(f"{code} x{n}" for code, n in extra.items()))
        roles = {r: v for r, v in (rep.get("kappa_by_role") or {}).items() if v.get("n")}
        pooled = " (practitioner and client codes pooled)" if len(roles) > 1 else ""
        lines.append(f"{indent}macro-F1 {rep['macro_f1']}"
                     + (f" (over every code either side used: {rep['macro_f1_all_codes']})" if extra else "")
                     + f"  accuracy {rep['accuracy']}  kappa {rep['kappa']}{pooled}  (n={rep['n']})")
        if roles:
            lines.append(f"{indent}kappa by role (the figures to cite): "
                         + ", ".join(f"{r} {v['kappa']} (n={v['n']})" for r, v in roles.items()))
        slots = rep.get("either_slot") or {}
        measured = {c: m for c, m in slots.items() if m.get("support")}
        if measured:
            lines.append(f"{indent}a code in either slot (first or second code): "
                         + ", ".join(f"{c} F1 {m['f1']} (precision {m['precision']}, recall {m['recall']}, "
                                     f"n={m['support']})" for c, m in measured.items()))
        unmatched = {c: m["given"] for c, m in slots.items() if not m.get("support") and m.get("given")}
        if unmatched:  # never in the reference (MISC has no SEEK): an F1 of 0 over nothing would mean nothing
            lines.append(f"{indent}given in either slot but never in the " + ("first table" if agreement else
                                                                               "reference") + ": "
                         + ", ".join(f"{c} x{n}" for c, n in unmatched.items()))

    def confusion(rep: dict) -> None:
        """The confusion matrix: one row per reference code, one column per code given."""
        from .metrics import confusion_rows

        columns, rows = confusion_rows(rep)
        if not rows:
            return
        lines.append("  confusion (rows: reference codes; columns: codes given):")
        lines.append("  " + " " * 6 + "".join(f"{c:>6}" for c in columns))
        lines.extend("  " + f"{code:<6}" + "".join(f"{n:>6}" for n in counts) for code, counts in rows)

    def role_lines(rep: dict) -> None:
        """Role-clarification agreement per element: per utterance and, where measured, per practitioner turn."""
        for key, unit in (("role_clarification", ""), ("role_clarification_per_turn", ", per practitioner turn")):
            for element, m in rep.get(key, {}).items():
                lines.append(f"  role clarification {element}{unit}: F1 {m['f1']} (precision {m['precision']}, "
                             f"recall {m['recall']}, n={m['support']})")

    def tasks(rep: dict) -> None:
        lines.append("therapist 4-class turn task:")
        per_code(rep["therapist_4class"])
        lines.append("client change/neutral/sustain turn task:")
        per_code(rep["client_3class"])
        if "open_vs_closed_accuracy" in rep:
            lines.append(f"open vs closed on question turns: accuracy {rep['open_vs_closed_accuracy']} "
                         f"(n={rep['open_vs_closed_n']})")
        if "simple_vs_complex_accuracy" in rep:
            lines.append(f"simple vs complex on reflection turns: accuracy {rep['simple_vs_complex_accuracy']} "
                         f"(n={rep['simple_vs_complex_n']})")
        if rep.get("intervals"):
            iv = rep["intervals"]
            first = next(iter(iv.values()))

            def span(task: str, key: str) -> str:
                return f"{iv[task][key]['point']} ({iv[task][key]['interval'][0]}-{iv[task][key]['interval'][1]})"

            named = (("therapist", "macro_f1", "therapist macro-F1"), ("client", "macro_f1", "client macro-F1"),
                     ("open_closed", "accuracy", "open/closed accuracy"),
                     ("simple_complex", "accuracy", "simple/complex accuracy"))
            lines.append(f"{first['level']:.0%} intervals, the {first['sessions']} sessions resampled "
                         f"({first['resamples']} times): "
                         + ", ".join(f"{label} {span(task, key)}" for task, key, label in named if task in iv))

    if "annomi_cv" in report:
        r = report["annomi_cv"]
        lines.append(f"AnnoMI {r['folds']}-fold cross-validation grouped by video ({r['n_sessions']} sessions, "
                     f"{r['n_groups']} videos)")
        tasks(r)
        lines.append("utterance level (labels derived from turn labels):")
        per_code(r["utterance_level"])
        lines.append(f"confidence calibration: ECE {r['reliability']['ece']}")
    for key, title in (("team_sessions_cv", "held-out coded sessions"),
                       ("team_corpus_cv", "cross-validation of the coded tables")):
        if key in report:
            rep = report[key]
            lines.append(f"{title} ({rep.get('folds')}-fold, grouped by session):")
            if report.get("recipe"):
                lines.append(f"  {report['recipe']}")
            per_code(rep)
            role_lines(rep)
    for path, rep in report.get("heldout", {}).items():
        lines.append(("not held out, the model's own training data: "
                      if rep.get("model_trained_on_this_file") or rep.get("model_trained_on_these_sessions")
                      else "held-out ") + str(path)
                     + (f" (model {report['model']})" if report.get("model") else "") + ":")
        if "therapist_4class" in rep:
            tasks(rep)
        else:
            per_code(rep)
            if "practitioner_groups" in rep:
                g = rep["practitioner_groups"]
                lines.append(f"  practitioner code groups: kappa {g['kappa']}, accuracy {g['accuracy']}; "
                             f"reflection F1 {rep['reflection_f1']}, question F1 {rep['question_f1']}")
            if "client" in rep:
                lines.append(f"  client CT/ST/FN: macro-F1 {rep['client']['macro_f1']}, kappa {rep['client']['kappa']}")
            if rep.get("intervals"):
                iv = rep["intervals"]
                named = (("kappa_practitioner", "practitioner kappa"), ("kappa_client", "client kappa"),
                         ("group_kappa", "code-group kappa"), ("reflection_f1", "reflection F1"),
                         ("question_f1", "question F1"), ("client_macro_f1", "client macro-F1"),
                         ("macro_f1", "macro-F1"))
                lines.append(f"  {iv['level']:.0%} intervals, the {iv['sessions']} sessions resampled "
                             f"({iv['resamples']} times): " + ", ".join(
                                 f"{label} {iv[key]['point']} ({iv[key]['interval'][0]}-{iv[key]['interval'][1]})"
                                 for key, label in named if iv.get(key) and iv[key].get("interval")))
            confusion(rep)
            if rep.get("scheme_note"):
                lines.append(f"  note: {rep['scheme_note']}")
            if rep.get("note"):
                lines.append(f"  note: {rep['note']}")
            if rep.get("left_out_as_training_data"):
                lines.append("  left out, the model's training data: " + ", ".join(rep["left_out_as_training_data"]))
            if rep.get("sessions_in_training_data") and not rep.get("model_trained_on_these_sessions"):
                lines.append(f"  left out, the model's training data: {len(rep['sessions_in_training_data'])} "
                             f"session(s) ({', '.join(rep['sessions_in_training_data'][:5])}"
                             f"{' ...' if len(rep['sessions_in_training_data']) > 5 else ''})")
            role_lines(rep)
            for element, m in rep.get("role_checklist", {}).items():
                lines.append(f"  checklist {element}: {m['sessions_agree']} of {m['sessions']} sessions agree (labelled "
                             f"in {m['present']}, found in {m['found']} of them; found where not labelled: "
                             f"{m['found_where_absent']})")
    if "agreement_multi" in report:
        m = report["agreement_multi"]
        lines.append(f"agreement of {len(m['files'])} coders on {m['units']} utterances: Krippendorff's alpha "
                     f"(nominal) {m['krippendorff_alpha']}")
        for pair, kappa in m["pairwise_kappa"].items():
            shown = kappa if kappa is not None else "undefined (one code only, or no utterance both coded)"
            lines.append(f"  kappa {shown}: {pair}")
    if report.get("segmentation"):
        from .segmentation import format_segmentation

        lines.append(format_segmentation(report["segmentation"]))
    if "agreement" in report:
        a = report["agreement"]
        lines.append(f"agreement of {a['first']} and {a['second']} on {a['n_utterances']} utterances (the first is "
                     "the reference: precision and recall are the second's against it):")
        if a.get("only_in_first") or a.get("only_in_second"):
            lines.append(f"  not compared: {a['only_in_first']} utterance(s) only in the first, "
                         f"{a['only_in_second']} only in the second")
        if a.get("coded_only_in_first") or a.get("coded_only_in_second"):
            lines.append(f"  not compared: {a['coded_only_in_first']} utterance(s) coded only in the first (no code "
                         f"in the second), {a['coded_only_in_second']} coded only in the second")
        per_code({**a["overall"], "kappa_by_role": a.get("kappa_by_role", {}), "either_slot": a.get("either_slot")},
                 agreement=True)
        if a.get("original_codes"):
            o = a["original_codes"]
            lines.append(f"  codes compared after mapping {o['scheme'].upper()} to MITI 4.2.1; on the {o['scheme'].upper()} "
                         f"codes themselves: kappa {o['kappa']} (n={o['n']})")
        lines.append("  per-code kappa: " + ", ".join(f"{c} {v['kappa']}" for c, v in a["per_code_kappa"].items()))
        lines.append(f"  Krippendorff's alpha (nominal): {a.get('krippendorff_alpha')}")
        lines.append("  session scores (ICC(2,1), Pearson r):")
        for score, v in a["session_scores"].items():
            why = ("" if v["icc"] is not None and v["pearson_r"] is not None else
                   "; too few sessions with the score (3 needed)" if v["n_sessions"] < 3 else
                   "; the score does not vary across sessions")
            if v.get("values"):  # one or two sessions: their values side by side instead of an ICC
                lines.append(f"    {score:<18} " + "; ".join(
                    f"{sid}: first {x if x is not None else 'n/a'}, second {y if y is not None else 'n/a'}"
                    for sid, (x, y) in v["values"].items()) + " (no ICC over fewer than 3 sessions)")
                continue
            lines.append(f"    {score:<18} ICC {v['icc']}  r {v['pearson_r']}  (n={v['n_sessions']}{why})")
    return "\n".join(lines)


def annomi_holdout_report(coder: Coder, turns: Any, unpunctuated: bool = True) -> dict:
    """The AnnoMI turn tasks and session-level agreement on held-out AnnoMI turns (``load_annomi_turns``);
    ``unpunctuated`` also the turn tasks on the same transcripts lower-cased and stripped of punctuation,
    segmented by the coder's boundary model (which never read the hold-out)."""
    from ..train.annomi import annomi_human_sessions, caption_copy
    from .validation import session_level

    sessions = annomi_sessions(turns)
    probs = code_with_probs(coder, sessions)
    report = annomi_turn_tasks(sessions, probs)
    if unpunctuated:
        bare = [caption_copy(s) for s in sessions]
        report["unpunctuated"] = annomi_turn_tasks(bare, code_with_probs(coder, bare))
    quality = {s.id: s.meta.get("mi_quality", "") for s in sessions}
    report["session_level"] = session_level(annomi_human_sessions(turns), sessions, quality)
    report["n_sessions"] = len(sessions)
    return report
