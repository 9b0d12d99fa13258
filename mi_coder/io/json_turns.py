"""JSON transcripts: a list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX segments, Deepgram
responses, JSON Lines."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InputError
from .base import COLUMN_ALIASES, Piece, ReadOptions
from .delimited import _norm, pieces_from_records, resolve_columns


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
        if not runs or runs[-1]["speaker"] != speaker:
            runs.append({"speaker": speaker, "text": said, "start": w.get("start"), "end": w.get("end")})
            continue
        run = runs[-1]
        run["text"] += " " + said
        if run["start"] is None:  # WhisperX leaves times out on words it cannot align (digits)
            run["start"] = w.get("start")
        if w.get("end") is not None:
            run["end"] = w["end"]
    return runs


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
    """A Deepgram response (``results.channels[0].alternatives[0].words``) as segments of one speaker each."""
    try:
        words = results["channels"][0]["alternatives"][0]["words"]
    except (KeyError, IndexError, TypeError) as exc:
        raise InputError(path, "Deepgram response without results.channels[0].alternatives[0].words") from exc
    if not isinstance(words, list) or not words:
        raise InputError(path, "Deepgram response holds no words")
    if all(not isinstance(w, dict) or w.get("speaker") is None for w in words):
        raise InputError(path, "Deepgram words carry no speaker (transcribe with diarize=true)")
    runs = _word_runs(words)
    for run in runs:
        run["speaker"] = f"Speaker {run['speaker']}" if run["speaker"] is not None else None
    return runs


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
                      "speaker": item.get("speaker_label") or label_at.get(item.get("start_time"))})
    if all(w["speaker"] in (None, "") for w in words):
        raise InputError(path, "Amazon Transcribe items carry no speaker (transcribe with speaker partitioning: "
                               "ShowSpeakerLabels)")
    return _word_runs(words)


def _google_turns(results: list[Any], path: str) -> list[dict[str, Any]]:
    """A Google Speech-to-Text response with diarization: the words of its last result carry every word's
    ``speakerTag`` (the earlier results repeat the text without speakers), as segments of one speaker each."""
    tagged = [w for r in results if isinstance(r, dict) for a in r.get("alternatives", [])[:1]
              if isinstance(a, dict) for w in a.get("words", []) if isinstance(w, dict) and w.get("speakerTag")]
    if not tagged:
        raise InputError(path, "Google Speech-to-Text response without speaker tags (transcribe with diarization: "
                               "diarizationConfig.enableSpeakerDiarization)")
    last = [w for w in (results[-1].get("alternatives") or [{}])[0].get("words", []) if isinstance(w, dict)]
    words = last if last and all(w.get("speakerTag") for w in last) else tagged
    return _word_runs([{"word": w.get("word"), "start": _number(w.get("startTime") or w.get("startOffset")),
                        "end": _number(w.get("endTime") or w.get("endOffset")),
                        "speaker": f"Speaker {w['speakerTag']}"} for w in words])


def _seconds(data: dict[str, Any]) -> dict[str, Any]:
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
    key = "utterances" if data.get("utterances") else "segments"
    scaled = [{**d, **{k: d[k] / 1000 for k in ("start", "end") if isinstance(d.get(k), (int, float))}}
              if isinstance(d, dict) else d for d in items]
    return {**data, key: scaled}


def parse_json(text: str, path: str, options: ReadOptions) -> list[Piece]:
    """A JSON list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX ``{"segments": [...]}`` (cut
    where the words change speaker), a Deepgram response (its diarized words, as "Speaker 0", "Speaker 1"...),
    an Amazon Transcribe response (speaker partitioning: "spk_0", "spk_1"...), a Google Speech-to-Text response
    with diarization ("Speaker 1", "Speaker 2"...), or JSON Lines."""
    try:
        data = json.loads(text)
    except ValueError as whole:
        data = []
        for number, line in enumerate(text.split("\n"), 1):  # JSON Lines
            if not line.strip():
                continue
            try:
                data.append(json.loads(line))
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
    elif (isinstance(data, dict) and isinstance(data.get("results"), list) and data["results"]
          and all(isinstance(r, dict) and "alternatives" in r for r in data["results"])):
        data = _google_turns(data["results"], path)
    if isinstance(data, dict):
        data = _seconds(data)
        for key in ("segments", "turns", "utterances", "transcript", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            if "utterances" in data and isinstance(data.get("words"), list) and "audio_url" in data:
                raise InputError(path, "AssemblyAI response without speaker labels ('utterances' is empty): "
                                       "transcribe with speaker_labels=true")
            raise InputError(path, "JSON object has no 'segments', 'turns' or 'utterances' list (read are: a list "
                                   "of turns, Whisper/WhisperX, Deepgram, AssemblyAI, Amazon Transcribe and Google "
                                   "Speech-to-Text responses; save others as CSV with speaker and text columns)")
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        raise InputError(path, "JSON must be a non-empty list of objects (turns or segments)")
    data = _split_by_word_speaker(data)
    columns = sorted({k for d in data for k in d})
    if not any(_norm(c) in COLUMN_ALIASES["speaker"] for c in columns) and "speaker" not in options.columns:
        raise InputError(path, "JSON segments carry no speaker (diarize first, e.g. with WhisperX)")
    cols = resolve_columns(columns, options.columns, path)
    # WhisperX leaves out "speaker" on segments it could not attribute: they continue the previous one.
    last = None
    records = []
    for d in data:
        d = dict(d)
        d.pop("words", None)
        if d.get(cols["speaker"]) in (None, ""):
            d[cols["speaker"]] = last
        last = d.get(cols["speaker"])
        records.append(d)
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
    return pieces_from_records(records, cols, path)
