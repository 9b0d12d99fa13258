"""JSON transcripts: a list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX segments, Deepgram
responses, JSON Lines."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from .base import COLUMN_ALIASES, WORD_TIMES, Piece, ReadOptions
from .delimited import _norm, pieces_from_records, resolve_columns, with_code_speakers


def _times_of(said: Any, start: Any, end: Any) -> list[tuple[float, float] | None]:
    """A timed word's (start, end) once per whitespace-separated word of it (an entity such as "25th of July" is
    several), or None each where its times are missing or backwards."""
    a, b = _number(start), _number(end)
    return [(a, b) if a is not None and b is not None and b >= a else None] * len(str(said or "").split())


def _segment_word_times(segment: dict[str, Any]) -> list[tuple[float, float] | None] | None:
    """A Whisper/WhisperX segment's word times, one per word of its text, where its ``words`` match that text word
    for word (WhisperX leaves digits it cannot align without times: None there); else None."""
    words = segment.get("words")
    if not isinstance(words, list) or not words:
        return None
    out: list[tuple[float, float] | None] = []
    for w in words:
        if not isinstance(w, dict):
            return None
        out += _times_of(w.get("punctuated_word") or w.get("word") or w.get("text"), w.get("start"), w.get("end"))
    text = segment.get("text") or segment.get("transcript") or ""  # Deepgram's utterances say "transcript"
    return out if len(out) == len(str(text).split()) else None


def _word_runs(words: list[Any], speaker: Any = None) -> list[dict[str, Any]]:
    """Consecutive words of one speaker joined into segments (``speaker``, ``text``, ``start``, ``end``).

    A word without a speaker continues the speaker before it (``speaker`` at the start).
    """
    runs: list[dict[str, Any]] = []
    for w in words:
        if not isinstance(w, dict):
            continue
        said = str(w.get("punctuated_word") or w.get("word") or w.get("text") or "").strip()
        if not said:
            continue
        if w.get("speaker") not in (None, ""):
            speaker = w["speaker"]
        timed = _times_of(said, w.get("start"), w.get("end"))
        if not runs or runs[-1]["speaker"] != speaker:
            runs.append({"speaker": speaker, "text": said, "start": w.get("start"), "end": w.get("end"),
                         WORD_TIMES: timed})
            continue
        run = runs[-1]
        run["text"] += " " + said
        run[WORD_TIMES] += timed
        if run["start"] is None:  # WhisperX leaves times out on words it cannot align (digits)
            run["start"] = w.get("start")
        if w.get("end") is not None:
            run["end"] = w["end"]
    return runs


# Dialogue datasets keep one object per session holding its utterances ({"id": "s01", "dialog": [{...}, ...]}).
_SESSION_LISTS = ("utterances", "turns", "dialog", "dialogue", "messages", "conversation", "segments", "lines")
_SESSION_IDS = ("session_id", "id", "conversation_id", "conv_id", "dialog_id", "dialogue_id", "transcript_id",
                "participant_id", "session")


_RESPONSE_LISTS = ("segments", "turns", "utterances", "transcript", "results")  # an object's list of turns


def _flattened_sessions(data: list[Any]) -> list[Any]:
    """A list of session objects, each holding its utterances in a list (``_SESSION_LISTS``), as one list of
    utterances, each with its session's id (``_SESSION_IDS``, else its place in the list); other lists as given."""
    if not data or not all(isinstance(d, dict) for d in data):
        return data
    text_keys = set(COLUMN_ALIASES["text"])
    out: list[Any] = []
    for k, d in enumerate(data, start=1):
        inner = next((d[key] for key in _SESSION_LISTS if isinstance(d.get(key), list) and d[key]
                      and all(isinstance(x, dict) for x in d[key])), None)
        if inner is None or any(_norm(key) in text_keys for key in d):
            return data
        sid = next((str(d[key]) for key in _SESSION_IDS if d.get(key) not in (None, "", [])), str(k))
        out += [{**x, "session_id": x.get("session_id", sid)} for x in inner]
    return out


