"""The behaviour codes, in one place (MITI 4.2.1 practitioner codes, MISC client codes)."""

from __future__ import annotations

import re

PRACTITIONER_CODES = ("OQ", "CQ", "SR", "CR", "AF", "SEEK", "EA", "GI", "PWP", "PER", "CON", "NC")
CLIENT_CODES = ("CT", "ST", "FN")
ALL_CODES = PRACTITIONER_CODES + CLIENT_CODES
# MITI 4.2.1's own Question code, whose form (open or closed) the manual does not code: read in coded tables and
# scored as a question (R:Q), never given by the coder; against such a table the coder's OQ and CQ are compared as Q.
QUESTION = "Q"
SCORED_PRACTITIONER_CODES = PRACTITIONER_CODES + (QUESTION,)

CODE_NAMES = {
    "OQ": "open question", "CQ": "closed question", "SR": "simple reflection", "CR": "complex reflection",
    "AF": "affirm", "SEEK": "seeking collaboration", "EA": "emphasizing autonomy", "GI": "giving information",
    "PWP": "persuade with permission", "PER": "persuade", "CON": "confront", "NC": "not coded",
    "CT": "change talk", "ST": "sustain talk", "FN": "follow/neutral",
    "Q": "question (form not coded, MITI 4.2.1)",
}

# How a practitioner code maps to AnnoMI's main therapist behaviour (the 4-class turn task).
FOUR_CLASS = {"OQ": "question", "CQ": "question", "SR": "reflection", "CR": "reflection", "AF": "reflection",
              "GI": "therapist_input", "PWP": "therapist_input", "PER": "therapist_input",
              "SEEK": "therapist_input", "EA": "therapist_input", "CON": "therapist_input", "NC": "other",
              "Q": "question"}

# The 4-class turn task (AnnoMI's main therapist behaviour) and AnnoMI's labels as turn-model classes.
TURN_CLASSES = ("question", "reflection", "therapist_input", "other")
ANNOMI_TURN_LABELS = {"question": "question", "reflection": "reflection", "therapist_input": "therapist_input",
                      "other": "other", "change": "CT", "sustain": "ST", "neutral": "FN"}

# Role clarification (supervision practice model), in the order the model expects them.
ROLE_ELEMENTS = ("purpose", "practitioner_role", "client_role", "participation")
ROLE_ELEMENT_NAMES = {"purpose": "purpose of the meetings", "practitioner_role": "the practitioner's role",
                      "client_role": "the client's role", "participation": "how the client wants to take part"}


# The practitioner asks leave to give information or advice: MITI 4.2.1's permission for Persuade with
# Permission, which may be sought earlier in the conversation and still cover the advice that follows. Used
# to label AnnoMI advice (train.annomi) and to keep permission requests out of the report's "closed
# questions that could have been open" (report.coaching).
ASK_PERMISSION = re.compile(
    r"\b(?:would it be (?:ok|okay|alright|all right|helpful|useful)|is it (?:ok|okay|alright|all right) (?:if|with you)|"
    r"(?:can|could|may|might) i (?:share|tell|give|offer|suggest|make a suggestion|mention|add|run)|do you mind if|"
    r"would you (?:like|be interested in|want) (?:me to|some|to hear|to know|more|a few|any)|"
    r"(?:want|like) (?:to hear|some) (?:information|ideas|suggestions|advice|tips|options)|if you(?:'re| are) interested|"
    r"if it's (?:ok|okay|alright|all right) with you|with your permission|if you(?:'d| would) like,? i)\b",
    re.I,
)

# Advice by its form: a suggestion ("What I'd suggest is...", "You might want to...", "It might be worth...") or what
# other people do offered as a model ("Some people find it helps to...", "A lot of people pick a day..."). With the
# permission context (``ASK_PERMISSION`` before it in the practitioner's own words, or the client asking for advice),
# it is what MITI 4.2.1 codes Persuade with Permission rather than information (``model.coder.permission_advice``).
# Written from the team corpus's advice after permission (coded PWP 25 and GI 8 where it fires, PWP 20 and GI 116
# where it does not); the writers themselves split "some people do X" between GI and PWP.
ADVICE = re.compile(
    r"\b(?:(?:some|many|a lot of|lots of|most|other) (?:people|folks|guys|patients|clients|students|smokers|parents|"
    r"women|men)(?: \w+)? (?:find|found|use|try|tried|start|pick|set|keep|decide|like|make|choose|take|do best|swear)|"
    r"what (?:a lot of |some |many |other )?(?:people|folks) (?:find|do)|i'd (?:really )?(?:suggest|recommend)|"
    r"my (?:suggestion|advice|recommendation)|"
    r"(?:you|u) (?:might|could|may|can) (?:also )?(?:want to|try|consider|think about|look (?:at|into))|"
    r"(?:might|could|would) be worth|it (?:might|may|can|could) help to|"
    r"one (?:option|idea|suggestion|thing (?:that|you could|people|some))|another (?:option|idea|thing you could)|"
    r"(?:works|worked|helps|helped) for (?:some|a lot|many|other)|(?:find|finds|found) it (?:helps|helpful|easier|useful))\b",
    re.I,
)

# The client grants it ("Sure, go ahead.") or asks for information or advice ("What should I do?").
GRANT = re.compile(r"^\W*(?:yes|yeah|yep|sure|okay|ok|go ahead|please|alright|all right|mm-hmm|uh-huh|definitely|"
                   r"of course|that would be|i'd like|tell me)\b", re.I)
CLIENT_ASKS = re.compile(
    r"\b(?:what (?:should|can|could|do|would) (?:i|we)|how (?:do|can|should|could) (?:i|we)|"
    r"do you (?:think|have|know|recommend)|is there (?:anything|something|a way)|any (?:ideas|suggestions|advice|tips)|"
    r"what (?:would|do) you (?:suggest|recommend|do))\b",
    re.I,
)
