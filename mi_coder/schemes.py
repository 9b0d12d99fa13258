"""Other coding schemes mapped onto mi-coder's codes (MITI 4.2.1 practitioner, MISC client), and code groups.

MISC 2.5 is finer than MITI 4.2.1 in some places and draws some boundaries elsewhere. The mapping goes one
way, **MISC 2.5 -> MITI 4.2.1**, so that MISC-coded data can evaluate (and train) a MITI coder:

=========================  =====  ====================================================================
MISC 2.5                   MITI   why
=========================  =====  ====================================================================
OQ, CQ, SR, CR             same
RF reframe                 CR     MITI codes a reframe as a complex reflection
AF affirm                  AF     MISC's AF is broader ("I'm glad you're here" is AF in MISC, not in
                                  MITI): such items count against a MITI-faithful coder's AF recall
EC emphasize control       EA
GI giving information      GI
ADP / RCP (with perm.)     PWP    advice / raising concern with permission
ADW / RCW (without)        PER
DI direct                  PER    commands aim to change the client without permission
WA warn, CO confront       CON    MITI's Confront includes warnings and threats
SU support, FA facilitate  NC     generic support, sympathy and backchannels are not coded in MITI
FI filler, ST structure    NC     MITI leaves greetings, fillers and session structuring uncoded
C / S / N (client)         CT / ST / FN   the three-way client codes of MISC-derived sets (AutoMISC, MIBot)
QUO, QUC, RES, REC         OQ, CQ, SR, CR   MISC 2.5's own abbreviations of the four above
R+ D+ A+ N+ C+ TS+ O+      CT     MISC 2.5 client change talk (reason, desire, ability, need, commitment,
                                  taking steps, other; "+": toward change)
R- D- A- N- C- TS- O-      ST     the same toward the status quo (sustain talk)
POS / NEG (client)         CT/ST  the collapsed client codes of MISC-based NLP sets (Tanana 2016, Cao 2019)
FN, ASK (client)           FN     follow/neutral, and a client's question
NC no code                 NC     MISC 2.5's own "no code" (p.14)
=========================  =====  ====================================================================

The codes may also be spelled out, as MISC 2.5 and MITI 3.1.1 name them ("Advise with Permission", "Emphasize
Control", "Raise Concern without Permission", "Support", "Direct", "Warn", "Structure"; ``SPELLED_MISC``), which is
how the MITI-derived labels of Welivita & Pu's peer-support MI dataset (COLING 2022) are written. That set's own
additions map as the coding guide says: "Give Information" is GI, "Emphasize Autonomy" EA, and "Self-Disclose" NC
(MITI 4.2.1 codes self-disclosure only when it persuades, which needs the context). Its "Other" (greetings,
off-topic) is NC in a table coded that finely; in a table with AutoMISC's coarse labels (a bare R or Q), where
Other is every behaviour but a question or a reflection, it is refused (``read_coded``). A cell of "-" is a row
the coders left without a code, as an empty cell is.

The same sets' collapsed practitioner codes MIA and MIN (and MITI 3.1.1's MIA and MINA) name groups, not
behaviours (MIA holds AF, EC, support, advice with permission and more): they have no MITI 4.2.1 code and are
refused with that said, rather than compared as if they were one.

A bare ``N`` is read as the three-way sets use it (neutral), not as MISC 2.5's *need* (which carries a valence,
``N+`` or ``N-``, in a MISC 2.5 table).

MISC 2.5 has no seeking-collaboration code (a permission request is a question there), so MITI SEEK has no
MISC source. A question the machine reads as seeking collaboration is coded as the question it is, with SEEK as its
second code (models decoded with ``question_second_codes``, since 2.12), so it is compared as a question; a SEEK given
as a first code (a statement) falls in the MI-adherent group (``GROUPS``), which no MISC code maps to.
"""

from __future__ import annotations

import re

from .codes import ALL_CODES, QUESTION

