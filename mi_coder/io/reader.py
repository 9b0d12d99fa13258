"""Reading transcripts into Sessions.

Every format is read in two steps: a format module (``text``, ``captions``, ``otter``, ``docx``,
``delimited``, ``json_turns``) turns the file into ``Piece`` records (one speaker's stretch of text, with
times and ids where the source gives them), and ``build_sessions`` merges pieces into turns, assigns roles
and fills in ids. Formats are detected from content first and extension second; ``fmt=`` overrides both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..records import Session, Turn, Utterance
from ..roles import assign_roles, role_from_label
from .base import _EXTENSIONS, FORMATS, Piece, ReadOptions, decode_bytes
from .captions import parse_cues
from .delimited import parse_table
from .docx import read_docx_text
from .json_turns import parse_json
from .otter import _looks_like_otter, parse_otter
from .text import parse_text


def detect_format(path: Path, text: str | None) -> str:
    """The format of a file: content first (WEBVTT header, SRT numbering, JSON, Otter heads), then extension."""
    ext = _EXTENSIONS.get(path.suffix.lower())
    if ext == "docx":
        return "docx"
    if text is None:
        return ext or "text"
    stripped = text.lstrip("\ufeff \n\t")
    first_lines = [ln for ln in stripped.split("\n")[:40] if ln.strip()]
    if stripped.startswith("WEBVTT"):
        return "vtt"
    if stripped[:1] in "[{" and ext in (None, "json", "text"):
        try:
            json.loads(stripped)
            return "json"
        except ValueError:
            if ext == "json" or _is_jsonl(stripped):
                return "json"
    if len(first_lines) >= 2 and first_lines[0].strip().isdigit() and "-->" in first_lines[1]:
        return "srt"
    if ext in ("csv", "tsv", "json", "vtt", "srt"):
        return ext
    if _looks_like_otter(first_lines):
        return "otter"
    return "text"


def _is_jsonl(text: str) -> bool:
    lines = [ln for ln in text.split("\n") if ln.strip()][:5]
    try:
        return all(isinstance(json.loads(ln), dict) for ln in lines)
    except ValueError:
        return False


def build_sessions(pieces: list[Piece], path: str, options: ReadOptions, default_id: str) -> list[Session]:
    """Group pieces by session, merge them into turns, assign roles, and number turns and utterances."""
    by_session: dict[str, list[Piece]] = {}
    for p in pieces:
        by_session.setdefault(p.session or default_id, []).append(p)
    sessions = []
    for sid, group in by_session.items():
        where = path if len(by_session) == 1 else f"{path} [session {sid}]"
        turns = _merge_turns(group, options)
        speaker_texts: dict[str, list[str]] = {}
        for t in turns:
            speaker_texts.setdefault(t.speaker, []).append(t.text)
        labelled = _roles_from_column(group)
        if labelled and options.practitioner is None and options.client is None:
            roles = _complete_roles(labelled, speaker_texts, where)
        else:
            roles = assign_roles(
                speaker_texts, source=where, practitioner=options.practitioner, client=options.client
            )
        for t in turns:
            t.role = roles[t.speaker]
        meta: dict[str, Any] = {"format": options.fmt, "captions": options.captions}
        if options.practitioner_id:
            meta["practitioner_id"] = options.practitioner_id
        if group[0].meta.get("header"):
            meta["header"] = group[0].meta.pop("header")
        sessions.append(Session(id=sid, source=path, turns=turns, meta=meta))
    return sessions


def _roles_from_column(group: list[Piece]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in group:
        role = p.meta.get("_role")
        if role:
            out.setdefault(p.speaker, role)
    return out


def _complete_roles(labelled: dict[str, str], speaker_texts: dict[str, list[str]], where: str) -> dict[str, str]:
    """Roles given by a role column; values are read with the label vocabulary."""
    roles = {}
    for speaker in speaker_texts:
        value = labelled.get(speaker, "")
        roles[speaker] = role_from_label(value) or ("other" if value else "")
    if "practitioner" not in roles.values() or "client" not in roles.values():
        return assign_roles(speaker_texts, source=where)
    return {s: r or "other" for s, r in roles.items()}


def _merge_turns(pieces: list[Piece], options: ReadOptions) -> list[Turn]:
    """Consecutive pieces of one speaker (or, where ids are given, pieces sharing a turn id) form a turn."""
    groups: list[list[Piece]] = []
    index: dict[str, int] = {}
    for p in pieces:
        if p.turn_key is not None and p.turn_key != "":
            if p.turn_key in index and groups[index[p.turn_key]][0].speaker == p.speaker:
                groups[index[p.turn_key]].append(p)
            else:
                index[p.turn_key] = len(groups)
                groups.append([p])
        elif groups and groups[-1][-1].speaker == p.speaker and not groups[-1][-1].turn_key:
            groups[-1].append(p)
        else:
            groups.append([p])
    turns = []
    seen_ids: set[str] = set()
    for k, group in enumerate(groups, start=1):
        tid = group[0].turn_key or str(k)
        if tid in seen_ids:
            tid = f"{tid}_{k}"
        seen_ids.add(tid)
        text = ""
        utterances = []
        for j, p in enumerate(group, start=1):
            if text:
                text += " "
            begin = len(text)
            text += p.text
            if options.utterances == "given":
                meta = {c: v for c, v in p.meta.items() if c != "_role"}
                utterances.append(Utterance(p.utt_id or f"{tid}.{j}", p.text, begin, len(text), meta=meta))
        starts = [p.start for p in group if p.start is not None]
        ends = [p.end for p in group if p.end is not None]
        meta = {c: v for c, v in group[0].meta.items() if c not in ("_role", "header")}
        turn = Turn(
            id=tid,
            speaker=group[0].speaker,
            role="",
            text=text,
            start=min(starts) if starts else None,
            end=max(ends) if ends else None,
            utterances=utterances,
            meta=meta,
        )
        if options.utterances == "given":
            turn.meta["utterances_given"] = True
        turns.append(turn)
    return turns


def read_transcript(path: str | Path, **options: Any) -> list[Session]:
    """Read one transcript file into Sessions (one for most files; one per session id for tables).

    Keyword options (those of ``ReadOptions``; or pass ``read_options=ReadOptions(...)``):

    * ``fmt``: ``"text"``, ``"vtt"``, ``"srt"``, ``"otter"``, ``"csv"``, ``"tsv"``, ``"json"`` or ``"docx"``
      (default: detected from the content, then the extension);
    * ``practitioner`` / ``client``: the speaker label of each role (default: from the label vocabulary,
      else inferred from the text with a warning); ``practitioner`` alone codes a monologue;
    * ``utterances``: ``"auto"`` (split turns with the segmenter) or ``"given"`` (one row/piece = one utterance);
    * ``captions``: ``"auto"``, ``"on"`` or ``"off"``: when the boundary model for unpunctuated speech splits
      turns (see ``mi_coder.segment``);
    * ``practitioner_id``: who the practitioner is, for per-practitioner trends in reports;
    * ``columns``: table column overrides by role, e.g. ``{"text": "utt", "speaker": "who"}``.

    Raises InputError (or RoleError) naming the file and the problem when it cannot be read.
    """
    opts = options.pop("read_options", None) or ReadOptions(**options)
    path = Path(path)
    where = str(path)
    if opts.fmt is not None and opts.fmt not in FORMATS:
        raise InputError(where, f"unknown format {opts.fmt!r} (choose from {', '.join(FORMATS)})")
    if opts.utterances not in ("auto", "given"):
        raise InputError(where, f"--utterances must be 'auto' or 'given', not {opts.utterances!r}")
    if opts.captions not in ("auto", "on", "off"):
        raise InputError(where, f"--captions must be 'auto', 'on' or 'off', not {opts.captions!r}")
    if not path.exists():
        raise InputError(where, "no such file")
    if path.is_dir():
        raise InputError(where, "is a directory, not a transcript file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(where, f"cannot be read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise InputError(where, "file is empty")
    fmt = opts.fmt
    if fmt is None and path.suffix.lower() == ".docx":
        fmt = "docx"
    if fmt == "docx" or (fmt is None and raw[:4] == b"PK\x03\x04"):
        text = read_docx_text(path)
        if not text.strip():
            raise InputError(where, "the .docx file holds no text")
        inner = detect_format(Path("x.txt"), text)
        fmt_used = "docx"
    else:
        text = decode_bytes(raw, where)
        inner = fmt or detect_format(path, text)
        fmt_used = inner
    del raw  # a large file is not held three times over (bytes, text, pieces)
    opts = ReadOptions(**{**opts.__dict__, "fmt": fmt_used})
    if inner == "text":
        pieces = parse_text(text, where)
    elif inner in ("vtt", "srt"):
        pieces = parse_cues(text, where, inner)
    elif inner == "otter":
        pieces = parse_otter(text, where)
    elif inner in ("csv", "tsv"):
        pieces = parse_table(text, where, inner, opts)
    elif inner == "json":
        pieces = parse_json(text, where, opts)
    else:  # pragma: no cover - FORMATS is checked above
        raise InputError(where, f"unsupported format {inner!r}")
    del text
    return build_sessions(pieces, where, opts, default_id=path.stem)
