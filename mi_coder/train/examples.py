"""Training examples: one schema (``EXAMPLE_COLUMNS``) for utterance rows with a code, a context and a group.

Sources: AnnoMI-layout tables (``train.annomi``), the team corpus (``data/corpus``) and any coded table
(session, speaker/role, text, code; one row per utterance), for researchers who train on their own codes.
"""

from __future__ import annotations

import re

from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from ..codes import ALL_CODES, CLIENT_CODES, FOUR_CLASS, QUESTION
from ..errors import InputError
from ..io.base import ReadOptions
from ..io.reader import read_transcript
from ..model.coder import main_code
from ..records import CLIENT, PRACTITIONER, Turn, Utterance, other_role_context, own_previous_turn, own_words_before

EXAMPLE_COLUMNS = ["source", "group", "session_id", "turn_id", "role", "text", "prev_text", "next_text", "position",
                   "n_in_turn", "code", "weight"]


CODE_ALIASES = ("code", "label", "miti_code", "behavior_code", "behaviour_code", "misc_code", "gold", "miti", "misc",
                "code_1", "code1", "first_code", "miti_code_1", "misc_code_1",
                # adjudicated codes of a double-coded set (Welivita & Pu's "final agreed label")
                "final_agreed_label", "agreed_label", "final_label", "final_code", "gold_label", "gold_code",
                # a classifier's test output beside its predictions ("Text, Ground truth, Prediction")
                "ground_truth", "true_label")


def code_column(keys: Iterable[str], options: ReadOptions | None = None, scheme: str = "miti") -> str | None:
    """The column of a coded table that holds the codes: the one ``--code-col`` named (``options.columns["code"]``),
    else one whose name, in lower case with spaces and dashes as underscores ("MITI Code"), is a ``CODE_ALIASES``
    name: one named for the scheme first (``miti_code`` before ``misc_code`` for MITI), then the first in table
    order, a bare "label" last (``rank_code_columns``: it often holds something else, such as a sentiment)."""
    from ..io.base import normalize_column

    if options is not None and options.columns.get("code"):
        return options.columns["code"]
    found = rank_code_columns([k for k in keys if normalize_column(k) in CODE_ALIASES])
    return next((k for k in found if normalize_column(k).startswith(scheme)), found[0] if found else None)


def rank_code_columns(columns: Sequence[str]) -> list[str]:
    """Code-like columns in the order they are tried: table order, a bare "label" last (a sentiment or topic label
    left of the codes was read as the codes). Shared by ``code_column`` and the reader that takes speakers from the
    codes (``io.delimited.speaker_code_columns``), so that a "label" column is tried last by both (``code_column``
    also prefers a column named for the scheme; the speakers reader takes the first column that says whose every
    row is)."""
    from ..io.base import normalize_column

    return sorted(columns, key=lambda c: normalize_column(c) == "label")


_ROLE_CODE_COLUMN = re.compile(
    r"^(?:(?P<p>therapist|counsel+or|practitioner|clinician|interviewer|provider|officer|staff|th|t)"
    r"|(?P<c>client|patient|participant|interviewee|cl|c))_(?:code|label|miti|misc|miti_code|misc_code|behaviou?r)$")


def role_code_columns(keys: Iterable[str]) -> dict[str, str]:
    """Code columns kept per speaker role ("therapist_code" and "client_code"), by role: a row's code is read from
    its speaker's column where that holds one, else from the table's code column."""
    from ..io.base import normalize_column

    out: dict[str, str] = {}
    for key in keys:
        m = _ROLE_CODE_COLUMN.match(normalize_column(key))
        if m:
            out.setdefault(PRACTITIONER if m.group("p") else CLIENT, key)
    return out


def row_code_column(meta: dict, role: str, options: ReadOptions | None = None, scheme: str = "miti") -> str | None:
    """The column a coded row's code is read from: ``--code-col``'s, else its role's own code column where that holds a
    code (``role_code_columns``), else the table's code column (``code_column``)."""
    if options is None or not options.columns.get("code"):
        own = role_code_columns(meta).get(role)
        if own is not None and str(meta.get(own) or "").strip() not in ("", "nan", "NaN"):
            return own
    return code_column(meta, options, scheme) or (role_code_columns(meta).get(role) if options is None
                                                  or not options.columns.get("code") else None)


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


SESSION_CORPUS_COLUMNS = ("session_id", "turn", "utterance", "speaker", "text", "code", "code2", "role")


