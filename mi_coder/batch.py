"""Batch coding: many files, in parallel or on a Dask cluster, resumable and fault-isolated.

Each input file is coded and scored on its own (``code_file``) and its rows are saved as a *part*
(``DIR/.mi-coder-parts/<key>.json``, written to a temporary name and renamed), keyed by the SHA-256 of the
file's content, the reading options, the model and the mi-coder version. A re-run skips files whose part
exists, so a crash or Ctrl-C loses at most the files in flight and a changed file is recoded. The final
tables are assembled from the parts in input order, so they are identical whatever the number of workers
and however many runs it took. A file that cannot be read goes to ``errors.csv`` and never stops the run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import signal
import sys
import time
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from .errors import MiCoderError, SessionSkipped, UsageError, WorkerError, raise_if_stopped
from .io.base import ReadOptions

PARTS = ".mi-coder-parts"
PART_FORMAT = 6  # 2: utterances carry code2; 3: sessions carry roles_inferred; 4: not_english_turns;
# 5: sessions carry practitioner and date; 6: given_session_id

_WORKER: dict[str, Any] = {}  # per-process cache: the model is loaded once per worker, not per file


@dataclass
class BatchSummary:
    """What a batch run did."""

    files: int = 0
    coded: int = 0
    skipped: int = 0
    failed: int = 0
    sessions_failed: int = 0  # sessions left out of files whose other sessions were coded (in ``errors``)
    sessions: int = 0
    utterances: int = 0
    seconds: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (file, message), also in warnings.csv
    output_format: str = "csv"  # the tables' format, which names errors.<ext> and warnings.<ext>
    nothing_written: bool = False  # every file failed: the tables of an earlier run were left as they were


def expand_inputs(inputs: Sequence[str], skipped: list[tuple[str, str]] | None = None) -> list[Path]:
    """Files from directories (recursively, transcript extensions only), globs and plain paths; sorted, unique.

    Files in a directory that are not transcripts go to ``skipped`` as (path, reason)."""
    import glob

    from .pipeline import expand_paths

    out: list[Path] = []
    for item in inputs:
        if any(ch in item for ch in "*?[") and not Path(item).exists():
            matches = sorted(glob.glob(item)) if "**" not in item else _recursive_glob(item)
            if not matches and skipped is not None:  # a mistyped pattern among others ("*.VTT") is said, not dropped
                skipped.append((item, "a pattern that matches no file"))
            out.extend(expand_paths(matches, skipped))
        else:
            out.extend(expand_paths([item], skipped))
    # One file reached by two paths (a link to it in the folder) is coded once, under its own path rather than the
    # link's, and the link is said to be skipped: the real path had appeared nowhere
    by_file: dict[str, Path] = {}
    for p in out:
        key = str(p.resolve())
        kept = by_file.setdefault(key, p)
        if kept is not p and kept.is_symlink() and not p.is_symlink():
            by_file[key] = p
    unique = []
    for p in out:
        kept = by_file[str(p.resolve())]
        if kept is p:
            unique.append(p)
        elif skipped is not None and str(p) != str(kept) and p not in unique:
            skipped.append((str(p), f"skipped: the same file as {kept}, which is coded"))
    return unique


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob (``**`` any number of folders, ``*`` and ``?`` within one name, ``[...]`` a class) as a regular
    expression over '/'-separated relative paths."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2:]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def _recursive_glob(pattern: str) -> list[str]:
    """``glob.glob(pattern, recursive=True)`` visiting each real folder once, as a folder scan does
    (``pipeline._walk``): glob followed a link back up the tree (a loop) again and again, so the README's own
    'recordings/**/*.vtt' ran forever, or named a file 40 folders deep. Hidden files and folders are not matched,
    as glob does not match them."""
    from .pipeline import _walk

    parts = Path(pattern).parts
    first = next(k for k, part in enumerate(parts) if any(ch in part for ch in "*?["))
    root = Path(*parts[:first]) if first else Path(".")
    regex = _glob_regex("/".join(parts[first:]))
    found, _ = _walk(root)
    return sorted(str(f) for f in found
                  if not any(part.startswith(".") for part in f.relative_to(root).parts)
                  and regex.match(f.relative_to(root).as_posix()))


def part_key(path: Path, options: ReadOptions, model_id: str, thresholds: dict | None = None) -> str:
    """Content hash of a file plus everything that changes its result: reading options, model, score
    thresholds (they set the bands), mi-coder version and part format."""
    from ._version import __version__

    h = hashlib.sha256(os.fsencode(path.name))  # the file's name gives its session ids (bytes: any name)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    h.update(json.dumps({"options": asdict(options), "model": model_id, "version": __version__,
                         "thresholds": thresholds, "format": PART_FORMAT}, sort_keys=True).encode())
    return h.hexdigest()


def _coder(model: str | None, trust: bool | str, profile: str | None = None):  # type: ignore[no-untyped-def]
    key = (model, trust, profile)
    if _WORKER.get("key") != key:
        from .model.store import load_coder
        from .segment import build_pipeline

        _WORKER["coder"] = load_coder(model, trust=trust, profile=profile)
        build_pipeline()  # registers the spaCy component in this worker
        _WORKER["key"] = key
    return _WORKER["coder"]


def code_file(path: str, options: ReadOptions, model: str | None, trust: bool | str,
              thresholds: dict | None = None, profile: str | None = None, source: str | None = None) -> dict:
    """Read, code and score one file; returns its table rows, or ``{"error": ...}`` for a bad file. ``source``:
    the path its sessions name as their source when it is read by another name (a Dask worker's absolute path)."""
    import warnings

    from .io.reader import read_transcript
    from .pipeline import code_rows

    shown = source if source is not None else str(path)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sessions = read_transcript(path, read_options=options)
            if source is not None:
                for session in sessions:
                    session.source = source
            rows = code_rows(sessions, _coder(model, trust, profile), thresholds)
        from .pipeline import skipped_session

        return {"source": shown, **rows,
                "warnings": [str(w.message) for w in caught if not issubclass(w.category, SessionSkipped)],
                "skipped": [skipped_session(w.message, str(path)) for w in caught
                            if issubclass(w.category, SessionSkipped)]}
    except MiCoderError as exc:
        from .pipeline import problem_in

        return {"source": shown, "error": problem_in(exc, str(path))}
    except Exception as exc:  # noqa: BLE001 - one file's failure, whatever it is, must not end the batch
        return {"source": shown, "error": f"could not be coded ({type(exc).__name__}: {exc}); "
                                              "please report this with the file's format"}


def _write_part(parts: Path, key: str, result: dict) -> None:
    from .io.writer import write_atomic

    # written and moved, or, failing (a full disk), no stray temporary file
    write_atomic(parts / f"{key}.json", json.dumps(result, ensure_ascii=False, allow_nan=True))


class Progress:
    """A tqdm progress bar on stderr (files, utterances per second, ETA); silent when not a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="file", disable=not (enabled and sys.stderr.isatty()), file=sys.stderr,
                        dynamic_ncols=True)
        self.utterances = 0
        self.start = time.time()

    def update(self, utterances: int) -> None:
        self.utterances += utterances
        rate = self.utterances / max(time.time() - self.start, 1e-9)
        self.bar.set_postfix_str(f"{rate:,.0f} utt/s", refresh=False)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def _run_local(todo: list[tuple[Path, str]], jobs: int, args: tuple, on_result: Callable[[str, dict], None]) -> None:
    jobs = min(jobs, len(todo))  # a worker per file at most: each loads the model (several hundred MB)
    if jobs <= 1:
        for path, key in todo:
            on_result(key, code_file(str(path), *args))
        return
    from joblib import delayed

    # joblib's loky workers are reused across files (each loads the model once, ``_coder``); results come
    # back as they finish. Ctrl-C or a crash stops the workers; finished parts stay for the next run.
    from joblib.externals.loky.process_executor import TerminatedWorkerError

    try:
        with _worker_pool(jobs) as run:
            for key, result in run(delayed(_keyed_code_file)(key, str(path), *args) for path, key in todo):
                on_result(key, result)
    except TerminatedWorkerError:
        raise WorkerError(WORKER_DIED.format(jobs=f"--jobs {max(1, jobs - 1)}")) from None


@contextmanager
def _worker_pool(jobs: int) -> Iterator[Callable[[Iterable[Any]], Iterator[Any]]]:
    """joblib's loky workers, ``jobs`` of them, as a function from tasks to their results in the order they finish.

    A Ctrl-C from a terminal reaches every process of the group: the workers ignore it (they are started with it
    ignored, and ignore it from their first task on if started later), so that this process alone stops the run
    and says so in one line. A worker interrupted between two files printed a traceback of loky's. One file per
    task: joblib's automatic batching would hold back finished files until their whole batch is done (lost on
    Ctrl-C, late in the progress bar); a file takes far longer than a task's dispatch.
    """
    from joblib import Parallel, parallel_config

    with parallel_config(backend="loky", initializer=_worker_started), \
            Parallel(n_jobs=jobs, return_as="generator_unordered", batch_size=1) as parallel:

        def run(tasks: Iterable[Any]) -> Iterator[Any]:
            with _sigint_ignored():  # the first tasks are dispatched here, which starts the workers
                results = parallel(tasks)
            return results

        yield run


def _worker_started() -> None:
    """A worker's set-up: Ctrl-C ignored (see ``_worker_pool``), and on Linux the worker ends with the process that
    started it. A batch killed outright (SIGKILL, the out-of-memory killer) left its workers running, a few hundred
    MB each, until loky's idle timeout."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        import ctypes

        parent = os.getppid()
        with suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the request was made
            os._exit(1)


