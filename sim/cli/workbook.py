"""The ``--xlsx FILE`` option of ``run``, ``compare`` and ``sweep``: the results folder the
command has just written, as an Excel workbook (:mod:`analysis.workbook` says which sheets).

The option is on the commands rather than on ``export`` (which reads one run's event log
for process mining): a strategist who asks for a workbook asks for it with the run. The
results folder is written as always; the workbook is made from it afterwards, so it holds
exactly what the folder holds. FILE is checked before anything runs (its folder must exist,
its name end in ``.xlsx``, it must not be a link, a device or a folder).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sim.cli.common import CliError
from sim.outfile import refuse_special

F = TypeVar("F", bound=Callable[..., Any])

_option = click.option(
    "--xlsx", type=click.Path(path_type=Path), default=None, metavar="FILE",
    help="Also write the results as an Excel workbook FILE (.xlsx): KPIs with intervals, "
         "per-replication values, definitions and the run's settings.")


def xlsx_option(command: F) -> F:
    """The ``--xlsx FILE`` option (the command's function takes ``xlsx``)."""
    return _option(command)


def check_xlsx(path: Path | None, rows: int = 0) -> None:
    """Refuse a FILE the workbook cannot be written to, before any work.

    Args:
        path: The ``--xlsx`` value (None: no workbook).
        rows: The rows of its largest sheet, if known (Excel holds 1,048,575 below a header).

    Raises:
        CliError, OutputError: One line naming the file and what is wrong.
    """
    if path is None:
        return
    from sim.outfile import OutputError

    if path.suffix.lower() != ".xlsx":
        raise CliError(f"--xlsx {path}: the file name must end in .xlsx")
    refuse_special(path, "--xlsx")
    if not path.resolve().parent.is_dir():
        raise OutputError(f"--xlsx {path}: folder {path.parent} does not exist")
    if rows >= 1_048_576:
        raise CliError(f"--xlsx {path}: {rows:,} rows are more than an Excel sheet holds "
                       "(1,048,575); use the folder's results.parquet or .csv")


def write_xlsx(folder: Path, path: Path) -> list[str]:
    """Write the workbook of the results ``folder`` to ``path``; returns its sheet names."""
    from analysis import load
    from analysis.workbook import write_workbook

    return write_workbook(load(folder), path)
