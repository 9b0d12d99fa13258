"""Building coded sessions by hand for tests (no model needed)."""

from __future__ import annotations

from mi_coder.records import CLIENT, PRACTITIONER, Session, Turn, Utterance


def coded_session(spec, sid: str = "s") -> Session:
    """``spec``: list of (role, [(text, code), ...]) or (role, "text", [codes]) -> a coded Session."""
    turns = []
    for k, item in enumerate(spec, start=1):
        role, parts = item[0], item[1]
        if isinstance(parts, str):
            codes = item[2]
            parts = [(parts, c) for c in codes] if codes else [(parts, None)]
        text = " ".join(p[0] for p in parts)
        utts = []
        pos = 0
        for j, (t, c) in enumerate(parts, start=1):
            start = text.find(t, pos)
            utts.append(Utterance(f"{k}.{j}", t, start, start + len(t), code=c, confidence=0.9 if c else None))
            pos = start + len(t)
        turns.append(Turn(id=str(k), speaker="PO" if role == PRACTITIONER else "Client", role=role, text=text,
                          utterances=utts))
    return Session(id=sid, source="test", turns=turns)


P, C = PRACTITIONER, CLIENT


BROKEN_VTT = "WEBVTT\n\n1\n00:00:01 -> 00:00:02\nA: hi\n"  # a cue timing with "->": unreadable


def error_files(out) -> list[str]:  # type: ignore[no-untyped-def]
    """The file names listed in ``out/errors.csv``."""
    import os

    import pandas as pd

    return [os.path.basename(f) for f in pd.read_csv(out / "errors.csv")["file"]]


def shipped_model_copy(tmp_path, boundary=None):  # type: ignore[no-untyped-def]
    """A copy of the shipped model folder under ``tmp_path`` whose boundary model is ``boundary`` (a
    ``BoundaryModel``), or which has none when ``boundary`` is None (as ``mi-coder train`` writes them); meta.json's
    hashes follow. Loading it needs ``--trust-model``."""
    import hashlib
    import json
    import shutil

    import numpy as np

    from mi_coder.model.store import default_model_dir

    folder = tmp_path / "model"
    shutil.copytree(default_model_dir(), folder)
    meta = json.loads((folder / "meta.json").read_text())
    if boundary is None:
        (folder / "boundary.npz").unlink(missing_ok=True)
        meta["artifacts"].pop("boundary.npz", None)
    else:
        np.savez_compressed(folder / "boundary.npz", **boundary.to_arrays())
        meta["artifacts"]["boundary.npz"] = hashlib.sha256((folder / "boundary.npz").read_bytes()).hexdigest()
    (folder / "meta.json").write_text(json.dumps(meta))
    return folder
