"""Bad input, generated: broken scenario files and command lines never crash ``omnisim``.

Property-based tests (hypothesis) break a small valid scenario (``validation/mm1``, resolved)
in every way the issue lists: wrong types, missing and unknown fields, zero or negative
capacities, probabilities outside [0, 1], empty distributions, huge numbers, ``extends:``
cycles and chains, bytes that are not UTF-8, YAML alias bombs, Python tags, duplicate keys;
and break the command line: bad ``--days``, ``--seed``, ``--set`` and options. Every case
must end with exit code 2, one ``omnisim: error: ...`` line on stderr (several errors of
one file: that line counting them, then one indented line each), nothing on
stdout, no exception escaping ``sim.cli.main`` (a traceback), no results folder, and within
a few seconds (an alarm fails a hang). Most cases run in-process through ``sim.cli.main``;
a handful run as real subprocesses at the end. Killed runs: tests/test_faults.py.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_helpers import no_hang, run_in_process
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.distributions import DIST_NAMES
from sim.scenario import LinkName, load_raw, resolve_path, validate
from sim.scenario.fields import OPTIONAL_LINKS

REPO = Path(__file__).resolve().parents[1]
BASE: dict[str, Any] = load_raw(resolve_path("validation/mm1"))
HANG_SECONDS = 20
FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- the base file


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path, node


def _mappings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        yield path
        for k, v in node.items():
            yield from _mappings(v, (*path, k))


NUMBERS = [p for p, v in _leaves(BASE) if isinstance(v, int | float) and not isinstance(v, bool)]
TEXTS = [p for p, v in _leaves(BASE) if isinstance(v, str)]
MAPPINGS = list(_mappings(BASE))
REQUIRED = [
    ("schema_version",), ("name",), ("horizon",), ("market",),
    ("market", "addressable_customers"), ("catalog",), ("catalog", "planned_units_per_day"),
    ("catalog", "replenishment_lead_time"), ("segments",), ("segments", "callers", "kind"),
    ("segments", "callers", "leads_per_day"), ("segments", "callers", "lead_sources"),
    ("segments", "callers", "channels"), ("segments", "callers", "service"), ("channels",),
    ("channels", "call_centre", "staffed"), ("channels", "call_centre", "service_time"),
    ("systems",), ("systems", "billing"), ("teams",), ("teams", "collections"),
    ("teams", "order_desk", "staff"), ("links",),
    *(("links", n) for n in LinkName.__args__ if n not in OPTIONAL_LINKS),
    ("links", "invoicing", "mode"), ("quoting",), ("quoting", "mode"), ("partners",),
    ("partners", "carrier"), ("partners", "carrier", "transit"), ("warehouse",),
    ("warehouse", "pickers"), ("warehouse", "pick_time"), ("checkout",),
    ("checkout", "costs_shown_upfront"), ("costs",),
]
CAPACITIES = [("channels", "call_centre", "staff"), ("teams", "order_desk", "staff"),
              ("teams", "sales_ops", "staff"), ("warehouse", "pickers"),
              ("systems", "erp", "capacity"), ("systems", "billing", "capacity"),
              ("market", "addressable_customers"), ("catalog", "skus")]
PROBABILITIES = [("catalog", "gross_margin"), ("quoting", "error_per_line"),
                 ("errors", "item"),
                 ("crm", "scoring_threshold"), ("partners", "carrier", "on_time"),
                 ("partners", "resellers", "commission"),
                 ("warehouse", "bopis_share"),
                 ("links", "order_intake", "failure")]
DISTRIBUTIONS = [("channels", "call_centre", "service_time"),
                 ("catalog", "replenishment_lead_time"), ("warehouse", "pick_time"),
                 ("partners", "carrier", "transit"), ("partners", "carrier", "late_delay"),
                 ("invoices", "investigate_time"), ("quoting", "touch_time")]
TAGS = ["!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/new:os.system ['touch {marker}']",
        "!!python/name:os.system", "!!python/module:os",
        "!!python/object:builtins.dict {}", "!<tag:yaml.org,2002:python/tuple> [1, 2]"]


def _set(raw: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    node: Any = raw
    for key in path[:-1]:
        node = node.setdefault(key, {}) if isinstance(node, dict) else node[key]
    node[path[-1]] = value
    return raw


def _drop(raw: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    node: Any = raw
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return raw


def _dump(raw: dict[str, Any]) -> bytes:
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True).encode("utf-8")


# --------------------------------------------------------------------------- running the CLI
def omnisim(argv: list[str]) -> tuple[int, str, str]:
    """``omnisim ARGV`` in this process: (exit code, stdout, stderr). An exception other
    than SystemExit (a traceback for the user) propagates and fails the test."""
    with no_hang(HANG_SECONDS):
        return run_in_process(argv)


def assert_rejected(code: int, stdout: str, stderr: str, results: Path | None) -> str:
    """Exit 2, one ``omnisim: error:`` line (or, for several errors of one file, that line
    counting them and one indented line per error), nothing else, no results. Returns the
    error text, its lines joined."""
    assert "Traceback" not in stdout + stderr, stderr
    lines = stderr.splitlines()
    assert code == 2, (code, stderr, stdout[:200])
    assert lines and lines[0].startswith("omnisim: error: "), stderr
    assert lines[0][len("omnisim: error: "):].strip()
    if len(lines) > 1:
        assert lines[0].endswith(f": {len(lines) - 1} errors"), stderr
        assert all(line.startswith("  ") and line.strip() for line in lines[1:]), stderr
    assert stdout == "" or stdout.startswith(tuple("/.")), stdout[:200]  # validate's ok lines
    if results is not None:
        assert not results.exists() or not any(results.iterdir()), sorted(results.rglob("*"))
    return "\n".join(lines)


COMMANDS = st.sampled_from(["run", "validate", "show"])


def check_file(content: bytes, command: str = "run", *, extra: tuple[Path, ...] = (),
               files: dict[str, bytes] | None = None) -> str:
    """Write ``content`` (and ``files``) to a fresh folder and run a command on it."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, data in (files or {}).items():
            (folder / name).write_bytes(data)
        path = folder / "scenario.yaml"
        path.write_bytes(content)
        res = folder / "res"
        argv = {"run": ["run", str(path), "--out", str(res)],  # no --days: horizon counts
                "validate": ["scenarios", "validate", str(path)],
                "show": ["scenarios", "show", str(path)]}[command]
        line = assert_rejected(*omnisim(argv), res)
        assert not list(folder.glob("marker*")), "code from the file was executed"
        return line


