"""Shared helpers of the benchmarks: timing, peak memory of child processes, JSON output.

Benchmarks are not tests: they print a small table and write JSON to results/benchmarks/
so runs can be compared. Figures are ratios measured in one run where possible (the machine's
speed drifts; ratios of interleaved runs do not).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "benchmarks"


def timed_child(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -c code args`` in a fresh process; wall seconds, peak RSS (MB) and the
    JSON the child printed on its last stdout line."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.setdefault("wall_s", wall)
    return out


def fastest(points: list[tuple[str, ...]], repeats: int,
            env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Each point (``code, *args`` for :func:`timed_child`) ``repeats`` times, the points in
    turn in every round, keeping each point's fastest run (by ``sim_s``).

    The machine's speed drifts and other work only ever adds time, so the fastest of a few
    interleaved runs is the steadiest estimate of what the code itself costs.
    """
    best: list[dict[str, Any] | None] = [None] * len(points)
    for _ in range(max(1, repeats)):
        for i, (code, *args) in enumerate(points):
            r = timed_child(code, *args, env=env)
            if best[i] is None or r["sim_s"] < best[i]["sim_s"]:
                best[i] = r
    return [b for b in best if b is not None]


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
