"""Speech that is not English: the coder is trained on English sessions only, so a transcript in Spanish, or an
interpreted session's other language, gets codes that mean nothing. Told by function words, with no language
model."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

from ..records import Turn

# English function words and contractions: in any English turn of five words or more they make up a good share of
# the words (on AnnoMI's dev turns under 15% in 2 of 7,127: "Kia ora, Ricky, welcome back."); in Spanish, French or
# German speech, almost none.
_ENGLISH = frozenset("""the a an i you he she it we they me my your his her our their this that these those to of in
on at for with and or but not no is are was were be been am do does did have has had will would can could should what
how why when where who which if so just there here up out about all get got go going know like think want yes yeah
okay ok um uh mm hmm oh well right really very too i'm it's i've he's she's that's don't can't you're gonna gotta
wanna we're they're there's what's i'd i'll you've didn't doesn't isn't won't""".split())
# Function words of Spanish, French, German and Portuguese that English does not have: Spanish shares "no", "he" and
# "me" with English, so "No he encontrado nada" needs these to be told apart.
_FOREIGN = frozenset("""de la que el en y los se las por un para con una su al lo como más pero sus le ya este sí
porque esta entre cuando muy sin sobre también hasta hay donde desde todo nos durante todos les ni otros ese eso ante
ellos esto mí antes algunos qué unos yo otro otras otra él tanto esa estos mucho nada muchos cual poco ella estar estas
algo nosotros pues tengo tiene quiero estoy es son está mi tu bien señor gracias des du une et est je il elle nous vous
ils pas ne qui dans pour sur avec ce cette mais ou mon ma mes suis der die das und ist ich nicht ein eine zu mit sich
auf für es wir sie wie auch ja nein não com os você eu ele isso muito""".split()) - _ENGLISH
_LETTERS = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
NOT_ENGLISH_SHARE = 0.15


def not_english(text: str) -> bool:
    """Whether a turn of five words or more is not English speech: too few English function words, or more
    Spanish, French, German or Portuguese ones (a fifth of the words or more). On AnnoMI's 7,127 dev turns of five
    words or more, 2 ("Kia ora, Ricky, welcome back.")."""
    words = _LETTERS.findall(text.lower())
    if len(words) < 5:
        return False
    english, foreign = sum(w in _ENGLISH for w in words), sum(w in _FOREIGN for w in words)
    return english < NOT_ENGLISH_SHARE * len(words) or (foreign > english and foreign >= 0.2 * len(words))


def mostly_not_english(foreign: int, long: int) -> bool:
    """Whether ``foreign`` turns that do not read as English, of ``long`` turns of five words or more, are enough to
    say the codes mean nothing: three or more, and a tenth of the turns or more."""
    return foreign >= 3 and foreign >= 0.1 * long


def warn_not_english(turns: Sequence[Turn], where: str) -> None:
    """A warning where three turns or more, a tenth of the turns of five words or more, are not English (an
    interpreted session, a transcript in Spanish): the coder knows English only, so their codes mean nothing."""
    long = [t for t in turns if len(t.text.split()) >= 5]
    foreign = [t for t in long if not_english(t.text)]
    if mostly_not_english(len(foreign), len(long)):
        first = foreign[0].text if len(foreign[0].text) <= 60 else foreign[0].text[:57] + "..."
        warnings.warn(f"{where}: {len(foreign)} of {len(long)} turns do not read as English (the first: {first!r}); "
                      "the coder knows English only, so the codes of those turns and the scores built on them mean "
                      "nothing: code a translated transcript", stacklevel=3)