def test_the_base_scenario_is_valid() -> None:
    validate(copy.deepcopy(BASE))
    assert len(NUMBERS) > 30 and len(TEXTS) > 20 and len(MAPPINGS) > 30


# --------------------------------------------------------------------------- scenario files
non_numbers = st.one_of(
    st.text(max_size=12).map(lambda t: "x" + t), st.booleans(),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(),
                                                         max_size=2))


@FUZZ
@given(path=st.sampled_from(NUMBERS), value=non_numbers, command=COMMANDS)
def test_wrong_type_for_a_number(path: tuple[Any, ...], value: Any, command: str) -> None:
    check_file(_dump(_set(BASE, path, value)), command)


@FUZZ
@given(path=st.sampled_from(TEXTS),
       value=st.one_of(st.booleans(), st.lists(st.integers(), max_size=3),
                       st.dictionaries(st.sampled_from(["zz", "q"]), st.integers(),
                                       min_size=1, max_size=2),
                       st.floats(allow_nan=False, allow_infinity=False)),
       command=COMMANDS)
def test_wrong_type_for_a_text(path: tuple[Any, ...], value: Any, command: str) -> None:
    if path[-1] == "start_date" and isinstance(value, float):
        value = [value]  # a number is a timestamp to pydantic: give it a list instead
    check_file(_dump(_set(BASE, path, value)), command)


@FUZZ
@given(path=st.sampled_from(REQUIRED), command=COMMANDS)
def test_missing_required_field(path: tuple[Any, ...], command: str) -> None:
    line = check_file(_dump(_drop(BASE, path)), command)
    assert str(path[-1]) in line or "missing" in line or "needs" in line, line


@FUZZ
@given(path=st.sampled_from(MAPPINGS),
       key=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", max_size=8).map(lambda k: "zz" + k),
       value=st.one_of(st.integers(), st.text(max_size=5)), command=COMMANDS)
