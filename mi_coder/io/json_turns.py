"""JSON transcripts: a list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX segments, JSON Lines."""

from __future__ import annotations

import json

from ..errors import InputError
from .base import COLUMN_ALIASES, Piece, ReadOptions
from .delimited import _norm, pieces_from_records, resolve_columns


def parse_json(text: str, path: str, options: ReadOptions) -> list[Piece]:
    """A JSON list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX ``{"segments": [...]}``, or JSON Lines."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = [json.loads(ln) for ln in text.split("\n") if ln.strip()]
        except ValueError as exc:
            raise InputError(path, f"invalid JSON ({exc})") from exc
    if isinstance(data, dict):
        for key in ("segments", "turns", "utterances", "transcript", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            raise InputError(path, "JSON object has no 'segments', 'turns' or 'utterances' list")
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        raise InputError(path, "JSON must be a non-empty list of objects (turns or segments)")
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
        raise InputError(path, "the first segment has no speaker, so its speaker is unknown")
    return pieces_from_records(records, cols, path)