# A worker killed mid-file (the system's out-of-memory killer, most often): no file is to blame, so the run stops
# with what it finished saved, rather than with joblib's or Dask's traceback.
WORKER_DIED = ("a worker process was killed while coding (most often by the system, short of memory); the files "
               "finished so far are saved: run the same command again to go on from there, with {jobs} if memory "
               "is short")


def _keyed_code_file(key: str, path: str, *args: Any) -> tuple[str, dict]:
    return key, code_file(path, *args)


@contextmanager
def _dask_client(scheduler: str | None, local_workers: int | None) -> Iterator[Any]:
    """A Dask client of a new local cluster of ``local_workers`` workers, or of the scheduler at ``scheduler``;
    a scheduler address that is malformed or cannot be reached is a UsageError naming it."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise UsageError("Dask is not installed: pip install 'mi-coder[dask]'") from exc
    if local_workers:
        # The worker processes are started with Ctrl-C ignored (they inherit it), so that an interrupt reaches
        # this process alone, which closes the cluster: no traceback from each worker. Dask's own log is kept to
        # critical failures: its warnings on a worker slow to close or a cancelled task, and its errors on a
        # worker's heartbeat to a scheduler already closing after Ctrl-C (seen in CI), are about its housekeeping,
        # not the files (a worker that dies is reported by ``_run_dask``, a file's failure in errors.csv). Its HTTP server takes any free port on this
        # machine only (its default, 8787, warned when another cluster had it).
        with _sigint_ignored():
            cluster = LocalCluster(n_workers=local_workers, threads_per_worker=1, processes=True,
                                   dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL)
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler)
    except (OSError, ValueError) as exc:  # a malformed address, or nothing answering there (timeouts included)
        raise UsageError(f"cannot connect to the Dask scheduler {scheduler} ({exc})") from exc
    with client:
        yield client


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ctrl-C ignored in this process (and so in the processes it starts) for the block; the main thread only."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to set
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_dask(todo: list[tuple[Path, str]], args: tuple, on_result: Callable[[str, dict], None], client: Any) -> None:
    from distributed import KilledWorker, as_completed

    # A worker runs in its own folder, maybe on another machine: it gets each file's absolute path and the file's
    # digest, and codes only the same bytes this machine hashed (else a file of the same name elsewhere would be
    # coded and saved under this file's key).
    futures = {client.submit(_code_same_file, str(path.absolute()), str(path), _digest(path), *args,
                             key=f"mi-coder-{key}", pure=False): key
               for path, key in todo}
    try:
        for future in as_completed(futures):
            on_result(futures[future], future.result())
    except KilledWorker:
        raise WorkerError(WORKER_DIED.format(jobs="fewer or larger workers")) from None


def _digest(path: Path) -> str:
    from .model.store import sha256

    return sha256(path)


def _code_same_file(absolute: str, shown: str, digest: str, *args: Any) -> dict:
    """``code_file`` on a Dask worker: the file at ``absolute`` if its bytes are the ones hashed as ``digest``,
    with ``shown`` (the path as the user gave it) as its source, so that the tables are those of a local run."""
    try:
        same = _digest(Path(absolute)) == digest
    except OSError as exc:
        return {"source": shown, "error": (f"a Dask worker cannot read it at {absolute} ({exc.strerror or exc}); "
                                           "workers must see the input files at the same paths")}
    if not same:
        return {"source": shown, "error": (f"a Dask worker found a different file at {absolute}; workers must see "
                                           "the same input files at the same paths")}
    return code_file(absolute, *args, source=shown)


@contextmanager
def _out_lock(out: Path, parts: Path) -> Iterator[None]:
    """One batch at a time in an output folder: a second run into a folder a run is using (its saved results,
    its tables) is refused with one line. Two runs had removed each other's saved results, and the one that ended
    last blamed the other's files on an interruption and replaced its tables. POSIX file locks; none elsewhere."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(parts / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            pid = handle.read().strip()
            raise UsageError(f"{out}: another mi-coder batch is writing to this folder" + (f" (pid {pid})" if pid else "")
                             + "; wait for it to end, or choose another --out") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_batch(inputs: Sequence[str], out_dir: str | Path, *, options: ReadOptions | None = None,
              model: str | None = None, trust: bool | str = False, profile: str | None = None, jobs: int = 1,
              scheduler: str | None = None,
              dask_local: int | None = None, output_format: str = "csv", thresholds: dict | None = None,
              progress: bool = True) -> BatchSummary:
    """Code and score every transcript in ``inputs``; write the tables and ``errors.csv`` to ``out_dir``."""
    from contextlib import ExitStack

    with ExitStack() as held:  # the output folder's lock, taken once it exists, held until the tables are written
        return _run_batch(inputs, out_dir, held, options=options, model=model, trust=trust, profile=profile, jobs=jobs,
                          scheduler=scheduler, dask_local=dask_local, output_format=output_format,
                          thresholds=thresholds, progress=progress)