def _split_by_word_speaker(segments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """WhisperX segments cut where their words change speaker.

    WhisperX gives each segment the speaker of most of its words; without punctuation its segments are
    whole pause-to-pause stretches and often hold the end of one speaker's turn and the next one's start.
    """
    out = []
    for seg in segments:
        words = seg.get("words")
        said = {w.get("speaker") for w in words if isinstance(w, dict)} - {None, ""} if isinstance(words, list) else set()
        if len(said) < 2 and (not said or seg.get("speaker") not in (None, "")):
            out.append(seg)
            continue
        rest = {k: v for k, v in seg.items() if k not in ("words", "text", "start", "end", "speaker")}
        for run in _word_runs(words, seg.get("speaker")):
            out.append({**rest, **run})
    return out


def _deepgram_turns(results: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """A Deepgram response (``results.channels[i].alternatives[0].words``) as segments of one speaker each.

    With one channel the speakers are the diarized ones ("Speaker 0", ...). A multichannel response (one
    channel per microphone or phone leg) reads every channel: a channel is a speaker ("Channel 0", ...), or,
    where diarization found several speakers on one channel, "Channel 0 Speaker 1"; the words of all channels
    are put in order of time."""
    channels = results.get("channels")
    try:
        per_channel = [c["alternatives"][0]["words"] for c in channels]
    except (KeyError, IndexError, TypeError) as exc:
        raise InputError(path, "Deepgram response without results.channels[0].alternatives[0].words") from exc
    if not all(isinstance(words, list) for words in per_channel) or not any(per_channel):
        raise InputError(path, "Deepgram response holds no words")
    if len(per_channel) == 1:
        words = per_channel[0]
        if all(not isinstance(w, dict) or w.get("speaker") is None for w in words):
            raise InputError(path, "Deepgram words carry no speaker (transcribe with diarize=true, or with "
                                   "multichannel=true when each speaker has a channel)")
        runs = _word_runs(words)
        for run in runs:
            run["speaker"] = f"Speaker {run['speaker']}" if run["speaker"] is not None else None
        return runs
    channels = []
    for c, words in enumerate(per_channel):
        said = {w.get("speaker") for w in words if isinstance(w, dict)} - {None}
        channels.append([{**w, "speaker": f"Channel {c}" if len(said) < 2 or w.get("speaker") is None
                          else f"Channel {c} Speaker {w['speaker']}"} for w in words if isinstance(w, dict)])
    return _word_runs(_in_time_order(channels))


def _in_time_order(channels: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The words of every channel (each word with its ``start``) in one list, in order of time; a word without a
    time keeps its place after its channel's timed words, and a tie keeps channel order."""
    keyed = []
    for c, words in enumerate(channels):
        for k, w in enumerate(words):
            start = _number(w.get("start"))
            keyed.append((start if start is not None else float("inf"), c, k, w))
    keyed.sort(key=lambda item: item[:3])
    return [w for *_, w in keyed]


def _number(value: Any) -> float | None:
    """Seconds from 1.5, "1.500" (Amazon Transcribe) or "1.5s" (Google Speech-to-Text); None otherwise."""
    try:
        return float(str(value).rstrip("s")) if value not in (None, "") else None
    except ValueError:
        return None


def _amazon_turns(results: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """An Amazon Transcribe response (``results.items``, speakers in ``results.speaker_labels`` or on each item)
    as segments of one speaker each; punctuation items join the word before them."""
    items = results.get("items")
    if not isinstance(items, list) or not items:
        raise InputError(path, "Amazon Transcribe response holds no items")
    label_at = {seg_item.get("start_time"): seg_item.get("speaker_label")
                for seg in (results.get("speaker_labels") or {}).get("segments", []) if isinstance(seg, dict)
                for seg_item in seg.get("items", []) if isinstance(seg_item, dict)}
    words = _amazon_words(items, lambda item: item.get("speaker_label") or label_at.get(item.get("start_time")))
    if all(w["speaker"] in (None, "") for w in words):
        channels = (results.get("channel_labels") or {}).get("channels")
        if isinstance(channels, list) and len(channels) > 1:  # channel identification: a channel is a speaker
            return _amazon_channels(channels)
        raise InputError(path, "Amazon Transcribe items carry no speaker (transcribe with speaker partitioning: "
                               "ShowSpeakerLabels, or with ChannelIdentification when each speaker has a channel)")
    return _word_runs(words)


def _amazon_words(items: list[Any], speaker_of: Any) -> list[dict[str, Any]]:
    """Amazon Transcribe items as words (``word``, ``start``, ``end``, ``speaker``: ``speaker_of(item)``);
    punctuation items join the word before them."""
    words: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("alternatives"):
            continue
        content = str(item["alternatives"][0].get("content", ""))
        if item.get("type") == "punctuation":
            if words:
                words[-1]["word"] += content
            continue
        words.append({"word": content, "start": _number(item.get("start_time")), "end": _number(item.get("end_time")),
                      "speaker": speaker_of(item)})
    return words


def _amazon_channels(channels: list[Any]) -> list[dict[str, Any]]:
    """An Amazon Transcribe response made with channel identification (``results.channel_labels.channels``): each
    channel's words ("ch_0", "ch_1"...) as its speaker's, put in order of time."""
    words = []
    for c, channel in enumerate(channels):
        if isinstance(channel, dict):
            label = str(channel.get("channel_label") or f"ch_{c}")
            words.append(_amazon_words(channel.get("items") or [], lambda item, label=label: label))
    return _word_runs(_in_time_order(words))


def _google_speaker(word: dict[str, Any]) -> Any:
    """A Google word's speaker: ``speakerTag`` (v1, a number) or ``speakerLabel`` (v1p1 and v2, a string)."""
    return word.get("speakerTag") or word.get("speakerLabel") or None


def _google_turns(results: list[Any], path: str) -> list[dict[str, Any]]:
    """A Google Speech-to-Text response with diarization: the words of its last result carry every word's
    speaker (``speakerTag`` in v1, ``speakerLabel`` in v2; the earlier results of v1 repeat the text without
    speakers), as segments of one speaker each."""
    tagged = [w for r in results if isinstance(r, dict) for a in r.get("alternatives", [])[:1]
              if isinstance(a, dict) for w in a.get("words", []) if isinstance(w, dict) and _google_speaker(w)]
    if not tagged:
        raise InputError(path, "Google Speech-to-Text response without speaker tags (transcribe with diarization: "
                               "diarizationConfig.enableSpeakerDiarization)")
    last = [w for w in (results[-1].get("alternatives") or [{}])[0].get("words", []) if isinstance(w, dict)]
    earlier = [w for r in results[:-1] if isinstance(r, dict) for a in r.get("alternatives", [])[:1]
               if isinstance(a, dict) for w in a.get("words", []) if isinstance(w, dict)]
    # v1 repeats every word, with its speaker, in the last result; v2 gives each result its own words only
    def start(w: dict[str, Any]) -> float:
        value = _number(w.get("startTime") or w.get("startOffset"))
        return value if value is not None else 0.0

    repeats = (bool(last) and len(last) >= len(earlier) and all(_google_speaker(w) for w in last)
               and (not earlier or start(last[0]) <= start(earlier[0])))
    words = last if repeats else tagged
    return _word_runs([{"word": w.get("word"), "start": _number(w.get("startTime") or w.get("startOffset")),
                        "end": _number(w.get("endTime") or w.get("endOffset")),
                        "speaker": f"Speaker {_google_speaker(w)}"} for w in words])


def _is_speechmatics(results: list[Any]) -> bool:
    """Speechmatics json-v2: ``results`` is a list of items typed word / punctuation / entity with times."""
    return all(isinstance(r, dict) and r.get("type") in ("word", "punctuation", "entity", "speaker_change")
               and "start_time" in r for r in results)


def _speechmatics_turns(results: list[Any], path: str) -> list[dict[str, Any]]:
    """A Speechmatics json-v2 transcript made with speaker diarization (speakers "S1", "S2"...; "UU" is
    Speechmatics' unknown speaker, which continues the speaker before it) as segments of one speaker each;
    punctuation joins the word before it (or the next one, ``attaches_to: next``)."""
    words: list[dict[str, Any]] = []
    pending = ""
    for item in results:
        alt = (item.get("alternatives") or [{}])[0]
        if not isinstance(alt, dict):
            continue
        content = str(alt.get("content", ""))
        if item["type"] == "punctuation":
            if item.get("attaches_to") == "next" or not words:
                pending += content
            else:
                words[-1]["word"] += content
            continue
        if item["type"] not in ("word", "entity") or not content:
            continue
        speaker = alt.get("speaker")
        words.append({"word": pending + content, "start": _number(item.get("start_time")),
                      "end": _number(item.get("end_time")), "speaker": None if speaker == "UU" else speaker})
        pending = ""
    if not words:
        raise InputError(path, "Speechmatics transcript holds no words")
    if all(w["speaker"] in (None, "") for w in words):
        raise InputError(path, "Speechmatics words carry no speaker (transcribe with diarization: \"speaker\")")
    return _word_runs(words)


def _seconds(data: dict[str, Any], path: str = "") -> dict[str, Any]:
    """A response that gives its audio's length in seconds (``audio_duration``, as AssemblyAI does) and times in
    milliseconds (AssemblyAI's ``utterances``), or without the length whole-number times whose typical turn would
    last over a minute: its times in seconds, as every other reader gives them."""
    duration = data.get("audio_duration")
    items = data.get("utterances") or data.get("segments")
    if not isinstance(items, list):
        return data
    ends = [d.get("end") for d in items if isinstance(d, dict) and isinstance(d.get("end"), (int, float))]
    if not ends:
        return data
    if isinstance(duration, (int, float)) and duration > 0:
        if max(ends) <= duration * 2:
            return data
    else:  # no audio length given (a trimmed response): whole numbers and a typical turn over a minute long are
        # milliseconds, as AssemblyAI gives them; a minute per turn is not how conversations go
        spans = sorted(d["end"] - d["start"] for d in items if isinstance(d, dict)
                       and isinstance(d.get("start"), (int, float)) and isinstance(d.get("end"), (int, float)))
        whole = all(isinstance(d.get(k), int) for d in items if isinstance(d, dict) for k in ("start", "end")
                    if d.get(k) is not None)
        if not spans or not whole or spans[len(spans) // 2] <= 60:
            return data
        import warnings

        warnings.warn(f"{path}: times read as milliseconds (whole numbers, and a typical turn would otherwise last "
                      f"{spans[len(spans) // 2]:g} s, as AssemblyAI gives them); check the tables' times",
                      stacklevel=3)
    key = "utterances" if data.get("utterances") else "segments"
    def ms(d: dict[str, Any]) -> dict[str, Any]:
        return {**d, **{k: d[k] / 1000 for k in ("start", "end") if isinstance(d.get(k), (int, float))}}

    scaled = [{**ms(d), **({"words": [ms(w) if isinstance(w, dict) else w for w in d["words"]]}
                          if isinstance(d.get("words"), list) else {})}
              if isinstance(d, dict) else d for d in items]
    return {**data, key: scaled}


def _span(word: dict[str, Any], scale: float) -> tuple[float | None, float | None]:
    """An Azure word's start and end in seconds (``offsetInTicks``/``durationInTicks`` over 1e7, or
    ``offsetMilliseconds``/``durationMilliseconds`` over 1e3)."""
    unit = "InTicks" if scale == 1e7 else "Milliseconds"
    a, n = _number(word.get("offset" + unit)), _number(word.get("duration" + unit))
    if a is None or n is None:
        return None, None
    return round(a / scale, 3), round((a + n) / scale, 3)


def _matching_times(text: str, words: list[tuple[Any, Any, Any]]) -> dict[str, Any]:
    """``{WORD_TIMES: [...]}`` when the timed words (word, start, end) are the text's words one for one (Azure's
    lexical words are not its display text: "fifth" for "5th"), else nothing."""
    times: list[tuple[float, float] | None] = []
    for said, a, b in words:
        times += _times_of(said, a, b)
    return {WORD_TIMES: times} if times and len(times) == len(text.split()) else {}


def _revai_turns(monologues: list[Any], path: str) -> list[dict[str, Any]]:
    """A Rev.ai transcript (``monologues``, each a speaker's elements: words with ``ts``/``end_ts`` in seconds and
    punctuation, spaces included) as segments: ``speaker_name`` where Rev gives one, else "Speaker N"."""
    out = []
    for m in monologues:
        if not isinstance(m, dict) or not isinstance(m.get("elements"), list):
            continue
        elements = [e for e in m["elements"] if isinstance(e, dict)]
        timed = [e for e in elements if e.get("type") == "text"]
        text = "".join(str(e.get("value", "")) for e in elements).strip()
        if not text:
            continue
        speaker = m.get("speaker_name") or (f"Speaker {m['speaker']}" if m.get("speaker") is not None else None)
        out.append({"speaker": speaker, "text": text, "start": _number(timed[0].get("ts")) if timed else None,
                    "end": _number(timed[-1].get("end_ts")) if timed else None,
                    **_matching_times(text, [(e.get("value"), e.get("ts"), e.get("end_ts")) for e in timed])})
    if not out:
        raise InputError(path, "Rev.ai transcript holds no words")
    return out


def _azure_turns(data: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """An Azure Speech transcription: batch (``recognizedPhrases``, times in ticks of 100 ns, text in
    ``nBest[0].display``) or fast transcription (``phrases``, milliseconds). Speakers come from diarization
    ("Speaker N"), else from the channels of a multichannel recording ("Channel N")."""
    batch = isinstance(data.get("recognizedPhrases"), list)
    phrases = [p for p in (data["recognizedPhrases"] if batch else data["phrases"]) if isinstance(p, dict)]
    channels = {p.get("channel") for p in phrases} - {None}
    out = []
    for p in phrases:
        if batch:
            if p.get("recognitionStatus", "Success") != "Success":
                continue
            best = (p.get("nBest") or [{}])[0]
            text = best.get("display") or best.get("lexical") or ""
            start = _number(p.get("offsetInTicks"))
            length = _number(p.get("durationInTicks"))
            start, length = (None if start is None else start / 1e7), (None if length is None else length / 1e7)
        else:
            text = p.get("text") or ""
            start = _number(p.get("offsetMilliseconds"))
            length = _number(p.get("durationMilliseconds"))
            start, length = (None if start is None else start / 1e3), (None if length is None else length / 1e3)
        words = (best if batch else p).get("words")
        scale = 1e7 if batch else 1e3
        timed = [(w.get("word") or w.get("text"), *_span(w, scale)) for w in words if isinstance(w, dict)] \
            if isinstance(words, list) else []
        if p.get("speaker") is not None:
            speaker = f"Speaker {p['speaker']}"
        elif len(channels) > 1:
            speaker = f"Channel {p.get('channel')}"
        else:
            speaker = None
        out.append({"speaker": speaker, "text": str(text), "start": start,
                    "end": None if start is None or length is None else round(start + length, 3),
                    **_matching_times(str(text), timed)})
    if not out:
        raise InputError(path, "Azure transcription holds no recognized phrases")
    if all(d["speaker"] is None for d in out):
        raise InputError(path, "Azure phrases carry no speaker (transcribe with diarization: diarizationEnabled / "
                               "diarization.enabled, or record each speaker on a channel)")
    out.sort(key=lambda d: d["start"] if d["start"] is not None else float("inf"))
    return out


def _google_results(data: dict[str, Any]) -> list[Any] | None:
    """The ``results`` of a Google Speech-to-Text response, also inside a long-running operation
    (``{"done": true, "response": {"results": [...]}}``); None for anything else."""
    if isinstance(data.get("response"), dict) and "results" in data["response"]:
        data = data["response"]
    results = data.get("results")
    if isinstance(results, list) and results and all(isinstance(r, dict) and "alternatives" in r for r in results):
        return results
    return None


def parse_json(text: str, path: str, options: ReadOptions) -> list[Piece]:
    """A JSON list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX ``{"segments": [...]}`` (cut
    where the words change speaker), a Deepgram response (its diarized words, as "Speaker 0", "Speaker 1"...),
    an Amazon Transcribe response (speaker partitioning: "spk_0", "spk_1"...), a Google Speech-to-Text response
    with diarization ("Speaker 1", "Speaker 2"...), or JSON Lines."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputError(path, "JSON nested too deeply to be a transcript (over a thousand levels)") from None
    except ValueError as whole:
        data = []
        for number, line in enumerate(text.split("\n"), 1):  # JSON Lines
            if not line.strip():
                continue
            try:
                data.append(json.loads(line))
            except RecursionError:
                raise InputError(path, f"JSON Lines line {number} nested too deeply to be a transcript") from None
            except ValueError as exc:
                if not data and number == 1:  # not JSON Lines either: the whole document's error
                    raise InputError(path, f"invalid JSON ({whole})") from exc
                column = f", column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
                message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
                raise InputError(path, f"invalid JSON Lines (line {number}{column}: {message})") from exc
    if isinstance(data, dict) and isinstance(data.get("results"), dict) and "channels" in data["results"]:
        data = _deepgram_turns(data["results"], path)
    elif isinstance(data, dict) and isinstance(data.get("results"), dict) and "items" in data["results"]:
        data = _amazon_turns(data["results"], path)
    elif isinstance(data, dict) and isinstance(data.get("results"), list) and data["results"] \
            and _is_speechmatics(data["results"]):
        data = _speechmatics_turns(data["results"], path)
    elif isinstance(data, dict) and _google_results(data) is not None:
        data = _google_turns(_google_results(data), path)
    elif isinstance(data, dict) and isinstance(data.get("monologues"), list):
        data = _revai_turns(data["monologues"], path)
    elif isinstance(data, dict) and (isinstance(data.get("recognizedPhrases"), list)
                                     or (isinstance(data.get("phrases"), list) and "combinedPhrases" in data)):
        data = _azure_turns(data, path)
    if isinstance(data, dict) and not any(isinstance(data.get(k), list) for k in _RESPONSE_LISTS):
        one = [data]  # one session object ({"id": ..., "dialog": [...]}), as a file or a JSON Lines file of one line
        flat = _flattened_sessions(one)
        data = data if flat is one else flat
    if isinstance(data, list):
        data = _flattened_sessions(data)
    if isinstance(data, list):  # a bare list of turns, such as AssemblyAI's or Deepgram's utterances saved alone
        data = _seconds({"utterances": data}, path)["utterances"]
    if isinstance(data, dict):
        data = _seconds(data, path)
        for key in _RESPONSE_LISTS:
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            if isinstance(data.get("events"), list) and "wireMagic" in data:
                raise InputError(path, "YouTube json3 captions (no speaker names, no sentences) are not read: "
                                       "download the captions as VTT (yt-dlp --sub-format vtt) and read that")
            if "utterances" in data and isinstance(data.get("words"), list) and "audio_url" in data:
                raise InputError(path, "AssemblyAI response without speaker labels ('utterances' is empty): "
                                       "transcribe with speaker_labels=true")
            raise InputError(path, "JSON object has no 'segments', 'turns', 'utterances' or 'dialog' list (read are: "
                                   "a list of turns, a session object or a list of them, Whisper/WhisperX, "
                                   "Deepgram, AssemblyAI, Amazon Transcribe, Google "
                                   "Speech-to-Text, Speechmatics, Rev.ai and Azure Speech responses; save others as "
                                   "CSV with speaker and text columns)")
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        raise InputError(path, "JSON must be a non-empty list of objects (turns or segments)")
    data = _split_by_word_speaker(data)
    columns = sorted({k for d in data for k in d})
    data, columns = with_code_speakers(data, columns, options.columns, path)  # a coded table's rows say whose
    if not any(_norm(c) in COLUMN_ALIASES["speaker"] for c in columns) and "speaker" not in options.columns:
        raise InputError(path, "JSON segments carry no speaker (diarize first, e.g. with WhisperX)")
    cols = resolve_columns(columns, options.columns, path)
    # WhisperX leaves out "speaker" on segments it could not attribute: they continue the previous one, most often
    # rightly (the end of a sentence after a pause), sometimes not (a short answer no diarization turn overlaps).
    last = None
    records = []
    continued = []
    for d in data:
        d = dict(d)
        if WORD_TIMES not in d:
            times = _segment_word_times(d)
            if times is not None:
                d[WORD_TIMES] = times
        d.pop("words", None)
        if d.get(cols["speaker"]) in (None, ""):
            d[cols["speaker"]] = last
            if last not in (None, ""):
                continued.append(d)
        last = d.get(cols["speaker"])
        records.append(d)
    if continued:
        import warnings

        where = ", ".join(f"{_number(d.get('start')):g} s" if _number(d.get("start")) is not None
                          else repr(str(d.get(cols["text"], ""))[:30]) for d in continued[:3])
        more = f" and {len(continued) - 3} more" if len(continued) > 3 else ""
        warnings.warn(f"{path}: {len(continued)} segment(s) have no speaker (diarization could not attribute them) "
                      f"and continue the speaker before them (at {where}{more}); check them", stacklevel=2)
    if records and records[0].get(cols["speaker"]) in (None, ""):
        first = next((d.get(cols["speaker"]) for d in records if d.get(cols["speaker"]) not in (None, "")), None)
        if first is None:
            raise InputError(path, "the JSON segments carry no speaker (diarize first, e.g. with WhisperX)")
        import warnings

        opening = [d for d in records if d.get(cols["speaker"]) in (None, "")]
        warnings.warn(f"{path}: the first {len(opening)} segment(s) have no speaker "
                      f"(diarization could not attribute them) and are given to {first!r}, who speaks next; check them",
                      stacklevel=2)
        for d in records:
            if d.get(cols["speaker"]) not in (None, ""):
                break
            d[cols["speaker"]] = first
    _name_diarizer_letters(records, cols["speaker"])
    return pieces_from_records(records, cols, path)


def _name_diarizer_letters(records: list[dict], column: str) -> None:
    """Speakers labelled A, B, C... from A on (AssemblyAI's diarization) are "Speaker A"...: a letter a service
    gave names no role, and a bare "C" or "P" reads as the client's abbreviation (a client's mother, "C", was made
    the client). Letters that do not run from A ("T" and "C" in a file written by hand) are kept as written."""
    labels = {str(d.get(column)) for d in records if d.get(column) not in (None, "")}
    letters = sorted(labels)
    if len(letters) >= 2 and all(len(x) == 1 and x.isupper() for x in letters) and \
            letters == [chr(ord("A") + k) for k in range(len(letters))]:
        for d in records:
            if d.get(column) not in (None, ""):
                d[column] = f"Speaker {d[column]}"
