"""Tests of the ``omnisim`` command line: most commands run in this process through
``sim.cli.main`` (which exits exactly as the command does: the same exit code, stdout and
stderr, and an exception escaping it fails the test), and what only a real process shows runs
as ``python -m sim.cli ...`` with its own working folder and ``--out``: a few bad inputs (no
traceback, exit code 2 from the real entry point), ``--help``, the JSON on stdout, results
that must not depend on PYTHONHASHSEED, and Ctrl-C.

Starting Python and importing the simulator costs about two seconds per process, so the
subprocess commands whose output is only inspected later are submitted to a small pool (the
module fixture ``jobs``) and run in the background while other tests wait for their own
results (under pytest-xdist each worker starts only the commands its own tests need). Only
the interrupt test drives its process by hand.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_helpers import run_in_process

from sim.results import is_complete
from sim.scenario import load_raw, validate
from sim.schema_doc import json_schema

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "sim" / "scenarios" / "baseline.yaml"
TIMEOUT = 300.0  # seconds per command; generous for a loaded CI machine
WORKERS = 6

KPI_NAMES = (
    "leads", "orders", "conversion_rate", "throughput_orders_per_day", "cart_abandonment_rate",
    "call_abandonment_rate", "order_accuracy", "perfect_order_rate", "oversell_rate",
    "lead_to_cash_days_mean", "lead_to_cash_days_p90", "quote_to_cash_days_mean", "dso_days",
    "revenue", "total_cost", "cost_per_order", "opex_per_million_revenue",
    "customer_satisfaction", "retention_rate", "utilisation", "revenue_by_source",
    "customer_acquisition_cost", "ebit", "ebit_margin", "operating_cash_flow", "churn_rate",
    "average_time_to_purchase_days", "market_penetration",
)
RATES = ("conversion_rate", "cart_abandonment_rate", "call_abandonment_rate", "order_accuracy",
         "perfect_order_rate", "oversell_rate", "retention_rate", "churn_rate",
         "market_penetration")
RUN_FILES = {"manifest.json", "kpis.json", "scenario.yaml", "timeseries.parquet",
             "eventlog.parquet"}


# --------------------------------------------------------------------------- running the CLI
def _env(hashseed: str | None = None) -> dict[str, str]:
    """The test's environment, with this checkout first on the path and PYTHONHASHSEED unset
    (random per process) unless given."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    if hashseed is not None:
        env["PYTHONHASHSEED"] = hashseed
    return env


def _argv(args: Sequence[Any]) -> list[str]:
    return [sys.executable, "-m", "sim.cli", *map(str, args)]