def _run_batch(inputs: Sequence[str], out_dir: str | Path, held: Any, *, options: ReadOptions | None,
               model: str | None, trust: bool | str, profile: str | None, jobs: int, scheduler: str | None,
               dask_local: int | None, output_format: str, thresholds: dict | None, progress: bool) -> BatchSummary:
    from .model.store import default_model_dir, model_folder, sha256
    from .scoring import load_thresholds

    if dask_local is not None and dask_local < 1:
        raise UsageError(f"--dask-local {dask_local}: a local Dask cluster needs at least 1 worker")
    if scheduler and dask_local is not None:
        raise UsageError(f"--scheduler {scheduler} and --dask-local both say where to run; give one of them")
    started = time.time()
    options = options or ReadOptions()
    thresholds = thresholds or load_thresholds()  # the defaults, spelled out, so both key the same parts
    from .io.writer import check_out

    out = Path(out_dir)
    # a table in --out that mi-coder did not write stops the run before any coding (errors and warnings too)
    check_out(out, output_format, ("utterances", "turns", "sessions", "errors", "warnings"))
    skipped: list[tuple[str, str]] = []
    # --out inside an input folder (or the input folder itself, or a folder above it): the tables this tool wrote
    # there (its manifest) and its working folder are never read as transcripts (``pipeline.expand_paths``); every
    # other transcript under --out is coded as ``code`` codes it (all of them had been dropped without a word)
    paths = expand_inputs(inputs, skipped)
    if not paths:
        raise UsageError(f"no transcript files found in {' '.join(inputs)}")
    model_dir = model_folder(model) if model else default_model_dir()  # "default" as load_coder reads it
    # Fail fast, before any worker starts: hashes, a model whose files load (one that does not would fail every
    # file, blamed on the transcripts), and a profile the model has. A serial run codes with this copy; worker
    # processes load their own, so this one is let go.
    _coder(model, trust, profile)
    if jobs > 1 or scheduler or dask_local:
        _WORKER.clear()
    model_id = sha256(model_dir / "meta.json") + (f":{profile}" if profile else "")
    parts = out / PARTS
    # Connected (or the local cluster started) before anything is hashed or written: a scheduler that cannot be
    # reached fails first and leaves no output folder.
    with _dask_client(scheduler, dask_local) if scheduler or dask_local else nullcontext() as client:
        made = [p for p in (out, parts) if not p.exists()]
        parts.mkdir(parents=True, exist_ok=True)
        held.enter_context(_out_lock(out, parts))
        for stray in parts.glob(".*.json.*.part"):  # a saved result a killed run was writing (write_atomic's name)
            with suppress(OSError):
                stray.unlink()
        summary = BatchSummary(files=len(paths) + len(skipped), output_format=output_format)
        keys: list[str | None] = []
        todo: list[tuple[Path, str]] = []
        errors: dict[str, str] = dict(skipped)
        for path in paths:
            if path.exists() and not path.is_file():  # a pipe or a device named directly: reading it twice hangs
                errors[str(path)] = "not a regular file (a folder, pipe or device); batch reads files"
                keys.append(None)
                continue
            try:
                key = part_key(path, options, model_id, thresholds)
            except OSError as exc:
                errors[str(path)] = ("no such file" if isinstance(exc, FileNotFoundError)
                                     else f"cannot be read ({exc.strerror or exc})")
                keys.append(None)
                continue
            keys.append(key)
            if (parts / f"{key}.json").exists():
                summary.skipped += 1
            else:
                todo.append((path, key))
        bar = Progress(len(todo), progress)
        failed: dict[str, str] = {}

        path_of = {key: path for path, key in todo}

        def on_result(key: str, result: dict) -> None:
            raise_if_stopped()
            if "error" not in result:
                # The worker read the file again: saved under the key of the bytes hashed above, a file changed
                # meanwhile would be served from this result later, when its first bytes were back
                try:
                    same = part_key(path_of[key], options, model_id, thresholds) == key
                except OSError:
                    same = False
                if not same:
                    result = {"error": "changed while it was being coded (or could not be read again); run the same "
                                       "command again"}
            if "error" in result:
                failed[key] = result["error"]
                bar.update(0)
                return
            _write_part(parts, key, result)
            summary.coded += 1
            bar.update(len(result["utterances"]))

        args = (options, str(model_dir), trust, thresholds, profile)
        try:
            if client is not None:
                _run_dask(todo, args, on_result, client)
            else:
                _run_local(todo, jobs, args, on_result)
        finally:
            bar.close()
    if not any(key is not None and key not in failed for key in keys):
        # Nothing could be coded (a mistyped path, every file unreadable): the tables an earlier run wrote in --out
        # stay as they were rather than being replaced by empty ones.
        for path, key in zip(paths, keys):
            if key in failed:
                errors[str(path)] = failed[key]
        summary.errors = _in_input_order(errors, paths)
        summary.failed = len(summary.errors)
        summary.nothing_written = True
        held.close()  # the lock file goes with the folders this run made
        for folder in reversed(made):  # the folders this run made, still empty: gone
            with suppress(OSError):
                if folder == parts:
                    (parts / ".lock").unlink(missing_ok=True)
                folder.rmdir()
    else:
        raise_if_stopped()
        _write_streamed(paths, keys, parts, errors, failed, out, output_format, summary)
    summary.seconds = time.time() - started
    return summary