def test_unknown_field(path: tuple[Any, ...], key: str, value: Any, command: str) -> None:
    check_file(_dump(_set(BASE, (*path, key), value)), command)


@FUZZ
@given(path=st.sampled_from(CAPACITIES),
       value=st.one_of(st.integers(max_value=0), st.floats(max_value=0.0, allow_nan=False)))
def test_zero_or_negative_capacity(path: tuple[Any, ...], value: float) -> None:
    line = check_file(_dump(_set(BASE, path, value)))
    assert path[-1] in line, line


@FUZZ
@given(path=st.sampled_from(PROBABILITIES),
       value=st.one_of(st.floats(min_value=1.0, exclude_min=True),
                       st.floats(max_value=0.0, exclude_max=True),
                       st.sampled_from([float("nan"), float("inf"), 2, -1])))
def test_probability_outside_zero_one(path: tuple[Any, ...], value: float) -> None:
    line = check_file(_dump(_set(BASE, path, value)))
    assert path[-1] in line, line


@FUZZ
@given(path=st.sampled_from(DISTRIBUTIONS),
       value=st.one_of(st.just({}), st.just([]), st.just(""), st.just({"dist": ""}),
                       st.sampled_from(DIST_NAMES).map(lambda d: {"dist": d}),
                       st.just({"dist": "empirical", "values": []}),
                       st.just({"dist": "empirical", "values": [1, 2], "weights": []}),
                       st.just({"dist": "exponential", "mean": None})))
def test_empty_distribution(path: tuple[Any, ...], value: Any) -> None:
    line = check_file(_dump(_set(BASE, path, value)))
    assert path[-1] in line, line


@FUZZ
@given(path=st.sampled_from(NUMBERS),
       value=st.one_of(st.integers(min_value=10**10, max_value=10**400),
                       st.integers(max_value=-(10**10), min_value=-(10**400)),
                       st.floats(min_value=1e10, allow_nan=False),
                       st.sampled_from([float("inf"), float("-inf"), float("nan")])))
def test_huge_number(path: tuple[Any, ...], value: float) -> None:
    check_file(_dump(_set(BASE, path, value)))


@FUZZ
@given(path=st.sampled_from([("horizon",), ("warmup",), ("sample_interval",),
                             ("catalog", "stock_cover"), ("costs", "write_off_after")]),
       digits=st.integers(min_value=310, max_value=2000),
       unit=st.sampled_from(["s", "min", "h", "d", "w"]))
def test_huge_duration(path: tuple[Any, ...], digits: int, unit: str) -> None:
    check_file(_dump(_set(BASE, path, f"{'9' * digits} {unit}")))


@FUZZ
@given(length=st.integers(min_value=1, max_value=24), cycle=st.booleans(), command=COMMANDS)
def test_extends_cycles_and_deep_chains(length: int, cycle: bool, command: str) -> None:
    if not cycle:
        length = max(length, 18)  # a chain deeper than the limit of 16
    base = _dump(BASE)
    files = {}
    for i in range(1, length):
        nxt = f"f{i + 1}.yaml" if i + 1 < length else ("scenario.yaml" if cycle else "base.yaml")
        files[f"f{i}.yaml"] = f"extends: {nxt}\nseed: {i}\n".encode()
    files["base.yaml"] = base
    first = ("f1.yaml" if length > 1 else "scenario.yaml") if cycle or length > 1 \
        else "base.yaml"
    line = check_file(f"extends: {first}\n".encode(), command, files=files)
    assert "extends" in line, line


#: byte sequences that are invalid whatever follows them (the base file is ASCII, so what
#: precedes them is a whole character): bytes never used in UTF-8, a lone continuation byte,
#: a lead byte followed by a non-continuation byte, an overlong form, a surrogate
NOT_UTF8 = [b"\xff", b"\xfe", b"\xc0\xaf", b"\xc3\x28", b"\x80", b"\xed\xa0\x80",
            b"\xf8\x88", b"\xe0\x80\x80"]


@FUZZ
@given(at=st.integers(min_value=0), junk=st.sampled_from(NOT_UTF8),
       noise=st.binary(max_size=8), command=COMMANDS)