MISC_TO_MITI: dict[str, str] = {
    "OQ": "OQ", "CQ": "CQ", "SR": "SR", "CR": "CR", "RF": "CR", "AF": "AF", "EC": "EA", "GI": "GI",
    "ADP": "PWP", "RCP": "PWP", "ADW": "PER", "RCW": "PER", "DI": "PER", "WA": "CON", "CO": "CON",
    "SU": "NC", "FA": "NC", "FI": "NC", "ST": "NC",
    "C": "CT", "S": "ST", "N": "FN", "CT": "CT", "FN": "FN",
    "QUO": "OQ", "QUC": "CQ", "RES": "SR", "REC": "CR", "NC": "NC",
    # spelled-out names with no MISC 2.5 abbreviation (``SPELLED_MISC``): MISC 2.5's structure, kept apart from
    # its "ST" (sustain talk on a client's row), and Welivita & Pu's self-disclosure
    "STRUCTURE": "NC", "SELFDISCLOSE": "NC",
}
# "ST" is MISC's structure for practitioners but sustain talk for clients: ``to_miti`` takes the role.
CLIENT_MISC = {"C": "CT", "S": "ST", "N": "FN", "CT": "CT", "ST": "ST", "FN": "FN", "ASK": "FN",
               "POS": "CT", "NEG": "ST",  # the collapsed client codes of Tanana et al. 2016 and Cao et al. 2019
               **{f"{kind}{sign}": ("CT" if sign == "+" else "ST")
                  for kind in ("R", "D", "A", "N", "C", "TS", "O") for sign in "+-"}}

SCHEMES = ("miti", "misc")

# Code groups for group-level agreement (one group per utterance).
GROUPS: dict[str, str] = {
    "OQ": "question", "CQ": "question", "Q": "question", "SR": "reflection", "CR": "reflection", "AF": "affirm",
    "SEEK": "mi_adherent", "EA": "mi_adherent", "GI": "information", "PWP": "information",
    "PER": "mi_nonadherent", "CON": "mi_nonadherent", "NC": "other",
    "CT": "change", "ST": "sustain", "FN": "neutral",
}