def _write_streamed(paths: Sequence[Path], keys: Sequence[str | None], parts: Path, errors: dict[str, str],
                    failed: dict[str, str], out: Path, fmt: str, summary: BatchSummary) -> None:
    """The final tables appended one coded file at a time (``TableWriter``), so memory holds one file's rows,
    however many files the batch has; CSV and JSONL are the same bytes as ``assemble`` + ``write_tables``."""
    from .io.writer import TableWriter

    warned: list[tuple[str, str]] = []
    sessions_left_out: list[tuple[str, str]] = []
    damaged: list[Path] = []
    with TableWriter(out, fmt) as writer:
        for path, data in _coded_parts(paths, keys, parts, errors, failed, damaged):
            warned.extend((str(path), _said_of(path, data, w)) for w in data.get("warnings", []))
            sessions_left_out.extend((str(path), problem) for problem in data.get("skipped", []))
            writer.append("utterances", data["utterances"])
            writer.append("turns", data["turns"])
            for row in data["sessions"]:
                writer.append_session(row)
            summary.sessions += len(data["sessions"])
            summary.utterances += len(data["utterances"])
        summary.errors = _in_input_order(errors, paths)
        summary.failed = len(summary.errors)
        summary.skipped -= len(damaged)  # counted as done when found, then failed: one or the other
        summary.errors += sessions_left_out  # sessions of coded files that could not be coded: errors too
        summary.sessions_failed = len(sessions_left_out)
        summary.warnings = warned
        if warned:
            writer.extra("warnings", warned, ["file", "warning"])
        if summary.errors:
            writer.extra("errors", summary.errors, ["file", "error"])
        writer.commit(remove_if_absent=["errors", "warnings"])
    # The saved results of files this run did not code or reuse (a file since changed or removed, other options)
    # go once the tables are in place: they would only grow the folder run after run.
    kept = {f"{key}.json" for key in keys if key is not None}
    for stale in parts.glob("*.json"):
        if stale.name not in kept:
            with suppress(OSError):
                stale.unlink()


