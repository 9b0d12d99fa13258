"""Agreement between two codings of the same sessions (machine vs reviewer, coder vs coder), and held-out reports."""

from __future__ import annotations

import re
import warnings
from collections import Counter
from typing import Any, Sequence

import numpy as np
from sklearn.metrics import cohen_kappa_score

from ..records import Session
from .metrics import icc_2_1, krippendorff_alpha, utterance_report


# The codes MITI puts beside another on one utterance (SEEK or EA on a question, a reflection or advice): compared
# as the second code, whichever column a table wrote them in.
ADHERENT_SECOND = ("SEEK", "EA")


def code_set(u) -> frozenset:  # type: ignore[no-untyped-def]
    """An utterance's codes, first and second."""
    return frozenset(c for c in (u.code, u.meta.get("code2")) if c)


def first_of_two(code: str, code2: str) -> str:
    """Which of an utterance's two codes is its first, as evaluation reads it and training learns it: a double code
    has no order, so an MI-adherent code given with another (SEEK on a question, EA on a reflection) is the second,
    as mi-coder writes it, a checking question on a reflection is the second too (the team corpus's "CQ as a tag
    check"), and PER with PWP is PWP (the coding guide). "CQ/SR" and "SR/CQ" are then one pair of codes."""
    if not code2:
        return code
    if {code, code2} == {"PER", "PWP"}:
        return "PWP"
    if code in ADHERENT_SECOND and code2 not in ADHERENT_SECOND:
        return code2
    if code in ("OQ", "CQ", "Q") and code2 in ("SR", "CR"):
        return code2
    return code


def second_codes(*tables: Sequence[Session]) -> set[str]:
    """The codes any of the tables gives as an utterance's second code."""
    return {c for table in tables for s in table for _, u in s.utterances() if (c := u.meta.get("code2"))}


def either_slot_report(pairs: Sequence[tuple[frozenset, frozenset]], seconds: set[str]) -> dict:
    """Per code given as a second code (``seconds``) on either side: precision, recall and F1 of the code being
    among an utterance's codes (first or second), over (reference, compared) code sets, and how often it was
    given; empty when no second code occurs."""
    out = {}
    for code in sorted(seconds):
        tp = sum(code in a and code in b for a, b in pairs)
        fp = sum(code not in a and code in b for a, b in pairs)
        fn = sum(code in a and code not in b for a, b in pairs)
        if not (tp or fp or fn):
            continue
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[code] = {"precision": round(p, 3), "recall": round(r, 3),
                     "f1": round(2 * p * r / (p + r), 3) if p + r else 0.0, "support": tp + fn, "given": tp + fp}
    return out


# Column names that may hold codes; not "Coder", "coder_id", "Coder Name" (who coded).
_CODE_NAME = re.compile(r"(?i)label|code(?!rs?(?:\b|_|id|name))|behaviou?r|tag|categor|class")


def code_like_columns(sessions: list[Session]) -> list[str]:
    """Columns of a table's rows whose name says they may hold codes ("AutoMISCLabel") and that hold a value, then
    columns whose values are mostly codes whatever their name ("coder_A", "rater1": a coder's name column, such as
    "coder_id", holds names, not codes)."""
    from ..codes import ALL_CODES
    from ..schemes import CLIENT_MISC, MISC_TO_MITI, SPELLED_MISC, SPELLED_MITI

    known = {c.upper() for c in (*ALL_CODES, *MISC_TO_MITI, *CLIENT_MISC)}
    spelled = {*SPELLED_MISC, *SPELLED_MITI}  # "Give Information", "Complex Reflection": letters only, upper case
    seen: dict[str, bool] = {}
    values: dict[str, list[int]] = {}  # column -> [values that are codes, values]
    for _, u in (x for s in sessions for x in s.utterances()):
        for key, value in u.meta.items():
            if key.startswith("_") or key in ("code2", "role_elements"):
                continue
            text = str(value).strip()
            if _CODE_NAME.search(key):
                seen[key] = seen.get(key, False) or bool(text)
            elif text:
                count = values.setdefault(key, [0, 0])
                count[0] += text.upper() in known or re.sub(r"[^A-Z]", "", text.upper()) in spelled
                count[1] += 1
    by_value = [k for k, (codes, n) in values.items() if n >= 5 and codes >= 0.8 * n]
    return [k for k, filled in seen.items() if filled] + by_value


