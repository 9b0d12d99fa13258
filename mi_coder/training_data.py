"""Training examples for the coder: utterance rows with a code, a context and a group for grouped CV.

Three sources, one schema (``EXAMPLE_COLUMNS``):

* **AnnoMI-layout tables** (turn-level labels by MI experts). Turn labels become utterance labels by the
  rules in ``annomi_utterance_label`` (see the data card, ``data/corpus/DATA_CARD.md``): single-utterance
  turns are exact; in a turn flagged reflection + question, the interrogative utterances are the question
  and the others the reflection; utterances whose code the turn labels cannot tell are left out rather
  than guessed. AnnoMI has no AF/SEEK/EA/PER/CON labels, so an utterance that a model trained on the team
  corpus alone finds likely to be one of those is left out too: AnnoMI cannot teach that it is *not* one.
* **The team corpus** (``data/corpus/team_*.csv``): one utterance with the turn it answers.
* **Any coded table** (session, speaker/role, text, code; one row per utterance), for researchers who
  train on their own coded sessions.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pandas as pd

from .codes import ALL_CODES, CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES  # noqa: F401 (re-exported)
from .errors import InputError
from .readers import ReadOptions, read_transcript
from .records import CLIENT, PRACTITIONER, other_role_context

# Codes AnnoMI never labels: AnnoMI cannot tell us an utterance is *not* one of these.
ANNOMI_GAPS = ("AF", "SEEK", "EA", "PER", "CON", "PWP")

EXAMPLE_COLUMNS = ["source", "group", "session_id", "turn_id", "role", "text", "prev_text", "next_text", "position",
                   "n_in_turn", "code", "weight"]

ANNOMI_COLUMNS = {"transcript_id", "interlocutor", "utterance_text", "main_therapist_behaviour", "client_talk_type"}
CODE_ALIASES = ("code", "label", "miti_code", "behavior_code", "behaviour_code", "misc_code", "gold")

_INTERROGATIVE = re.compile(
    r"^(?:(?:so|and|but|okay|well|now|um|uh)[, ]+)*(?:what|how|why|when|where|who|which|whose|do|does|did|are|is|"
    r"was|were|can|could|would|will|have|has|had|should|may|might|shall|tell me)\b",
    re.I,
)


def is_interrogative(text: str) -> bool:
    """A question by form: ends in '?' or, unpunctuated, opens with a question word or auxiliary."""
    stripped = text.strip()
    if stripped.endswith("?") or "?" in stripped[-3:]:
        return True
    if any(ch in stripped for ch in ".!?"):
        return False
    return bool(_INTERROGATIVE.match(stripped))


def is_annomi_layout(columns: Iterable[str]) -> bool:
    return ANNOMI_COLUMNS <= set(columns)


# ---------------------------------------------------------------------------------------------------
# AnnoMI


def load_annomi_turns(path: str | Path) -> pd.DataFrame:
    """AnnoMI-full or AnnoMI-simple as one row per turn; several annotators are resolved by majority vote.

    Flags and subtypes (reflection simple/complex, question open/closed, input subtype) are taken by
    majority over the annotators of a turn (ties: the flag is off; subtype ties: the first annotator's).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    if not is_annomi_layout(df.columns):
        raise InputError(path, "not an AnnoMI-layout table (needs transcript_id, interlocutor, utterance_text, "
                               "main_therapist_behaviour, client_talk_type)")
    has_flags = "reflection_exists" in df.columns
    keys = ["transcript_id", "utterance_id"]
    rows = []
    for _, g in df.groupby(keys, sort=False):
        first = g.iloc[0]
        row = {c: first[c] for c in ("transcript_id", "mi_quality", "video_url", "topic", "utterance_id",
                                     "interlocutor", "timestamp", "utterance_text") if c in g.columns}
        row["main"] = _majority(g["main_therapist_behaviour"])
        row["client_talk"] = _majority(g["client_talk_type"])
        if has_flags:
            for flag, sub in (("reflection", "reflection_subtype"), ("question", "question_subtype"),
                              ("therapist_input", "therapist_input_subtype")):
                votes = (g[f"{flag}_exists"] == "True").sum()
                row[flag] = votes * 2 > len(g)
                subs = [s for s in g[sub] if s not in ("n/a", "")]
                row[f"{flag}_subtype"] = Counter(subs).most_common(1)[0][0] if subs and row[flag] else ""
        rows.append(row)
    out = pd.DataFrame(rows)
    out["order"] = pd.to_numeric(out["utterance_id"], errors="coerce")
    out = out.sort_values(["transcript_id", "order"], key=lambda s: pd.to_numeric(s, errors="coerce"),
                          kind="stable")
    return out.reset_index(drop=True)


def _majority(values: pd.Series) -> str:
    counts = Counter(v for v in values if v not in ("n/a", ""))
    return counts.most_common(1)[0][0] if counts else "n/a"


_AUTONOMY = re.compile(
    r"\b(up to you|your (?:call|choice|decision)|if you (?:want|like|wish)|you (?:might|could|may) (?:want to |)"
    r"(?:consider|think about|try)|some people|other people|others have|one option|a few options|it's your|"
    r"you decide|whatever you|you know (?:best|yourself))\b",
    re.I,
)
_GRANT = re.compile(r"^\W*(?:yes|yeah|yep|sure|okay|ok|go ahead|please|alright|all right|mm-hmm|uh-huh|definitely|"
                    r"of course|that would be|i'd like|tell me)\b", re.I)


def _permitted(utt_text: str, prev_client: str) -> bool:
    """Advice with permission: the client just granted it, or the utterance itself supports autonomy."""
    return bool(_AUTONOMY.search(utt_text) or (prev_client and _GRANT.match(prev_client)
                                                  and len(prev_client.split()) <= 12))


def annomi_utterance_label(turn: pd.Series, utt_text: str, n_in_turn: int) -> str | None:
    """The code an AnnoMI therapist turn's labels give one of its utterances, or None when they cannot tell.

    Rules (the data card explains them):
    * no flag set (AnnoMI "other") -> NC;
    * a single flag: reflection -> SR/CR by subtype; question -> OQ/CQ for interrogative utterances (the
      declaratives in a question turn are unknown: set-ups, affirmations...); information -> GI (advice,
      options -> PWP when the client had just granted permission or the utterance supports autonomy,
      else PER; negotiation is left out: it may be SEEK, GI or advice);
    * reflection + question: interrogatives are the question, declaratives the reflection;
    * other combinations: interrogatives are the question if flagged, the rest unknown.
    A subtype that is missing (AnnoMI-simple) leaves the utterance unknown.
    """
    if "reflection" not in turn:  # AnnoMI-simple: main behaviour only
        if turn["main"] == "other":
            return "NC"
        return None
    r, q, i = bool(turn["reflection"]), bool(turn["question"]), bool(turn["therapist_input"])
    rsub = {"simple": "SR", "complex": "CR"}.get(turn["reflection_subtype"])
    qsub = {"open": "OQ", "closed": "CQ"}.get(turn["question_subtype"])
    isub = {"information": "GI"}.get(turn["therapist_input_subtype"])
    if turn["therapist_input_subtype"] in ("advice", "options"):
        isub = "PWP" if _permitted(utt_text, turn.get("prev_client", "")) else "PER"
    interrogative = is_interrogative(utt_text)
    if not (r or q or i):
        return "NC"
    if r and not q and not i:
        return rsub
    if q and not r and not i:
        if n_in_turn == 1 or interrogative:
            return qsub
        return None
    if i and not r and not q:
        return isub
    if r and q and not i:
        return qsub if interrogative else rsub
    if q and interrogative:
        return qsub
    return None


def annomi_examples(turns: pd.DataFrame, split: Callable[[str], list[tuple[int, int]]]) -> pd.DataFrame:
    """Utterance examples from AnnoMI turns (``load_annomi_turns``); ``split`` segments a turn's text."""
    rows = []
    prev_client = ""
    prev_therapist = ""
    current = None
    for _, turn in turns.iterrows():
        if turn["transcript_id"] != current:
            current = turn["transcript_id"]
            prev_client = prev_therapist = ""
        text = turn["utterance_text"]
        spans = split(text) or [(0, len(text))]
        role = PRACTITIONER if turn["interlocutor"] == "therapist" else CLIENT
        for k, (a, b) in enumerate(spans):
            utt = text[a:b]
            if role == PRACTITIONER:
                code = annomi_utterance_label({**turn, "prev_client": prev_client}, utt, len(spans))
            else:
                code = {"change": "CT", "sustain": "ST", "neutral": "FN"}.get(turn["client_talk"])
            rows.append({
                "source": "annomi", "group": turn.get("video_url") or turn["transcript_id"],
                "session_id": str(turn["transcript_id"]), "turn_id": str(turn["utterance_id"]), "role": role,
                "text": utt, "prev_text": prev_client if role == PRACTITIONER else prev_therapist,
                "position": k, "n_in_turn": len(spans), "code": code,
                # A client turn's label is the turn's: each of its n utterances carries 1/n of the evidence.
                "weight": 1.0 if role == PRACTITIONER else 1.0 / len(spans),
            })
        if role == PRACTITIONER:
            prev_therapist = text
        else:
            prev_client = text
    return with_next_text(pd.DataFrame(rows, columns=EXAMPLE_COLUMNS))


# ---------------------------------------------------------------------------------------------------
# Team corpus and coded tables


def load_team_corpus(paths: Sequence[str | Path]) -> pd.DataFrame:
    """The team-written corpus files (``id, setting, code, prev_turn, text, note``) as examples."""
    frames = []
    for path in paths:
        df = pd.read_csv(path, keep_default_na=False, dtype=str)
        missing = {"id", "code", "prev_turn", "text"} - set(df.columns)
        if missing:
            raise InputError(path, f"not a team-corpus file (missing {', '.join(sorted(missing))})")
        bad = sorted(set(df["code"]) - set(ALL_CODES))
        if bad:
            raise InputError(path, f"unknown code(s) {', '.join(bad)}")
        frames.append(pd.DataFrame({
            "source": "team", "group": "team:" + df["id"], "session_id": "team:" + df["id"], "turn_id": df["id"],
            "role": [CLIENT if c in CLIENT_CODES else PRACTITIONER for c in df["code"]],
            "text": df["text"].str.strip(), "prev_text": df["prev_turn"].str.strip(), "next_text": "", "position": 0,
            "n_in_turn": 1, "code": df["code"], "weight": 1.0,
        }))
    return pd.concat(frames, ignore_index=True)[EXAMPLE_COLUMNS] if frames else pd.DataFrame(columns=EXAMPLE_COLUMNS)


def is_team_corpus(columns: Iterable[str]) -> bool:
    return {"id", "code", "prev_turn", "text"} <= set(columns)


def coded_table_examples(path: str | Path, options: ReadOptions | None = None) -> pd.DataFrame:
    """A coded table (session, speaker/role, text, code; one row per utterance) as examples."""
    opts = options or ReadOptions()
    opts = ReadOptions(**{**opts.__dict__, "utterances": "given"})
    sessions = read_transcript(path, read_options=opts)
    rows = []
    for s in sessions:
        before, after = other_role_context([t.role for t in s.turns], [t.text for t in s.turns])
        for turn, prev, following in zip(s.turns, before, after):
            for k, u in enumerate(turn.utterances):
                code = next((str(u.meta[c]).strip().upper() for c in u.meta if c.lower() in CODE_ALIASES), "")
                if turn.role not in (PRACTITIONER, CLIENT):
                    continue
                if code and code not in ALL_CODES:
                    raise InputError(path, f"turn {turn.id}: unknown code {code!r} (expected one of {' '.join(ALL_CODES)})")
                rows.append({
                    "source": "coded", "group": f"{path}:{s.id}", "session_id": s.id, "turn_id": turn.id,
                    "role": turn.role, "text": u.text, "prev_text": prev, "next_text": following,
                    "position": k, "n_in_turn": len(turn.utterances), "code": code or None, "weight": 1.0,
                })
    frame = pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
    if frame["code"].isna().all():
        raise InputError(path, f"no code column found (looked for {', '.join(CODE_ALIASES)})")
    return frame


TURN_CLASSES = {"question": "question", "reflection": "reflection", "therapist_input": "therapist_input",
                "other": "other", "change": "CT", "sustain": "ST", "neutral": "FN"}


def annomi_turn_examples(turns: pd.DataFrame) -> pd.DataFrame:
    """Whole AnnoMI turns with their main behaviour (practitioner) or talk type (client, as CT/ST/FN)."""
    rows = []
    prev = {"therapist": "", "client": ""}
    current = None
    for turn in turns.to_dict("records"):
        if turn["transcript_id"] != current:
            current = turn["transcript_id"]
            prev = {"therapist": "", "client": ""}
        who = turn["interlocutor"]
        other = "client" if who == "therapist" else "therapist"
        label = turn["main"] if who == "therapist" else turn["client_talk"]
        rows.append({
            "source": "annomi", "group": turn.get("video_url") or turn["transcript_id"],
            "session_id": str(turn["transcript_id"]), "turn_id": str(turn["utterance_id"]),
            "role": PRACTITIONER if who == "therapist" else CLIENT, "text": turn["utterance_text"],
            "prev_text": prev[other], "position": 0, "n_in_turn": 1, "code": TURN_CLASSES.get(label),
            "weight": 1.0,
        })
        prev[who] = turn["utterance_text"]
    return with_next_text(pd.DataFrame(rows, columns=EXAMPLE_COLUMNS))


def with_next_text(examples: pd.DataFrame) -> pd.DataFrame:
    """Fill ``next_text``: the other role's next turn in the session (``records.other_role_context``).

    Rows are utterances or whole turns, a turn's rows together and in session order; a turn's text is its
    rows' texts joined.
    """
    out = examples.copy()
    out["next_text"] = ""
    for _, session in examples.groupby("session_id", sort=False):
        turns = [(role, " ".join(g["text"]), g.index) for (_, role), g in
                 session.groupby([session["turn_id"], session["role"]], sort=False)]
        _, after = other_role_context([r for r, _, _ in turns], [t for _, t, _ in turns])
        for (_, _, index), following in zip(turns, after):
            out.loc[index, "next_text"] = following
    return out


def single_utterance_turns(examples: pd.DataFrame) -> pd.DataFrame:
    """Utterance examples that are whole turns (the team corpus), labelled with their class for the turn models."""
    part = examples[(examples["n_in_turn"] == 1) & examples["code"].notna()]
    return part.assign(code=[FOUR_CLASS.get(c, c) for c in part["code"]])
