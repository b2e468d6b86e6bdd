"""Parameter sweeps: a design of points, replications with common random numbers, resumable.

A sweep varies scenario fields (any ``--set`` path) over a *design*:

- ``full``: the factorial product of every ``--vary`` list;
- ``lhs``: a Latin hypercube of ``samples`` points (each range cut into ``samples`` equal
  strata, one draw per stratum, strata shuffled per parameter) for sensitivity analysis.

A ``--vary`` SPEC is one of

- a list ``4,8,16`` (numbers, durations such as ``1 h,6 h``, money, or words such as
  ``batch,realtime``);
- a range ``start:stop:step`` with ``stop`` included when the grid reaches it, in plain numbers
  (``4:20:2``) or with units (``1 h:24 h:6 h``, ``10 USD:50 USD:10 USD``);
- for ``lhs`` only, ``low:high``: a continuous range, except that bounds written as whole
  numbers without units (``2:8``) are drawn as integers (staff); write ``0.0:1.0`` for a
  continuous share.

Every point x replication is one :class:`~sim.replicate.Job` (replication ``r`` uses seed
``seed + r`` at every point, so points differ only where their parameters do). The sweep
folder ``OUT/sweep-<scenario>+<hash>/`` is named by a hash of what defines the numbers (the
resolved scenario, the design, the seed, the days and the overrides; not the replications or
the executor), and holds one small JSON file per finished job, written atomically the moment
the job completes. Re-running the same command therefore skips what is done (after a crash,
Ctrl-C or ``kill -9``) and asking for more replications only runs the new ones. The tidy
table and ``manifest.json`` are written last; a folder without a complete manifest is a sweep
in progress. A point file that holds no complete record (empty, truncated, edited:
:func:`read_point`) is not done: the re-run names it in one warning line and runs it again.
The manifest of a finished sweep stays while a re-run adds to the folder (it describes the
tables beside it, which change only at the end) and is replaced, not first deleted.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from sim.outfile import atomic
from sim.replicate import Job, Outcome
from sim.results import COMPLETE, FAILED, MANIFEST, ResultsError, canonical_json
from sim.units import DURATION_UNITS

DESIGNS = ("full", "lhs")
EXECUTORS = ("serial", "process", "dask")
SWEEP_FORMAT = 1
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_WITH_UNIT = re.compile(
    r"^\s*(?P<num>[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>[A-Za-z]+)\s*$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")


class SweepError(ValueError):
    """A bad ``--vary`` specification or sweep option (one line, names what is allowed)."""


# --------------------------------------------------------------------------- specifications
@dataclass(frozen=True)
class Quantity:
    """A number with an optional unit, as written in a SPEC.

    The number is kept as the exact decimal written (a range's values are computed in
    decimal arithmetic), and passed to ``--set`` in plain digits: ``%g`` gave six significant
    digits, so ``1234567:1234569:1`` made three points at 1234570, and ``1e+06`` for a
    whole-number field that then refused it.
    """

    exact: Decimal
    unit: str = ""  # "", a duration unit, or a currency code
    written_whole: bool = False  # written without a decimal point or exponent ("4", not "4.0")

    @property
    def value(self) -> float:
        return float(self.exact)

    @property
    def is_int(self) -> bool:
        return not self.unit and self.written_whole

    def canonical(self) -> float:
        """Hours for durations, the number itself otherwise."""
        if self.unit.lower() in DURATION_UNITS:
            return self.value * DURATION_UNITS[self.unit.lower()]
        return self.value

    def text(self) -> str:
        """How the value is passed to ``--set``: plain digits, never an exponent."""
        v = plain(self.exact)
        return v if not self.unit else f"{v} {self.unit}"


def plain(number: Decimal) -> str:
    """``number`` in plain digits without trailing zeros or an exponent.

    >>> plain(Decimal("1E+6")), plain(Decimal("0.50")), plain(Decimal("-0.0")), plain(Decimal(4))
    ('1000000', '0.5', '0', '4')
    """
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def drawn(x: float) -> Decimal:
    """A number drawn in floating point (a Latin hypercube's), to 12 significant digits."""
    return Decimal(f"{x:.12g}")


#: the largest decimal exponent of a number in a SPEC (its plain digits are written out)
MAX_EXPONENT = 30


def _quantity(text: str, where: str) -> Quantity:
    t = text.strip()
    m = _WITH_UNIT.match(t)
    if _NUMBER.match(t):
        q = Quantity(Decimal(t), written_whole=not any(ch in t for ch in ".eE"))
    elif m:
        q = Quantity(Decimal(m["num"]), m["unit"])
    else:
        raise SweepError(f"{where}: {text!r} is not a number or a number with a unit "
                         "(e.g. 4, 0.5, '6 h', '20 USD')")
    if q.exact and abs(q.exact.adjusted()) > MAX_EXPONENT:
        raise SweepError(f"{where}: {text!r} is out of range (numbers between 1e-{MAX_EXPONENT} "
                         f"and 1e{MAX_EXPONENT})")
    return q


@dataclass(frozen=True)
class Vary:
    """One varied field: its path and either a list of values or a range."""

    path: str
    values: tuple[str, ...] = ()            # explicit list (or the expanded grid)
    low: Quantity | None = None             # a continuous range (lhs only)
    high: Quantity | None = None

    @property
    def continuous(self) -> bool:
        return self.low is not None

    def spec(self) -> str:
        if self.continuous:
            return f"{self.path}={self.low.text()}:{self.high.text()}"  # type: ignore[union-attr]
        return f"{self.path}={','.join(self.values)}"


def parse_vary(text: str) -> Vary:
    """Parse one ``--vary PATH=SPEC``.

    Raises:
        SweepError: naming the option, the part that is wrong and what is allowed.
    """
    where = f"--vary {text!r}"
    path, sep, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not sep or not path or not spec:
        raise SweepError(f"{where}: expected PATH=SPEC, e.g. channels.call_centre.staff=4:12:2")
    if not _PATH.match(path):
        raise SweepError(f"{where}: {path!r} is not a dotted field path "
                         "(e.g. links.stock_sync.interval)")
    if ":" in spec and "," in spec:
        raise SweepError(f"{where}: give a list (a,b,c) or a range (start:stop:step), not both")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) not in (2, 3):
            raise SweepError(f"{where}: a range is start:stop:step (or low:high for --design "
                             "lhs)")
        qs = [_quantity(p, where) for p in parts]
        units = {q.unit.lower() for q in qs}
        if len(units) > 1:
            raise SweepError(f"{where}: every part of a range needs the same unit, "
                             f"got {', '.join(sorted(u or 'none' for u in units))}")
        lo, hi = qs[0], qs[1]
        if not hi.exact > lo.exact:
            raise SweepError(f"{where}: the range must go up (stop greater than start)")
        if len(qs) == 2:
            return Vary(path, low=lo, high=hi)
        step = qs[2]
        if not step.exact > 0:
            raise SweepError(f"{where}: the step must be positive")
        ratio = (hi.exact - lo.exact) / step.exact  # decimal arithmetic: exact
        if ratio >= 10_000:
            raise SweepError(f"{where}: more than 10000 values; a sweep axis takes at most "
                             "10000")
        n = int(ratio // 1) + 1
        values = tuple(Quantity(lo.exact + i * step.exact, lo.unit).text() for i in range(n))
        return Vary(path, values=values)
    values = tuple(v.strip() for v in spec.split(","))
    if any(not v for v in values):
        raise SweepError(f"{where}: empty value in the list")
    if len(set(values)) != len(values):
        raise SweepError(f"{where}: the list repeats a value")
    return Vary(path, values=values)


def numeric(value: str) -> float | str:
    """A point's value for the tidy table: durations in hours, money and numbers as numbers,
    words unchanged."""
    t = value.strip()
    if _NUMBER.match(t):
        return float(t)
    m = _WITH_UNIT.match(t)
    if m:
        return Quantity(Decimal(m["num"]), m["unit"]).canonical()
    return t


# --------------------------------------------------------------------------------- designs
def design_points(varies: Sequence[Vary], design: str, samples: int | None,
                  seed: int) -> list[tuple[str, ...]]:
    """The points of a design, each a tuple of values in the order of ``varies``."""
    paths = [v.path for v in varies]
    if len(set(paths)) != len(paths):
        raise SweepError("--vary: each field may be varied once")
    if design == "full":
        if samples is not None:
            raise SweepError("--samples: only with --design lhs")
        for v in varies:
            if v.continuous:
                raise SweepError(f"--vary {v.spec()!r}: --design full needs a list or a range "
                                 "with a step (start:stop:step)")
        n = math.prod(len(v.values) for v in varies)
        if n > 100_000:
            raise SweepError(f"--design full: {n} points; at most 100000 (use --design lhs)")
        return list(itertools.product(*(v.values for v in varies)))
    if design == "lhs":
        if samples is None or samples < 2:
            raise SweepError("--design lhs needs --samples K (K >= 2)")
        return _latin_hypercube(varies, samples, seed)
    raise SweepError(f"--design {design!r}: allowed are {', '.join(DESIGNS)}")


def _latin_hypercube(varies: Sequence[Vary], k: int, seed: int) -> list[tuple[str, ...]]:
    # the design has its own named stream, derived like the model's (SHA-256 of the name)
    digest = hashlib.sha256(f"sweep.lhs/{seed}".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    columns = []
    for v in varies:
        u = (rng.permutation(k) + rng.random(k)) / k          # one draw per stratum
        if v.continuous:
            lo, hi = v.low, v.high
            assert lo is not None and hi is not None
            if lo.is_int and hi.is_int:
                vals = np.floor(lo.value + u * (hi.value - lo.value + 1))
                vals = np.minimum(vals, hi.value)
            else:
                vals = lo.value + u * (hi.value - lo.value)
            columns.append([Quantity(drawn(float(x)), lo.unit).text() for x in vals])
        else:
            idx = np.minimum((u * len(v.values)).astype(int), len(v.values) - 1)
            columns.append([v.values[i] for i in idx])
    return [tuple(col[i] for col in columns) for i in range(k)]


# ---------------------------------------------------------------------------- the sweep
@dataclass
class Sweep:
    """A planned sweep: its folder, points and jobs."""

    ref: str
    scenario: str
    varies: list[Vary]
    design: str
    samples: int | None
    replications: int
    seed: int
    days: float | None
    overrides: tuple[str, ...]
    points: list[tuple[str, ...]]
    folder: Path
    definition: dict[str, Any]
    resolved: str = ""  # the base scenario with --set applied (written as scenario.yaml)

    def sets(self, point: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(f"{v.path}={val}" for v, val in zip(self.varies, point, strict=True))

    def jobs(self) -> list[Job]:
        return [Job(self.ref, i, r, self.seed + r, self.overrides + self.sets(p), self.days)
                for r in range(self.replications) for i, p in enumerate(self.points)]

    def point_file(self, point: int, replication: int) -> Path:
        """Where the run of ``point`` x ``replication`` is saved."""
        return self.folder / "points" / f"p{point:05d}-r{replication:04d}.json"

    def job_file(self, job: Job) -> Path:
        return self.point_file(job.scenario_index, job.replication)

    def done(self) -> set[tuple[int, int]]:
        """(point, replication) pairs saved by this or an earlier run of the same sweep."""
        return self.saved()[0]

    def saved(self) -> tuple[set[tuple[int, int]], list[str]]:
        """The pairs whose point file holds a complete record (:func:`read_point`), and a
        line for each point file that does not (empty, truncated, edited): those count as
        not done, so the sweep runs them again and overwrites them."""
        good, bad = set(), []
        for p in sorted((self.folder / "points").glob("p*-r*.json")):
            pair = point_of(p)
            if pair is None:
                continue
            try:
                read_point(p, *pair)
            except ResultsError as err:
                bad.append(str(err))
            else:
                good.add(pair)
        return good, bad


def point_of(path: Path) -> tuple[int, int] | None:
    """(point, replication) of a point file's name ``pPPPPP-rRRRR.json``, else None."""
    m = re.match(r"^p(\d+)-r(\d+)\.json$", path.name)
    return (int(m[1]), int(m[2])) if m else None


#: what a point file holds, and the type of each entry
POINT_RECORD = {"point": int, "replication": int, "seed": int, "checks_ok": bool,
                "kpis": dict, "waits": dict, "utilisation": dict}


def read_point(path: Path, point: int, replication: int) -> dict[str, Any]:
    """The record of a point file, checked: a JSON object with every entry of
    :data:`POINT_RECORD` of its type, for this point and replication, numbers (or null) as
    KPIs.

    Raises:
        ResultsError: one line naming the file and what is wrong with it.
    """
    try:
        if path.stat().st_size > 64 * 2**20:
            raise ValueError("larger than 64 MB")
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsError(f"{path}: missing or unreadable ({err})") from None
    if not isinstance(rec, dict):
        raise ResultsError(f"{path}: not a JSON object")
    for key, kind in POINT_RECORD.items():
        if not isinstance(rec.get(key), kind) or (kind is int and isinstance(rec[key], bool)):
            raise ResultsError(f"{path}: '{key}' missing or not a {kind.__name__}")
    if (rec["point"], rec["replication"]) != (point, replication):
        raise ResultsError(f"{path}: holds point {rec['point']} replication "
                           f"{rec['replication']}")
    if not all(isinstance(v, int | float) or v is None for v in rec["kpis"].values()):
        raise ResultsError(f"{path}: a KPI that is not a number")
    return rec


def plan_sweep(ref: str, varies: Sequence[Vary], design: str, samples: int | None,
               replications: int, seed: int, days: float | None, overrides: Sequence[str],
               out: Path, check: Callable[[tuple[str, ...]], str] | None = None) -> Sweep:
    """Build the sweep; ``check(overrides)`` loads a variant (raising a one-line error) and
    returns the resolved scenario text. The base is checked here; check the points that still
    have work with :func:`check_points` before anything runs."""
    if not varies:
        raise SweepError("give at least one --vary PATH=SPEC")
    points = design_points(varies, design, samples, seed)
    overrides = tuple(overrides)
    resolved = ""
    name = Path(ref).stem
    if check is not None:
        resolved = check(overrides)
    definition = {
        "format": SWEEP_FORMAT, "scenario_ref": ref, "resolved_sha256":
            hashlib.sha256(resolved.encode()).hexdigest(),
        "vary": [v.spec() for v in varies], "design": design, "samples": samples,
        "seed": seed, "days": days, "overrides": list(overrides),
        "points": [list(p) for p in points],
    }
    digest = hashlib.sha256(canonical_json(definition).encode()).hexdigest()[:8]
    return Sweep(ref, name, list(varies), design, samples, replications, seed, days, overrides,
                 points, Path(out) / f"sweep-{name}+{digest}", definition, resolved)


def check_points(sw: Sweep, todo: Sequence[Job],
                 check: Callable[[tuple[str, ...]], str]) -> None:
    """Load every point that still has a job to run (a bad path or value fails here, with
    one line, before any run starts or any folder is made)."""
    for i in sorted({j.scenario_index for j in todo}):
        check(sw.overrides + sw.sets(sw.points[i]))


def _atomic_write(path: Path, text: str) -> None:
    with atomic(path, "sweep file") as tmp:  # never over a link; disk full: one line
        tmp.write_text(text, encoding="utf-8", newline="\n")


def open_folder(sw: Sweep) -> None:
    """Create the folder (or check it holds this sweep).

    A complete manifest of an earlier call stays until :func:`finish` replaces it: it
    describes the tables beside it, which stay as they are until then, so a finished sweep
    can be loaded while more replications (or re-runs of bad point files) are added.
    """
    folder = sw.folder
    if folder.exists() and not folder.is_dir():
        raise ResultsError(f"{folder}: exists and is not a folder")
    defn = folder / "sweep.json"
    if defn.is_file():
        try:
            old = json.loads(defn.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if old != json.loads(canonical_json(sw.definition)):
            raise ResultsError(f"{defn}: holds another sweep definition; remove the folder "
                               "or choose another --out")
    try:
        (folder / "points").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ResultsError(f"{folder}: cannot create folder ({err.strerror})") from None
    if not defn.is_file():
        _atomic_write(defn, canonical_json(sw.definition))
    if sw.resolved and not (folder / "scenario.yaml").is_file():
        _atomic_write(folder / "scenario.yaml", sw.resolved)
    for stale in [*folder.glob("points/.*.tmp-*"), *folder.glob("points/.*.partial-*")]:
        stale.unlink(missing_ok=True)


def save_outcome(sw: Sweep, out: Outcome) -> None:
    """Save one finished job at once (atomically), so a crash loses at most running jobs."""
    job = out.job
    record = {"point": job.scenario_index, "replication": job.replication, "seed": job.seed,
              "wall_seconds": round(out.wall_seconds, 4), "checks_ok": out.checks_ok,
              "kpis": out.kpis, "waits": out.waits, "utilisation": out.utilisation}
    _atomic_write(sw.job_file(job), json.dumps(record, sort_keys=True, allow_nan=True))


def load_rows(sw: Sweep) -> list[dict[str, Any]]:
    """The tidy rows (one per point x replication) from the saved job files."""
    rows = []
    for i, point in enumerate(sw.points):
        for r in range(sw.replications):
            rec = read_point(sw.point_file(i, r), i, r)
            row: dict[str, Any] = {"point": i, "replication": r, "seed": rec["seed"]}
            for v, val in zip(sw.varies, point, strict=True):
                row[v.path] = numeric(val)
            row["params"] = "; ".join(sw.sets(point))
            row["checks_ok"] = rec["checks_ok"]
            row.update({k: (math.nan if x is None else x) for k, x in rec["kpis"].items()})
            row.update({f"wait_hours.{k}": x for k, x in rec["waits"].items()})
            rows.append(row)
    return rows


def finish(sw: Sweep, extra: dict[str, Any]) -> Path:
    """Write the tidy table (Parquet and CSV) and, last, the manifest (the old manifest is
    removed just before the tables it describes are replaced). A sweep with a run whose
    self-checks failed gets status "failed", as such a run's own folder does."""
    import pandas as pd

    from sim.results import file_sha256, package_versions, utc_now

    df = pd.DataFrame(load_rows(sw))
    folder = sw.folder
    (folder / MANIFEST).unlink(missing_ok=True)
    for name, write in (("results.parquet", lambda p: df.to_parquet(p, index=False)),
                        ("results.csv", lambda p: df.to_csv(p, index=False))):
        with atomic(folder / name, "sweep file") as tmp:
            write(tmp)
    files = [f for f in ("sweep.json", "scenario.yaml", "results.parquet", "results.csv")
             if (folder / f).is_file()]
    ok = bool(df["checks_ok"].all()) if len(df) else True
    manifest = {
        "status": COMPLETE if ok else FAILED, "kind": "sweep", "scenario": sw.scenario,
        "ref": sw.ref,
        "vary": [v.spec() for v in sw.varies], "parameters": [v.path for v in sw.varies],
        "design": sw.design, "samples": sw.samples, "points": len(sw.points),
        "replications": sw.replications, "seeds": [sw.seed + r for r in range(sw.replications)],
        "days": sw.days, "overrides": list(sw.overrides), "rows": len(df),
        "all_checks_passed": ok,
        "finished_utc": utc_now(), "packages": package_versions(), **extra,
        "files": {f: file_sha256(folder / f) for f in files},
    }
    _atomic_write(folder / MANIFEST, canonical_json(manifest))
    return folder