def read_coded(path, options=None, scheme: str = "miti",  # type: ignore[no-untyped-def]
               code_column: str | None = None) -> list[Session]:
    """A coded table (one row per utterance, with a code column) as Sessions whose utterances carry the code.

    ``scheme="misc"``: the codes are MISC 2.5 and are mapped to MITI 4.2.1 (``mi_coder.schemes``); a code
    the mapping does not know is an InputError naming the file and the code.
    """
    from ..errors import InputError
    from ..io.base import ReadOptions
    from ..io.reader import read_transcript
    from ..schemes import SCHEMES, read_code_cell, with_valence
    from ..train.examples import CODE_ALIASES
    from ..train.examples import row_code_column

    if scheme not in SCHEMES:
        raise InputError(path, f"unknown coding scheme {scheme!r} (choose from {', '.join(SCHEMES)})")
    opts = options or ReadOptions()
    opts = ReadOptions(**{**opts.__dict__, "utterances": "given"})
    sessions = read_transcript(path, read_options=opts)
    resolved = 0  # PER and PWP on one utterance: PWP (guide)
    # "Other" in a finely coded MISC-style table (Welivita & Pu's labels) is a greeting or off-topic remark, NC; beside
    # AutoMISC's coarse R and Q it is every other behaviour, and is refused (``_group_code_hint``)
    other_as_nc = scheme == "misc" and _other_means_no_code(sessions, code_column, opts, scheme)
    others = 0
    unusual: Counter = Counter()  # double codes the guide does not give one utterance: both counted, said
    uncoded: Counter = Counter()  # codes of the scheme that MITI 4.2.1 leaves uncoded (read as NC), said
    for s in sessions:
        for turn, u in s.utterances():
            key = code_column if code_column is not None else row_code_column(u.meta, turn.role, opts, scheme)
            value, in_cell = read_code_cell(u.meta.get(key, "") if key else "", scheme)
            # a review download keeps the machine's second code apart (machine_code2) since the page edits second
            # codes too; an older download's code2 is the machine's
            second_key = "machine_code2" if code_column == "machine_code" and "machine_code2" in u.meta else "code2"
            code2, extra = read_code_cell(u.meta.get(second_key, ""), scheme)
            if in_cell and (code2 or extra):
                raise InputError(path, f"session {s.id}, turn {turn.id}: two codes in the code cell "
                                       f"({value}, {in_cell}) and another in code2 ({code2}): at most two codes")
            code2 = code2 or in_cell
            if value and scheme != "miti":
                try:
                    value = with_valence(value, u.meta, f"session {s.id}, turn {turn.id}: ") if turn.role == "client" \
                        else value
                except ValueError as exc:
                    raise InputError(path, str(exc)) from None
                u.meta["original_code"] = value  # the MISC code itself: agreement gives its own kappa too
                if other_as_nc and value == "OTHER" and turn.role != "client":
                    value, others = "NC", others + 1
                else:
                    value = _mapped(path, s.id, turn, value, scheme)
                    if value == "NC" and u.meta["original_code"] != "NC":  # support, structure, self-disclosure...
                        uncoded[u.meta["original_code"]] += 1
            if value:
                check_code(path, s.id, turn, value, written=u.meta.get("original_code") if scheme != "miti" else None)
            u.code = value or None
            # A second code (SEEK/EA on a question...), counted with the first. Where the first code is read from a
            # named column that codes only some rows (a review download's reviewed_code) or the table has no code
            # column at all (said below), a second code without a first is not read.
            if code2 and (value or (key is not None and code_column is None)):
                if not value:
                    raise InputError(path, f"session {s.id}, turn {turn.id}: a second code ({code2!r}) without a "
                                           "first code")
                if scheme != "miti":
                    code2 = _mapped(path, s.id, turn, code2, scheme)
                check_code(path, s.id, turn, code2)
                first = first_of_two(value, code2)
                if {u.code, code2} == {"PER", "PWP"}:
                    u.code, code2, resolved = "PWP", "", resolved + 1
                elif first != value:  # "SEEK" + "CQ" is "CQ" + "SEEK"
                    u.code, code2 = code2, value
                elif code2 == u.code:
                    code2 = ""
                elif not paired(u.code, code2):
                    unusual[f"{u.code}+{code2}"] += 1
            if code2:
                u.meta["code2"] = code2
            else:
                u.meta.pop("code2", None)
    if others:
        warnings.warn(f"{path}: {others} utterance(s) coded 'Other' are read as not coded (NC), as greetings and "
                      "off-topic remarks: the table codes behaviours one by one (no coarse R or Q)", stacklevel=2)
    if uncoded:
        warnings.warn(f"{path}: {sum(uncoded.values())} utterance(s) carry {scheme.upper()} codes that MITI 4.2.1 leaves "
                      f"uncoded and are read as NC ({', '.join(f'{k} x{n}' for k, n in uncoded.most_common())}; "
                      "mi_coder.schemes gives the mapping)", stacklevel=2)
    if resolved:
        warnings.warn(f"{path}: {resolved} utterance(s) coded both PER and PWP are read as PWP, as the coding guide "
                      "says", stacklevel=2)
    if unusual:
        warnings.warn(f"{path}: {sum(unusual.values())} utterance(s) carry two codes the coding guide does not give "
                      f"one utterance ({', '.join(f'{k} x{n}' for k, n in unusual.most_common())}): both are counted; "
                      "code such an utterance once, or split it into two utterances", stacklevel=2)
    _check_rows(path, sessions, code_column)
    if not any(u.code for s in sessions for _, u in s.utterances()):
        column = f"column {code_column!r}" if code_column else f"code column ({', '.join(sorted(CODE_ALIASES))})"
        hint = "give a coded table (mi-coder code writes one: utterances.csv)"
        named = [] if code_column else code_like_columns(sessions)
        if "main_therapist_behaviour" in named:  # AnnoMI: turn labels (question, reflection...), not MITI codes
            hint = ("AnnoMI's labels (main_therapist_behaviour, client_talk_type) are behaviours of whole turns, not "
                    "utterance codes: 'mi-coder evaluate FILE' compares the coder with them")
        elif named:  # "AutoMISCLabel", "therapist_behavior": the codes may be there under a name of their own
            hint = (f"the column {named[0]!r} may hold them: name it with --code-col {named[0]!r} (code_column= in "
                    "Python)")
        raise InputError(path, f"holds no coded utterance: no {column} with a code in it; {hint}")
    for _, u in (x for s in sessions for x in s.utterances()):
        if "role_elements" in u.meta and u.meta["role_elements"] is None:  # null: coded with --no-role-check, the
            del u.meta["role_elements"]  # detectors never ran: not labelled (the scorer then reads phrase cues)
    _read_role_labels(path, sessions)
    for _, u in (x for s in sessions for x in s.utterances()):
        if isinstance(u.meta.get("role_elements"), str):  # as mi-coder writes them, elements joined by ';': the
            u.meta["role_elements"] = [e for e in u.meta["role_elements"].split(";") if e.strip()]  # scorer's list
    return sessions