def test_bytes_that_are_not_utf8(at: int, junk: bytes, noise: bytes, command: str) -> None:
    text = _dump(BASE)
    at %= len(text)
    line = check_file(text[:at] + junk + noise + text[at:], command)
    assert "UTF-8" in line, line


@FUZZ
@given(depth=st.integers(min_value=2, max_value=14), fan=st.integers(min_value=2, max_value=12),
       where=st.sampled_from(["zz_lol", "description", "name", "calendar", "segments"]),
       command=COMMANDS)
def test_yaml_alias_bombs(depth: int, fan: int, where: str, command: str) -> None:
    """Billion laughs: ``fan ** depth`` nodes from ``depth * fan`` aliases. Above 64 aliases
    the file is refused before it is built; below, the shared structure is never expanded
    (no deep copy, no dump) and fails validation at once."""
    lines = ["l0: &l0 [lol]"]
    for d in range(1, depth + 1):
        lines.append(f"l{d}: &l{d} [{', '.join([f'*l{d - 1}'] * fan)}]")
    bomb = "zz_anchors:\n" + "\n".join(f"  {x}" for x in lines) + "\n"
    raw = {k: v for k, v in BASE.items() if k != where}
    text = bomb + _dump(raw).decode() + f"{where}: *l{depth}\n"
    check_file(text.encode(), command)


@FUZZ
@given(path=st.sampled_from(NUMBERS + TEXTS), tag=st.sampled_from(TAGS), command=COMMANDS)
def test_python_tags_are_refused_and_never_run(path: tuple[Any, ...], tag: str,
                                               command: str) -> None:
    marker = "MARKER"
    raw = _set(BASE, path, marker)
    text = _dump(raw).decode()
    assert text.count(marker) == 1
    with tempfile.TemporaryDirectory() as tmp:  # the file's folder: where `touch` would write
        value = tag.replace("{marker}", str(Path(tmp) / "marker"))
        check_file(text.replace(marker, value).encode(), command)
        assert not (Path(tmp) / "marker").exists()


@FUZZ
@given(path=st.sampled_from(MAPPINGS), command=COMMANDS)
def test_duplicate_keys_are_refused(path: tuple[Any, ...], command: str) -> None:
    """A key written twice in one mapping is an error naming it (YAML would keep the last)."""
    node: Any = BASE
    for key in path:
        node = node[key]
    if not node:  # an empty mapping ({}): repeat its own key in its parent instead
        path, node = path[:-1], BASE
        for key in path:
            node = node[key]
    first = next(iter(node))
    text = _dump(BASE).decode()
    # repeat the first key of that mapping right after it, as a hand-edited file would
    indent = "  " * len(path)
    head = f"{indent}{first}:"
    lines = text.splitlines(keepends=True)
    owners = [i for i, ln in enumerate(lines) if ln.startswith(head)]
    if not owners:  # flow style or a list item: duplicate the top-level key instead
        lines.insert(0, f"{path[0]}: 1\n")
        expected = str(path[0])
    else:
        i = owners[0]
        lines.insert(i, f"{indent}{first}: 0\n")
        expected = str(first)
    line = check_file("".join(lines).encode(), command)
    assert "duplicate key" in line and expected in line, line


# --------------------------------------------------------------------------- command lines
bad_days = st.one_of(st.floats(max_value=0.0), st.floats(min_value=7305.0),
                     st.sampled_from(["nan", "inf", "-inf", "1e400", "abc", "", "3 d", "--"]))
bad_seed = st.one_of(st.integers(max_value=-1), st.integers(min_value=1_000_001),
                     st.sampled_from(["abc", "1.5", "", "0x10", "1e3"]))
bad_set = st.one_of(
    st.text(max_size=20).filter(lambda t: "=" not in t),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=15).map(
        lambda t: f"zz{t}=1"),
    st.sampled_from(["channels.call_centre.staff=__import__('os').system('touch marker')",
                     "channels.call_centre.staff=!!python/object/apply:os.system ['touch m']",
                     "channels.call_centre.staff=lots", "channels.call_centre.staff=true",
                     "channels.call_centre.staff=-3", "channels.call_centre=3",
                     "calendar.hourly_profile[99]=1", "calendar.hourly_profile[0][1]=1",
                     "catalog[0]=1", "catalog.gross_margin=1.5", "horizon=5",
                     "segments.callers.service.call_centre.next={nowhere: 0.5}",
                     "channels.call_centre.service_time={dist: exponential}",
                     "x=1=2", "=3", "a..b=1", "calendar.hourly_profile[-1]=2"]))


