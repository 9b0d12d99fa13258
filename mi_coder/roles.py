"""Assigning practitioner/client roles to speakers.

Roles come, in order of trust, from the user (``--practitioner``/``--client``), from the speaker label's
vocabulary ("PO", "Therapist", "Probationer"...), and, when neither decides (``SPEAKER_00``, full names),
from the text: practitioners ask more questions and say "you" more; clients say "I" more. An inferred
assignment is reported with a warning, because it can be wrong.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence

from .codes import ALL_CODES
from .errors import RoleError, UsageError
from .records import CLIENT, OTHER, PRACTITIONER

PRACTITIONER_WORDS = frozenset(
    """therapist counsellor counselor clinician officer po agent interviewer coach nurse doctor dr
    practitioner provider caseworker manager worker physician facilitator psychologist psychiatrist
    interventionist pharmacist consultant supervisor mi interviewer staff trainer advisor adviser
    educator midwife gp clinic np pa rn lcsw therapist's host moderator ofc agt chaplain navigator mentor
    listener""".split()  # listener: a peer-support site's helper (7 Cups; Welivita & Pu's MI dataset)
)
CLIENT_WORDS = frozenset(
    """client patient probationer participant parolee interviewee offender resident student youth
    parent caller member supervisee defendant consumer customer respondent mother father mom dad
    guardian teen adolescent pt cl mum husband wife spouse son daughter seeker""".split()
)
PRACTITIONER_PHRASES = ("case manager", "social worker", "probation officer", "parole officer", "youth worker",
                        "support worker", "key worker", "peer worker", "peer support", "youth counsel",
                        "offender manager", "patient navigator", "patient advocate", "client advocate", "case worker")
# A title before a name: "P.O. Smith", "PO Reyes", "Ofc. Daniels", "Agt. Morris" (as written: "Po Lin" is a name).
_PRACTITIONER_TITLE = re.compile(r"^(?:P\.\s?O\.?|PO|[Oo]fc\.?|OFC\.?|[Aa]gt\.?|AGT\.?)\s+\w")
CLIENT_PHRASES = ("young person", "service user")
# Speakers who are neither: an interpreter's renderings are not the client's own words unless the user says so
# (--client Interpreter), and an observer's remarks are not the practitioner's.
OTHER_WORDS = frozenset({"interpreter", "translator", "observer", "interpreting", "notetaker"})
# Single-letter and short abbreviations only count when they are the whole label.
PRACTITIONER_ABBREV = frozenset({"t", "th", "ther", "p.o.", "po", "c.m.", "cm", "i", "int", "mi", "dr", "n"})
CLIENT_ABBREV = frozenset({"c", "cl", "pt", "p", "r", "s", "ie", "yp"})

_WORD = re.compile(r"[a-z']+")
# Labels a transcription service gives a block it could not assign ("Unknown Speaker"): never inferred to be the
# practitioner or the client while a named speaker is left.
_UNKNOWN = re.compile(r"(?i)^\s*(?:unknown|unidentified|unassigned|unlabell?ed|unnamed)(?:\s+speaker)?\b")
OTHER_WORDS_WARN = 0.05  # other speakers holding this share of the words or more are named in a warning
# Of three or more speakers without role labels, one holding less than this share of the words is no candidate for
# either role when two others are left.
MINOR_SPEAKER_WORDS = 0.03
_QUESTION_START = re.compile(
    r"^(?:so,? )?(?:what|how|why|when|where|who|which|do|does|did|are|is|was|were|can|could|would|will|have|has|tell me)\b"
)


def role_from_label(label: str) -> str | None:
    """The role a speaker label names (OTHER for an interpreter or an observer, who is neither), or None when the
    label alone does not decide."""
    low = label.strip().lower()
    compact = low.replace(" ", "")
    if compact in PRACTITIONER_ABBREV:
        return PRACTITIONER
    if compact in CLIENT_ABBREV:
        return CLIENT
    words = set(_WORD.findall(low))
    if _PRACTITIONER_TITLE.match(label.strip()) and not words & OTHER_WORDS:
        return PRACTITIONER
    if words & OTHER_WORDS:  # "Interpreter (Arabic)": neither role, whatever else the label says
        return OTHER
    if any(phrase in low for phrase in PRACTITIONER_PHRASES):  # "Youth Worker" holds a client word too
        return PRACTITIONER
    if any(phrase in low for phrase in CLIENT_PHRASES):
        return CLIENT
    is_p = bool(words & PRACTITIONER_WORDS)
    is_c = bool(words & CLIENT_WORDS)
    if is_p and not is_c:
        return PRACTITIONER
    if is_c and not is_p:
        return CLIENT
    return None


def practitioner_score(texts: Sequence[str]) -> float:
    """How practitioner-like a speaker's talk is: questions and 'you' up, 'I' down."""
    n_words = 0
    you = i_words = 0
    questions = 0
    n_turns = max(len(texts), 1)
    for text in texts:
        low = text.lower()
        words = _WORD.findall(low)
        n_words += len(words)
        you += sum(w in ("you", "your", "you're", "yourself") for w in words)
        i_words += sum(w in ("i", "i'm", "my", "me", "i've", "i'd", "myself") for w in words)
        if "?" in text or _QUESTION_START.match(low.strip()):
            questions += 1
    n_words = max(n_words, 1)
    return questions / n_turns + 5.0 * (you - i_words) / n_words


