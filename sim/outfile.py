"""Writing an output file or folder safely: never over a link or a special file, never
half-written, and named only from validated values.

Every omnisim writer goes through here: ``export``, ``map``, ``report`` and ``plot``'s figures
(:func:`atomic`), the results folders of ``run`` and ``compare`` (:class:`sim.results.RunFolder`
checks its final folder with :func:`special_kind`) and the files of a sweep folder.

The decision (DEVELOPERS.md, "Decisions recorded"): an output is written into a temporary
sibling and renamed over its name, so a name that already holds a symbolic link, a FIFO, a
socket or a device would be *replaced* by a regular file (``--out /dev/stdout`` as root
would replace the system's link). omnisim therefore refuses such a target with one line
(exit code 2) before any work starts, and checks again just before the rename; it never
follows the link either (the link's target may belong to someone else). The folders along
the way may be links (a results root on another disk is ordinary). An existing regular file
is replaced, as before.

File names built from data (a manifest's seed, a scenario name) go through
:func:`safe_name`, and :func:`inside` checks that the final path stays in its folder.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

#: A file or folder name omnisim builds from data: letters, digits, ``_ . + -``, no leading
#: dot or dash (never ``..``, never hidden, never an option).
SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,199}$")

#: ``os.stat`` type tests and the words of the message.
_SPECIAL = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
            (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
            (stat.S_ISBLK, "a block device"))


class OutputError(Exception):
    """An output cannot be written where asked; the message is one line naming the path."""


def special_kind(path: Path) -> str | None:
    """What ``path`` is if it is a link or a special file (``"a symbolic link"`` ...), else
    None (missing, a regular file or a folder). Links are not followed."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:  # missing (or unreadable: the write will say so)
        return None
    for test, words in _SPECIAL:
        if test(mode):
            return words
    return None


def refuse_special(path: Path, what: str = "--out", *, folder_ok: bool = False) -> None:
    """Refuse to write over a link, a special file or (unless ``folder_ok``) a folder.

    Args:
        path: The file omnisim is about to create or replace.
        what: How the user named it (``--out``, ``figure``), the start of the message.
        folder_ok: True where ``path`` is a folder omnisim replaces (a run folder).

    Raises:
        OutputError: One line naming the path and what is there.
    """
    kind = special_kind(path)
    if kind is not None:
        hint = " (give another file name)" if what.startswith("--") else ""
        raise OutputError(f"{what} {path}: is {kind}; omnisim writes only regular files and "
                          f"never replaces a link or a device{hint}")
    if not folder_ok and path.is_dir():
        raise OutputError(f"{what} {path}: is a folder; give a file name")


def cannot_write(path: Path, err: OSError) -> OutputError:
    """The one-line error of a failed write (disk full, read-only, no permission)."""
    why = err.strerror or str(err) or type(err).__name__
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        why += "; nothing was written"
    return OutputError(f"{path}: cannot write ({why})")


@contextmanager
def atomic(path: Path, what: str = "--out") -> Iterator[Path]:
    """A temporary file next to ``path`` to write into; renamed over ``path`` on success.

    The temporary file (``.<name>.partial-<pid>-<hex><suffix>``) is created exclusively and without
    following links, with the permissions of an ordinary new file. On any exception
    (KeyboardInterrupt included) it is deleted and nothing at ``path`` changes; an
    :class:`OSError` (disk full, read-only folder) becomes one :class:`OutputError` line.

    Args:
        path: The final file; its folder must exist.
        what: How the user named it, for the messages.

    Yields:
        The temporary path (an empty file the writer may open, truncate or replace).

    Raises:
        OutputError: ``path`` is a link, special file or folder, or the write failed.
    """
    path = Path(path)
    refuse_special(path, what)
    # ends in the final suffix too, for writers that choose a format by it (matplotlib)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
                         f"{path.suffix}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o666)
        os.close(fd)
    except OSError as err:
        raise cannot_write(path, err) from None
    try:
        yield tmp
        fsync_path(tmp)
        refuse_special(path, what)  # again: something may have appeared meanwhile
        os.replace(tmp, path)
    except OSError as err:
        raise cannot_write(path, err) from None
    finally:
        with suppress(FileNotFoundError):
            os.unlink(tmp)


def fsync_path(path: Path) -> None:
    """Flush a written file's data (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def safe_name(value: object, what: str) -> str:
    """``value`` as a file-name piece, or :class:`OutputError` naming ``what``.

    >>> safe_name("baseline+1a2b", "scenario name")
    'baseline+1a2b'
    """
    text = str(value)
    if isinstance(value, bool) or not isinstance(value, str | int) or not SAFE_NAME.match(text):
        raise OutputError(f"{what} {text[:80]!r} cannot be used in a file name (letters, "
                          "digits and _ . + - only, not starting with . or -)")
    return text


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, after checking that it stays directly in ``folder``.

    Raises:
        OutputError: If ``name`` would leave the folder (a separator, ``..``).
    """
    target = Path(folder) / name
    if "/" in name or "\\" in name or "\0" in name or name in ("", ".", "..") or \
            target.parent.resolve() != Path(folder).resolve():
        raise OutputError(f"{folder}: a file named {name[:120]!r} would be outside the folder")
    return target  # a link already at the name is refused by atomic(), not followed