# Codes written out as coding sheets and spreadsheets spell them (MITI 4.2.1's sheet: "Seek", "Emphasize",
# "Persuade with"), read by their letters alone ("Complex Reflection", "complex-reflection", "COMPLEX_REFLECTION").
SPELLED_MITI: dict[str, str] = {
    **dict.fromkeys(("QUESTION", "QUEST", "QU"), "Q"),  # MITI 4.2.1's sheet: the form is not coded
    **dict.fromkeys(("OPENQUESTION", "QUESTIONOPEN", "OPEN"), "OQ"),
    **dict.fromkeys(("CLOSEDQUESTION", "CLOSEQUESTION", "QUESTIONCLOSED", "CLOSED"), "CQ"),
    **dict.fromkeys(("SIMPLEREFLECTION", "REFLECTIONSIMPLE", "SIMPLE"), "SR"),
    **dict.fromkeys(("COMPLEXREFLECTION", "REFLECTIONCOMPLEX", "COMPLEX"), "CR"),
    **dict.fromkeys(("AFFIRM", "AFFIRMATION", "AFFIRMING"), "AF"),
    **dict.fromkeys(("SEEKINGCOLLABORATION", "SEEKCOLLABORATION", "SEEKINGCOLLAB", "COLLABORATION"), "SEEK"),
    **dict.fromkeys(("EMPHASIZE", "EMPHASISE", "EMPHASIZEAUTONOMY", "EMPHASISEAUTONOMY", "EMPHASIZINGAUTONOMY",
                     "EMPHASISINGAUTONOMY", "AUTONOMY"), "EA"),
    **dict.fromkeys(("GIVINGINFORMATION", "GIVEINFORMATION", "INFORMATION", "INFO"), "GI"),
    **dict.fromkeys(("PERSUADEWITHPERMISSION", "PERSUADEWITH", "PERSUASIONWITHPERMISSION"), "PWP"),
    **dict.fromkeys(("PERSUADE", "PERSUASION", "PERSUADEWITHOUTPERMISSION"), "PER"),
    **dict.fromkeys(("CONFRONT", "CONFRONTATION", "CONFRONTING"), "CON"),
    **dict.fromkeys(("NOTCODED", "NOCODE", "UNCODED", "NOTCODABLE"), "NC"),
    **dict.fromkeys(("CHANGETALK", "CHANGE"), "CT"),
    **dict.fromkeys(("SUSTAINTALK", "SUSTAIN"), "ST"),
    **dict.fromkeys(("FOLLOWNEUTRAL", "FOLLOW", "NEUTRAL"), "FN"),
}
# MISC 2.5 and MITI 3.1.1 codes spelled out, read by their letters alone ("Advise with Permission",
# "advise-with-permission"), as MISC codes; with the MITI-derived names of Welivita & Pu (2022).
SPELLED_MISC: dict[str, str] = {
    **dict.fromkeys(("ADVISEWITHPERMISSION", "ADVICEWITHPERMISSION", "ADVISINGWITHPERMISSION"), "ADP"),
    **dict.fromkeys(("ADVISEWITHOUTPERMISSION", "ADVICEWITHOUTPERMISSION", "ADVISINGWITHOUTPERMISSION"), "ADW"),
    **dict.fromkeys(("RAISECONCERNWITHPERMISSION", "RAISINGCONCERNWITHPERMISSION"), "RCP"),
    **dict.fromkeys(("RAISECONCERNWITHOUTPERMISSION", "RAISINGCONCERNWITHOUTPERMISSION"), "RCW"),
    **dict.fromkeys(("AFFIRM", "AFFIRMATION", "AFFIRMING"), "AF"),
    **dict.fromkeys(("CONFRONT", "CONFRONTATION", "CONFRONTING"), "CO"),
    **dict.fromkeys(("DIRECT", "DIRECTING", "DIRECTIVE"), "DI"),
    **dict.fromkeys(("WARN", "WARNING"), "WA"),
    **dict.fromkeys(("EMPHASIZECONTROL", "EMPHASISECONTROL", "EMPHASIZEAUTONOMY", "EMPHASISEAUTONOMY"), "EC"),
    **dict.fromkeys(("FACILITATE", "FACILITATION"), "FA"),
    **dict.fromkeys(("FILLER", "FILL"), "FI"),
    **dict.fromkeys(("GIVINGINFORMATION", "GIVEINFORMATION", "INFORMATION"), "GI"),
    **dict.fromkeys(("OPENQUESTION", "QUESTIONOPEN"), "OQ"),
    **dict.fromkeys(("CLOSEDQUESTION", "CLOSEQUESTION", "QUESTIONCLOSED"), "CQ"),
    **dict.fromkeys(("SIMPLEREFLECTION", "REFLECTIONSIMPLE"), "SR"),
    **dict.fromkeys(("COMPLEXREFLECTION", "REFLECTIONCOMPLEX"), "CR"),
    **dict.fromkeys(("REFRAME", "REFRAMING"), "RF"),
    **dict.fromkeys(("SUPPORT", "SUPPORTING"), "SU"),
    **dict.fromkeys(("STRUCTURE", "STRUCTURING"), "STRUCTURE"),
    **dict.fromkeys(("SELFDISCLOSE", "SELFDISCLOSURE", "SELFDISCLOSING"), "SELFDISCLOSE"),
    **dict.fromkeys(("NOCODE", "NOTCODED", "UNCODED"), "NC"),
    # client talk spelled out: the three-way sets' names, and MISC 2.5's kinds (their valence after them, "Reason+",
    # or in a column of its own, ``with_valence``)
    **dict.fromkeys(("CHANGETALK", "CHANGE"), "CT"),
    **dict.fromkeys(("SUSTAINTALK", "SUSTAIN"), "S"),
    **dict.fromkeys(("FOLLOWNEUTRAL", "FOLLOW", "NEUTRAL", "FOLLOWNEUTRALCLIENT"), "FN"),
    "POSITIVE": "POS", "NEGATIVE": "NEG",
    "REASON": "R", "DESIRE": "D", "ABILITY": "A", "NEED": "N", "COMMITMENT": "C",
    **dict.fromkeys(("TAKINGSTEPS", "TAKINGSTEP", "TAKESTEPS"), "TS"),
}
_CLIENT_KINDS = frozenset({"R", "D", "A", "N", "C", "TS", "O"})  # MISC 2.5's client talk, valence apart
_SIGNED = re.compile(r"(.*?[A-Z])\s*([+\-\u2212])")  # "Reason+", "Commitment -"
# A cell coders leave without a code in some tables (Welivita & Pu's "final agreed label"): no code, as an empty cell.
_NO_CODE = {"-", "--", "\u2013", "\u2014"}


# Two codes written in one cell ("CR; AF", "CQ/SEEK", "SR + CQ"); a "+" only between letters, as MISC 2.5's
# client codes carry a valence ("R+", "TS-").
_TWO_CODES = re.compile(r"\s*[;/,&|]\s*|\s*\+\s*(?=[A-Z])")


