"""One error hierarchy for mi-coder.

Library code raises these; only the CLI catches them and turns them into a one-line message and an
exit code. Anything else that escapes is a bug in mi-coder, not a user mistake.
"""

from __future__ import annotations

import threading
from pathlib import Path

# Set by the CLI's SIGTERM handler, which also raises KeyboardInterrupt. Python ignores an exception raised while it
# runs a callback (an import's module-lock callback, at any import), and such a run went on to write its tables
# and exit 0; long loops call ``raise_if_stopped`` between chunks, so the stop is never lost.
STOP_REQUESTED = threading.Event()


def raise_if_stopped() -> None:
    """KeyboardInterrupt where a stop was requested (``STOP_REQUESTED``) and its own interrupt may have been lost."""
    if STOP_REQUESTED.is_set():
        raise KeyboardInterrupt


class MiCoderError(Exception):
    """Base class of every error that is the user's input or environment, not a bug."""

    exit_code = 2


class InputError(MiCoderError):
    """A transcript or table cannot be read as asked: names the file and the problem."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = str(path) if path is not None else None
        self.problem = problem
        super().__init__(f"{self.path}: {problem}" if self.path else problem)


class RoleError(InputError):
    """The practitioner and client cannot be told apart in a transcript."""


class ModelError(MiCoderError):
    """A model folder is missing, incomplete, or fails its integrity check."""


class UsageError(MiCoderError):
    """Arguments that do not fit together."""


class WorkerError(MiCoderError):
    """A batch's worker process stopped before its file was done (killed: most often by the system, short of
    memory); the files finished so far are kept for the next run."""


class SessionSkipped(UserWarning):
    """One session of a file that holds several cannot be coded (one speaker, no practitioner...): the file's
    other sessions are, and the batch and ``code`` list this one with the unreadable files (errors.csv)."""

    def __init__(self, path: str | None, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}; the file's other sessions are coded")


def run_script(main) -> int:  # type: ignore[no-untyped-def]
    """Run a repository script's ``main`` as the CLI runs a command: a MiCoderError (a data file that is absent,
    such as ../shared's AnnoMI on a machine without it) is one line on stderr and exit code 2, not a traceback."""
    import sys

    try:
        return int(main() or 0)
    except MiCoderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
