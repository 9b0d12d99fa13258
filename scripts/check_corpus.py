"""Check team-corpus session files: format, codes, turn structure and per-batch register figures.

Usage: python scripts/check_corpus.py data/corpus/sessions/<batch>_utterances.csv [...]
Exits 1 and lists every problem found; prints a per-file summary when the file is well formed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

PRACTITIONER_CODES = {"OQ", "CQ", "SR", "CR", "AF", "SEEK", "EA", "GI", "PWP", "PER", "CON", "NC"}
CLIENT_CODES = {"CT", "ST", "FN"}
SECOND_CODES = {"", "SEEK", "EA", "CQ", "OQ", "PWP"}
ROLE_ELEMENTS = {"purpose", "practitioner_role", "client_role", "participation"}
UTT_COLUMNS = ["session_id", "turn", "utterance", "speaker", "text", "code", "code2", "role"]
SESSION_COLUMNS = ["session_id", "kind", "setting", "quality", "partnership", "empathy",
                   "cultivating_change_talk", "softening_sustain_talk", "description"]
SETTINGS = {"probation", "parole", "community_supervision", "substance_use", "alcohol", "smoking",
            "diabetes", "medication", "mental_health", "child_welfare", "school"}


def check(path: Path) -> list[str]:
    problems: list[str] = []
    try:
        u = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as exc:  # report, do not crash
        return [f"{path}: cannot read as CSV: {exc}"]
    if list(u.columns) != UTT_COLUMNS:
        return [f"{path}: columns must be exactly {UTT_COLUMNS}, got {list(u.columns)}"]
    meta_path = Path(str(path).replace("_utterances.csv", "_sessions.csv"))
    if not meta_path.exists():
        problems.append(f"{meta_path}: missing (session metadata)")
        meta = None
    else:
        meta = pd.read_csv(meta_path, dtype=str, keep_default_na=False)
        if list(meta.columns) != SESSION_COLUMNS:
            problems.append(f"{meta_path}: columns must be exactly {SESSION_COLUMNS}")
            meta = None
    for i, r in u.iterrows():
        where = f"{path.name} line {i + 2}"
        if r.speaker not in ("practitioner", "client"):
            problems.append(f"{where}: speaker must be practitioner or client, got {r.speaker!r}")
            continue
        allowed = PRACTITIONER_CODES if r.speaker == "practitioner" else CLIENT_CODES
        if r.code not in allowed:
            problems.append(f"{where}: code {r.code!r} not valid for {r.speaker}")
        if r.code2 not in SECOND_CODES or (r.code2 and r.speaker == "client"):
            problems.append(f"{where}: code2 {r.code2!r} not allowed")
        if r.code2 and r.code2 == r.code:
            problems.append(f"{where}: code2 repeats code")
        roles = [x for x in r.role.split(";") if x]
        if any(x not in ROLE_ELEMENTS for x in roles) or (roles and r.speaker == "client"):
            problems.append(f"{where}: role {r.role!r} invalid (practitioner only; {sorted(ROLE_ELEMENTS)})")
        if not r.text.strip():
            problems.append(f"{where}: empty text")
    for sid, s in u.groupby("session_id", sort=False):
        turns = s.turn.astype(int).tolist()
        utts = s.utterance.astype(int).tolist()
        prev = (0, 0, None)
        for t, n, sp in zip(turns, utts, s.speaker):
            if t == prev[0]:
                if n != prev[1] + 1 or sp != prev[2]:
                    problems.append(f"{sid} turn {t}: utterances must count 1,2,3 within one speaker's turn")
            elif t == prev[0] + 1:
                if n != 1:
                    problems.append(f"{sid} turn {t}: first utterance must be 1")
                if sp == prev[2]:
                    problems.append(f"{sid} turn {t}: same speaker as turn {prev[0]} (merge them: a turn is one speaker's uninterrupted stretch)")
            else:
                problems.append(f"{sid}: turns must count 1,2,3... (got {t} after {prev[0]})")
            prev = (t, n, sp)
        if meta is not None and sid not in set(meta.session_id):
            problems.append(f"{sid}: no row in {meta_path.name}")
    if meta is not None:
        for _, m in meta.iterrows():
            if m.session_id not in set(u.session_id):
                problems.append(f"{meta_path.name}: session {m.session_id} has no utterances")
            if m.kind not in ("full", "opening"):
                problems.append(f"{meta_path.name} {m.session_id}: kind must be full or opening")
            if m.setting not in SETTINGS:
                problems.append(f"{meta_path.name} {m.session_id}: setting {m.setting!r} not in {sorted(SETTINGS)}")
            if m.quality not in ("high", "mixed", "low"):
                problems.append(f"{meta_path.name} {m.session_id}: quality must be high, mixed or low")
            for c in SESSION_COLUMNS[4:8]:
                if m[c] not in {"1", "2", "3", "4", "5"}:
                    problems.append(f"{meta_path.name} {m.session_id}: {c} must be an integer 1-5")
    return problems


def register(u: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Spoken-register shares (%) of practitioner and client turns, by the definitions of scripts/corpus_register.py."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus_register import shares

    turns = u.groupby(["session_id", "turn"], sort=False).agg(speaker=("speaker", "first"), text=("text", " ".join))
    return {role: shares(turns.loc[turns["speaker"] == role, "text"]) for role in ("practitioner", "client")}


def main(argv: list[str]) -> int:
    bad = 0
    for name in argv:
        path = Path(name)
        problems = check(path)
        if problems:
            bad += 1
            print("\n".join(problems[:200]))
            continue
        u = pd.read_csv(path, dtype=str, keep_default_na=False)
        print(f"{path}: OK, {u.session_id.nunique()} sessions, {len(u)} utterances")
        print("  codes:", u.code.value_counts().to_dict())
        print("  code2:", u.code2[u.code2 != ""].value_counts().to_dict())
        print("  role elements:", u.role[u.role != ""].str.split(";").explode().value_counts().to_dict())
        for role, figures in register(u).items():
            print(f"  register, {role} turns (%):", figures)
        print("  AnnoMI targets, practitioner (%): multi-sentence 38.5, filler 27.3, discourse-marker opening 59.4, "
              "bare backchannel 18.5, interrupted 9.8, false start 4.0")
        print("  AnnoMI targets, client (%):       multi-sentence 29.9, filler 27.4, discourse-marker opening 54.0, "
              "bare backchannel 21.6, interrupted 12.8, false start 3.4")
        per = u.groupby("session_id").size()
        print("  utterances per session: min", per.min(), "median", int(per.median()), "max", per.max())
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