def _other_means_no_code(sessions: Sequence[Session], code_column: str | None, options, scheme: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether a MISC-style table codes "Other" beside behaviour codes rather than beside AutoMISC's coarse R and Q."""
    from ..schemes import read_code_cell
    from ..train.examples import row_code_column

    seen = set()
    for s in sessions:
        for turn, u in s.utterances():
            key = code_column if code_column is not None else row_code_column(u.meta, turn.role, options, scheme)
            seen.add(read_code_cell(u.meta.get(key, "") if key else "", scheme)[0])
    return "OTHER" in seen and not seen & {"R", "Q"}


def question_form_uncoded(*tables: Sequence[Session]) -> bool:
    """Where any of ``tables`` codes questions as MITI 4.2.1's Q (open or closed not coded), every table's OQ and CQ
    become Q, in place, so that a question is compared as a question (not as a Q the coder never gives). Returns
    whether it did."""
    from ..codes import QUESTION

    if not any(u.code == QUESTION for sessions in tables for s in sessions for _, u in s.utterances()):
        return False
    for sessions in tables:
        for s in sessions:
            for _, u in s.utterances():
                if u.code in ("OQ", "CQ"):
                    u.code = QUESTION
                if u.meta.get("code2") in ("OQ", "CQ"):
                    u.meta["code2"] = QUESTION
    return True


def paired(code: str, code2: str) -> bool:
    """Whether the coding guide gives ``code`` and ``code2`` to one utterance: a reflection with a checking question,
    SEEK or EA on a question or a reflection, PWP with EA."""
    pair = {code, code2}
    reflections, questions = {"SR", "CR"}, {"OQ", "CQ", "Q"}
    return (bool(pair & reflections and pair & questions) or pair == {"PWP", "EA"}
            or bool(pair & set(ADHERENT_SECOND) and pair & (reflections | questions)))


def _mapped(path, session_id: str, turn, value: str, scheme: str) -> str:  # type: ignore[no-untyped-def]
    """A code of ``scheme`` mapped to MITI 4.2.1 / MISC client codes; an InputError naming it when it is not one."""
    from ..codes import ALL_CODES
    from ..errors import InputError
    from ..schemes import to_miti

    mapped = to_miti(value, turn.role, scheme)
    if mapped is not None:
        return mapped
    where = f"session {session_id}, turn {turn.id} ({turn.speaker})"
    other = "client" if turn.role != "client" else "practitioner"
    if to_miti(value, other, scheme) is not None:  # "CR" on a client's row: a practitioner code
        raise InputError(path, f"{where}: {value!r} is a {scheme.upper()} {other} code on a {turn.role}'s row (a "
                               "code in the wrong row, or the roles swapped: --practitioner / --client)")
    group = _group_code_hint(value)
    hint = (f" (it is a MITI code: is this table MITI-coded, such as mi-coder's own utterances.csv? --scheme {scheme} "
            "applies to every table given)" if value in ALL_CODES else f" ({group})" if group else "")
    raise InputError(path, f"{where}: {value!r} is not a {scheme.upper()} code{hint}")


def _group_code_hint(code: str) -> str:
    """Why a group label that no one MITI 4.2.1 code matches is refused (collapsed codes of MISC-based NLP sets,
    AutoMISC's coarse labels), or "" for any other code."""
    letters = re.sub(r"[^A-Z]", "", code.upper())
    if code in ("MIA", "MIN", "MINA") or letters in ("MIADHERENT", "MINONADHERENT", "MIINCONSISTENT",
                                                     "MICONSISTENT"):
        return ("MIA, MIN and MINA (MI-adherent, MI-non-adherent) are collapsed group codes, with no one MITI 4.2.1 "
                "code to compare with: recode them, or compare code groups outside mi-coder")
    if letters in ("REFLECTION", "REFLECT", "REFLECTING"):
        return ("a reflection not told simple or complex has no one MITI 4.2.1 code (SR or CR): code each one "
                "Simple or Complex Reflection, or compare code groups outside mi-coder")
    if letters in ("RAISECONCERN", "RAISINGCONCERN", "ADVISE", "ADVICE", "ADVISING"):
        return ("advice or a concern raised without saying whether permission was given has no one MITI 4.2.1 code "
                "(Persuade with Permission or Persuade): code it with or without permission")
    if letters in ("QUESTION", "Q"):
        return ("a question not told open or closed: MISC 2.5 codes OQ or CQ (MITI 4.2.1's Q is read with --scheme "
                "miti)")
    if code in ("R", "OTHER"):
        return ("R, Q and Other, with C, S and N for the client, are AutoMISC's coarse labels: a reflection not told "
                "simple or complex, and every other behaviour as Other, have no one MITI 4.2.1 code to compare "
                "with: recode them, or compare code groups outside mi-coder")
    return ""


def _check_rows(path, sessions: Sequence[Session], code_column: str | None) -> None:  # type: ignore[no-untyped-def]
    """What would silently change the counts of a coded table: an utterance listed twice (an InputError naming it),
    a review download whose ``reviewed_code`` was edited without its ``code`` (an InputError: ``code`` is what is
    read), and utterances without a code (a warning: they are not counted)."""
    import warnings

    check_unique_utterances(path, sessions)
    uncoded = []
    for s in sessions:
        for turn, u in s.utterances():
            if code_column is None:
                reviewed_agrees(path, s, turn, u)
            if not u.code and turn.role in ("practitioner", "client"):
                uncoded.append((s.id, turn.id))
    if uncoded and code_column is None and any(u.code for s in sessions for _, u in s.utterances()):
        sid, tid = uncoded[0]
        warnings.warn(f"{path}: {len(uncoded)} practitioner or client utterance(s) have no code and are not counted "
                      f"(the first: session {sid}, turn {tid})", stacklevel=3)


def reviewed_agrees(path, session: Session, turn, u) -> None:  # type: ignore[no-untyped-def]
    """A review download's ``reviewed_code`` edited without its ``code`` (an InputError naming the row: ``code`` is
    what every command reads, so the two must agree)."""
    from ..errors import InputError
    from ..schemes import read_code_cell

    reviewed = read_code_cell(u.meta.get("reviewed_code", ""))[0]  # "Complex Reflection" is CR, as in the code column
    if reviewed and reviewed != (u.code or ""):
        raise InputError(path, f"session {session.id}, turn {turn.id}, utterance {u.id}: reviewed_code "
                               f"{reviewed!r} but code {u.code or ''!r}; the code column is the one "
                               "read, so make the two agree")


def check_unique_utterances(path, sessions: Sequence[Session], use: str = "counted") -> None:  # type: ignore[no-untyped-def]
    """An InputError naming the file where a turn lists one utterance id twice (a row pasted twice): it would be
    counted, or trained on, twice. ``use`` says which."""
    from ..errors import InputError

    for s in sessions:
        ids = [str(u.id) for _, u in s.utterances() if u.id is not None and str(u.id) != ""]
        # Ids numbered through the session (nearly all distinct), not per turn: one that comes back in another turn
        # is a row pasted again further down (a new turn of its own, since its neighbours differ).
        per_session = len(ids) >= 10 and len(set(ids)) >= 0.9 * len(ids)
        seen: dict[tuple[str, str], str] = {}
        for turn, u in s.utterances():
            if u.id is not None and str(u.id) != "":
                key = ("", str(u.id)) if per_session else (str(turn.id), str(u.id))
                if key in seen:
                    where = f"turn {turn.id}" if seen[key] == str(turn.id) else f"turns {seen[key]} and {turn.id}"
                    # turn.utterance ids (3.1 ... 3.10) saved as numbers by a spreadsheet: 3.10 becomes 3.1
                    mangled = (f"; ids like {u.id}0 read as numbers by a spreadsheet become {u.id}: save the id "
                               "columns as text" if re.fullmatch(r"\d+\.[1-9]", str(u.id)) else "")
                    raise InputError(path, f"session {s.id}, {where}: utterance {u.id} is listed twice "
                                           f"(it would be {use} twice){mangled}")
                seen[key] = str(turn.id)


def check_code(path, session_id: str, turn, code: str,  # type: ignore[no-untyped-def]
               written: str | None = None) -> None:
    """An InputError naming the file unless ``code`` is a code of the utterance's speaker role (MITI 4.2.1
    practitioner codes, CT/ST/FN for the client): a code no one knows, or one of the other role's, would be dropped
    from every count or counted for the wrong speaker. ``written``: the code as the table wrote it, where a scheme
    (MISC 2.5) was mapped to ``code``; the error names it, and no longer suggests reading the table as MISC."""
    from ..codes import CLIENT_CODES, SCORED_PRACTITIONER_CODES as PRACTITIONER_CODES
    from ..errors import InputError
    from ..records import CLIENT, PRACTITIONER

    if code not in PRACTITIONER_CODES and code not in CLIENT_CODES:
        from ..schemes import to_miti

        group = _group_code_hint(code)
        hint = ("; it is a MISC 2.5 (or MITI 3.1.1) code: read the table with --scheme misc"
                if to_miti(code, turn.role, "misc")
                else f"; {group}" if group else "")
        raise InputError(path, f"session {session_id}, turn {turn.id}: unknown code {code!r} (practitioner: "
                               f"{' '.join(PRACTITIONER_CODES)}; client: {' '.join(CLIENT_CODES)}){hint}")
    own = {PRACTITIONER: PRACTITIONER_CODES, CLIENT: CLIENT_CODES}.get(turn.role)
    if own is not None and code not in own:
        from ..schemes import to_miti

        misc = to_miti(code, turn.role, "misc") if written is None else None
        hint = (f" (in MISC 2.5 it is a {turn.role} code, {misc}: if the table is MISC-coded, read it with --scheme misc;"
                " else check the roles: --practitioner / --client)" if misc and misc in own else
                " (a code in the wrong row, or the roles swapped: --practitioner / --client)")
        shown = f"{written!r} (read as {code})" if written and written != code else repr(code)
        raise InputError(path, f"session {session_id}, turn {turn.id}: {shown} is not a code for a {turn.role} "
                               f"utterance" + hint)


def _read_role_labels(path, sessions: Sequence[Session]) -> None:  # type: ignore[no-untyped-def]
    """Put a coded table's role-clarification labels, where it has them, in each utterance's
    ``meta["human_roles"]`` (elements joined by ';'): a ``role_elements`` column (as mi-coder writes its codes),
    or the ``role`` column of the team corpus layout (``speaker`` holds the role there, ``role`` the elements;
    the reader takes ``role`` for the speaker's role, so the labels are read again by session, turn and
    utterance). An element name outside ``codes.ROLE_ELEMENTS`` is an InputError naming the file."""
    import pandas as pd

    from ..codes import ROLE_ELEMENTS
    from ..errors import InputError
    from ..train.examples import is_session_corpus

    def checked(value: object, where: str) -> str:
        parts = [x.strip() for x in str(value or "").replace(",", ";").split(";") if x.strip() and x.strip() != "nan"]
        bad = sorted(set(parts) - set(ROLE_ELEMENTS))
        if bad:
            raise InputError(path, f"{where}: unknown role-clarification element(s) {', '.join(bad)} "
                                   f"(choose from {', '.join(ROLE_ELEMENTS)})")
        return ";".join(parts)

    corpus = None
    if str(path).lower().endswith(".csv"):
        try:
            header = pd.read_csv(path, nrows=0).columns
        except (OSError, ValueError):
            header = []
        if is_session_corpus(header):
            table = pd.read_csv(path, keep_default_na=False, dtype=str)
            corpus = {(r.session_id, r.turn, r.utterance): r.role for r in table.itertuples(index=False)}
    for s in sessions:
        for turn, u in s.utterances():
            if "role_elements" in u.meta:
                u.meta["human_roles"] = checked(u.meta["role_elements"], f"session {s.id}, turn {turn.id}")
            elif corpus is not None:
                key = (s.id, str(turn.id), str(u.meta.get("utterance", "")))
                if key in corpus:
                    u.meta["human_roles"] = checked(corpus[key], f"session {s.id}, turn {turn.id}")


AGREEMENT_SCORES = ("r_q", "pct_cr", "pct_oq", "mi_adherent", "mi_nonadherent", "change_talk_pct",
                    "engagement_index", "empathy_index", "fidelity_index")


def session_score_agreement(first: Sequence[Session], second: Sequence[Session]) -> dict:
    """ICC(2,1) and Pearson r of each session summary score between two codings of the same sessions."""
    from ..scoring import session_scores

    a = {s.id: session_scores(s) for s in first}
    b = {s.id: session_scores(s) for s in second}
    ids = [i for i in a if i in b]
    out = {}
    for score in AGREEMENT_SCORES:
        xa = np.array([np.nan if a[i][score] is None else float(a[i][score]) for i in ids])
        xb = np.array([np.nan if b[i][score] is None else float(b[i][score]) for i in ids])
        ok = ~(np.isnan(xa) | np.isnan(xb))
        r = float(np.corrcoef(xa[ok], xb[ok])[0, 1]) if ok.sum() >= 3 and xa[ok].std() > 0 and xb[ok].std() > 0 else None
        icc = icc_2_1(xa, xb)
        out[score] = {"n_sessions": int(ok.sum()), "icc": None if icc is None else round(icc, 3) + 0.0,
                      "pearson_r": None if r is None else round(r, 3)}
        if len(ids) < 3:  # no ICC over one or two sessions: each session's two values, to compare by eye
            out[score]["values"] = {i: [None if np.isnan(x) else round(float(x), 3) for x in (xa[k], xb[k])]
                                    for k, i in enumerate(ids)}
    return out


def agreement_report(path_a, path_b=None, options=None, scheme: str = "miti") -> dict:  # type: ignore[no-untyped-def]
    """Agreement of two coded tables of the same sessions: overall and per-code kappa, Krippendorff's alpha,
    ICC of session scores. With one reviewed-codes CSV (``machine_code``, ``reviewed_code``, ``code``
    columns): machine against reviewer, kappa over the utterances the reviewer confirmed or changed."""
    from ..errors import InputError

    if path_b is None:  # the reviewer's codes are the reference, as a human coder's are: the machine is measured
        # the one file is read three ways (the codes, the machine's, which rows are reviewed): what the reading says
        # of the file is said once, not once a reading
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            first = read_coded(path_a, options, code_column="code")
            for s in first:  # a reviewed_code typed in without its code had been read as the machine's code confirmed
                for turn, u in s.utterances():
                    reviewed_agrees(path_a, s, turn, u)
            second = read_coded(path_a, options, code_column="machine_code")
        for message in dict.fromkeys(str(w.message) for w in said):
            warnings.warn(message, stacklevel=2)
        if not any(str(u.meta.get("reviewed_code", "") or "").strip() for s in first for _, u in s.utterances()):
            raise InputError(path_a, "no reviewed utterances yet (its reviewed_code column is empty): change or tick "
                                     "codes in the report's review mode, then download them again")
        with warnings.catch_warnings():  # read for which rows are reviewed only: its warnings are said above
            warnings.simplefilter("ignore")
            marked = read_coded(path_a, options, code_column="reviewed_code")
        reviewed = {k for k, code in _units(marked, marked)[0].items() if code}
        # the coder of the machine codes, as the review page writes it in its model column (older pages did not)
        models = sorted({str(u.meta.get("model") or "").strip() for s in first for _, u in s.utterances()} - {""})
        path_b = f"{path_a} (machine{': ' + ', '.join(models) if models else ''})"
        path_a = f"{path_a} (reviewer)"
    else:
        first = read_coded(path_a, options, scheme)
        second = read_coded(path_b, options, scheme)
        question_form_uncoded(first, second)
        reviewed = None
        # a review download beside another table: its code column holds the machine's code where the reviewer did
        # not look, so only the reviewed rows are a reviewer's codes (a trainer's audit: 12 reviewed of 55 were
        # compared as 55, accuracy 0.891 against 0.500 over the 12). Which rows are reviewed is read with the same
        # pairing as the codes (by id, by turn or by text), or none would match.
        sides = [k for k, table in enumerate((first, second))
                 if any("reviewed_code" in u.meta for s in table for _, u in s.utterances())]
        if sides:
            with warnings.catch_warnings():  # the pairing is said once, below
                warnings.simplefilter("ignore")
                marks = _units(first, second, value=lambda u: str(u.meta.get("reviewed_code") or "").strip())
            for k in sides:
                path = (path_a, path_b)[k]
                done = {key for key, mark in marks[k].items() if mark}
                if not done:
                    raise InputError(path, "a review download with no reviewed utterances yet (its reviewed_code "
                                           "column is empty): change or tick codes in the report's review mode, then "
                                           "download them again")
                warnings.warn(f"{path}: a review download: only its {len(done)} reviewed utterance(s) of "
                              f"{len(marks[k])} are compared (the others hold the machine's codes, not a reviewer's)",
                              stacklevel=2)
                reviewed = done if reviewed is None else reviewed & done
        _pair_sessions_named_by_file([first, second], [path_a, path_b])
    ua, ub = _units(first, second)
    with warnings.catch_warnings():  # the pairing is said once, above
        warnings.simplefilter("ignore")
        sa, sb = _units(first, second, value=code_set)
        if scheme != "miti":  # the comparison is of the mapped codes: say so, and give the original scheme's own
            ra, rb = _units(first, second, value=lambda u: u.meta.get("original_code"))
    _same_double_codes_agree([ua, ub], [sa, sb])
    keys = [k for k in ua if k in ub and ua[k] and ub[k] and (reviewed is None or k in reviewed)]
    if not keys:
        raise InputError(path_b, f"shares no coded utterances (session_id, utterance_id) with {path_a}")
    ya = [ua[k] for k in keys]
    yb = [ub[k] for k in keys]
    codes = sorted(set(ya) | set(yb))
    from ..codes import CLIENT_CODES

    by_role = {}  # pooled kappa mixes two label sets that never meet; each role's own is the one to cite
    for role, is_client in (("practitioner", False), ("client", True)):
        pick = [k for k, code in enumerate(ya) if (code in CLIENT_CODES) == is_client]
        by_role[role] = {"n": len(pick), "kappa": _kappa([ya[k] for k in pick], [yb[k] for k in pick])}
    per_code = {}
    for code in codes:
        xa = [c == code for c in ya]
        xb = [c == code for c in yb]
        per_code[code] = {"kappa": _kappa(xa, xb),
                          "n_first": int(sum(xa)), "n_second": int(sum(xb))}
    slots = either_slot_report([(sa[k], sb[k]) for k in keys if k in sa and k in sb], second_codes(first, second))
    original = {}
    if scheme != "miti":
        both = [k for k in keys if ra.get(k) and rb.get(k)]
        original = {"scheme": scheme, "n": len(both), "kappa": _kappa([ra[k] for k in both], [rb[k] for k in both]),
                    "note": f"the figures above compare the codes mapped from {scheme.upper()} to MITI 4.2.1 (a "
                            f"disagreement inside one MITI code, such as two {scheme.upper()} codes mapped to GI, "
                            "counts as agreement); this kappa is over the original codes"}
    return {"agreement": {
        **({"either_slot": slots} if slots else {}),
        **({"original_codes": original} if original else {}),
        "first": str(path_a), "second": str(path_b), "n_utterances": len(keys),
        "only_in_first": len([k for k in ua if k not in ub]), "only_in_second": len([k for k in ub if k not in ua]),
        # utterances both tables hold that only one coder coded (a blank code): not in the figures, counted here
        "coded_only_in_first": len([k for k in ua if k in ub and ua[k] and not ub[k]]),
        "coded_only_in_second": len([k for k in ub if k in ua and ub[k] and not ua[k]]),
        "overall": utterance_report(ya, yb, codes), "per_code_kappa": per_code, "kappa_by_role": by_role,
        "krippendorff_alpha": _rounded(krippendorff_alpha([ya, yb])),
        "session_scores": session_score_agreement(first, second),
    }}


def _same_double_codes_agree(codes: Sequence[dict], sets: Sequence[dict]) -> None:
    """A double code has no order: where every table gives an utterance the same two codes, whichever order each
    wrote them in ("CR; AF" and "AF; CR"), every table's first code is made the first table's, so the utterance
    counts as agreement (in place; ``codes`` and ``sets`` as ``_units`` gives them, codes and code sets)."""
    for key, code in codes[0].items():
        both = sets[0].get(key)
        if both and len(both) > 1 and all(x.get(key) == both for x in sets[1:]):
            for other in codes[1:]:
                if key in other:
                    other[key] = code


def _pair_sessions_named_by_file(tables: Sequence[Sequence[Session]], paths: Sequence) -> None:
    """Tables of one session each, named by their files (no session column: ``s01.csv`` and ``s01_coderB.csv``),
    are the same session coded twice: the later tables take the first one's session id, with a warning. Without
    this, two coders' files with different names shared no session and agreement failed."""
    from pathlib import Path

    if len(tables) < 2 or any(len(t) != 1 for t in tables):
        return
    ids = [t[0].id for t in tables]
    if len(set(ids)) == 1 or any(sid != Path(str(p)).stem for sid, p in zip(ids, paths)):
        return
    import warnings

    warnings.warn(f"the tables hold one session each, named by their files ({', '.join(repr(i) for i in ids)}): "
                  "compared as one session (give them a session_id column to pair sessions by id)", stacklevel=3)
    for t in tables[1:]:
        t[0].id = ids[0]


def _units(*tables: Sequence[Session], value: Any = None) -> tuple[dict, ...]:
    """Each table's codes keyed by utterance: (session, utterance id), or (session, turn, utterance id) for all
    tables when any table repeats an utterance id within a session (ids numbered per turn: "1", "2" in every
    turn), which would otherwise pair utterances of different turns, or drop all but one of them.

    A table without utterance ids is numbered by position in the turn, so a coder who left out, merged or re-sorted
    one utterance would pair every later one with the wrong text. Where utterances paired so differ in text, every
    table is paired by text instead (session, the text, its occurrence in the session), with a warning.
    """
    import warnings

    from ..model.features import normalize as norm  # lower case, punctuation folded: what a coder may retype

    get = value or (lambda u: u.code)  # what each utterance contributes (its code; ``code_set``: both codes)

    def keyed(table, with_turn):  # type: ignore[no-untyped-def]
        return [((s.id, t.id, u.id) if with_turn else (s.id, u.id), get(u)) for s in table for t, u in s.utterances()]

    def texts(table, with_turn):  # type: ignore[no-untyped-def]
        return {((s.id, t.id, u.id) if with_turn else (s.id, u.id)): str(u.text or "")
                for s in table for t, u in s.utterances()}

    plain = [keyed(t, False) for t in tables]
    repeats = any(len({k for k, _ in units}) < len(units) for units in plain)
    out = tuple(dict(keyed(t, True) if repeats else units) for t, units in zip(tables, plain))
    raw = [texts(t, repeats) for t in tables]
    said = [{k: norm(v) for k, v in x.items()} for x in raw]
    # utterances that two or more tables have (with three tables, one may cover other sessions than the rest)
    shared = {k for k in set().union(*said) if sum(k in x for x in said) >= 2} if len(said) > 1 else set()
    differ = sorted((k for k in shared if len({x[k] for x in said if k in x}) > 1), key=str)
    if not any(t for x in said for t in x.values()) or (not differ and (shared or len(said) < 2)):
        return out
    if differ:
        first = differ[0]
        one, other = [x[first] for x in raw if first in x][:2]
        warnings.warn(f"{len(differ)} of {len(shared)} utterances paired by id differ in text (the first: session "
                      f"{first[0]}, utterance {first[-1]}: {one[:40]!r} against {other[:40]!r}); "
                      "utterances are paired by their text instead (give every table an utterance_id column to pair "
                      "by id)", stacklevel=3)
    else:  # no utterance id in common (one table numbers its own, the other has none): paired by text, said so
        warnings.warn("the tables share no utterance ids; utterances are paired by their text instead (give every "
                      "table the same utterance_id column to pair by id)", stacklevel=3)

    def by_text(table):  # type: ignore[no-untyped-def]
        seen: dict = {}
        units = {}
        for s in table:
            for _, u in s.utterances():
                key = (s.id, norm(str(u.text or "")))
                seen[key] = seen.get(key, 0) + 1
                units[(*key, seen[key])] = get(u)
        return units

    return tuple(by_text(t) for t in tables)


def _rounded(value: float | None) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 3)


