"""Where omnisim writes: never over a link or a special file, never outside its folder, and
on a full disk or a read-only folder one line and nothing that looks complete.

Every writer (``export``, ``map``, ``report``, ``plot``'s figures, ``run``'s results folder,
a sweep's files) is pointed at a symbolic link, a dangling link, a FIFO, a socket and a
character device (all made inside ``tmp_path``, never the system's ``/dev``), and must refuse
with exit code 2 and one line, leaving the link or special file as it was (the decision is in
DEVELOPERS.md, "Decisions recorded"; the helper is :mod:`sim.outfile`). Disk full and
read-only output are simulated in this process: ``os.fsync`` (which every writer calls before
its final rename) or the event log's writer raise ``OSError(ENOSPC)`` / ``OSError(EROFS)``.
Damaged folders as input: tests/test_damaged_folders.py.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_helpers import SMALL, copy_of, run_in_process
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.outfile import OutputError, inside, safe_name, special_kind

# ------------------------------------------------------------------- special files


def _symlink(path: Path) -> Callable[[], None]:
    target = path.with_name("precious.txt")
    target.write_text("keep me")
    path.symlink_to(target)
    return lambda: (path.is_symlink() and target.read_text() == "keep me") or \
        pytest.fail("the link or its target changed")


def _dangling(path: Path) -> Callable[[], None]:
    path.symlink_to(path.with_name("nowhere"))
    return lambda: (path.is_symlink() and not path.with_name("nowhere").exists()) or \
        pytest.fail("a file appeared behind the dangling link")


def _fifo(path: Path) -> Callable[[], None]:
    os.mkfifo(path)
    return lambda: stat.S_ISFIFO(os.lstat(path).st_mode) or pytest.fail("FIFO replaced")


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    made: list[socket.socket] = []
    yield made
    for s in made:
        s.close()


def _device(path: Path) -> Callable[[], None]:
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # a /dev/null of our own
    except PermissionError:
        pytest.skip("making a device node needs root")
    return lambda: stat.S_ISCHR(os.lstat(path).st_mode) or pytest.fail("device replaced")


SPECIALS = {"symlink": (_symlink, "symbolic link"), "dangling": (_dangling, "symbolic link"),
            "fifo": (_fifo, "FIFO"), "socket": (None, "socket"),
            "device": (_device, "character device")}


def _make(kind: str, path: Path, sockets: list[socket.socket]) -> Callable[[], None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    make = SPECIALS[kind][0]
    if make is not None:
        return make(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sockets.append(sock)
    sock.bind(str(path))
    return lambda: stat.S_ISSOCK(os.lstat(path).st_mode) or pytest.fail("socket replaced")


# ------------------------------------------------------------------- the writers
def _export(run: Path, target: Path) -> list[str]:
    return ["export", str(run), "--out", str(target)]


def _label(run: Path) -> str:
    return run.parent.name


def _writer_argv(writer: str, small_run: Path, tmp: Path) -> tuple[list[str], Path]:
    """The command line of ``writer`` and the path it would write."""
    if writer == "export-xes":
        return _export(small_run, tmp / "out.xes"), tmp / "out.xes"
    if writer == "export-sqlite":
        return _export(small_run, tmp / "out.sqlite"), tmp / "out.sqlite"
    if writer == "map":
        return ["map", "validation/mm1", "--out", str(tmp / "map.svg")], tmp / "map.svg"
    if writer == "report":
        return ["report", str(small_run), "--out", str(tmp / "r.html")], tmp / "r.html"
    if writer == "plot":
        return (["plot", str(small_run), "--kind", "cost", "--out", str(tmp / "figs")],
                tmp / "figs" / "cost.png")
    assert writer == "run"
    return (["run", SMALL, "--days", "4", "--out", str(tmp / "root"), "--no-progress"],
            tmp / "root" / _label(small_run) / "seed-1")


WRITERS = ("export-xes", "export-sqlite", "map", "report", "plot", "run")


@pytest.mark.parametrize("kind", list(SPECIALS))
@pytest.mark.parametrize("writer", WRITERS)
def test_writers_refuse_links_and_special_files(writer: str, kind: str, small_run: Path,
                                                tmp_path: Path,
                                                sockets: list[socket.socket]) -> None:
    argv, target = _writer_argv(writer, small_run, tmp_path)
    unchanged = _make(kind, target, sockets)
    code, out, err = run_in_process(argv)
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}: {err}"
    assert len(lines) == 1 and lines[0].startswith("omnisim: error: "), err
    assert SPECIALS[kind][1] in lines[0] and str(target) in lines[0], lines[0]
    unchanged()
    assert not list(target.parent.glob(".*partial*")), "a partial file was left behind"


def test_a_sweep_file_that_is_a_link_is_refused(small_sweep: Path, tmp_path: Path) -> None:
    """A re-run of a finished sweep rewrites its tables: a link planted there stays a link."""
    folder = copy_of(small_sweep, tmp_path)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (folder / "results.csv").unlink()
    (folder / "results.csv").symlink_to(outside)
    code, _, err = run_in_process(
        ["sweep", SMALL, "--vary", "channels.call_centre.staff=1,3",
         "--vary", "links.stock_sync.interval=1 h,24 h", "-r", "2", "--days", "2",
         "--out", str(folder.parent), "--executor", "serial", "--no-progress"])
    errors = [line for line in err.splitlines() if line.startswith("omnisim: error: ")]
    assert code == 2 and len(errors) == 1 and "symbolic link" in errors[0], err
    assert "Traceback" not in err
    assert (folder / "results.csv").is_symlink() and outside.read_text() == "keep me"


def test_special_kind_names_what_is_there(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "file")
    os.mkfifo(tmp_path / "fifo")
    assert [special_kind(tmp_path / n) for n in ("file", "missing", "link", "fifo")] == \
        [None, None, "a symbolic link", "a FIFO (named pipe)"]
    assert special_kind(tmp_path) is None  # a folder is no special file


@settings(max_examples=60, deadline=None, database=None)
@given(st.one_of(st.text(max_size=40), st.integers(), st.sampled_from(
    ["..", ".", "/etc/passwd", "../x", "a/../../b", "-rf", ".hidden", "x\x00y", "a\\b"])))
def test_built_names_never_leave_their_folder(tmp_path_factory: pytest.TempPathFactory,
                                              value: object) -> None:
    """Whatever a manifest holds, a name built from it is a plain name in its folder, or
    OutputError (never another folder, never a hidden file or an option)."""
    folder = tmp_path_factory.getbasetemp()
    try:
        name = safe_name(value, "seed")
        path = inside(folder, f"run-seed-{name}.xes")
    except OutputError as err:
        assert "\n" not in str(err)
        return
    assert path.parent == folder and not name.startswith((".", "-")) and "/" not in name


def test_export_default_name_is_in_the_current_folder(small_run: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_in_process(["export", str(small_run), "--format", "csv"])
    assert code == 0, err
    assert [p.name for p in tmp_path.iterdir()] == [f"{_label(small_run)}-seed-1.csv"]


def test_export_default_name_is_not_followed_when_it_is_a_link(
        small_run: Path, tmp_path: Path, sockets: list[socket.socket],
        monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work"
    unchanged = _make("symlink", work / f"{_label(small_run)}-seed-1.xes", sockets)
    monkeypatch.chdir(work)
    code, _, err = run_in_process(["export", str(small_run)])
    assert code == 2 and err.count("\n") == 1 and "symbolic link" in err, err
    unchanged()


def test_export_default_name_refuses_a_seed_that_is_a_path(small_run: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """The issue's case: ``"seed": "/../../../../elsewhere/x"`` wrote outside the folder."""
    run = copy_of(small_run, tmp_path / "copy")
    manifest = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**manifest,
                                                   "seed": "/../../../../elsewhere/x"}))
    work = tmp_path / "deep" / "er" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    code, _, err = run_in_process(["export", str(run)])
    assert code == 2 and "seed" in err and err.count("\n") == 1, err
    assert not [p for p in tmp_path.rglob("*x*") if "copy" not in p.parts], \
        "something was written outside"


