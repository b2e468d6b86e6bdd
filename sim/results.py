"""One self-describing results folder per run, written atomically.

A finished run lives in ``<root>/<folder>/seed-<seed>/`` (the folder: the scenario name, or
the readable name of a variant, :mod:`sim.labels`)::

    scenario.yaml        the resolved scenario
    kpis.json            canonical JSON (byte-identical for identical KPIs)
    timeseries.parquet   time series of the run
    eventlog.parquet     activity log (written by sim.eventlog.EventLog into RunFolder.tmp)
    manifest.json        written last: status "complete", versions, timing, sha256 of every file

Everything is written into a private sibling folder
``<root>/<folder>/.seed-<seed>.partial-<pid>-<hex>`` (:attr:`RunFolder.tmp`), and
:meth:`RunFolder.commit` renames it to the final path once the manifest is on disk. So a folder
at the final path always holds a complete run: an exception (KeyboardInterrupt included)
deletes the partial folder, and a killed process leaves only a ``.partial-*`` folder that
:func:`cleanup_stale` removes on the next start-up.

Example:
    >>> with RunFolder(root, "baseline", seed=1) as run:  # doctest: +SKIP
    ...     run.write_text("scenario.yaml", text)
    ...     with EventLog(run.tmp / "eventlog.parquet") as log:
    ...         simulate(log)
    ...     run.write_json("kpis.json", kpis)
    ...     run.write_parquet("timeseries.parquet", frame)
    ...     final = run.commit({"days": 90, "terminal_states": states, "checks": checks})
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import re
import secrets
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sim.outfile import fsync_path, special_kind

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
KPIS = "kpis.json"
COMPLETE = "complete"
#: tries to put a run in place while other writers of the same run replace it meanwhile
MOVE_ATTEMPTS = 8
#: a run that finished but whose self-checks (conservation, Little's law) failed: its files
#: are kept to look into, and every reader refuses it as not complete
FAILED = "failed"

#: Packages whose versions are recorded in the manifest.
PACKAGES = ("simpy", "mesa", "numpy", "pandas", "pyarrow")

# <root>/<scenario>/.seed-<seed>.<partial|old>-<pid>-<hex>
_WORK_DIR = re.compile(r"^\.seed-\d+\.(?P<kind>partial|old)-(?P<pid>\d+)-[0-9a-f]+$")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$")


class ResultsError(Exception):
    """A results folder cannot be written or read; the message is one line naming the path."""


def canonical_json(obj: Any) -> str:
    """Serialise ``obj`` canonically: sorted keys, indent 2, NaN/inf as null, trailing newline.

    Identical input gives byte-identical output. NumPy scalars are converted to Python ones.

    Raises:
        TypeError: If ``obj`` holds a value JSON cannot represent.
    """
    return json.dumps(_jsonable(obj), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: _jsonable(value) for key, value in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(value) for value in obj]
    if getattr(obj, "ndim", None) == 0 and hasattr(obj, "item"):  # NumPy scalar
        return _jsonable(obj.item())
    return obj


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks), as the manifest records it."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package_versions() -> dict[str, str | None]:
    """Installed versions of :data:`PACKAGES` (None for one that is not installed)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _omnisim_version() -> str | None:
    import sim

    version = getattr(sim, "__version__", None)
    if version is not None:
        return str(version)
    try:
        return importlib.metadata.version("omnisim")
    except importlib.metadata.PackageNotFoundError:
        return None