# Batches of data/corpus/sessions that the code and role-clarification models do not train on, and why (data
# card). The boundary model (scripts/train_boundary_model.py) uses every batch: it learns only where utterances
# start, which these batches mark as the others do. Batches l and m were held back until the tenth session (they
# lowered participation F1 on the held-out sessions of a-k); tested batch by batch (each of j, l, m held out of
# training, scripts/role_decision_cv.py --holdout), training on the other batches' wording is what carries the
# detectors to a batch written apart, so they now train the detectors (and the feature space); the shipped
# code models leave them out (scripts/train_default_model.py: role_only_batches; data card). n and o were the
# detectors' fixed hold-outs of model 2.6; since 2.7 they train the detectors, with p, q and r (openings whose role
# statements run over several utterances and turns). u and v (the checks of 2.7) and w and x (openings written for
# indirect client's-role statements and participation) train the detectors since 2.8; s, t, y and z are the
# hold-outs.
HELD_BACK_BATCHES = {
    "s": "a fixed hold-out of the role-clarification detectors (eleventh session): 12 openings by a helper blind to "
         "every other batch, written as real first meetings go; never trained on, no setting chosen on it",
    "t": "a second fixed hold-out (eleventh session), written like s by another helper blind to every other batch "
         "and to s; never trained on, no setting chosen on it",
    "y": "a fifth fixed hold-out (twelfth session): 12 openings by a helper blind to every other batch, written as "
         "real first meetings go; the judge of model 2.8's detectors by a rule fixed before it existed",
    "z": "a sixth fixed hold-out, written like y by another helper blind to every other batch and to y",
}


def corpus_session_files(folder: str | Path) -> list[str]:
    """The coded-session files (``<batch>_utterances.csv``) of a corpus folder that training uses, sorted:
    every batch but ``HELD_BACK_BATCHES``."""
    files = sorted(Path(folder).glob("*_utterances.csv"))
    return [str(f) for f in files if f.name.split("_")[0] not in HELD_BACK_BATCHES]


def is_session_corpus(columns: Iterable[str]) -> bool:
    """The team corpus of whole coded sessions (``data/corpus/sessions/*_utterances.csv``)."""
    return set(SESSION_CORPUS_COLUMNS) <= set(columns)


def load_session_corpus(paths: Sequence[str | Path]) -> pd.DataFrame:
    """Whole coded sessions (``data/corpus/sessions``) as examples, with the other role's turns around each.

    Extra columns: ``code2`` (a second MITI code: SEEK/EA on a question or reflection, CQ as a tag check),
    ``role_elements`` (role-clarification labels of practitioner utterances), ``quality`` (the session's
    MI quality from ``*_sessions.csv``) and ``setting``.
    """
    frames = []
    for path in map(Path, paths):
        df = pd.read_csv(path, keep_default_na=False, dtype=str)
        missing = set(SESSION_CORPUS_COLUMNS) - set(df.columns)
        if missing:
            raise InputError(path, f"not a coded-session corpus file (missing {', '.join(sorted(missing))})")
        bad = sorted(set(df["code"]) - set(ALL_CODES))
        if bad:
            raise InputError(path, f"unknown code(s) {', '.join(bad)}")
        meta_path = path.with_name(path.name.replace("_utterances.csv", "_sessions.csv"))
        meta = (pd.read_csv(meta_path, keep_default_na=False, dtype=str).set_index("session_id")
                if meta_path.exists() and meta_path != path else None)
        for sid, g in df.groupby("session_id", sort=False):
            turns = [(t, gg) for t, gg in g.groupby(g["turn"].astype(int), sort=True)]
            roles = [gg["speaker"].iloc[0] for _, gg in turns]
            texts = [" ".join(gg["text"]) for _, gg in turns]
            before, after = other_role_context(roles, texts)
            rows = []
            for (tid, gg), prev, following in zip(turns, before, after):
                n = len(gg)
                for k, r in enumerate(gg.itertuples(index=False)):
                    rows.append({
                        "source": "team_sessions", "group": f"team:{sid}", "session_id": f"team:{sid}",
                        "turn_id": str(tid), "role": r.speaker, "text": r.text.strip(), "prev_text": prev,
                        "next_text": following, "position": k, "n_in_turn": n, "code": r.code, "weight": 1.0,
                        "code2": r.code2, "role_elements": r.role,
                        "quality": meta.at[sid, "quality"] if meta is not None and sid in meta.index else "",
                        "setting": meta.at[sid, "setting"] if meta is not None and sid in meta.index else "",
                    })
            frames.append(pd.DataFrame(rows))
    if not frames:
        return pd.DataFrame(columns=EXAMPLE_COLUMNS)
    return pd.concat(frames, ignore_index=True)


def is_team_corpus(columns: Iterable[str]) -> bool:
    return {"id", "code", "prev_turn", "text"} <= set(columns)