def _known(code: str, scheme: str) -> bool:
    if scheme == "miti":
        return code in ALL_CODES or code == QUESTION
    return code in MISC_TO_MITI or code in CLIENT_MISC


def read_code_cell(value: object, scheme: str = "miti") -> tuple[str, str]:
    """A coded table's code cell as (code, second code): the code as written ("cr " is "CR"), spelled out in a MITI
    table ("Complex Reflection" is "CR"), or two codes in one cell ("CR; AF", "CQ/SEEK"). A cell neither reads
    is returned as written, upper-cased, for the caller to refuse by name."""
    text = str(value or "").strip().upper()
    if text in ("", "NAN") or text in _NO_CODE:
        return "", ""
    if _known(text, scheme):
        return text, ""
    signed = _SIGNED.fullmatch(text) if scheme == "misc" else None
    if signed and (_spelled(signed.group(1), scheme) or signed.group(1).strip()) in _CLIENT_KINDS:
        kind = _spelled(signed.group(1), scheme) or signed.group(1).strip()
        return kind + ("+" if signed.group(2) == "+" else "-"), ""
    if _spelled(text, scheme):
        return _spelled(text, scheme), ""
    parts = [part for part in _TWO_CODES.split(text) if part]
    parts = parts if len(parts) > 1 else text.split()  # "SR CQ"
    if len(parts) == 2:
        read = [part if _known(part, scheme) else _spelled(part, scheme) for part in parts]
        if all(read):
            return read[0], read[1]
    return text, ""


def _spelled(text: str, scheme: str) -> str:
    """The code a spelled-out name stands for in ``scheme`` ("Complex Reflection" is "CR"), or ""."""
    letters = re.sub(r"[^A-Z]", "", text.upper())
    return (SPELLED_MITI if scheme == "miti" else SPELLED_MISC).get(letters, "")


_VALENCE_COLUMNS = ("valence", "polarity", "direction", "sign")
_SIGNS = {"+": "+", "-": "-", "\u2212": "-", "pos": "+", "positive": "+", "neg": "-", "negative": "-",
          "change": "+", "toward change": "+", "sustain": "-", "toward status quo": "-", "status quo": "-",
          "1": "+", "+1": "+", "-1": "-", "\u22121": "-", "plus": "+", "minus": "-", "ct": "+", "st": "-",
          "change talk": "+", "sustain talk": "-", "towards change": "+", "towards status quo": "-"}
_NO_VALENCE = {"", "0", "nan", "n/a", "na", "none", "neutral", "n", "fn"}  # follow/neutral: the code alone


def with_valence(code: str, meta: dict, where: str = "") -> str:
    """A MISC 2.5 client code whose valence sits in a column of its own (``valence``, ``polarity``; "+"/"-", "1"/"-1",
    "positive"/"negative", "change"/"sustain") joined to it: "C" with "-" is "C-", sustain talk, not the three-way
    sets' "C" (change talk). Other codes, and codes with no valence given, as they are. A valence it cannot read
    is a ValueError (``where`` names the row): read as none, sustain talk would be counted as change talk."""
    from .io.base import normalize_column

    if code not in _CLIENT_KINDS:
        return code
    key = next((k for k in meta if normalize_column(k) in _VALENCE_COLUMNS), None)
    raw = str(meta.get(key) or "").strip().lower() if key else ""
    sign = _SIGNS.get(raw)
    if sign is None and raw not in _NO_VALENCE:
        raise ValueError(f"{where}valence {meta.get(key)!r} of {code!r} is not one mi-coder reads (+ or -, 1 or -1, "
                         "positive or negative, change or sustain)")
    return code + sign if sign else code


def to_miti(code: str, role: str, scheme: str = "misc") -> str | None:
    """The MITI 4.2.1 (practitioner) or MISC client code for ``code`` of ``scheme``; None when unknown."""
    code = (code or "").strip().upper()
    if not code:
        return None
    if scheme == "miti":
        return code
    code = code if code in MISC_TO_MITI or code in CLIENT_MISC else _spelled(code, "misc") or code
    if role == "client":
        return CLIENT_MISC.get(code)
    return MISC_TO_MITI.get(code)


def group(code: str | None) -> str | None:
    """The code group of a MITI/MISC-client code (``GROUPS``)."""
    return GROUPS.get(code or "")
