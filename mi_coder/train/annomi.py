"""AnnoMI-layout data: reading it, turning its turn labels into utterance examples, and its sessions.

AnnoMI labels turns, not utterances, and has no AF/SEEK/EA/PER/CON labels. ``annomi_utterance_label``
gives an utterance the code its turn's labels imply, or None where they cannot tell (data card:
``data/corpus/DATA_CARD.md``).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from ..codes import ANNOMI_TURN_LABELS, ASK_PERMISSION, CLIENT_ASKS, GRANT
from ..errors import InputError
from ..records import CLIENT, PRACTITIONER, Session, Turn
from .examples import EXAMPLE_COLUMNS, session_fingerprint, with_next_text

# Codes AnnoMI never labels: AnnoMI cannot tell us an utterance is *not* one of these.
ANNOMI_GAPS = ("AF", "SEEK", "EA", "PER", "CON", "PWP")


ANNOMI_COLUMNS = {"transcript_id", "interlocutor", "utterance_text", "main_therapist_behaviour", "client_talk_type"}


_INTERROGATIVE = re.compile(
    r"^(?:(?:so|and|but|okay|well|now|um|uh)[, ]+)*(?:what|how|why|when|where|who|which|whose|do|does|did|are|is|"
    r"was|were|can|could|would|will|have|has|had|should|may|might|shall|tell me)\b",
    re.I,
)


_YES_NO_FORM = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|now|um|uh|yeah|right|alright)[, ]+)*(?:do|does|did|are|is|was|were|can|could|"
    r"would|will|have|has|had|should|may|might|shall|any|anything)\b",
    re.I,
)


def is_yes_no_question(text: str) -> bool:
    """A question in yes/no form ("Do you ...?", "Is it ...?", "Anything else?"): closed by form."""
    return is_interrogative(text) and bool(_YES_NO_FORM.match(text.strip()))


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


def transcript_fingerprints(turns: pd.DataFrame) -> dict[str, str]:
    """Each AnnoMI transcript's words hashed (``examples.session_fingerprint``), by transcript id: how a model
    records the AnnoMI transcripts it trained on (``training.annomi_fingerprints``) and how ``evaluate`` knows them
    again, whatever their ids (AnnoMI's test split numbers its own transcripts) or layout."""
    return {str(tid): session_fingerprint(g["utterance_text"].tolist())
            for tid, g in turns.groupby("transcript_id", sort=False)}


def annomi_topic(raw: str) -> str:
    """A transcript's topic for grouping: AnnoMI's ``topic`` lower-cased and trimmed ("smoking cessation " and
    "smoking cessation" are one), the first listed where it names several ("smoking cessation; reducing alcohol
    consumption" is about smoking first); empty is "unidentifiable", as AnnoMI writes an unknown topic."""
    first = str(raw or "").split(";")[0].strip().lower()
    return " ".join(first.split()) or "unidentifiable"


def load_annomi_turns(path: str | Path) -> pd.DataFrame:
    """AnnoMI-full or AnnoMI-simple as one row per turn; several annotators are resolved by majority vote.

    Flags and subtypes (reflection simple/complex, question open/closed, input subtype) are taken by
    majority over the annotators of a turn (ties: the flag is off; subtype ties: the first annotator's).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    from ..io.delimited import header_delimiter

    with path.open(encoding="utf-8-sig", errors="replace") as f:
        sep = header_delimiter(f.readline())  # AnnoMI re-saved by a European Excel: semicolons
    df = pd.read_csv(path, keep_default_na=False, dtype=str, sep=sep)
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


# An utterance of an advice turn that is itself advice: a suggestion, a directive or a recommendation.
_ADVICE_FORM = re.compile(
    r"\b(?:you (?:should|need to|have to|must|could|might|may|can|would|will) |you'd |try|recommend|suggest|"
    r"i'd like you to|i want you to|why don't you|what if you|how about|(?:it|that) (?:would|might|could|will) "
    r"(?:be|help)|maybe you|make sure|the best (?:thing|way)|it's (?:important|a good idea)|consider|options?|"
    r"ideas?|some people|a lot of people|others have|go (?:and|to|for)|start (?:by|with)|stop|cut (?:down|back))\b",
    re.I,
)


def _permitted(utt_text: str, prev_client: str, asked: bool = False) -> bool:
    """Advice with permission: the practitioner asked leave in one of their last turns (``asked``), the client
    just granted it or asked for advice, or the utterance itself supports autonomy."""
    granted = bool(prev_client and GRANT.match(prev_client) and len(prev_client.split()) <= 12)
    return bool(asked or _AUTONOMY.search(utt_text) or granted or (prev_client and CLIENT_ASKS.search(prev_client)))


def annomi_utterance_label(turn: pd.Series, utt_text: str, n_in_turn: int) -> str | None:
    """The code an AnnoMI therapist turn's labels give one of its utterances, or None when they cannot tell.

    Rules (the data card explains them):
    * no flag set (AnnoMI "other") -> NC;
    * a single flag: reflection -> SR/CR by subtype; question -> OQ/CQ for interrogative utterances (the
      declaratives in a question turn are unknown: set-ups, affirmations...); information -> GI (advice,
      options -> PWP when the practitioner asked leave in one of their last three turns, the client had
      just granted permission or asked for advice, or the utterance supports autonomy; else advice -> PER
      and options are left out; in a turn of several utterances only those in advice form are advice, the
      rest are left out; negotiation is left out: it may be SEEK, GI or advice);
    * reflection + question: interrogatives are the question, declaratives the reflection;
    * other combinations: interrogatives are the question if flagged, the rest unknown;
    * in a turn of several utterances labelled an open question, questions in yes/no form are unknown (the
      turn's label is for the turn: "What happened? Was it at work?").
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
        if n_in_turn > 1 and not _ADVICE_FORM.search(utt_text):
            isub = None  # the turn advises, this utterance (a set-up, a thanks, a fact) may not
        elif _permitted(utt_text, turn.get("prev_client", ""), bool(turn.get("asked_permission"))):
            isub = "PWP"
        else:
            # Options without leave are a menu, not an overt attempt to persuade: left out.
            isub = "PER" if turn["therapist_input_subtype"] == "advice" else None
    interrogative = is_interrogative(utt_text)
    if qsub == "OQ" and n_in_turn > 1 and is_yes_no_question(utt_text):
        # A turn of several questions labelled open ("What happened? Was it at work?"): the label says the turn
        # opens, not that each of its questions does; a yes/no question in it is left out.
        qsub = None
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
    asks: list[bool] = []  # did each of the practitioner's turns so far ask leave to advise
    for _, turn in turns.iterrows():
        if turn["transcript_id"] != current:
            current = turn["transcript_id"]
            prev_client = prev_therapist = ""
            asks = []
        text = turn["utterance_text"]
        spans = split(text) or [(0, len(text))]
        role = PRACTITIONER if turn["interlocutor"] == "therapist" else CLIENT
        for k, (a, b) in enumerate(spans):
            utt = text[a:b]
            if role == PRACTITIONER:
                asked = any(asks[-3:]) or bool(ASK_PERMISSION.search(text[:a]))
                code = annomi_utterance_label({**turn, "prev_client": prev_client, "asked_permission": asked},
                                              utt, len(spans))
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
            asks.append(bool(ASK_PERMISSION.search(text)))
        else:
            prev_client = text
    return with_next_text(pd.DataFrame(rows, columns=EXAMPLE_COLUMNS))



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
        # a question's or reflection's subtype as its code (OQ/CQ, SR/CR): the subtype turn models' label
        subcode = ({"open": "OQ", "closed": "CQ"}.get(turn.get("question_subtype") or "") if label == "question"
                   else {"simple": "SR", "complex": "CR"}.get(turn.get("reflection_subtype") or "")
                   if label == "reflection" else None) if who == "therapist" else None
        rows.append({
            "source": "annomi", "group": turn.get("video_url") or turn["transcript_id"],
            "session_id": str(turn["transcript_id"]), "turn_id": str(turn["utterance_id"]),
            "role": PRACTITIONER if who == "therapist" else CLIENT, "text": turn["utterance_text"],
            "prev_text": prev[other], "position": 0, "n_in_turn": 1, "code": ANNOMI_TURN_LABELS.get(label),
            "weight": 1.0, "subcode": subcode,
        })
        prev[who] = turn["utterance_text"]
    return with_next_text(pd.DataFrame(rows, columns=[*EXAMPLE_COLUMNS, "subcode"]))


CLIENT_CLASS = {"CT": "change", "ST": "sustain", "FN": "neutral"}


def annomi_sessions(turns: pd.DataFrame) -> list[Session]:
    """AnnoMI turns (``training_data.load_annomi_turns``) as Sessions; human labels kept in ``turn.meta``."""
    from ..io.base import parse_time

    sessions: dict[str, Session] = {}
    for row in turns.to_dict("records"):
        sid = str(row["transcript_id"])
        s = sessions.get(sid)
        if s is None:
            s = sessions[sid] = Session(id=sid, source="annomi", meta={
                "mi_quality": row.get("mi_quality"), "video_url": row.get("video_url"), "topic": row.get("topic")})
        role = PRACTITIONER if row["interlocutor"] == "therapist" else CLIENT
        meta = {k: row.get(k) for k in ("main", "client_talk", "reflection", "reflection_subtype", "question",
                                        "question_subtype", "therapist_input", "therapist_input_subtype")}
        s.turns.append(Turn(id=str(row["utterance_id"]), speaker=row["interlocutor"], role=role,
                            text=row["utterance_text"], start=parse_time(row.get("timestamp")), meta=meta))
    return list(sessions.values())


def caption_copy(session: Session) -> Session:
    """A copy of a session as an automatic caption would give it: lower case, no punctuation, re-segmented."""
    from ..model.features import strip_punctuation

    turns = [Turn(id=t.id, speaker=t.speaker, role=t.role, text=strip_punctuation(t.text), start=t.start,
                  end=t.end, meta=dict(t.meta)) for t in session.turns]
    return Session(id=session.id, source=session.source, turns=[t for t in turns if t.text], meta=dict(session.meta))


def annomi_human_sessions(turns: pd.DataFrame) -> list[Session]:
    """AnnoMI sessions coded from the human turn labels: one pseudo-utterance per flagged behaviour.

    A therapist turn gets SR or CR if a reflection is flagged, OQ or CQ if a question is, GI if information
    is given, PER/PWP for advice (as in training), NC otherwise; a client turn gets CT, ST or FN.
    """
    from ..records import Utterance

    sessions = annomi_sessions(turns)
    for s in sessions:
        prev_client = ""
        for t in s.turns:
            if t.role == CLIENT:
                code = {"change": "CT", "sustain": "ST", "neutral": "FN"}.get(t.meta.get("client_talk"))
                t.utterances = [Utterance(f"{t.id}.1", t.text, 0, len(t.text), code=code)]
                prev_client = t.text
                continue
            m = t.meta
            codes = []
            if m.get("reflection"):
                codes.append({"simple": "SR", "complex": "CR"}.get(m.get("reflection_subtype"), "SR"))
            if m.get("question"):
                codes.append({"open": "OQ", "closed": "CQ"}.get(m.get("question_subtype"), "CQ"))
            if m.get("therapist_input"):
                only_input = {**m, "main": m.get("main"), "reflection": False, "question": False, "prev_client": prev_client}
                codes.append(annomi_utterance_label(only_input, t.text, 1) or "GI")
            if "reflection" not in m or m.get("reflection") is None:  # AnnoMI-simple: main behaviour only
                codes = [{"question": "OQ", "reflection": "SR", "therapist_input": "GI"}.get(m.get("main"), "NC")]
            t.utterances = [Utterance(f"{t.id}.{k}", t.text, 0, len(t.text), code=c)
                            for k, c in enumerate(codes or ["NC"], start=1)]
    return sessions


RECODE_CODES = frozenset({"AF", "SEEK", "EA", "NC", "GI", "PER", "PWP", "CON", "OQ", "CQ", "SR", "CR"})
RECODE_CLIENT_CODES = frozenset({"CT", "ST", "FN"})


def read_utterance_codes(path: str | Path) -> pd.DataFrame:
    """AnnoMI utterances re-coded one by one: a CSV of ``transcript_id, utterance_id, k, code`` (the turn and the
    utterance's index in it as ``annomi_examples`` splits it; keys and codes only, no text), with MITI 4.2.1
    practitioner codes or the client codes CT/ST/FN. AnnoMI has no AF, SEEK or EA labels, so its "other" turns
    (no behaviour flagged) become NC, affirmations and permission requests included; and it labels a client turn
    as a whole, so each utterance of a "change" turn is CT, fillers and background included.
    ``apply_utterance_codes`` gives such utterances their own code."""
    if not Path(path).exists():
        raise InputError(path, "no such file")
    codes = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = {"transcript_id", "utterance_id", "k", "code"} - set(codes.columns)
    if missing:
        raise InputError(path, f"missing columns: {', '.join(sorted(missing))}")
    bad = sorted(set(codes["code"]) - RECODE_CODES - RECODE_CLIENT_CODES)
    if bad:
        raise InputError(path, f"codes outside the MITI 4.2.1 practitioner codes and CT/ST/FN: {', '.join(bad)}")
    return codes[["transcript_id", "utterance_id", "k", "code"]]


def read_utterance_code_files(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Several ``read_utterance_codes`` files as one table."""
    return pd.concat([read_utterance_codes(p) for p in paths], ignore_index=True)


def apply_utterance_codes(examples: pd.DataFrame, codes: pd.DataFrame, strict: bool = False) -> pd.DataFrame:
    """``examples`` with the re-coded AnnoMI utterances (``read_utterance_codes``) carrying their code and
    ``recoded`` True, which ``train.fit.drop_gap_examples`` leaves alone. A practitioner code applies to a
    practitioner utterance, a client code to a client utterance, which then carries its own label at full weight
    instead of 1/n of its turn's. ``strict``: every re-coded utterance must be among the examples (else the codes
    belong to another segmentation or split)."""
    from ..errors import UsageError

    out = examples.copy()
    out["recoded"] = out["recoded"].fillna(False).astype(bool) if "recoded" in out else False
    key = out["session_id"].astype(str) + "|" + out["turn_id"].astype(str) + "|" + out["position"].astype(str)
    lookup = dict(zip(codes["transcript_id"] + "|" + codes["utterance_id"] + "|" + codes["k"], codes["code"]))
    new = key.map(lookup)
    client_code = new.isin(RECODE_CLIENT_CODES)
    hit = (out["source"] == "annomi") & new.notna() & (client_code == (out["role"] == CLIENT))
    if strict and hit.sum() < len(lookup):
        raise UsageError(f"{len(lookup) - int(hit.sum())} of {len(lookup)} re-coded AnnoMI utterances match no "
                         "utterance of the same role in the training data (another segmentation or split?)")
    out.loc[hit, "code"] = new[hit]
    out.loc[hit, "recoded"] = True
    out.loc[hit & client_code, "weight"] = 1.0
    return out


HOLDOUT_FILE = Path(__file__).resolve().parents[2] / "data" / "annomi_holdout.json"


def holdout_ids(path: str | Path | None = None) -> set[str]:
    """The fixed AnnoMI hold-out (``data/annomi_holdout.json``): transcript ids no choice may look at."""
    import json

    file = Path(path) if path else HOLDOUT_FILE
    if not file.exists():
        raise InputError(file, "the AnnoMI hold-out list is missing (it ships in the source tree, data/)")
    return {str(i) for i in json.loads(file.read_text())["transcript_ids"]}
