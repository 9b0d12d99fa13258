"""The ``mi-coder`` command line: argument checking and one library call per command.

Errors of the MiCoderError hierarchy become one line on stderr and exit code 2; nothing else is caught
here, so a traceback always means a bug in mi-coder. Heavy libraries are imported inside the commands so
that ``mi-coder --help`` stays fast.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import signal
import sys
import warnings
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

from .errors import InputError, MiCoderError, ModelError, UsageError, raise_if_stopped

PROG = "mi-coder"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _err(message: str) -> None:
    """A line of mi-coder's own to standard error. Control characters in it (a file name's or a speaker label's
    terminal escapes) are shown escaped, never sent to the terminal."""
    print(f"{PROG}: " + _CONTROL.sub(lambda c: repr(c.group())[1:-1], message), file=sys.stderr)


def _one_line(message: str) -> str:
    """A message about one file on one line, however its name is spelled (a newline in a file name)."""
    return message.replace("\r", "\\r").replace("\n", "\\n")


EXAMPLES = {
    "segment": "example:\n  mi-coder segment data/examples/probation_session.txt --out out/",
    "code": "example:\n  mi-coder code data/examples/probation_session.txt --out out/\n"
            "  mi-coder code sessions.csv --utterances given --out out/ --output-format parquet",
    "train": "examples:\n  mi-coder train --base models/mi-coder-default --add reviewed/*.csv --out models/my-model\n  mi-coder train ../shared/data/annomi/AnnoMI-full.dev.csv data/corpus/*.csv --out models/my-model",
    "batch": "examples:\n  mi-coder batch transcripts/ --out results/ --jobs 4\n"
             "  mi-coder batch 'recordings/**/*.vtt' --out results/ --dask-local 2 --output-format parquet",
    "report": "example:\n  mi-coder report data/examples/*.txt --out reports/",
    "score": "example:\n  mi-coder score human_coded.csv --out scores/ --thresholds thresholds.json",
    "evaluate": "examples:\n  mi-coder evaluate ../shared/data/annomi/AnnoMI-full.dev.csv --folds 5\n"
                "  mi-coder evaluate --agreement human.csv machine/utterances.csv\n"
                "  mi-coder evaluate --scheme misc misc_coded_sessions.csv --utterances given\n"
                "  mi-coder evaluate --tallies miti_tallies.csv transcripts/*.txt",
}


TRANSCRIPT_FORMATS = ["text", "vtt", "srt", "sbv", "otter", "csv", "tsv", "json", "docx"]
TABLE_FORMATS = ["csv", "tsv", "json"]
SCANNED = ".txt .text .md .vtt .srt .sbv .csv .tsv .tab .json .jsonl .docx"  # pipeline.READ_EXTENSIONS, kept light


def _add_read_options(p: argparse.ArgumentParser, formats: list[str] = TRANSCRIPT_FORMATS,
                      what: str = "transcripts", segments: bool = True, coded: bool = False) -> None:
    """The reading options; ``segments``: the command splits turns into utterances, so --captions applies (score and
    train read one utterance per coded row and have no --captions)."""
    g = p.add_argument_group(f"reading {what}")
    g.add_argument("--format", dest="fmt", choices=formats,
                   help="input format (default: detected from content and extension)")
    g.add_argument("--practitioner", metavar="NAME", action="append",
                   help="speaker label of the practitioner; repeat it for co-facilitators")
    g.add_argument("--client", metavar="NAME", action="append",
                   help="speaker label of the client; repeat it for several clients (a family or couple session: "
                        "counted together in every client measure)")
    g.add_argument("--utterances", choices=["auto", "given"], default=None if coded else "auto",
                   help=("coded rows are always the utterances ('given'); 'auto' is refused" if coded else
                         "'auto': split turns with the segmenter; 'given': one input row/line is one utterance"))
    g.add_argument("--practitioner-id", metavar="ID",
                   help="who the practitioner is (a name or staff id): the sessions table's practitioner_id column"
                        + ("" if coded else "; reports draw trends per practitioner, never per role label"))
    if segments:
        g.add_argument("--captions", choices=["auto", "on", "off"], default=None,
                       help="the trained boundary model for unpunctuated speech (automatic captions, ASR): 'auto' "
                            "uses it for turns without sentence punctuation (default), 'on' for every turn, 'off' "
                            "never")
    for role in ("text", "speaker", "session", "turn", "role", "start", "end") + (("code",) if coded else ()):
        g.add_argument(f"--{role}-col", metavar="COLUMN", help=f"table column holding the {role}"
                       + (" time" if role in ("start", "end") else "") + " (default: detected)")


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="directory for the output tables")
    p.add_argument("--output-format", choices=["csv", "jsonl", "parquet"], default="csv",
                   help="format of the output tables (default: csv)")


def _check_coded_reading(args: argparse.Namespace, uses_practitioner_id: bool) -> None:
    """Commands that read coded tables read each row as one utterance: --utterances auto, which would re-split
    them, and --practitioner-id where no sessions table is written are refused, never silently ignored."""
    if getattr(args, "utterances", None) == "auto":
        raise UsageError("--utterances auto has no effect here: a coded table's rows are its utterances; leave it out")
    if not uses_practitioner_id and getattr(args, "practitioner_id", None):
        raise UsageError(f"--practitioner-id has no effect in {args.command} (it names sessions in the tables that "
                         "code, score and batch write); leave it out")


def _role_names(given: list[str] | None) -> str | tuple[str, ...] | None:
    """A role's names as ReadOptions holds them: one name as a string (as before the flag could be repeated, so
    batch's resume keys stay), several as a tuple, each once."""
    if not given:
        return None
    names = tuple(dict.fromkeys(given))
    return names[0] if len(names) == 1 else names


