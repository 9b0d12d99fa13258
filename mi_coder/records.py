"""The data model: a Session holds Turns, a Turn holds Utterances.

Small fixed records plus a free ``meta`` dict (the ConvoKit pattern): the fixed fields are what every
stage relies on; ``meta`` carries what a particular source or stage adds (for example the human code of
an utterance read from a coded table, or the AnnoMI label of a turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

PRACTITIONER = "practitioner"
CLIENT = "client"
OTHER = "other"
ROLES = (PRACTITIONER, CLIENT, OTHER)
_COUNTERPART = {PRACTITIONER: CLIENT, CLIENT: PRACTITIONER}


def other_role_context(roles: Sequence[str], texts: Sequence[str]) -> tuple[list[str], list[str]]:
    """For each turn of one session (in order): the other role's previous turn and next turn, "" if none.

    What a practitioner utterance answers is the client's previous turn, and how it was taken shows in the
    client's next turn (and the other way round for client turns). Turns of a third role get "" and are
    never anyone's context.
    """
    def scan(order: Sequence[int]) -> list[str]:
        latest = {PRACTITIONER: "", CLIENT: ""}
        out = [""] * len(roles)
        for i in order:
            other = _COUNTERPART.get(roles[i])
            if other:
                out[i] = latest[other]
                latest[roles[i]] = texts[i]
        return out

    indices = range(len(roles))
    return scan(indices), scan(indices[::-1])


def own_previous_turn(roles: Sequence[str], texts: Sequence[str]) -> list[str]:
    """For each turn of one session (in order): the same role's previous turn, "" if none (a third role: "").

    With the earlier utterances of the turn itself, it is what the speaker said before an utterance: where a
    practitioner asked leave to advise (``model.features.permission_features``).
    """
    latest = {PRACTITIONER: "", CLIENT: ""}
    out = [""] * len(roles)
    for i, role in enumerate(roles):
        if role in latest:
            out[i] = latest[role]
            latest[role] = texts[i]
    return out


def own_words_before(previous_turn: str, earlier: Sequence[str]) -> str:
    """The speaker's words before an utterance: their previous turn and the turn's earlier utterances."""
    return " ".join([previous_turn, *earlier]).strip() if earlier else previous_turn


@dataclass(slots=True)
class Utterance:
    """One complete thought inside a turn; ``start_char``/``end_char`` index the turn's text."""

    id: str
    text: str
    start_char: int
    end_char: int
    code: str | None = None
    confidence: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Turn:
    """An uninterrupted stretch of one speaker. Times are seconds from the start, when known."""

    id: str
    speaker: str
    role: str
    text: str
    start: float | None = None
    end: float | None = None
    utterances: list[Utterance] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def codes(self) -> list[str]:
        """Codes of this turn's utterances, in order (uncoded utterances are left out)."""
        return [u.code for u in self.utterances if u.code]


@dataclass(slots=True)
class Session:
    """One recorded session: its id, the file it came from, its turns and free metadata."""

    id: str
    source: str
    turns: list[Turn] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def utterances(self) -> Iterator[tuple[Turn, Utterance]]:
        """Every utterance with its turn, in transcript order."""
        for turn in self.turns:
            for utt in turn.utterances:
                yield turn, utt

    @property
    def speakers(self) -> dict[str, str]:
        """Speaker name -> role, in order of first appearance."""
        out: dict[str, str] = {}
        for turn in self.turns:
            out.setdefault(turn.speaker, turn.role)
        return out


def clock(seconds: float | None) -> str:
    """Seconds from the start as m:ss, or h:mm:ss past an hour; "" when the transcript has no times."""
    if seconds is None or seconds != seconds or seconds < 0:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"



# How far a turn may start before an earlier turn's start and still be read as talk in order (caption cues of
# overlapping talk are listed by start, give or take a cue's rounding); further back, the times have gone wrong or
# restarted.
TIME_SLACK = 2.0


def time_goes_back(turns: Sequence[Turn]) -> tuple[int, float, float] | None:
    """Where the turns' start times first go back more than ``TIME_SLACK`` seconds (a second recording whose times
    restart at zero, two transcripts pasted together, a typed time gone wrong): (index of that turn, the latest start
    before it, its start); None where the given starts are in order."""
    latest: float | None = None
    for k, turn in enumerate(turns):
        if turn.start is None:
            continue
        if latest is not None and turn.start < latest - TIME_SLACK:
            return k, latest, turn.start
        latest = turn.start if latest is None else max(latest, turn.start)
    return None


def as_sessions(sessions: Any, what: str) -> list[Session]:
    """``sessions`` (one Session, or a list, tuple or generator of them) as a list, checked, for the API's entry
    points (``what`` names the caller in the error): anything else, or a turn whose role is not one of
    ``ROLES``, is a ``UsageError`` rather than an AttributeError later or a turn silently left uncoded."""
    from .errors import UsageError

    if isinstance(sessions, Session):
        out = [sessions]  # checked as a list's would be: a bad role was left uncoded without a word
    elif sessions is None or isinstance(sessions, (str, bytes)) or not hasattr(sessions, "__iter__"):
        raise UsageError(f"{what} expects a Session or a list of Sessions (mi_coder.read_transcript(path)), "
                         f"not {type(sessions).__name__}")
    else:
        out = list(sessions)  # a generator is read once, here, not used up by the check
    for s in out:
        if not isinstance(s, Session):
            raise UsageError(f"{what} expects a Session or a list of Sessions (mi_coder.read_transcript(path)), "
                             f"not a list holding {type(s).__name__}")
        for t in s.turns:
            if t.role not in ROLES:
                raise UsageError(f"{what}: session {s.id!r}, turn {t.id!r} has role {t.role!r}; a turn's role is "
                                 f"one of {', '.join(ROLES)}")
            if not isinstance(t.text, str):
                raise UsageError(f"{what}: session {s.id!r}, turn {t.id!r} has text of type {type(t.text).__name__}, "
                                 "not a string")
            if not isinstance(t.utterances, list) or any(not isinstance(u, Utterance) for u in t.utterances):
                raise UsageError(f"{what}: session {s.id!r}, turn {t.id!r}: utterances must be a list of "
                                 "mi_coder.Utterance records (Utterance(id, text, start_char, end_char))")
    return out

