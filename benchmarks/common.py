"""Shared helpers of the benchmarks: timing, peak memory of child processes, JSON output.

Benchmarks are not tests: they print a small table and write JSON to results/benchmarks/
so runs can be compared. Figures are ratios measured in one run where possible (the machine's
speed drifts; ratios of interleaved runs do not).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "benchmarks"


def timed_child(code: str, *args: str, env: dict[str, str] | None = None,
                cwd: Path | None = None) -> dict[str, Any]:
    """Run ``python -c code args`` in a fresh process; wall seconds, peak RSS (MB) and the
    JSON the child printed on its last stdout line. ``cwd`` (default: the repository) comes
    first on the child's ``sys.path``, so a checkout of another commit there is the ``sim``
    it imports (see :func:`checkout`)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.setdefault("wall_s", wall)
    return out


def rounds(points: list[tuple[str, ...]], n: int, env: dict[str, str] | None = None,
           cwds: list[Path | None] | None = None) -> list[list[dict[str, Any]]]:
    """``n`` rounds; in each, every point (``code, *args`` for :func:`timed_child`) runs once,
    the points in turn (point ``i`` in ``cwds[i]`` if given). Returns the results round by
    round."""
    where = cwds or [None] * len(points)
    return [[timed_child(code, *args, env=env, cwd=cwd)
             for (code, *args), cwd in zip(points, where, strict=True)]
            for _ in range(max(1, n))]


def checkout(ref: str, into: Path) -> str:
    """The files of commit ``ref`` (``git archive``) in the folder ``into``; returns the full
    commit id. A child run with ``cwd=into`` imports that commit's ``sim`` (the current
    directory comes first on ``python -c``'s path, before the editable install)."""
    commit = subprocess.run(["git", "rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.strip()
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return commit


def fastest(points: list[tuple[str, ...]], repeats: int, env: dict[str, str] | None = None,
            cwds: list[Path | None] | None = None) -> list[dict[str, Any]]:
    """Each point ``repeats`` times in interleaved :func:`rounds`, keeping each point's
    fastest run (by ``sim_s``).

    The machine's speed drifts and other work only ever adds time, so the fastest of a few
    interleaved runs is the steadiest estimate of what the code itself costs.
    """
    return fastest_of(rounds(points, repeats, env, cwds))


def fastest_of(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per point, the fastest run (by ``sim_s``) of the rounds ``runs``."""
    return [min(col, key=lambda r: r["sim_s"]) for col in zip(*runs, strict=True)]


def spread(values: list[float]) -> dict[str, float]:
    """Median, lowest and highest of ``values``."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


#: printed where a benchmark would count instructions but valgrind is missing
NO_VALGRIND = "valgrind not found: instructions not counted (Debian: apt install valgrind)"


def instructions(code: str, *args: str) -> dict[str, Any]:
    """Run ``python -c code args`` under valgrind's callgrind tool: the CPU instructions the
    whole process executed (repeatable to about 0.2%, whatever else the machine does) and the
    JSON the child printed."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             sys.executable, "-c", code, *args],
            capture_output=True, text=True, cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": "0"})
    found = re.search(r"Collected : (\d+)", proc.stderr)
    if proc.returncode != 0 or found is None:
        raise RuntimeError(f"benchmark child under valgrind failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["instructions"] = int(found.group(1))
    return out


def instructions_all(points: list[tuple[str, ...]], workers: int = 2
                     ) -> list[dict[str, Any]] | None:
    """:func:`instructions` of every point (``code, *args``), ``workers`` at a time, results
    in the order of ``points``; None if valgrind is not installed."""
    if shutil.which("valgrind") is None:
        return None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda point: instructions(*point), points))


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux: ru_maxrss is in KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write(name: str, rows: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    doc = {"benchmark": name, "python": platform.python_version(), "cpus": os.cpu_count(),
           "when_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rows": rows,
           **(extra or {})}
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def table(rows: list[dict[str, Any]], cols: list[str]) -> str:
    """A plain-text table of ``rows`` (numbers to 3 significant digits)."""
    def cell(v: Any) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)
    widths = [max(len(c), *(len(cell(r.get(c, ""))) for r in rows)) for c in cols]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(cell(r.get(c, "")).ljust(w) for c, w in zip(cols, widths, strict=True))
              for r in rows]
    return "\n".join(lines)