def _start(args: Sequence[Any], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(_argv(args), cwd=cwd, env=env or _env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")


def omnisim(args: Sequence[Any], cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run ``omnisim ARGS`` in ``cwd`` and wait for it."""
    return subprocess.run(_argv(args), cwd=cwd, env=env or _env(), stdin=subprocess.DEVNULL,
                          capture_output=True, encoding="utf-8", timeout=TIMEOUT, check=False)


def omnisim_here(args: Sequence[Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``omnisim ARGS`` in this process with ``cwd`` as the working folder (restored after),
    as a CompletedProcess like :func:`omnisim`'s."""
    argv = [str(a) for a in args]
    old = Path.cwd()
    os.chdir(cwd)
    try:
        code, out, err = run_in_process(argv)
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(argv, code, out, err)


class Pool:
    """Runs CLI commands in the background, at most WORKERS at a time; kills leftovers."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(WORKERS, thread_name_prefix="omnisim-cli")
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen] = []
        self._closed = False

    def submit(self, args: Sequence[Any], cwd: Path, env: dict[str, str] | None = None
               ) -> Future[subprocess.CompletedProcess[str]]:
        return self._executor.submit(self._run, list(args), cwd, env)

    def _run(self, args: list[Any], cwd: Path, env: dict[str, str] | None
             ) -> subprocess.CompletedProcess[str]:
        with self._lock:
            if self._closed:
                raise RuntimeError("pool closed")
            proc = _start(args, cwd, env)
            self._procs.append(proc)
        try:
            out, err = proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            procs = list(self._procs)
        self._executor.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        self._executor.shutdown(wait=True)


def _result(job: Future[subprocess.CompletedProcess[str]]) -> subprocess.CompletedProcess[str]:
    return job.result(timeout=TIMEOUT * 2)


def _no_traceback(res: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in res.stdout and "Traceback" not in res.stderr, res.stderr


def _one_error_line(res: subprocess.CompletedProcess[str]) -> str:
    """Exit code 2, nothing on stdout, exactly one ``omnisim: error:`` line on stderr."""
    _no_traceback(res)
    assert res.returncode == 2, (res.returncode, res.stderr)
    lines = res.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {res.stderr!r}"
    line = lines[0]
    assert line.startswith("omnisim: error: ") and line[len("omnisim: error: "):].strip()
    assert res.stdout == ""
    return line


def _write_variant(path: Path, base: dict[str, Any], dotted: str, value: Any) -> Path:
    raw = json.loads(json.dumps(base, default=str))  # deep copy; dates become ISO strings
    *parents, leaf = dotted.split(".")
    node = raw
    for key in parents:
        node = node[key]
    node[leaf] = value
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


# Bad input: (id, scenario file to write: a (dotted field, value) change of the baseline or the
# file's text or None; args, where "{file}" is that file and "{taken}" an existing regular file;
# text expected in the error line). "--out <cwd>/res" is added unless the args set --out.
BAD_INPUT: list[tuple[str, tuple[str, Any] | str | None, list[str], str]] = [
    ("unknown-key", ("colour", "blue"), ["run", "{file}", "--days", "20"], "colour"),
    ("wrong-type", ("channels.call_centre.staff", "lots"), ["run", "{file}", "--days", "20"],
     "channels.call_centre.staff"),
    ("negative-capacity", ("warehouse.pickers", -2), ["run", "{file}", "--days", "20"],
     "warehouse.pickers"),
    ("unknown-distribution", ("channels.web.service_time.dist", "weibull"),
     ["run", "{file}", "--days", "20"], "weibull"),
    ("malformed-yaml", "schema_version: 1\nname: [x, y\nseed: 3\n",
     ["run", "{file}", "--days", "20"], "line 3"),
    ("missing-file", None, ["run", "nosuch.yaml", "--days", "20"], "nosuch.yaml"),
    ("set-without-equals", None,
     ["run", "baseline", "--days", "20", "--set", "channels.call_centre.staff"], "--set"),
    ("set-unknown-path", None,
     ["run", "baseline", "--days", "20", "--set", "channels.telepathy.staff=3"],
     "channels.telepathy"),
    ("set-wrong-type", None,
     ["run", "baseline", "--days", "20", "--set", "channels.call_centre.staff=abc"],
     "channels.call_centre.staff"),
    ("negative-seed", None, ["run", "baseline", "--days", "20", "--seed", "-1"], "--seed"),
    ("zero-days", None, ["run", "baseline", "--days", "0"], "--days"),
    ("days-and-set-horizon", None,  # --days would replace the (bad) horizon unchecked
     ["run", "baseline", "--days", "20", "--set", "horizon=5"], "--days and --set horizon=5"),
    ("seed-and-set-seed", None,
     ["run", "baseline", "--days", "20", "--seed", "3", "--set", "seed=x"],
     "--seed and --set seed=x"),
    ("days-not-a-number", None, ["run", "baseline", "--days", "abc"], "--days"),
    ("unknown-option", None, ["run", "baseline", "--days", "20", "--frobnicate"], "--frobnicate"),
    ("out-is-a-file", None, ["run", "baseline", "--days", "20", "--out", "{taken}"],
     "not a directory"),
]

HELP: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "group": ([], ("run", "scenarios", "--version", "--help")),
    "run": (["run"], ("SCENARIO", "--seed", "--days", "--set", "--out", "--json",
                      "--progress")),
    "scenarios": (["scenarios"], ("list", "show", "validate", "schema")),
    "scenarios-list": (["scenarios", "list"], ("--help",)),
    "scenarios-show": (["scenarios", "show"], ("NAME", "--set")),
    "scenarios-validate": (["scenarios", "validate"], ("FILES",)),
    "scenarios-schema": (["scenarios", "schema"], ("--help",)),
}

#: bad inputs also run as real processes: a scenario error, a click usage error, a results
#: folder error (each reaches ``main`` another way); the others run in this process only
REAL_BAD = ("malformed-yaml", "unknown-option", "out-is-a-file")

SIM_RUNS = {  # key: (seed, PYTHONHASHSEED, as a real process?); in this process otherwise
    "seed5": ("5", None, True),
    "seed5-again": ("5", None, False),
    "seed5-hashseed": ("5", "12345", True),
    "seed6": ("6", None, False),
}


class Jobs:
    """Commands by key, with the folders they run in; started on demand. Real processes run
    in the background pool; the others run in this process when their result is asked for."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.specs: dict[str, tuple[list[Any], Path, dict[str, str] | None]] = {}
        self.here: set[str] = set()
        self.futures: dict[str, Future[subprocess.CompletedProcess[str]]] = {}
        self.done: dict[str, subprocess.CompletedProcess[str]] = {}
        self.cwd: dict[str, Path] = {}

    def add(self, key: str, args: list[Any], cwd: Path, env: dict[str, str] | None = None,
            *, here: bool = False) -> None:
        self.specs[key] = (args, cwd, env)
        self.cwd[key] = cwd
        if here:
            self.here.add(key)

    def start(self, *keys: str) -> None:
        """Submit the given real processes (default: all) unless they are running already."""
        for key in keys or tuple(self.specs):
            if key not in self.futures and key not in self.here:
                self.futures[key] = self.pool.submit(*self.specs[key])

    def result(self, key: str) -> subprocess.CompletedProcess[str]:
        if key in self.here:
            if key not in self.done:
                args, cwd, _ = self.specs[key]
                self.done[key] = omnisim_here(args, cwd)
            return self.done[key]
        self.start(key)
        return _result(self.futures[key])

    def out(self, key: str) -> Path:
        return self.cwd[key] / "res"


def _bad_input(case: str, cwd: Path) -> list[str]:
    """Write the files of a BAD_INPUT case into ``cwd``; its command line."""
    _, content, args, _ = next(c for c in BAD_INPUT if c[0] == case)
    file = cwd / "scenario.yaml"
    if isinstance(content, tuple):
        _write_variant(file, load_raw(BASELINE), *content)
    elif isinstance(content, str):
        file.write_text(content, encoding="utf-8")
    (cwd / "taken").write_text("not a folder\n", encoding="utf-8")
    argv = [a.format(file=file, taken=cwd / "taken") for a in args]
    if "--out" not in argv:
        argv += ["--out", str(cwd / "res")]
    return argv


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Jobs]:
    pool = Pool()
    found = Jobs(pool)
    try:
        # the long runs first, so they have the most time to finish; then the quick ones in
        # the order the tests below ask for them
        for key, (seed, hashseed, real) in SIM_RUNS.items():
            cwd = tmp_path_factory.mktemp(key)
            found.add(f"sim:{key}", ["run", "baseline", "--days", "20", "--seed", seed,
                                     "--out", cwd / "res", "--json"], cwd, _env(hashseed),
                      here=not real)
        found.add("help:group", ["--help"], tmp_path_factory.mktemp("help-group"))
        for case in REAL_BAD:
            cwd = tmp_path_factory.mktemp(f"bad-{case}")
            found.add(f"bad:{case}", _bad_input(case, cwd), cwd)
        if "PYTEST_XDIST_WORKER" not in os.environ:
            # one process: start everything now so it overlaps; under xdist each worker
            # starts only what its own tests need (the workers give the parallelism)
            found.start()
        yield found
    finally:
        pool.close()


def _run_folder(out: Path, seed: int) -> Path:
    folders = sorted(out.glob(f"*/seed-{seed}"))
    assert len(folders) == 1, f"expected one run folder under {out}, found {folders}"
    return folders[0]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


# --------------------------------------------------------------------------- help
def _check_help(res: subprocess.CompletedProcess[str], key: str) -> None:
    _no_traceback(res)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("Usage: omnisim")
    missing = [word for word in HELP[key][1] if word not in res.stdout]
    assert not missing, f"{missing} not in help:\n{res.stdout}"


@pytest.mark.parametrize("key", list(HELP))
def test_help(tmp_path: Path, key: str) -> None:
    _check_help(omnisim_here([*HELP[key][0], "--help"], tmp_path), key)


def test_help_of_the_real_entry_point(jobs: Jobs) -> None:
    _check_help(jobs.result("help:group"), "group")


# --------------------------------------------------------------------------- bad input
def _check_bad_input(res: subprocess.CompletedProcess[str], cwd: Path, needle: str) -> None:
    line = _one_error_line(res)
    assert needle in line, line
    out = cwd / "res"
    assert not out.exists() or not any(out.iterdir()), sorted(out.rglob("*"))
    assert (cwd / "taken").read_text(encoding="utf-8") == "not a folder\n"
    assert not (cwd / "results").exists()  # the default --out is not used either


@pytest.mark.parametrize(("case", "needle"), [(c[0], c[3]) for c in BAD_INPUT],
                         ids=[c[0] for c in BAD_INPUT])
def test_bad_input_gives_one_error_line_and_no_results(tmp_path: Path, case: str,
                                                       needle: str) -> None:
    _check_bad_input(omnisim_here(_bad_input(case, tmp_path), tmp_path), tmp_path, needle)


@pytest.mark.parametrize("case", REAL_BAD)
def test_bad_input_through_the_real_entry_point(jobs: Jobs, case: str) -> None:
    key = f"bad:{case}"
    needle = next(c[3] for c in BAD_INPUT if c[0] == case)
    _check_bad_input(jobs.result(key), jobs.cwd[key], needle)


# --------------------------------------------------------------------------- scenarios
def test_scenarios_list(tmp_path: Path) -> None:
    res = omnisim_here(["scenarios", "list"], tmp_path)
    _no_traceback(res)
    assert res.returncode == 0, res.stderr
    assert "baseline" in res.stdout


def test_scenarios_show_prints_the_resolved_yaml(tmp_path: Path) -> None:
    res = omnisim_here(["scenarios", "show", "baseline"], tmp_path)
    _no_traceback(res)
    assert res.returncode == 0, res.stderr
    data = yaml.safe_load(res.stdout)
    assert isinstance(data, dict) and data["name"] == "baseline"
    assert data == load_raw(BASELINE)


def test_scenarios_validate_good_file(tmp_path: Path) -> None:
    res = omnisim_here(["scenarios", "validate", BASELINE], tmp_path)
    _no_traceback(res)
    assert res.returncode == 0, res.stderr
    # only warnings: the baseline declares a CPQ that its manual quoting never uses
    assert res.stderr.splitlines() == [
        f"omnisim: warning: {BASELINE}: cpq gets no work: system: quoting.mode is manual, so "
        "no quote goes through the CPQ"], res.stderr
    assert len(res.stdout.splitlines()) == 1 and "ok" in res.stdout


def test_scenarios_validate_good_and_bad_file(tmp_path: Path) -> None:
    """A real process: exit code 2 from the entry point, ok lines on stdout."""
    bad = _write_variant(tmp_path / "bad.yaml", load_raw(BASELINE), "catalog.skuz", 3)
    res = omnisim(["scenarios", "validate", BASELINE, bad], tmp_path)
    _no_traceback(res)
    assert res.returncode == 2
    lines = [ln for ln in res.stderr.splitlines() if not ln.startswith("omnisim: warning: ")]
    assert len(lines) == 1 and lines[0].startswith("omnisim: error: "), res.stderr
    assert str(bad) in lines[0] and "catalog.skuz" in lines[0]
    assert str(BASELINE) in res.stdout and "ok" in res.stdout
    assert str(bad) not in res.stdout


def test_scenarios_schema_prints_the_json_schema(tmp_path: Path) -> None:
    res = omnisim_here(["scenarios", "schema"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == json.loads(json.dumps(json_schema()))


# --------------------------------------------------------------------------- interrupt
def test_interrupt_exits_130_and_leaves_no_complete_run(tmp_path: Path) -> None:
    out = tmp_path / "res"
    proc = _start(["run", "baseline", "--days", "90", "--out", out], tmp_path)
    try:
        # wait until the run is under way (its partial folder exists), then a bit more
        deadline = time.monotonic() + TIMEOUT
        while not list(out.glob("*/.seed-*.partial-*")):
            assert proc.poll() is None, "the run ended before it could be interrupted"
            assert time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        time.sleep(1.0)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert "Traceback" not in stdout + stderr, stderr
    assert proc.returncode == 130, (proc.returncode, stderr)
    assert "interrupted" in stderr
    assert list(out.rglob("manifest.json")) == []
    for folder in [out, *out.rglob("*")]:
        if folder.is_dir():
            assert not is_complete(folder), folder
    assert list(out.rglob(".seed-*")) == [], "the partial folder was not removed"


# --------------------------------------------------------------------------- a complete run
def test_run_json_prints_one_object_with_every_kpi(jobs: Jobs) -> None:
    res = jobs.result("sim:seed5")
    _no_traceback(res)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("{") and res.stdout.endswith("}\n")
    assert res.stdout.count("\n") == 1, "stdout holds more than the JSON object"
    data = json.loads(res.stdout, parse_constant=_reject_constant)
    assert {"scenario", "label", "seed", "days", "folder", "overrides", "kpis"} <= set(data)
    assert (data["scenario"], data["seed"]) == ("baseline", 5)
    kpis = data["kpis"]
    assert isinstance(kpis, dict)
    missing = [name for name in KPI_NAMES if name not in kpis]
    assert not missing, f"KPIs missing from --json: {missing}"
    for name, value in kpis.items():
        if isinstance(value, dict):  # null: an empty denominator (a segment's retention
            # before any of its customers came to a repeat decision), never NaN or inf
            assert value and all(v is None or _is_number(v) for v in value.values()), \
                (name, value)
        else:
            assert value is None or _is_number(value), (name, value)
    assert isinstance(kpis["utilisation"], dict) and isinstance(kpis["revenue_by_source"], dict)
    assert all(0.0 <= u <= 1.0 + 1e-9 for u in kpis["utilisation"].values()), kpis["utilisation"]
    assert kpis["leads"] > 0 and kpis["orders"] > 0 and kpis["revenue"] > 0
    for name in RATES:
        assert kpis[name] is None or 0.0 <= kpis[name] <= 1.0, (name, kpis[name])


def test_run_writes_a_complete_results_folder(jobs: Jobs) -> None:
    res = jobs.result("sim:seed5")
    assert res.returncode == 0, res.stderr
    out = jobs.out("sim:seed5")
    folder = _run_folder(out, 5)
    assert {p.name for p in folder.iterdir()} >= RUN_FILES
    assert is_complete(folder)
    assert list(out.rglob(".seed-*")) == []  # no work folders left behind
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "complete" and manifest["seed"] == 5
    assert manifest["days"] == 20
    terminal = manifest["terminal_states"]
    assert terminal and all(isinstance(n, int) and n >= 0 for n in terminal.values())
    assert sum(terminal.values()) == manifest["customers"] > 0
    conservation = manifest["checks"]["conservation"]
    assert conservation and all(check["ok"] for check in conservation.values()), conservation
    # kpis.json holds the numbers printed with --json
    assert json.loads((folder / "kpis.json").read_text(encoding="utf-8")) == \
        json.loads(res.stdout)["kpis"]
    assert json.loads(res.stdout)["folder"] == str(folder)
    # scenario.yaml is the resolved scenario that ran: seed and --days applied, still valid
    ran = validate(yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8")))
    assert ran.seed == 5 and ran.horizon == 20 * 24.0 and ran.name == "baseline"


def test_same_seed_gives_byte_identical_kpis(jobs: Jobs) -> None:
    """Seed 5 in two real processes (a random and a fixed PYTHONHASHSEED) and in this one
    (a third): the same kpis.json; seed 6 another."""
    jobs.start(*(f"sim:{key}" for key in SIM_RUNS))
    kpis = {}
    for key in SIM_RUNS:
        res = jobs.result(f"sim:{key}")
        assert res.returncode == 0, (key, res.stderr)
        seed = int(SIM_RUNS[key][0])
        kpis[key] = (_run_folder(jobs.out(f"sim:{key}"), seed) / "kpis.json").read_bytes()
    assert kpis["seed5"] == kpis["seed5-again"], "same command, different kpis.json"
    assert kpis["seed5"] == kpis["seed5-hashseed"], "kpis.json depends on PYTHONHASHSEED"
    assert kpis["seed5"] != kpis["seed6"], "--seed 6 gave the same kpis.json as --seed 5"
    again = [json.loads(jobs.result(f"sim:{k}").stdout) for k in ("seed5", "seed5-again")]
    assert again[0]["kpis"] == again[1]["kpis"] and again[0]["label"] == again[1]["label"]