def _said_of(path: Path, data: dict, warning: str) -> str:
    """A saved result's warning as said of ``path``: a result reused for the same file moved, or for an identical
    file of the same name in another folder, had named the path it was coded under."""
    source = data.get("source")
    if isinstance(source, str) and source and source != str(path) and warning.startswith(source):
        return str(path) + warning[len(source):]
    return warning


def _in_input_order(errors: dict[str, str], paths: Sequence[Path]) -> list[tuple[str, str]]:
    order = {str(p): k for k, p in enumerate(paths)}
    return sorted(errors.items(), key=lambda e: order.get(e[0], 0))


def _well_formed(data: object) -> bool:
    """A saved result as ``_write_part`` writes it: the three tables' rows, each sessions row with its id."""
    return (isinstance(data, dict)
            and all(isinstance(data.get(t), list) and all(isinstance(r, dict) and "session_id" in r
                                                          for r in data[t])
                    for t in ("utterances", "turns", "sessions")))


def _coded_parts(paths: Sequence[Path], keys: Sequence[str | None], parts: Path, errors: dict[str, str],
                 failed: dict[str, str], damaged: list[Path] | None = None) -> Iterator[tuple[Path, dict]]:
    """Each coded file's rows, in input order, session ids made unique across files; files that failed or
    were not coded are added to ``errors`` (and to ``damaged`` those whose saved result could not be read)."""
    seen: set[str] = set()
    for path, key in zip(paths, keys):
        if key is None:
            continue
        if key in failed:
            errors[str(path)] = failed[key]
            continue
        part = parts / f"{key}.json"
        if not part.exists():
            errors[str(path)] = "not coded (the run was interrupted); run the same command again"
            continue
        try:
            data = json.loads(part.read_text())
            if not _well_formed(data):
                raise ValueError("not a saved result")
        except (ValueError, OSError):  # a part cut short (a full disk, a killed writer): coded again next run
            part.unlink(missing_ok=True)
            errors[str(path)] = "its saved result was damaged and has been removed; run the same command again"
            if damaged is not None:
                damaged.append(path)
            continue
        rename = {}
        sid_of = {}  # the new id -> the id as the file gave it
        for s in data["sessions"]:
            sid = s["session_id"]
            new = sid
            k = 2
            while new in seen:
                new = f"{sid}-{k}"
                k += 1
            seen.add(new)
            rename[sid] = new
            sid_of[new] = sid
            if new != sid:  # said in warnings.csv and on screen, as `code` says it: ids join tables to metadata
                data.setdefault("warnings", []).append(
                    f"session id {sid!r} already used by a file earlier in the input order; this one is {new} (ids "
                    "follow the input order: a file added before it renames it; give files distinct names)")
        for table in ("utterances", "turns", "sessions"):
            for r in data[table]:
                r["session_id"] = rename.get(r["session_id"], r["session_id"])
                if table == "sessions":
                    r["source"] = str(path)
                    r["given_session_id"] = r.get("given_session_id") or sid_of.get(r["session_id"], r["session_id"])
        yield path, data