def coded_table_examples(path: str | Path, options: ReadOptions | None = None, scheme: str = "miti",
                         reviewed: bool = False) -> pd.DataFrame:
    """A coded table (session, speaker/role, text, code; one row per utterance) as examples; ``scheme="misc"``:
    its codes are MISC 2.5, mapped to MITI 4.2.1 (``mi_coder.schemes``). ``reviewed``: a review download, read as
    ``score`` reads it (a ``reviewed_code`` that disagrees with its ``code`` is an InputError naming the row), with
    a ``reviewed`` column saying which utterances a reviewer confirmed or changed (whatever the rows' order)."""
    from ..evaluate.agreement import (_mapped, _other_means_no_code, check_code, check_unique_utterances,
                                      code_like_columns, first_of_two)
    from ..schemes import read_code_cell, to_miti, with_valence

    opts = options or ReadOptions()
    opts = ReadOptions(**{**opts.__dict__, "utterances": "given"})
    sessions = read_transcript(path, read_options=opts)
    check_unique_utterances(path, sessions, "trained on")  # as evaluate and score refuse it
    other_as_nc = scheme == "misc" and _other_means_no_code(sessions, None, opts, scheme)  # as evaluate reads it
    rows = []
    others = unformed = other_codes = 0
    flags: list[bool] = []
    for s in sessions:
        before, after = other_role_context([t.role for t in s.turns], [t.text for t in s.turns])
        for turn, prev, following in zip(s.turns, before, after):
            for k, u in enumerate(turn.utterances):
                key = row_code_column(u.meta, turn.role, opts, scheme)
                code, in_cell = read_code_cell(u.meta.get(key, "") if key else "", scheme)  # "cr ", "CQ/SEEK"
                if turn.role not in (PRACTITIONER, CLIENT):
                    others += 1
                    continue
                if code and scheme != "miti":
                    try:
                        code = with_valence(code, u.meta, f"session {s.id}, turn {turn.id}: ") if turn.role == CLIENT \
                            else code
                    except ValueError as exc:
                        raise InputError(path, str(exc)) from None
                    other_code = other_as_nc and code == "OTHER" and turn.role == PRACTITIONER
                    other_codes += other_code
                    code = "NC" if other_code else _mapped(path, s.id, turn, code, scheme)
                    in_cell = (to_miti(in_cell, turn.role, scheme) or in_cell) if in_cell else in_cell
                if code and in_cell:  # two codes in one cell: the first as evaluate reads it ("SEEK/CQ" is CQ)
                    code = first_of_two(code, in_cell)
                if code == QUESTION:
                    unformed += 1
                if code:  # as evaluate and score check it: a code no one knows, or one of the other role's
                    check_code(path, s.id, turn, code)
                if reviewed:
                    said = str(u.meta.get("reviewed_code", "") or "").strip().upper()
                    if said and said != "NAN" and said != (code or ""):
                        raise InputError(path, f"session {s.id}, turn {turn.id}, utterance {u.id}: reviewed_code "
                                               f"{said!r} but code {code or ''!r}; the code column is the one read, "
                                               "so make the two agree")
                    flags.append(bool(said) and said != "NAN")
                rows.append({
                    "source": "coded", "group": f"{path}:{s.id}", "session_id": s.id, "turn_id": turn.id,
                    "role": turn.role, "text": u.text, "prev_text": prev, "next_text": following,
                    "position": k, "n_in_turn": len(turn.utterances), "code": code or None, "weight": 1.0,
                })
    frame = pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
    if reviewed:
        frame["reviewed"] = flags
    if frame["code"].isna().all():
        named = code_like_columns(sessions)
        hint = f"; the column {named[0]!r} may hold them: name it with --code-col {named[0]!r}" if named else ""
        raise InputError(path, f"no code column found (looked for {', '.join(CODE_ALIASES)}){hint}")
    import warnings

    if others:
        warnings.warn(f"{path}: {others} utterance(s) of speakers who are neither practitioner nor client are not "
                      "trained on", stacklevel=2)
    if other_codes:  # as evaluate says it
        warnings.warn(f"{path}: {other_codes} utterance(s) coded 'Other' are trained on as not coded (NC), as "
                      "greetings and off-topic remarks: the table codes behaviours one by one (no coarse R or Q)",
                      stacklevel=2)
    if unformed:
        warnings.warn(f"{path}: {unformed} utterance(s) coded {QUESTION} (a question, open or closed not said) are "
                      "not trained on as codes: the coder learns OQ and CQ; code them OQ or CQ to train on them",
                      stacklevel=2)
    return frame