@settings(max_examples=60, deadline=None, database=None)
@given(days=st.none() | bad_days, seed=st.none() | bad_seed,
       sets=st.lists(bad_set, max_size=2),
       option=st.none() | st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1,
                                  max_size=10).map(lambda o: f"--zz{o}"),
       scenario=st.sampled_from(["validation/mm1", "zz-nosuch", "zz/none.yaml"]))
def test_bad_command_lines(days: Any, seed: Any, sets: list[str], option: str | None,
                           scenario: str) -> None:
    bad = (days is not None or seed is not None or sets or option is not None
           or scenario != "validation/mm1")
    if not bad:
        sets = ["catalog.skus=0"]
    with tempfile.TemporaryDirectory() as tmp:
        res = Path(tmp) / "res"
        argv = ["run", scenario, "--out", str(res)]
        if days is not None:
            argv.append(f"--days={days}")
        else:
            argv += ["--days", "1"]
        if seed is not None:
            argv.append(f"--seed={seed}")
        for s in sets:
            argv += ["--set", s]
        if option is not None:
            argv.append(option)
        cwd = os.getcwd()
        os.chdir(tmp)  # `touch marker` would land here
        try:
            assert_rejected(*omnisim(argv), res)
        finally:
            os.chdir(cwd)
        assert not list(Path(tmp).glob("marker*")) and not (Path(tmp) / "m").exists()


def test_set_never_evaluates_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text = "!!python/object/apply:os.system ['touch marker']"
    code, out, err = omnisim(["scenarios", "show", "validation/mm1", "--set",
                              f"description={text}", "--set",
                              "name=__import__('os').system('touch marker2')"])
    assert code == 2 and "name" in err  # the name is checked as text, never run
    code, out, err = omnisim(["scenarios", "show", "validation/mm1", "--set",
                              f"description={text}"])
    assert code == 0, err
    assert yaml.safe_load(out)["description"] == text  # kept as plain text
    assert not list(tmp_path.iterdir())


def test_set_indexes_lists() -> None:
    code, out, err = omnisim(["scenarios", "show", "validation/mm1",
                              "--set", "calendar.hourly_profile[8]=2.5"])
    assert code == 0, err
    assert yaml.safe_load(out)["calendar"]["hourly_profile"][8] == 2.5


# --------------------------------------------------------------------------- real processes
def test_a_handful_as_real_subprocesses(tmp_path: Path) -> None:
    """The same guarantees through the real entry point (python -m sim.cli), in parallel."""
    cases: dict[str, tuple[bytes | None, list[str], str]] = {
        "not-utf8": (_dump(BASE).replace(b"callers", b"caller\xff", 1), [], "UTF-8"),
        "alias-bomb": (("a: &a [lol, lol]\n" + "".join(
            f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "name: *i\n").encode(),
            [], "aliases"),
        "python-tag": (f"schema_version: 1\nname: !!python/object/apply:os.system "
                       f"['touch {tmp_path / 'marker'}']\n".encode(), [], "malformed YAML"),
        "duplicate-key": (_dump(BASE).replace(b"seed: 1\n", b"seed: 1\nseed: 2\n", 1), [],
                          "duplicate key 'seed'"),
        "set-code": (None, ["--set", f"channels.call_centre.staff=__import__('os').system("
                                     f"'touch {tmp_path / 'marker'}')"], "staff"),
        "bool-number": (None, ["--set", "channels.call_centre.staff=yes"], "boolean"),
    }
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    procs = {}
    for name, (content, args, _) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        target = "validation/mm1"
        if content is not None:
            target = str(folder / "scenario.yaml")
            (folder / "scenario.yaml").write_bytes(content)
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", "run", target, "--days", "1", "--out",
             str(folder / "res"), *args], cwd=folder, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8")
    for name, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
        line = assert_rejected(proc.returncode, out, err, tmp_path / name / "res")
        assert cases[name][2] in line, line
    assert not (tmp_path / "marker").exists()
