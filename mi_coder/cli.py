"""The ``mi-coder`` command line: argument checking and one library call per command.

Errors of the MiCoderError hierarchy become one line on stderr and exit code 2; nothing else is caught
here, so a traceback always means a bug in mi-coder. Heavy libraries are imported inside the commands so
that ``mi-coder --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Callable, Sequence

from .errors import MiCoderError, UsageError

PROG = "mi-coder"

EXAMPLES = {
    "segment": "example:\n  mi-coder segment data/examples/probation_session.txt --out out/",
    "code": "example:\n  mi-coder code data/examples/probation_session.txt --out out/\n"
            "  mi-coder code sessions.csv --utterances given --out out/ --output-format parquet",
    "train": "example:\n  mi-coder train ../shared/data/annomi/AnnoMI-full.dev.csv data/corpus/*.csv --out models/my-model",
    "evaluate": "examples:\n  mi-coder evaluate ../shared/data/annomi/AnnoMI-full.dev.csv --folds 5\n"
                "  mi-coder evaluate --agreement machine/utterances.csv human.csv",
}


def _add_read_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("reading transcripts")
    g.add_argument("--format", dest="fmt", choices=["text", "vtt", "srt", "otter", "csv", "tsv", "json", "docx"],
                   help="input format (default: detected from content and extension)")
    g.add_argument("--practitioner", metavar="NAME", help="speaker label of the practitioner")
    g.add_argument("--client", metavar="NAME", help="speaker label of the client")
    g.add_argument("--utterances", choices=["auto", "given"], default="auto",
                   help="'auto': split turns with the segmenter; 'given': one input row/line is one utterance")
    for role in ("text", "speaker", "session", "turn", "role"):
        g.add_argument(f"--{role}-col", metavar="COLUMN", help=f"table column holding the {role} (default: detected)")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the output tables")
    p.add_argument("--output-format", choices=["csv", "jsonl", "parquet"], default="csv",
                   help="format of the output tables (default: csv)")


def _read_options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .readers import ReadOptions

    columns = {role: getattr(args, f"{role}_col") for role in ("text", "speaker", "session", "turn", "role")
               if getattr(args, f"{role}_col", None)}
    return ReadOptions(fmt=args.fmt, practitioner=args.practitioner, client=args.client,
                       utterances=args.utterances, columns=columns)


def _read_inputs(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .pipeline import read_many

    result = read_many(args.paths, _read_options(args))
    for path, problem in result.errors:
        print(f"{PROG}: error: {path}: {problem}", file=sys.stderr)
    if not result.sessions:
        raise SystemExit(2)
    return result


def _finish(args: argparse.Namespace, frames: dict, errors: list[tuple[str, str]]) -> int:
    from .tables import write_tables

    if errors:
        import pandas as pd

        frames = {**frames, "errors": pd.DataFrame(errors, columns=["file", "error"])}
    written = write_tables(frames, args.out, args.output_format)
    n_sessions = len(frames["sessions"])
    n_utts = len(frames["utterances"])
    print(f"{PROG}: wrote {', '.join(p.name for p in written)} to {args.out} "
          f"({n_sessions} session(s), {n_utts} utterance(s))", file=sys.stderr)
    if errors:
        print(f"{PROG}: {len(errors)} file(s) could not be read; see errors in {args.out}", file=sys.stderr)
        return 2
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    """Read transcripts and split them into utterances; writes the tables with empty codes."""
    from .segment import segment
    from .tables import to_frames

    result = _read_inputs(args)
    segment(result.sessions)
    return _finish(args, to_frames(result.sessions), result.errors)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Code counselling and supervision sessions with Motivational Interviewing (MITI 4.2.1) "
                    "behaviour codes and score them.",
        epilog="example:\n  mi-coder code data/examples/probation_session.txt --out out/\n\n"
               "Run 'mi-coder COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from . import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "segment": ("read transcripts and split turns into utterances (no codes)", cmd_segment),
    }
    for name, (help_text, func) in commands.items():
        p = sub.add_parser(name, help=help_text, description=func.__doc__, epilog=EXAMPLES.get(name),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        if name in ("segment",):
            p.add_argument("paths", nargs="+", metavar="PATH", help="transcript files or directories")
            _add_read_options(p)
            _add_output_options(p)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mi-coder`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    warnings.showwarning = _show_warning
    try:
        return int(args.func(args) or 0)
    except MiCoderError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