def _kappa(a: Sequence, b: Sequence) -> float | None:
    """Cohen's kappa, rounded; None where it is undefined (one label on both sides)."""
    return _rounded(cohen_kappa_score(a, b)) if len(set(a) | set(b)) > 1 else None


def multi_coder_agreement(paths: Sequence, options=None, scheme: str = "miti") -> dict:  # type: ignore[no-untyped-def]
    """Krippendorff's alpha (nominal) of three or more coded tables of the same sessions, over the utterances
    (session_id, utterance_id) any of them coded, and the pairwise Cohen's kappa."""
    from ..errors import InputError

    tables = [read_coded(p, options, scheme) for p in paths]
    question_form_uncoded(*tables)
    _pair_sessions_named_by_file(tables, paths)
    codes = list(_units(*tables))
    with warnings.catch_warnings():  # the pairing is said once, above
        warnings.simplefilter("ignore")
        _same_double_codes_agree(codes, _units(*tables, value=code_set))
    for k, (path, mine) in enumerate(zip(paths, codes)):
        others = set().union(*(c for j, c in enumerate(codes) if j != k))
        if not any(key in others for key, code in mine.items() if code):
            raise InputError(path, "shares no coded utterance with the other tables (other sessions, or other texts); "
                                   "agreement needs the same sessions coded by each coder")
    units = sorted(set().union(*codes))
    alpha = krippendorff_alpha([[c.get(k) for k in units] for c in codes])
    pairs = {}
    for i in range(len(paths)):
        for j in range(i + 1, len(paths)):
            keys = [k for k in units if codes[i].get(k) and codes[j].get(k)]
            # None where undefined (no shared coded utterance, or one code on both sides), as for two coders
            pairs[f"{paths[i]} | {paths[j]}"] = _kappa([codes[i][k] for k in keys], [codes[j][k] for k in keys])
    return {"agreement_multi": {"files": [str(p) for p in paths], "units": len(units),
                                "krippendorff_alpha": None if alpha is None else round(alpha, 3),
                                "pairwise_kappa": pairs}}