# ------------------------------------------------------------------- disk full, read-only
ERRORS = {errno.ENOSPC: "No space left on device", errno.EROFS: "Read-only file system"}


def _fail_fsync(monkeypatch: pytest.MonkeyPatch, code: int, after: int) -> None:
    """``os.fsync`` fails with ``code`` from its ``after``-th call on (what a full disk or a
    read-only remount reports when the data is flushed)."""
    real, calls = os.fsync, [0]

    def fsync(fd: int) -> None:
        calls[0] += 1
        if calls[0] > after:
            raise OSError(code, os.strerror(code))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _nothing_complete(root: Path) -> None:
    """No partial file or folder, no manifest, no output file under ``root``."""
    left = [p for p in root.rglob("*") if "partial" in p.name or p.name == "manifest.json"]
    assert not left, f"left behind: {left}"


@pytest.mark.parametrize("code", list(ERRORS))
@pytest.mark.parametrize(("writer", "after"), [
    ("run", 0), ("run", 5), ("export-xes", 0), ("export-sqlite", 0), ("report", 0),
    ("map", 0), ("plot", 0), ("sweep", 0), ("sweep", 2)])
def test_a_full_disk_or_read_only_folder_gives_one_line(writer: str, after: int, code: int,
                                                        small_run: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    if writer == "sweep":
        argv = ["sweep", SMALL, "--vary", "channels.call_centre.staff=1,3", "-r", "1",
                "--days", "2", "--out", str(tmp_path / "root"), "--executor", "serial",
                "--no-progress"]
    else:
        argv, _ = _writer_argv(writer, small_run, tmp_path)
    _fail_fsync(monkeypatch, code, after)
    status, out, err = run_in_process(argv)
    monkeypatch.undo()
    lines = err.strip().splitlines()
    assert status == 2, f"exit {status}: {err}"
    assert len(lines) == 1 and lines[0].startswith("omnisim: error: "), err
    assert ERRORS[code] in lines[0], lines[0]
    _nothing_complete(tmp_path)
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix in
                (".xes", ".sqlite", ".html", ".svg", ".png", ".parquet")]


def test_an_event_log_write_failing_mid_run_gives_one_line(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """Arrow's own I/O errors carry no errno: the line still says what happened."""
    import pyarrow.parquet as pq

    def write_table(self: object, *args: object, **kw: object) -> None:
        raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", write_table)
    code, _, err = run_in_process(["run", SMALL, "--days", "2", "--out", str(tmp_path),
                                   "--no-progress"])
    assert code == 2 and err.count("\n") == 1 and "No space left" in err, err
    _nothing_complete(tmp_path)