def assemble(paths: Sequence[Path], keys: Sequence[str | None], parts: Path, errors: dict[str, str],
             failed: dict[str, str]):  # type: ignore[no-untyped-def]
    """The final tables from the parts as whole frames, in input order: the in-memory counterpart of what
    ``run_batch`` writes file by file (for callers that want DataFrames of a finished batch folder)."""
    import pandas as pd

    from .io.writer import SESSION_COLUMNS, TURN_COLUMNS, UTTERANCE_COLUMNS, _frame

    rows: dict[str, list] = {"utterances": [], "turns": [], "sessions": []}
    warned: list[tuple[str, str]] = []
    left_out: list[tuple[str, str]] = []
    for path, data in _coded_parts(paths, keys, parts, errors, failed):
        warned.extend((str(path), _said_of(path, data, w)) for w in data.get("warnings", []))
        left_out.extend((str(path), problem) for problem in data.get("skipped", []))
        for table in rows:
            rows[table].extend(data[table])
    return {
        "utterances": pd.DataFrame(rows["utterances"], columns=UTTERANCE_COLUMNS),
        "turns": pd.DataFrame(rows["turns"], columns=TURN_COLUMNS),
        "sessions": _frame(rows["sessions"], SESSION_COLUMNS),
        "warnings": pd.DataFrame(warned, columns=["file", "warning"]),
        "errors": pd.DataFrame(_in_input_order(errors, paths) + left_out, columns=["file", "error"]),
    }


def iter_lines(summary: BatchSummary) -> Iterable[str]:
    ext = summary.output_format
    left_out = (f" ({summary.sessions_failed} session(s) of coded files could not be coded, errors.{ext})"
                if summary.sessions_failed else "")
    yield (f"{summary.files} file(s): {summary.coded} coded{left_out}, {summary.skipped} already done, "
           f"{summary.failed} failed, {len({f for f, _ in summary.warnings})} with warnings "
           f"(warnings.{ext}); {summary.sessions} session(s), {summary.utterances} utterance(s) "
           f"in {summary.seconds:.1f}s")
    if summary.nothing_written:
        yield "no file could be coded, so no table was written (tables of an earlier run are left as they were)"