def _read_options(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .io.base import ReadOptions
    from .roles import role_names

    columns = {role: getattr(args, f"{role}_col") for role in ("text", "speaker", "session", "turn", "role", "start",
                                                             "end", "code") if getattr(args, f"{role}_col", None)}
    practitioners, clients = _role_names(args.practitioner), _role_names(args.client)
    both = [n for n in role_names(practitioners) if n in role_names(clients)]
    if both:
        raise UsageError(f"--practitioner and --client both name {both[0]!r}; name two speakers")
    return ReadOptions(fmt=args.fmt, practitioner=practitioners, client=clients,
                       utterances=args.utterances or "auto", columns=columns, captions=getattr(args, "captions", None) or "auto",
                       practitioner_id=getattr(args, "practitioner_id", None),
                       role_check=not getattr(args, "no_role_check", False))


def _read_inputs(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .pipeline import read_many

    result = read_many(args.paths, _read_options(args))
    for path, problem in result.errors:
        _err(f"error: {path}: {problem}")
    return result


def _check_out(out: str) -> None:
    """Fail before any work when --out cannot be a directory: it, or a folder above it, is a file, or it is empty
    (""). A folder that exists loses the temporary files a killed earlier run left (``remove_stale_parts``)."""
    from .io.writer import remove_stale_parts

    if not str(out).strip():
        raise UsageError("--out is empty; name the folder to write to (. for this one)")
    for path in (Path(out), *Path(out).parents):
        if path.exists():
            if not path.is_dir():
                where = "this" if path == Path(out) else str(path)
                raise UsageError(f"{out}: --out must be a directory, and {where} is a file")
            if path == Path(out):
                remove_stale_parts(path)
            return


def _check_files(paths: Sequence[str]) -> None:
    """Fail before any work when a named data file is missing or is a folder (evaluate and train read the coded
    files named, not the files in a folder, where transcripts without codes may sit)."""
    from .io.base import require_file

    for path in paths:
        require_file(path, "a coded file: name the coded files in it (e.g. DIR/*.csv)")


def _check_report(report: str | None) -> None:
    """Fail before any work when the --report file cannot be written where asked."""
    if report is None:
        return
    folder = Path(report).parent
    if Path(report).is_dir():
        raise UsageError(f"{report}: --report names a file to write, and this is a directory")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{report}: --report's folder {folder} is a file, not a folder")
    if not folder.is_dir():
        raise UsageError(f"{report}: --report's folder {folder} does not exist")
    if Path(report).exists() and not _written_by_evaluate(Path(report)):
        raise UsageError(f"{report}: exists and is not a report mi-coder evaluate wrote; mi-coder only replaces files "
                         "it wrote itself: choose another name, or remove the file")


REPORT_MARK = "mi-coder evaluate"  # the "written_by" of every --report file, so a re-run may replace its own


def _written_by_evaluate(path: Path) -> bool:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and str(data.get("written_by", "")).startswith(REPORT_MARK)


def _finish(args: argparse.Namespace, frames: dict, errors: list[tuple[str, str]]) -> int:
    from .io.writer import remove_stale, write_tables

    if errors:
        import pandas as pd

        frames = {**frames, "errors": pd.DataFrame(errors, columns=["file", "error"])}
    else:  # an errors table an earlier run wrote here would now be wrong; a user's own file stays
        remove_stale(args.out, [f"errors.{args.output_format}"])
    remove_stale(args.out, [f"warnings.{args.output_format}"])  # an earlier batch's, beside tables it did not write
    written = write_tables(frames, args.out, args.output_format)
    n_sessions = len(frames["sessions"])
    n_utts = len(frames["utterances"])
    _err(f"wrote {', '.join(p.name for p in written)} to {args.out} "
         f"({n_sessions} session(s), {n_utts} utterance(s))")
    if errors:
        _err(f"{len(errors)} file(s) or session(s) could not be read; see errors in {args.out}")
        return 2
    return 0


def cmd_segment(args: argparse.Namespace) -> int:
    """Read transcripts and split them into utterances; writes the tables with empty codes."""
    from .io.writer import to_frames
    from .segment import segment

    _check_out(args.out)
    result = _read_inputs(args)
    if not result.sessions:  # every input failed, each said why above
        return 2
    segment(result.sessions)
    return _finish(args, to_frames(result.sessions), result.errors)


def _load_coder(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from .model.store import load_coder

    return load_coder(args.model, trust=_trust(args), profile=getattr(args, "profile", None))


def _trust(args: argparse.Namespace) -> bool | str:
    """What vouches for a model folder given: the meta.json SHA-256 its sender gave (``--model-sha256``), or
    ``--trust-model``."""
    pinned = getattr(args, "model_sha256", None)
    if pinned and not (getattr(args, "model", None) or getattr(args, "base", None)):
        raise UsageError("--model-sha256 checks a model folder given with --model DIR (or --base DIR); give it")
    return pinned or args.trust_model


def cmd_code(args: argparse.Namespace) -> int:
    """Read, segment and code transcripts with MITI 4.2.1 / MISC codes; writes the tables with codes and scores."""
    from .scoring import load_thresholds

    _check_out(args.out)
    thresholds = load_thresholds(args.thresholds)
    coder = _load_coder(args)
    reports = None
    if args.report:
        from .report.html import ReportWriter

        reports = ReportWriter(Path(args.out) / "reports", coder.name, thresholds)
    return _stream_code(args, coder, thresholds, reports)


def _stream_code(args: argparse.Namespace, coder, thresholds: dict, reports=None) -> int:  # type: ignore[no-untyped-def]
    """One session, a chunk of turns at a time, tables appended as they are coded (and each session's report
    written as it is coded), with a progress bar (utterances, utterances/s) on a terminal."""
    from tqdm import tqdm

    from .pipeline import REPORT_MAX_TURNS, stream_code

    try:
        with tqdm(unit=" utt", disable=not sys.stderr.isatty(), file=sys.stderr, dynamic_ncols=True,
                  desc=PROG) as bar:
            result = stream_code(args.paths, coder, args.out, options=_read_options(args), thresholds=thresholds,
                                 fmt=args.output_format, progress=bar.update,
                                 on_session=reports.add if reports is not None else None)
    finally:  # report pages written before Ctrl-C or a failure join the manifest
        if reports is not None:
            reports.record()
    for path, problem in result.errors:
        _err(f"error: {path}: {problem}")
    if not result.sessions:
        return 2
    from .scoring import unreliable_because

    for sid, scores in result.unreliable:  # the tables' fidelity 100 of a two-turn call was said nowhere but a column
        _err(f"warning: session {sid}: {unreliable_because(scores)}; its scores are not to be judged "
             "(scores_reliable false)")
    _err(f"wrote {', '.join(p.name for p in result.written)} to {args.out} "
         f"({result.sessions} session(s), {result.utterances} utterance(s))")
    if reports is not None:
        written = reports.finish()
        for sid, n_turns in result.unreported:
            _err(f"warning: session {sid} has {n_turns:,} turns, too long for an HTML report "
                 f"(limit {REPORT_MAX_TURNS:,}); its codes and scores are in the tables")
        _err(f"wrote {len(written)} report file(s) to {reports.out}")
    if result.errors:
        _err(f"{len(result.errors)} file(s) or session(s) could not be read; see errors in {args.out}")
        return 2
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Code transcripts and write a self-contained HTML coaching report per session (plus index.html)."""
    from .io.writer import remove_stale, write_tables
    from .pipeline import REPORT_MAX_TURNS, STREAM_TURNS, iter_sessions, sessions_coded_together
    from .report.html import ReportWriter
    from .scoring import load_thresholds

    _check_out(args.out)
    thresholds = load_thresholds(args.thresholds)
    coder = _load_coder(args)
    errors: list[tuple[str, str]] = []
    reports = ReportWriter(args.out, coder.name, thresholds)
    # One file read at a time; short sessions coded together (one model call for many), each report written
    # as soon as its session is coded, so memory holds one file's sessions.
    sessions = iter_sessions(args.paths, _read_options(args), errors)
    try:
        for session, coded in sessions_coded_together(sessions, coder, STREAM_TURNS):
            raise_if_stopped()
            if len(session.turns) > REPORT_MAX_TURNS:  # the other sessions' reports are written; this one is an error
                errors.append((str(session.source), f"session {session.id} has {len(session.turns):,} turns, too "
                                                    f"long for an HTML report (limit {REPORT_MAX_TURNS:,}); code it "
                                                    "with mi-coder code for tables"))
                continue
            if not coded:
                coder.code(session)
            reports.add(session)
    finally:  # pages written before Ctrl-C or a failure join the manifest, so a later run can remove them
        reports.record()
    for path, problem in errors:
        _err(f"error: {path}: {problem}")
    if not reports.rows:
        return 2
    written = reports.finish()
    _err(f"wrote {len(written)} report file(s) to {args.out}")
    if errors:
        import pandas as pd

        write_tables({"errors": pd.DataFrame(errors, columns=["file", "error"])}, args.out)
        _err(f"{len(errors)} file(s) could not be read; see {Path(args.out) / 'errors.csv'}")
        return 2
    remove_stale(args.out, ["errors.csv"])
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    """Score already coded tables (one row per utterance with a code column, e.g. a human-coded file or
    mi-coder's utterances.csv): writes the three tables with every session score."""
    from .evaluate.agreement import read_coded
    from .io.writer import to_frames
    from .pipeline import ReadResult
    from .scoring import load_thresholds, session_scores

    _check_coded_reading(args, uses_practitioner_id=True)
    thresholds = load_thresholds(args.thresholds)
    from .pipeline import _pass_on, make_id_unique, problem_in

    result = ReadResult()
    seen: set[str] = set()
    for path in args.paths:
        # as code does: a session left out of a file (one speaker...) is an error (errors.csv, exit 2), and a session
        # id another file already used is made unique with a warning, so the tables' rows can be told apart
        before = len(result.errors)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                sessions = read_coded(path, _read_options(args), args.scheme)
            except MiCoderError as exc:
                sessions = []
                result.errors.append((str(path), problem_in(exc, str(path))))
        _pass_on(caught, Path(path), result.errors)
        for where, problem in result.errors[before:]:
            _err(f"error: {where}: {problem}")
        for s in sessions:
            make_id_unique(s, seen, path)
            result.sessions.append(s)
    if not result.sessions:
        return 2
    frames = to_frames(result.sessions, scores=lambda s: session_scores(s, thresholds))
    status = _finish(args, frames, result.errors)
    if args.report:  # the report of the codes as given (a reviewed download, a human coder's table): no model runs
        from .report.html import ReportWriter

        reports = ReportWriter(Path(args.out) / "reports", GIVEN_CODES, thresholds, codes_given=True)
        try:
            for s in result.sessions:
                raise_if_stopped()
                reports.add(s)
        finally:
            reports.record()
        written = reports.finish()
        _err(f"wrote {len(written)} report file(s) to {Path(args.out) / 'reports'}")
    return status


# Who coded a report made by ``score --report``: the table's codes, not a model (the page says "Coded by ...").
GIVEN_CODES = "the codes in the scored table (mi-coder score; no model)"


def cmd_batch(args: argparse.Namespace) -> int:
    """Code and score every transcript under directories or globs, in parallel or on a Dask cluster;
    resumable (re-running skips files already done, by content hash) and fault-isolated (errors.csv)."""
    from .batch import iter_lines, run_batch
    from .scoring import load_thresholds

    _check_out(args.out)
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    cores = os.cpu_count() or 1
    if args.jobs > cores:
        _err(f"warning: --jobs {args.jobs} is more than this machine's {cores} core(s); each worker holds "
             "the model in memory (several hundred MB), so more workers than cores only cost memory")
    summary = run_batch(args.inputs, args.out, options=_read_options(args), model=args.model,
                        trust=_trust(args), profile=args.profile, jobs=args.jobs, scheduler=args.scheduler,
                        dask_local=args.dask_local, output_format=args.output_format,
                        thresholds=load_thresholds(args.thresholds), progress=not args.quiet)
    for path, message in summary.warnings:
        where = "" if message.startswith(path) else f"{path}: "
        _err(_one_line(f"warning: {where}{message}"))
    for path, problem in summary.errors:
        _err(_one_line(f"error: {path}: {problem}"))
    for line in iter_lines(summary):
        _err(line)
    return 2 if summary.errors else 0


def _check_model_out(out: str, overwrite: bool = False) -> None:
    """Fail before training when --out cannot take the model folder: a file, a folder of other things, the shipped
    default model (every later ``code`` would use the new model without a word), or, without --overwrite, another
    model."""
    from .model.store import DEFAULT_MODEL, default_model_dir

    _check_out(out)
    folder = Path(out)
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "meta.json").exists():
        raise ModelError(f"{out}: exists and is not a model folder; choose another --out")
    try:
        shipped = default_model_dir().resolve()
    except ModelError:
        shipped = None
    # The shipped default model in use, or the one of a source checkout beside an installed copy (models/ of the
    # repository: tests and notebooks run there load it, and the next install ships it).
    checkout = (folder.resolve().name == DEFAULT_MODEL and folder.resolve().parent.name == "models"
                and (folder.resolve().parent.parent / "mi_coder").is_dir())
    if folder.resolve() == shipped or checkout:
        raise ModelError(f"{out}: is the shipped default model, which every command uses when no --model is given; "
                         "write your model to another folder and pass it with --model")
    if (folder / "meta.json").exists() and not overwrite:
        raise ModelError(f"{out}: already holds a model; choose another --out, or pass --overwrite to replace it")


def cmd_train(args: argparse.Namespace) -> int:
    """Train a coder on AnnoMI-layout files, the team corpus and/or your own coded tables; saves a model folder."""
    from .evaluate.crossval import training_metrics
    from .train.fit import (
        TrainingData,
        add_reviewed,
        load_training_data,
        read_base,
        train_from_files,
        with_annomi_code_files,
        with_client_corpus,
    )

    say = _err
    _check_coded_reading(args, uses_practitioner_id=False)
    if args.folds < 0 or args.folds == 1:
        raise UsageError(f"--folds must be 0 (no cross-validation) or at least 2, not {args.folds}")
    _check_model_out(args.out, overwrite=args.overwrite)
    import math

    if args.C is not None and not (math.isfinite(args.C) and args.C > 0):
        raise UsageError(f"--C must be a positive number, not {args.C}")
    if not (math.isfinite(args.add_weight) and args.add_weight > 0):
        raise UsageError(f"--add-weight must be a positive number (how many times a reviewed utterance counts), "
                         f"not {args.add_weight}")
    if args.min_term_sessions is not None and args.min_term_sessions < 1:
        raise UsageError(f"--min-term-sessions must be 1 or more, not {args.min_term_sessions}")
    _check_files(args.add)
    _check_reviewed(args.add, given_data=bool(args.data))  # before a base is read: its data would hide the mistake
    if args.add:  # every reviewed file read and checked now, in seconds, not after the training data (minutes)
        import warnings

        import pandas as pd

        with warnings.catch_warnings():  # said once, when they are added below
            warnings.simplefilter("ignore")
            add_reviewed(TrainingData(examples=pd.DataFrame(columns=["session_id", "group"]),
                                      turn_examples=pd.DataFrame()), args.add, options=_read_options(args))
    paths, settings, C = list(args.data), {}, args.C
    base = read_base(args.base, paths, trust=_trust(args)) if args.base else None
    if base is not None:
        paths, settings = base.paths, base.settings
        C = args.C if args.C is not None else base.C
        if base.carried():
            say(f"from {args.base}: its settings, " + ", ".join(f"{k} ({v})" for k, v in base.carried().items()))
        if args.data:  # a researcher's reading of "start from the default model": it does not (a helper's audit)
            say(f"note: with DATA named, the new model learns from DATA alone (and the team corpus for client codes "
                f"where DATA code no client talk): {args.base} gives its recipe, not what it learned from its own "
                "training data (name no DATA to train on its files, with --add for reviews)")
    if args.min_term_sessions is not None:  # checked above, before any work
        settings = {**settings, "min_term_groups": args.min_term_sessions}
    if not paths:
        raise UsageError("name the training data (DATA...), or a --base model whose training files are on this machine")
    _check_files([*paths, *args.add])
    C = 1.0 if C is None else C
    codes = base.annomi_codes if base is not None and base.own_files else []
    data = load_training_data(paths, _read_options(args),
                              exclude_annomi=base.exclude_annomi if base is not None and base.own_files else None,
                              scheme=args.scheme)
    data = with_annomi_code_files(data, codes)
    added = add_reviewed(data, args.add, weight=args.add_weight, options=_read_options(args)) if args.add else []
    data = with_client_corpus(data, say)  # MITI 4.2.1 tables code no client talk: the client models need examples
    metrics = training_metrics(data, args.folds, C=C, progress=say, train_kwargs=settings) if args.folds else None
    if metrics is not None:  # the card's "Reproduce": the command as run (--scheme, --base... had been dropped)
        import shlex

        metrics["command"] = "mi-coder " + shlex.join(args.argv)
    out = train_from_files(paths, args.out, name=args.name, version=args.version, metrics=metrics,
                           options=_read_options(args), C=C, progress=say, data=data, train_kwargs=settings,
                           added=added, base=args.base, annomi_codes=codes,
                           boundary=base.boundary if base is not None else None,
                           decoding_profiles=base.profiles if base is not None else None,
                           output_temperature=base.output_temperature if base is not None else None,
                           carried=base.carried() if base is not None else None)
    from .model.store import sha256

    _err(f"saved model to {out} (see {out / 'MODEL_CARD.md'}); its meta.json SHA-256 is {sha256(out / 'meta.json')}: "
         "give it with the folder, and another machine loads the copy with --model-sha256 HASH")
    return 0


_UNUSED_BY_MODE = {  # evaluate's options that each mode has no use for: refused, never silently ignored
    "--segmentation": ("--scheme", "--profile"),
    "--tallies": ("--scheme", "--keep-punctuation"),
    "--agreement": ("--model", "--trust-model", "--model-sha256", "--profile", "--keep-punctuation", "--captions"),
    "--folds": ("--model", "--trust-model", "--model-sha256", "--profile", "--keep-punctuation", "--captions"),
    "held-out": ("--keep-punctuation", "--captions"),  # coded rows are the utterances; AnnoMI turns are punctuated
}


def _evaluate_mode(args: argparse.Namespace) -> str:
    """The one evaluation asked for (--segmentation, --agreement, --folds, or held-out), checked before any work
    against the other modes and against options it would not use."""
    modes = [flag for flag, on in (("--segmentation", args.segmentation), ("--agreement", args.agreement),
                                   ("--folds", args.folds is not None), ("--tallies", args.tallies is not None)) if on]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} are different evaluations; give one of them")
    mode = modes[0] if modes else "held-out"
    given = {"--scheme": args.scheme is not None, "--model": args.model is not None, "--trust-model": args.trust_model,
             "--model-sha256": args.model_sha256 is not None,
             "--profile": args.profile is not None, "--keep-punctuation": args.keep_punctuation,
             "--captions": args.captions is not None}
    for option in _UNUSED_BY_MODE[mode]:
        if given[option]:
            where = "a held-out evaluation" if mode == "held-out" else f"evaluate {mode}"
            why = f" ({FOLDS_RECIPE})" if mode == "--folds" and option in ("--model", "--trust-model", "--model-sha256",
                                                                            "--profile") \
                else ""
            raise UsageError(f"{option} has no effect in {where}{why}; leave it out")
    return mode


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Measure a coder against human codes: held-out files, grouped cross-validation, agreement of two tables, or
    session-level agreement with human MITI tallies (counts and global ratings per session)."""
    from .evaluate.agreement import agreement_report
    from .evaluate.heldout import format_report, heldout_report
    from .train.fit import load_training_data

    mode = _evaluate_mode(args)
    _check_coded_reading(args, uses_practitioner_id=False)
    if args.folds is not None and args.folds < 2:
        raise UsageError(f"--folds must be at least 2 (grouped K-fold cross-validation), not {args.folds}")
    if mode != "--tallies":  # transcripts to code are read as `code` reads them: folders too, a bad file said
        _check_files(args.data)
    _check_report(args.report)
    if mode == "--segmentation":
        from .evaluate.segmentation import segmentation_report

        boundary = None  # the shipped model's, unless --model names a folder with its own: measure that one
        if args.model:
            from .model.store import load_boundary

            boundary = load_boundary(args.model, trust=_trust(args))
        which = args.model if boundary is not None else "shipped"  # a folder without one segments with the shipped
        reports = [segmentation_report(path, _read_options(args), strip=not args.keep_punctuation,
                                       captions=args.captions or "auto", boundary=boundary,
                                       boundary_model=which)["segmentation"]
                   for path in args.data]
        report = {"segmentation": reports}
    elif mode == "--agreement":
        from .evaluate.agreement import multi_coder_agreement

        if len(args.data) == 1:  # a reviewed-codes CSV: machine against reviewer
            from .io.delimited import _header

            if args.scheme not in (None, "miti"):
                raise UsageError("--scheme has no effect on a reviewed-codes CSV (its codes are mi-coder's, MITI "
                                 "4.2.1); leave it out")

            one = Path(args.data[0])
            _refuse_empty(one)
            if not {"machine_code", "reviewed_code"} <= set(_header(one)):
                raise UsageError(f"{one}: --agreement needs two or more coded tables, or one reviewed-codes CSV (with "
                                 "machine_code and reviewed_code columns, as the report's review mode downloads it)")
            report = agreement_report(args.data[0], None, _read_options(args))
        else:
            scheme = args.scheme or "miti"
            report = (agreement_report(args.data[0], args.data[1], _read_options(args), scheme) if len(args.data) == 2
                      else multi_coder_agreement(args.data, _read_options(args), scheme))
    elif mode == "--tallies":
        from .evaluate.tallies import format_tallies, read_tallies, tally_report
        from .pipeline import run

        session_column = _read_options(args).columns.get("session")
        tallies = read_tallies(args.tallies, session_column)  # a table that cannot be read: said before any coding
        coder = _load_coder(args)
        result = run(args.data, coder, _read_options(args))
        for where, problem in result.errors:  # a transcript that cannot be read: said, and the others compared
            _err(f"error: {where}: {problem}")
        if not result.sessions:
            return 2
        report = tally_report(args.tallies, result.sessions, tallies=tallies)
        print(format_tallies(report))
        _write_report(args, report)
        return 2 if result.errors else 0
    elif mode == "--folds":
        from .evaluate.crossval import training_metrics

        data = load_training_data(args.data, _read_options(args), scheme=args.scheme or "miti")
        report = training_metrics(data, args.folds, progress=_err)
        report["recipe"] = FOLDS_RECIPE  # what was cross-validated: said beside the figures
    else:
        report = heldout_report(_load_coder(args), args.data, _read_options(args), scheme=args.scheme or "miti")
    print(format_report(report))
    _write_report(args, report)
    return 0


# What ``evaluate --folds`` cross-validates (a researcher's audit: the figures named neither the recipe nor the data).
FOLDS_RECIPE = ("each fold trains mi-coder train's own recipe, as `mi-coder train DATA` does, on the other folds of "
                "these tables and codes the held-out one; no model folder is read: for the shipped model's recipe, "
                "`mi-coder train --base default DATA --folds K --out DIR`")


def _write_report(args: argparse.Namespace, report: dict) -> None:
    """``evaluate --report FILE``: the whole report as JSON, marked as mi-coder's, never half-written."""
    import json

    if args.report:
        from ._version import __version__

        marked = {"written_by": f"{REPORT_MARK} {__version__}", **report} if isinstance(report, dict) else report
        from .io.writer import write_atomic

        write_atomic(Path(args.report), json.dumps(marked, indent=2) + "\n")  # never half-written
        _err(f"wrote {args.report}")


class _Version(argparse.Action):
    """``--version``: the package's version and the shipped default model's name and version (read from its
    meta.json when asked, not at every start), since the accuracy figures belong to the model."""

    def __init__(self, option_strings, version: str, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,  # type: ignore[no-untyped-def]
                 help: str | None = None) -> None:
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)
        self.version = version

    def __call__(self, parser, namespace, values, option_string=None):  # type: ignore[no-untyped-def]
        import json

        text = self.version % {"prog": parser.prog}
        try:
            from .model.store import default_model_dir

            meta = json.loads((default_model_dir() / "meta.json").read_text(encoding="utf-8"))
            text += f" (default model {meta['name']} {meta['version']})"
        except (OSError, ValueError, KeyError, TypeError):
            text += " (default model: not found)"
        print(text)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Code counselling and supervision sessions with Motivational Interviewing (MITI 4.2.1) "
                    "behaviour codes and score them.",
        epilog="example:\n  mi-coder code data/examples/probation_session.txt --out out/\n\n"
               "Run 'mi-coder COMMAND --help' for a command's options.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from ._version import __version__

    parser.add_argument("--version", action=_Version, version=f"%(prog)s {__version__}",
                        help="the package's version and the default model's (cite both)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands: dict[str, tuple[str, Callable[[argparse.Namespace], int]]] = {
        "code": ("code transcripts with MITI/MISC codes and score each session", cmd_code),
        "batch": ("code many files: parallel, resumable, on Dask when asked", cmd_batch),
        "segment": ("read transcripts and split turns into utterances (no codes)", cmd_segment),
        "score": ("score already coded tables (MITI summary scores, indicators)", cmd_score),
        "report": ("code transcripts and write HTML coaching reports", cmd_report),
        "train": ("train a coder model on coded data", cmd_train),
        "evaluate": ("measure a coder against human codes", cmd_evaluate),
    }
    for name, (help_text, func) in commands.items():
        p = sub.add_parser(name, help=help_text, description=inspect.cleandoc(func.__doc__ or ""),
                           epilog=EXAMPLES.get(name), formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        if name == "score":
            p.add_argument("paths", nargs="+", metavar="TABLE",
                           help="coded tables: one row per utterance with a code column (CSV, TSV or JSON)")
            _add_read_options(p, TABLE_FORMATS, "coded tables", segments=False, coded=True)
            p.add_argument("--scheme", choices=("miti", "misc"), default="miti",
                           help="coding scheme of the tables: miti (MITI 4.2.1 / MISC client codes, default) or "
                                "misc (MISC 2.5, mapped to MITI 4.2.1 as documented in mi_coder.schemes)")
        elif name in ("segment", "code", "report"):
            p.add_argument("paths", nargs="+", metavar="PATH",
                           help=f"transcript files, or directories (a folder scan reads {SCANNED}; every other "
                                "file is listed as skipped in errors.csv)")
            _add_read_options(p)
        if name in ("segment", "code", "score", "report"):
            if name == "report":
                p.add_argument("--out", required=True, metavar="DIR", help="directory for the HTML reports")
            else:
                _add_output_options(p)
        if name == "code":
            p.add_argument("--report", action="store_true", help="also write HTML reports to DIR/reports/")
        if name == "score":
            p.add_argument("--report", action="store_true",
                           help="also write HTML reports of the codes as given (a reviewed download: the corrected "
                                "session's report) to DIR/reports/")
        if name == "batch":
            p.add_argument("inputs", nargs="+", metavar="INPUT",
                           help=f"directories, globs or files (a folder scan reads {SCANNED}; every other file is "
                                "listed as skipped in errors.csv)")
            _add_read_options(p)
            _add_output_options(p)
            p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                           help="worker processes on this machine (default: all cores)")
            p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on this Dask distributed scheduler")
            p.add_argument("--dask-local", type=int, metavar="N",
                           help="start a local Dask cluster of N (1 or more) workers; not with --scheduler")
            p.add_argument("--quiet", action="store_true", help="no progress bar")
        if name in ("code", "score", "batch", "report"):
            p.add_argument("--thresholds", metavar="FILE",
                           help='JSON file of fair/good thresholds, e.g. {"r_q": {"fair": 1, "good": 2}}')
            p.add_argument("--no-role-check", action="store_true",
                           help="the supervision practice model's role-clarification checklist does not apply to "
                                "these sessions (a health visit, a meeting after roles were settled): its columns are "
                                "left empty and the report says it was not assessed")
        if name in ("code", "evaluate", "batch", "report"):
            p.add_argument("--model", metavar="DIR", help="model folder (default: the shipped model)")
            p.add_argument("--trust-model", action="store_true",
                           help="load a model folder that was neither shipped nor trained on this machine")
            p.add_argument("--model-sha256", metavar="HEX",
                           help="load a model folder copied from elsewhere if its meta.json has this SHA-256 (the "
                                "hash its sender's `mi-coder train` printed); it is then trusted on this machine")
            p.add_argument("--profile", metavar="NAME", default=None,
                           help="decoding profile of the model: 'utterances' (default: the codes of each utterance) "
                                "or 'sessions' (reflections only where the turn as a whole reflects: session "
                                "counts and the fidelity index closer to human ones on AnnoMI, single codes less "
                                "accurate outside it; see the README)")
        if name == "train":
            p.add_argument("data", nargs="*", metavar="DATA",
                           help="AnnoMI-layout CSVs, team-corpus CSVs, or coded tables (session, speaker, text, code)")
            p.add_argument("--out", required=True, metavar="DIR", help="model folder to write")
            p.add_argument("--overwrite", action="store_true",
                           help="replace the model already in --out (never the shipped default model)")
            p.add_argument("--name", help="model name (default: the folder name)")
            p.add_argument("--version", default="1.0", help="model version (default: 1.0)")
            p.add_argument("--folds", type=int, default=0,
                           help="cross-validate with K (2 or more) folds grouped by source before training "
                                "(default: 0, no cross-validation)")
            p.add_argument("--C", type=float, default=None, help="inverse regularisation strength (default: 1, or the "
                                                                   "base model's)")
            p.add_argument("--base", metavar="MODEL", help="start from this model folder: its settings, boundary model, "
                                                           "decoding profiles and output temperature, and its "
                                                           "training files (with its hold-out left out and its AnnoMI "
                                                           "re-codes) when no DATA is given")
            p.add_argument("--add", nargs="+", action="extend", metavar="REVIEWED", default=[],
                           help="reviewed-codes CSVs (the report's 'Download reviewed codes'): their reviewed "
                                "utterances join the training data, up-weighted; every file after --add is one, so "
                                "give the training data before it")
            p.add_argument("--add-weight", type=float, default=3.0,
                           help="weight of each reviewed utterance against one ordinary example (default: 3)")
            p.add_argument("--min-term-sessions", type=int, default=None, metavar="K",
                           help="keep in the model's vocabularies (features.json, plain text) only words and "
                                "letter sequences found in at least K sessions, so that a name or phrase said in one "
                                "session alone is not in a model you share (default: 1, every term; 2 cost the "
                                "shipped recipe 0.007 of client macro-F1 on captions, E66)")
            p.add_argument("--trust-model", action="store_true",
                           help="use a --base model that was neither shipped nor trained on this machine")
            p.add_argument("--model-sha256", metavar="HEX",
                           help="use a --base model copied from elsewhere if its meta.json has this SHA-256")
            p.add_argument("--scheme", choices=("miti", "misc"), default="miti",
                           help="coding scheme of the coded tables among DATA: miti (default) or misc (MISC 2.5, "
                                "mapped to MITI 4.2.1 as documented in mi_coder.schemes); AnnoMI and team-corpus "
                                "files are read as they are")
            _add_read_options(p, segments=False, coded=True)
        if name == "evaluate":
            p.add_argument("data", nargs="+", metavar="DATA", help="coded files (AnnoMI layout or coded tables); with --tallies, "
                                                              "the sessions' transcripts")
            p.add_argument("--folds", type=int, default=None, metavar="K",
                           help="grouped K-fold cross-validation, K of 2 or more (trains a model per fold) instead "
                                "of a held-out test")
            p.add_argument("--agreement", action="store_true",
                           help="agreement of coders: two coded tables of the same sessions (per-code kappa, ICC of "
                                "scores; the first table is the reference: human first, machine second), three or more "
                                "(Krippendorff's alpha, pairwise kappa), or one reviewed-codes download (the machine "
                                "against the reviewer as the reference)")
            p.add_argument("--segmentation", action="store_true",
                           help="measure utterance segmentation against the files' own utterances (boundary "
                                "precision/recall/F1, questions not swallowed and whole); turns are stripped of punctuation and "
                                "casing first, as automatic captions are, unless --keep-punctuation")
            p.add_argument("--keep-punctuation", action="store_true",
                           help="with --segmentation: segment the turns as written")
            p.add_argument("--tallies", metavar="TALLIES",
                           help="session-level agreement with human MITI tallies: TALLIES has one row per session "
                                "(its id as the transcripts name it) with behaviour counts (GI, Persuade, Question, "
                                "SR, CR, Seek, Affirm, Emphasize, Confront...) and/or global ratings (Partnership, "
                                "Empathy...) and/or a quality column (high or low MI quality); DATA are the "
                                "sessions' transcripts, coded by the model; gives ICC(2,1) and r per count, summary "
                                "score and rating, and each score's AUC for high against low quality")
            p.add_argument("--scheme", choices=("miti", "misc"), default=None,
                           help="coding scheme of the human codes: miti (MITI 4.2.1 / MISC client codes, default) or "
                                "misc (MISC 2.5, mapped to MITI 4.2.1 as documented in mi_coder.schemes)")
            p.add_argument("--report", metavar="FILE", help="also write the full report as JSON")
            _add_read_options(p, coded=True)
    return parser


# A warning given once per session of a table (a table of 1,681 one-row sessions printed one 1,681 times) is
# printed for its first sessions and then counted; the count is said as the command ends (``_said_repeats``).
_SESSION_TAG = re.compile(r"\[session [^\]]*\]")
_WARNED: Counter = Counter()
WARN_REPEATS = 3


def _show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
    text = str(message)
    shape = _SESSION_TAG.sub("[session ...]", text)
    _WARNED[shape] += 1
    if shape == text or _WARNED[shape] <= WARN_REPEATS:
        _err(f"warning: {text}")


def _said_repeats() -> None:
    """The warnings of further sessions that ``_show_warning`` counted instead of printing."""
    for shape, n in _WARNED.items():
        if n > WARN_REPEATS and "[session ...]" in shape:
            _err(f"warning: {n - WARN_REPEATS} more session(s) as above: {shape}")
    _WARNED.clear()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mi-coder`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "command", None):  # bare `mi-coder`: show what it can do, which is not an error
        parser.print_help()
        return 0
    warnings.showwarning = _show_warning
    previous = _terminate_as_interrupt()
    try:
        return int(args.func(args) or 0)
    except MiCoderError as exc:
        _err(f"error: {exc}")
        return exc.exit_code
    except KeyboardInterrupt:
        hint = "; run the same command again to resume" if args.command == "batch" else ""
        _err(f"interrupted{hint}")
        return 130
    except OSError as exc:  # the machine, not the input: a full disk, a folder without write permission
        where = f"{exc.filename}: " if exc.filename else ""
        hint = ("; files already coded are kept: run the same command again to resume" if args.command == "batch"
                else "")
        _err(f"error: {where}{exc.strerror or exc}; nothing was left half-written{hint}")
        return 1
    finally:
        _said_repeats()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = sys.__unraisablehook__
        from .errors import STOP_REQUESTED

        # the stop was this run's: left set, the library's next long loop in this process (a notebook, a test run)
        # would stop at once with a KeyboardInterrupt nobody sent
        STOP_REQUESTED.clear()


def _refuse_empty(path: Path) -> None:
    """An empty file said as such, before a header check would call it a table of the wrong kind."""
    if path.is_file() and path.stat().st_size == 0:
        raise InputError(path, "file is empty")


def _check_reviewed(paths: Sequence[str], given_data: bool) -> None:
    """Every --add file is a reviewed-codes download (a ``reviewed_code`` column): a table of codes given after
    --add by mistake ("--add r.csv data.csv") had its every code added as reviewed, at three times the weight."""
    from .io.delimited import _header

    for path in paths:
        _refuse_empty(Path(path))
        if "reviewed_code" not in _header(Path(path)):  # an unreadable file is its own error, said as such
            hint = ("; training data go before --add (mi-coder train DATA... --add REVIEWED...)" if not given_data
                    else "")
            raise UsageError(f"{path}: given with --add but has no reviewed_code column, so it is not a reviewed-codes "
                             f"download (the report's 'Download reviewed codes'){hint}")


def _terminate_as_interrupt() -> dict:
    """SIGTERM (``kill``, ``timeout``, a batch scheduler's time limit) ends a run as Ctrl-C does: the half-written
    tables are removed and a batch can resume. Both set ``errors.STOP_REQUESTED`` as well as raising
    KeyboardInterrupt: Python ignores an exception raised inside a callback (an import's module-lock callback), so the
    long loops check the flag between chunks, and the "Exception ignored" report of such a lost interrupt is not
    printed (the one line of the interrupt is). Returns the previous handlers (none where they cannot be set)."""
    from .errors import STOP_REQUESTED

    STOP_REQUESTED.clear()

    def stop(signum, frame):  # type: ignore[no-untyped-def]
        STOP_REQUESTED.set()
        raise KeyboardInterrupt

    def unraisable(info) -> None:  # type: ignore[no-untyped-def]
        if not (STOP_REQUESTED.is_set() and isinstance(info.exc_value, KeyboardInterrupt)):
            sys.__unraisablehook__(info)

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        if signum == signal.SIGINT and signal.getsignal(signum) is signal.SIG_IGN:
            continue  # started with Ctrl-C ignored (a shell's background job): it stays ignored
        try:
            previous[signum] = signal.signal(signum, stop)
        except ValueError:  # not the main thread (mi-coder called from a thread of another program)
            break
    sys.unraisablehook = unraisable
    return previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
