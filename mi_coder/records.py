"""The data model: a Session holds Turns, a Turn holds Utterances.

Small fixed records plus a free ``meta`` dict (the ConvoKit pattern): the fixed fields are what every
stage relies on; ``meta`` carries what a particular source or stage adds (for example the human code of
an utterance read from a coded table, or the AnnoMI label of a turn).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

PRACTITIONER = "practitioner"
CLIENT = "client"
OTHER = "other"
ROLES = (PRACTITIONER, CLIENT, OTHER)


@dataclass
class Utterance:
    """One complete thought inside a turn; ``start_char``/``end_char`` index the turn's text."""

    id: str
    text: str
    start_char: int
    end_char: int
    code: str | None = None
    confidence: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
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


@dataclass
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