def utc_now() -> str:
    """The time now in UTC, to the second, as manifests record it (``2025-01-31T12:00:00Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists but belongs to someone else
        return True
    return True


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: file is missing") from None
    except OSError as err:
        raise ResultsError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError as err:
        raise ResultsError(f"{path}: not UTF-8 text (byte {err.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultsError(
            f"{path}: bad JSON ({err.msg} at line {err.lineno} column {err.colno})"
        ) from None


def is_complete(folder: Path) -> bool:
    """True if ``folder`` holds a readable ``manifest.json`` with status "complete"."""
    try:
        manifest = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("status") == COMPLETE


def load_run(folder: Path) -> dict[str, Any]:
    """Read a finished run.

    Args:
        folder: The run folder, e.g. ``<root>/baseline/seed-1``.

    Returns:
        ``{"folder": Path, "manifest": dict, "kpis": dict}``.

    Raises:
        ResultsError: If a file is missing or holds bad JSON, the run is not complete, or the
            manifest's seed or scenario name is not one omnisim writes.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"{folder}: not a results folder (no such directory)")
    manifest = _read_json(folder / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("status") != COMPLETE:
        status = manifest.get("status") if isinstance(manifest, dict) else None
        raise ResultsError(f"{folder / MANIFEST}: run is not complete (status {status!r})")
    seed, name = manifest.get("seed"), manifest.get("scenario")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ResultsError(f"{folder / MANIFEST}: seed {seed!r} is not a non-negative integer")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ResultsError(f"{folder / MANIFEST}: scenario {name!r} is not a scenario name")
    kpis = _read_json(folder / KPIS)
    if not isinstance(kpis, dict):
        raise ResultsError(f"{folder / KPIS}: expected a JSON object")
    return {"folder": folder, "manifest": manifest, "kpis": kpis}


def cleanup_stale(root: Path) -> list[Path]:
    """Remove work folders left behind by runs whose process is gone.

    Call at start-up, before writing new runs. Looks at ``<root>/*/.seed-*.partial-<pid>-*``
    (runs killed before their commit) and ``.seed-*.old-<pid>-*`` (a replaced run whose
    deletion was interrupted), and removes those whose pid is not a live process; folders of
    live processes (other runs in progress) are left alone. If a crash happened between moving
    an old run aside and moving the new one in, the old complete run is moved back instead of
    deleted. Pids are only meaningful on this host: do not share a root between machines.

    Args:
        root: The results root.

    Returns:
        The folders removed (or, for a restored old run, the final path it was moved back to).
    """
    root = Path(root)
    if not root.is_dir():
        return []
    handled: list[Path] = []
    for work in sorted(root.glob("*/.seed-*")):
        match = _WORK_DIR.match(work.name)
        if match is None or not work.is_dir() or _pid_alive(int(match["pid"])):
            continue
        final = work.parent / work.name[1:].split(".", 1)[0]  # ".seed-1.old-..." -> "seed-1"
        if match["kind"] == "old" and not final.exists() and is_complete(work):
            os.rename(work, final)
            handled.append(final)
        else:
            shutil.rmtree(work, ignore_errors=True)
            handled.append(work)
    return handled


class RunFolder:
    """Writer of one run folder; files go to :attr:`tmp` until :meth:`commit`.

    Use as a context manager. On an exception inside the ``with`` block (KeyboardInterrupt
    included) the temporary folder is deleted, nothing final is touched and the exception
    propagates. Leaving the block without :meth:`commit` discards the files and raises
    :class:`ResultsError`; call :meth:`abort` to discard them on purpose.
    """

    def __init__(self, root: Path, scenario_name: str, seed: int, overwrite: bool = False,
                 folder: str | None = None) -> None:
        """Describe the run folder; nothing is touched until :meth:`open`.

        Args:
            root: Results root; created if missing.
            scenario_name: Scenario name, recorded in the manifest (and the folder name
                when ``folder`` is None).
            seed: Non-negative random seed of the run.
            overwrite: Replace a complete run already at the final path.
            folder: The folder's name under ``root`` (:func:`sim.labels.folder_name`).

        Raises:
            ValueError: If ``scenario_name`` or ``folder`` is not a plain name or ``seed`` is
                negative.
        """
        folder = scenario_name if folder is None else folder
        for name in (scenario_name, folder):
            if not _NAME.match(name):
                raise ValueError(f"scenario name {name!r} cannot be used as a folder name")
        if isinstance(seed, bool) or int(seed) != seed or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.root = Path(root)
        self.scenario_name = scenario_name
        self.seed = int(seed)
        self.overwrite = overwrite
        self.final = self.root / folder / f"seed-{self.seed}"
        self._tmp: Path | None = None
        self._state = "new"  # -> "open" -> "committed" or "aborted"
        self._started_utc = ""
        self._started_clock = 0.0

    @property
    def tmp(self) -> Path:
        """The temporary folder files are written to (valid between open and commit)."""
        if self._tmp is None:
            raise ResultsError(f"results folder {self.final} is not open")
        return self._tmp

    def open(self) -> RunFolder:
        """Validate the root and create the temporary folder.

        Returns:
            self.

        Raises:
            ResultsError: If the root is unusable, or a complete run is already at the final
                path and ``overwrite`` is False.
        """
        if self._state != "new":
            raise ResultsError(f"results folder {self.final} was already opened")
        for folder in (self.root, self.final.parent):
            self._ensure_dir(folder)
        self._refuse_existing()
        name = f".seed-{self.seed}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        tmp = self.final.parent / name
        try:
            tmp.mkdir()
        except OSError as err:
            raise ResultsError(f"{tmp}: cannot create folder ({err.strerror})") from None
        self._tmp = tmp
        self._state = "open"
        self._started_utc = utc_now()
        self._started_clock = time.perf_counter()
        return self

    @staticmethod
    def _ensure_dir(folder: Path) -> None:
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise ResultsError(f"results folder {folder} exists but is not a directory")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ResultsError(f"results folder {folder} is not writable")
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ResultsError(f"cannot create results folder {folder} ({err.strerror})") from None

    def _refuse_existing(self) -> None:
        kind = special_kind(self.final)
        if kind is not None:
            raise ResultsError(f"results folder {self.final}: is {kind}; omnisim never replaces "
                               "a link or a device (remove it or choose another --out)")
        if not self.overwrite and is_complete(self.final):
            raise ResultsError(
                f"results folder {self.final} already holds a complete run; "
                "choose another --out"
            )

    def _file(self, name: str) -> Path:
        if "/" in name or "\\" in name or name in ("", ".", "..", MANIFEST):
            raise ValueError(f"invalid results file name {name!r}")
        return self.tmp / name

    def write_text(self, name: str, text: str) -> Path:
        """Write a UTF-8 text file (e.g. ``scenario.yaml``) into the temporary folder."""
        path = self._file(name)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        return path

    def write_json(self, name: str, obj: Any) -> Path:
        """Write ``obj`` as canonical JSON (see :func:`canonical_json`)."""
        return self.write_text(name, canonical_json(obj))

    def write_parquet(self, name: str, df: pd.DataFrame) -> Path:
        """Write a DataFrame with pyarrow, without its index."""
        path = self._file(name)
        df.to_parquet(path, engine="pyarrow", index=False, compression="zstd")
        fsync_path(path)
        return path

    def commit(self, manifest: dict[str, Any], status: str = COMPLETE) -> Path:
        """Write ``manifest.json`` and move the run to its final path atomically.

        The manifest holds status, versions, timing and the sha256 of every file; the keys of
        ``manifest`` (e.g. ``days``, ``terminal_states``, ``checks`` or extra keys) are merged
        in. Close any EventLog writing into :attr:`tmp` first.

        Args:
            manifest: Caller's manifest entries; must not set ``status`` or ``files``.
            status: ``COMPLETE``, or ``FAILED`` for a run whose self-checks failed.

        Returns:
            The final folder.

        Raises:
            ValueError: If ``manifest`` sets ``status`` or ``files``, or another scenario/seed.
            ResultsError: If a Parquet file is unfinished, or a complete run appeared at the
                final path meanwhile and ``overwrite`` is False.
        """
        tmp = self.tmp
        if status not in (COMPLETE, FAILED):
            raise ValueError(f"status must be {COMPLETE!r} or {FAILED!r}; got {status!r}")
        for key in ("status", "files"):
            if key in manifest:
                raise ValueError(f"manifest key {key!r} is set by RunFolder.commit")
        for key, value in (("scenario", self.scenario_name), ("seed", self.seed)):
            if manifest.get(key, value) != value:
                raise ValueError(f"manifest {key} {manifest[key]!r} does not match {value!r}")
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        for path in files:
            if path.suffix == ".parquet" and not _has_parquet_footer(path):
                raise ResultsError(f"{path}: Parquet file is not finished (writer not closed?)")
            fsync_path(path)
        full = {
            "status": status,
            "omnisim_version": _omnisim_version(),
            "scenario": self.scenario_name,
            "seed": self.seed,
            "days": None,
            "started_utc": self._started_utc,
            "finished_utc": utc_now(),
            "wall_seconds": round(time.perf_counter() - self._started_clock, 3),
            "python": platform.python_version(),
            "packages": package_versions(),
            "terminal_states": {},
            "checks": {},
            **manifest,
            "files": {p.relative_to(tmp).as_posix(): file_sha256(p) for p in files},
        }
        with open(tmp / MANIFEST, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(canonical_json(full))
            handle.flush()
            os.fsync(handle.fileno())
        fsync_path(tmp)
        self._move_into_place(tmp)
        self._tmp = None
        self._state = "committed"
        return self.final

    def _move_into_place(self, tmp: Path) -> None:
        """Rename ``tmp`` to the final path, moving a run already there aside first.

        Two writers of the same run (same scenario and seed: the same numbers) may finish
        together: between moving the old run aside and renaming, the other can put its run
        at the final path. With ``overwrite`` that is retried (the newest run wins) instead
        of failing; without it the other's complete run stays and this one is refused.
        """
        for _ in range(MOVE_ATTEMPTS):
            self._refuse_existing()
            old = self._move_aside()
            try:
                os.rename(tmp, self.final)
            except OSError as err:
                if old is not None:  # back in place, or obsolete: another run is there
                    with contextlib.suppress(OSError):
                        os.rename(old, self.final)
                    shutil.rmtree(old, ignore_errors=True)
                if err.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise ResultsError(f"cannot move run into {self.final} "
                                       f"({err.strerror})") from None
                continue  # another writer committed meanwhile
            fsync_path(self.final.parent)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
            return
        raise ResultsError(f"results folder {self.final}: other writers kept replacing it; "
                           "choose another --out")

    def _move_aside(self) -> Path | None:
        """Rename the folder at the final path (if any) out of the way; its new path."""
        old = self.final.parent / f".seed-{self.seed}.old-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            os.rename(self.final, old)
        except FileNotFoundError:  # none, or another writer moved it first
            return None
        except OSError as err:
            raise ResultsError(f"cannot move the old run {self.final} aside "
                               f"({err.strerror})") from None
        return old

    def abort(self) -> None:
        """Delete the temporary folder; nothing final is touched (no-op after commit)."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._state != "committed":
            self._state = "aborted"

    def __enter__(self) -> RunFolder:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
            if isinstance(exc, OSError):  # disk full, read-only folder: one line, not a trace
                raise ResultsError(f"{self.final}: cannot write the run "
                                   f"({_why(exc)}); nothing was written") from None
        elif self._state == "open":
            self.abort()
            raise ResultsError(f"results folder {self.final} was not committed; files discarded")


def _why(err: OSError) -> str:
    """The first line of an OS or Arrow I/O error (Arrow's carry no ``strerror``)."""
    text = err.strerror or (str(err).splitlines() or [""])[0] or type(err).__name__
    return f"{text}: {err.filename}" if err.filename else text


def _has_parquet_footer(path: Path) -> bool:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() < 12:
            return False
        handle.seek(-4, os.SEEK_END)
        return handle.read(4) == b"PAR1"