def assign_roles(
    speaker_texts: Mapping[str, Sequence[str]],
    *,
    source: str,
    practitioner: str | Sequence[str] | None = None,
    client: str | Sequence[str] | None = None,
    inferred: list[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map every speaker to ``practitioner``, ``client`` or ``other``.

    ``speaker_texts`` maps each speaker (in order of appearance) to the texts of their turns. ``practitioner`` and
    ``client`` name the speaker of each role, or several (co-facilitators; a family or couple session's clients,
    counted together in every client measure); a speaker named in neither keeps the role its label says only
    for a role nobody was named for, else is an other speaker, not coded. Roles taken from
    the text rather than from labels or names given are warned about and, when ``inferred`` is a list, added to
    it ("'SPEAKER_00' as practitioner"), for the tables and the report to say. ``labels``: a role column's value
    for each speaker, read instead of the speaker's label where given ("parent", "probation officer"; a value that
    names neither role, "interpreter", makes an other speaker).
    Raises RoleError when the transcript cannot hold a practitioner and a client.
    """
    speakers = list(speaker_texts)
    if not speakers:
        raise RoleError(source, "no speaker turns found")
    # "A" names "Speaker A" where a diarizer's letters or numbers were read as "Speaker A", "Speaker 0"
    resolve = lambda n: f"Speaker {n}" if n not in speaker_texts and f"Speaker {n}" in speaker_texts else n  # noqa: E731
    practitioners = tuple(map(resolve, role_names(practitioner)))
    clients = tuple(map(resolve, role_names(client)))
    both = [n for n in practitioners if n in clients]
    if both:
        raise RoleError(source, f"--practitioner and --client both name {both[0]!r}; name two speakers")
    # One name must be a speaker. Of several (a cohort's practitioners named once for a whole folder, co-facilitators),
    # at least one must, and the others are said in a warning: a trainer coding three trainees' sessions in one run
    # had every file refused for not holding the other two trainees.
    for names, flag in ((practitioners, "--practitioner"), (clients, "--client")):
        absent = [name for name in names if name not in speaker_texts]
        if absent and len(names) == 1:
            raise RoleError(source, _not_a_speaker(absent[0], flag, speakers))
        if absent and len(absent) == len(names):
            raise RoleError(source, f"none of the {flag} names is a speaker here ({', '.join(map(repr, names))}; "
                                    f"speakers: {', '.join(map(repr, speakers))})")
        if absent:
            present = [name for name in names if name not in absent]
            warnings.warn(f"{source}: {flag} names {len(absent)} speaker(s) not in this transcript "
                          f"({', '.join(map(repr, absent))}); {', '.join(map(repr, present))} "
                          f"{'is' if len(present) == 1 else 'are'} the {flag[2:]} here", stacklevel=2)
    practitioners = tuple(n for n in practitioners if n in speaker_texts)
    clients = tuple(n for n in clients if n in speaker_texts)
    if len(speakers) == 1:
        if speakers[0] in practitioners:  # a practitioner's monologue (a recorded talk, a voicemail): code it
            warnings.warn(f"{source}: only the practitioner {speakers[0]!r} speaks; client measures are empty",
                          stacklevel=2)
            return {speakers[0]: PRACTITIONER}
        raise RoleError(
            source,
            f"only one speaker ({speakers[0]!r}) found; coding needs a practitioner and a client "
            "(is the transcript diarized?), or name the speaker as the practitioner to code a monologue "
            "(practitioner=NAME; --practitioner NAME on the command line)",
        )
    roles: dict[str, str] = {}
    said = {s: _role_said(s, labels) for s in speakers}  # what each label (or role-column value) says, if anything
    for s in speakers:
        if s in practitioners:
            roles[s] = PRACTITIONER
        elif s in clients:
            roles[s] = CLIENT
        elif not practitioners and not clients:
            roles[s] = said[s] or ""
        else:  # one role named: the other still comes from a label that says it ("PO:" with --client Youth)
            roles[s] = said[s] if (said[s] == PRACTITIONER and not practitioners) or (
                said[s] == CLIENT and not clients) else ""
        if not roles[s] and said[s] == OTHER:  # "Interpreter", a role column's "observer"
            roles[s] = OTHER
    words = {s: sum(len(t.split()) for t in speaker_texts[s]) for s in speakers}
    # Inference never gives a speaker the role opposite to its label: a "Counselor Lee" beside a named practitioner
    # is kept as another speaker, not made the client for talking most.
    undecided = {role: [s for s in speakers if not roles[s] and said[s] != opposite]
                 for role, opposite in ((PRACTITIONER, CLIENT), (CLIENT, PRACTITIONER))}
    has_p = PRACTITIONER in roles.values()
    has_c = CLIENT in roles.values()
    inferred = inferred if inferred is not None else []
    inferred.clear()
    if not has_p:
        candidates = undecided[PRACTITIONER]
        if not candidates:
            raise RoleError(source, "no practitioner found among speakers; name one with practitioner=NAME "
                                    "(--practitioner NAME)"
                            + _opposite_hint(speakers, roles, said, CLIENT, "--practitioner"))
        if all(s.strip().upper() in ALL_CODES for s in speakers):
            raise RoleError(source, f"the speakers are codes ({', '.join(speakers[:6])}): the column read as the "
                                    "speaker holds behaviour codes; name the speaker column with --speaker-col")
        # An "Unknown Speaker" block beside two named speakers (Otter) is no third person to choose among, and
        # neither is a diarized speaker with a sliver of the words (a relative's one line, a diarizer's stray
        # label): with two speakers left, those are kept as others and said so
        total = sum(words.values()) or 1
        minor = [s for s in candidates if words[s] < MINOR_SPEAKER_WORDS * total]
        if len(candidates) - len(minor) == 2 and not has_c:
            candidates = [s for s in candidates if s not in minor]
            for s in minor:
                roles[s] = OTHER
                inferred.append(f"{s!r} as another speaker ({len(speaker_texts[s])} turn(s), {words[s]} words)")
        if len([s for s in candidates if not _UNKNOWN.match(s)] or candidates) > 2 and not has_c:
            raise RoleError(
                source,
                f"{len(candidates)} speakers with no role labels ({', '.join(candidates)}); "
                "name them with practitioner=NAME [client=NAME] (--practitioner NAME [--client NAME]; repeat "
                "--client for each client of a family or group session)",
            )
        best = max(candidates, key=lambda s: (not _UNKNOWN.match(s), practitioner_score(speaker_texts[s]), words[s]))
        roles[best] = PRACTITIONER
        if len(candidates) > 1 or not clients:
            inferred.append(f"{best!r} as practitioner")
    if not has_c:
        candidates = [s for s in undecided[CLIENT] if not roles[s]]
        if not candidates:
            interpreted = [s for s in speakers if said[s] == OTHER
                           and re.search(r"(?i)interpret|translat", (labels or {}).get(s) or s)]
            raise RoleError(source, "no client found among speakers; name one with client=NAME (--client NAME)" + (
                f"; {interpreted[0]!r} is not taken for the client by its label: to code its renderings as the "
                f"client's talk, name it with --client {interpreted[0]!r}" if interpreted
                else _opposite_hint(speakers, roles, said, PRACTITIONER, "--client")))
        # Of the named speakers who talk a fair share (a third of the most talkative one's words or turns, or
        # more), the one whose talk reads least like a practitioner's: a second label of a lecturing officer
        # ("Daniels" beside "Officer Daniels") says more words than the client but asks and says "you" as the
        # officer does.
        named = [s for s in candidates if not _UNKNOWN.match(s)] or candidates
        most, most_turns = max(words[s] for s in named), max(len(speaker_texts[s]) for s in named)
        fair = [s for s in named if words[s] * 3 >= most or len(speaker_texts[s]) * 3 >= most_turns]
        best = min(fair, key=lambda s: (practitioner_score(speaker_texts[s]), -words[s]))
        roles[best] = CLIENT
        if len(candidates) > 1 or not practitioners:
            inferred.append(f"{best!r} as client")
    for s in speakers:
        roles[s] = roles[s] or OTHER
    if inferred:
        fewest = min(len(speaker_texts[s]) for s in speakers if roles[s] in (PRACTITIONER, CLIENT))
        weak = (f"; a weak guess: a speaker has only {fewest} turn(s)" if fewest < SWAPPED_MIN_TURNS else "")
        warnings.warn(
            f"{source}: roles inferred from the text ({', '.join(inferred)}){weak}; "
            "check them, or set them with --practitioner NAME / --client NAME (practitioner=NAME / client=NAME "
            "in Python)",
            stacklevel=2,
        )
    if not practitioners and not clients:
        warn_swapped(roles, speaker_texts, source)
        warn_swapped_midway(roles, speaker_texts, source)
    others = [s for s in speakers if roles[s] == OTHER]
    total = sum(words.values()) or 1
    left = sum(words[s] for s in others)
    if left >= OTHER_WORDS_WARN * total:  # said even where roles were named: a second label for the practitioner
        described = ", ".join(f"{s!r} ({len(speaker_texts[s])} turns, {words[s]} words)" for s in others)
        warnings.warn(f"{source}: {described}: {left / total:.0%} of the words are kept as other speakers and not "
                      "coded; if some of those turns are the practitioner's or the client's (an unassigned "
                      "'Unknown Speaker' block, a name spelled two ways), relabel them in the transcript; if a "
                      "speaker is a second client or practitioner (a family session), name each speaker of the "
                      "role with --client NAME / --practitioner NAME, once for each (in Python, "
                      "client=(NAME, NAME) / practitioner=(NAME, NAME))"
                      + ("; an interpreter's renderings of the client are coded as the client's talk with --client "
                         "NAME naming the interpreter" if any(_role_said(s, labels) == OTHER and "interpret" in
                                                             f"{s} {(labels or {}).get(s, '')}".lower() for s in others)
                         else ""),
                      stacklevel=2)
    warn_pooled(roles, source, given=(practitioners, clients))
    return roles


def _opposite_hint(speakers: Sequence[str], roles: Mapping[str, str], said: Mapping[str, str | None], label_says: str,
                   flag: str) -> str:
    """Why a speaker left without a role was not taken for the missing one: its label (or role column) names the
    other role ("Therapist" when --practitioner named the speaker labelled "Client")."""
    left = [s for s in speakers if not roles.get(s) and said.get(s) == label_says]
    if not left:
        return ""
    return (f"; {left[0]!r} is not taken for it because its label names a {label_says}: if the labels are wrong, "
            f"name it with {flag} {left[0]!r}")


def _role_said(speaker: str, labels: Mapping[str, str] | None) -> str | None:
    """The role a speaker's label names; where a role column gives the speaker a value (``labels``), the role that
    value names, or OTHER for a value that names neither ("interpreter")."""
    value = (labels or {}).get(speaker, "")
    if value:
        return role_from_label(value) or OTHER
    return role_from_label(speaker)


# Labels decide both roles, and the talk says the opposite by this much (``practitioner_score``, practitioner's
# minus client's): on AnnoMI's 106 dev sessions, labelled therapist and client, the difference is -0.20 at its
# lowest (a session of four therapist turns) and 0.57 at the 5th percentile; a client labelled "Dr. Evans" in a
# physician health programme gave -1.59.
SWAPPED_MARGIN = -0.75
SWAPPED_MIN_TURNS = 5


def warn_swapped(roles: Mapping[str, str], speaker_texts: Mapping[str, Sequence[str]], source: str) -> None:
    """A warning where a label made one speaker the practitioner or the client and the two speakers' talk reads the
    other way round (a client labelled with a title, "Dr. Evans", "Officer Reyes"): every score would be of the wrong
    person."""
    p = [s for s, r in roles.items() if r == PRACTITIONER]
    c = [s for s, r in roles.items() if r == CLIENT]
    if len(p) != 1 or len(c) != 1 or min(len(speaker_texts[p[0]]), len(speaker_texts[c[0]])) < SWAPPED_MIN_TURNS:
        return
    if practitioner_score(speaker_texts[p[0]]) - practitioner_score(speaker_texts[c[0]]) < SWAPPED_MARGIN:
        warnings.warn(f"{source}: {p[0]!r} is taken as the practitioner and {c[0]!r} as the client (by labels or "
                      "a role column, else the text), but their talk reads the other way round (questions and 'you' "
                      "against 'I'); if the roles "
                      f"are swapped, name them: --practitioner {c[0]!r} --client {p[0]!r}", stacklevel=3)


# A diarizer that swaps its labels partway makes each speaker talk like the practitioner in one half of their turns
# and like the client in the other. The two halves' differences (``practitioner_score``, practitioner's minus
# client's, over each speaker's first and second half of turns) then have opposite signs: on AnnoMI's 106 dev
# sessions and the team corpus's 436 sessions, never with both beyond this margin.
MIDWAY_MARGIN = 0.3


def warn_swapped_midway(roles: Mapping[str, str], speaker_texts: Mapping[str, Sequence[str]], source: str) -> None:
    """A warning where the practitioner's and the client's talk trade places halfway through (labels swapped by a
    diarizer partway): half the turns would be coded for the wrong person."""
    p = [s for s, r in roles.items() if r == PRACTITIONER]
    c = [s for s, r in roles.items() if r == CLIENT]
    if len(p) != 1 or len(c) != 1 or min(len(speaker_texts[p[0]]), len(speaker_texts[c[0]])) < 2 * SWAPPED_MIN_TURNS:
        return

    def halves(texts: Sequence[str]) -> tuple[list[str], list[str]]:
        n = len(texts)
        first: list[str] = []
        second: list[str] = []
        for k, text in enumerate(texts):
            (first if k < n // 2 else second).append(text)
        return first, second

    (p1, p2), (c1, c2) = halves(speaker_texts[p[0]]), halves(speaker_texts[c[0]])
    early = practitioner_score(p1) - practitioner_score(c1)
    late = practitioner_score(p2) - practitioner_score(c2)
    if early * late < 0 and min(abs(early), abs(late)) > MIDWAY_MARGIN:
        first, then = (p[0], c[0]) if early > 0 else (c[0], p[0])
        warnings.warn(f"{source}: the talk of {p[0]!r} and {c[0]!r} trades places halfway: {first!r} talks like the "
                      f"practitioner in the first half of their turns and {then!r} in the second (questions and 'you' "
                      "against 'I'); if a diarizer swapped the labels partway, correct them in the transcript: half "
                      "the turns would be coded for the wrong person", stacklevel=3)


def warn_pooled(roles: Mapping[str, str], source: str, given: tuple[Sequence[str], Sequence[str]] = ((), ())) -> None:
    """A warning where labels or a role column, not the user, made several speakers the practitioner or the client
    ("Youth:" and "Mom:"): their words are counted together."""
    speakers = list(roles)
    for role, named, flag in ((CLIENT, given[1], "--client"), (PRACTITIONER, given[0], "--practitioner")):
        several = [s for s in speakers if roles[s] == role]
        if len(several) > 1 and not named:
            warnings.warn(
                f"{source}: {len(several)} speakers are coded as the {role} ({', '.join(map(repr, several))}) and "
                f"counted together in every {role} measure; to count one of them only, name it with {flag} NAME "
                "(the others are then kept as other speakers, not coded)",
                stacklevel=3,
            )


def role_names(given: str | Sequence[str] | None) -> tuple[str, ...]:
    """The speaker names given for one role: none, one (a string) or several."""
    if given is None:
        return ()
    if isinstance(given, str):
        return (given,)
    names = tuple(given) if isinstance(given, (list, tuple, set, frozenset)) else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise UsageError(f"a role is given by a speaker's name or a list of names, not {given!r}")
    return names


def _not_a_speaker(name: str, flag: str, speakers: Sequence[str]) -> str:
    """The error for a role name that is no speaker; names joined by commas point to naming each one."""
    known = ", ".join(repr(s) for s in speakers)
    parts = [p.strip() for p in re.split(r"[,;]", name)]
    if len(parts) > 1 and all(p in speakers for p in parts):
        return (f"{flag} {name!r} is not a speaker here; to name several, give {flag} once for each "
                f"({' '.join(f'{flag} {p!r}' for p in parts)})")
    return f"{flag} {name!r} is not a speaker here (speakers: {known})"


def person(label: str) -> str:
    """A speaker label as the person it names, for trends: without a parenthesised or bracketed note after the name
    (Zoom's pronouns "Maria Lopez (she/her)", "Tom Becker [Trainee]"), so that one person's sessions stay together."""
    return re.sub(r"(?:\s*[\[(][^\[\]()]*[\])])+\s*$", "", label).strip() or label.strip()


def is_person_name(label: str) -> bool:
    """Whether a speaker label names a person (trends are drawn per person, never per role label): a role word
    alone ("Probation Officer", "Therapist 1") is not one; a title before a name ("Officer Daniels", "Dr. Patel",
    "PO Smith") is."""
    text = (label or "").strip()
    if not text or re.fullmatch(r"(?i)(speaker|spk|person|participant|voice)[ _-]?\w{0,3}", text):
        return False
    if role_from_label(text):
        titles = (PRACTITIONER_WORDS | CLIENT_WORDS | PRACTITIONER_ABBREV | CLIENT_ABBREV  # "CM" is a role, not a name
                  | {"mr", "mrs", "ms", "mx", "miss", "case", "probation", "parole"})
        return any(word[0].isupper() and word.lower() not in titles
                   for word in re.findall(r"[A-Za-z][A-Za-z'-]+", text))
    # letters of any script: "Мария" and "李明" are people too (only Latin letters counted, and they got no trend)
    return bool(re.search(r"[^\W\d_]{2,}", text))