def session_fingerprint(texts: Sequence[str]) -> str:
    """A session's words (lower-cased, punctuation and spacing dropped, in order) hashed: the same session whatever
    file, layout, segmentation or codes it comes in (``meta.json``'s ``training.session_fingerprints``)."""
    import hashlib
    import re

    words = " ".join(re.findall(r"[a-z0-9']+", " ".join(map(str, texts)).lower()))
    return hashlib.sha256(words.encode()).hexdigest()[:16]


def training_fingerprints(examples: pd.DataFrame) -> list[str]:
    """The fingerprints of every whole session among training examples (coded tables and coded-session corpora;
    AnnoMI transcripts are recorded apart, ``annomi.transcript_fingerprints``; the line corpus holds no sessions)."""
    whole = examples[examples["source"].isin(["coded", "team_sessions"])]
    return sorted({session_fingerprint(g["text"]) for _, g in whole.groupby(["group", "session_id"], sort=False)})


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


def with_own_prev_text(examples: pd.DataFrame) -> pd.DataFrame:
    """Add ``own_prev_text``: the speaker's words before each row (their previous turn in the session and the
    earlier rows of the same turn), as ``model.coder.utterance_rows`` gives them when coding.

    Rows are utterances or whole turns, a session's rows together and in order, a turn's rows consecutive.
    """
    out = examples.copy()
    own = [""] * len(out)
    sessions = out["session_id"].to_numpy()
    turn_ids = out["turn_id"].astype(str).to_numpy()
    roles = out["role"].to_numpy()
    texts = out["text"].astype(str).to_numpy()
    start = 0
    n = len(out)
    while start < n:
        end = start
        while end < n and sessions[end] == sessions[start]:
            end += 1
        # the session's turns: runs of rows with the same turn id and role
        bounds = [start] + [i for i in range(start + 1, end)
                            if turn_ids[i] != turn_ids[i - 1] or roles[i] != roles[i - 1]] + [end]
        spans = list(zip(bounds[:-1], bounds[1:]))
        before = own_previous_turn([roles[a] for a, _ in spans], [" ".join(texts[a:b]) for a, b in spans])
        for (a, b), previous in zip(spans, before):
            for i in range(a, b):
                own[i] = own_words_before(previous, list(texts[a:i]))
        start = end
    out["own_prev_text"] = own
    return out


def single_utterance_turns(examples: pd.DataFrame) -> pd.DataFrame:
    """Utterance examples that are whole turns (the team corpus), labelled with their class for the turn models."""
    part = examples[(examples["n_in_turn"] == 1) & examples["code"].notna()]
    return part.assign(code=[FOUR_CLASS.get(c, c) for c in part["code"]])


def coded_turn_examples(examples: pd.DataFrame) -> pd.DataFrame:
    """Turn examples from utterance-coded sessions: the turn's main code by the fixed priority rule."""

    rows = []
    for (_, tid), g in examples.groupby(["session_id", "turn_id"], sort=False):
        first = g.iloc[0]
        turn = Turn(id=str(tid), speaker="", role=first["role"], text=" ".join(g["text"]),
                    utterances=[Utterance(str(k), t, 0, 0, code=c) for k, (t, c) in enumerate(zip(g["text"], g["code"]))
                                if isinstance(c, str) and c])
        code = main_code(turn)
        if not code:
            continue
        rows.append({**first.to_dict(), "text": turn.text, "position": 0, "n_in_turn": 1,
                     "code": FOUR_CLASS.get(code, code)})
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)


def sessions_from_examples(examples: pd.DataFrame) -> list:
    """Sessions rebuilt from utterance examples of whole coded sessions (the session corpus, coded tables):
    one Turn per (session, turn), one Utterance per row, the human code in ``utterance.meta['human_code']``.
    Uncoded here: ``code`` is left empty for a coder to fill."""
    from ..records import Session

    sessions = []
    for sid, g in examples.groupby("session_id", sort=False):
        turns = []
        for tid, gg in g.groupby("turn_id", sort=False):
            text, utts = "", []
            for k, r in enumerate(gg.itertuples(index=False), start=1):
                start = len(text) + (1 if text else 0)
                text = f"{text} {r.text}" if text else r.text
                utts.append(Utterance(f"{tid}.{k}", r.text, start, len(text),
                                      meta={"human_code": r.code, "code2": getattr(r, "code2", ""),
                                            "human_roles": str(getattr(r, "role_elements", "") or "")}))
            turns.append(Turn(id=str(tid), speaker=gg["role"].iloc[0], role=gg["role"].iloc[0], text=text,
                              utterances=utts, meta={"utterances_given": True}))
        sessions.append(Session(id=str(sid), source="examples", turns=turns,
                                meta={"quality": g["quality"].iloc[0] if "quality" in g else ""}))
    return sessions
