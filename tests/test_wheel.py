"""The installed package works without the source tree.

Builds a wheel from a copy of the sources, installs it into a fresh virtual environment in a
temporary folder and runs ``omnisim`` from another temporary folder: the shipped scenarios
(``sim/scenarios/``, package data) and their README must come from the installed copy.

Installing every dependency from PyPI would take minutes and need the network, so the fresh
environment borrows the third-party packages of the environment running the tests through a
``.pth`` file naming its site-packages. A ``.pth`` line that is a path only appends that folder
to ``sys.path``; the ``.pth`` files inside it, such as the editable install's
``__editable__.omnisim-*.pth`` hook, are not processed, so ``import sim`` can only find the
wheel. The test checks that too.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from sim.scenario import SCENARIO_DIR
from sim.workshop.lessons import load_lessons

REPO = Path(__file__).resolve().parents[1]
#: What the build reads: the project files and the two packages.
SOURCES = ("pyproject.toml", "setup.cfg", "README.md", "sim", "analysis")
TIMEOUT = 300.0  # seconds per command; generous for a loaded CI machine

#: building, installing and running a wheel in a fresh environment: whole-process, slow
pytestmark = pytest.mark.system

#: Run by the fresh interpreter: where everything it imports comes from.
PROBE = """
import importlib.metadata, json, sys
import simpy
import sim, sim.scenario
from sim.workshop.lessons import load_lessons
print(json.dumps({
    "sim": sim.__file__,
    "scenario_dir": str(sim.scenario.SCENARIO_DIR),
    "dist": str(importlib.metadata.distribution("omnisim").locate_file("")),
    "simpy": simpy.__file__,
    "editable": sorted(m for m in sys.modules if m.startswith("__editable__"))
                + [type(f).__module__ for f in sys.meta_path
                   if type(f).__module__.startswith("__editable__")],
    "lessons": len(load_lessons()),
}))
"""


def _version(dist: str) -> tuple[int, ...] | None:
    try:
        text = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None
    return tuple(int(p) for p in text.split(".")[:2] if p.isdigit())


def _why_no_build() -> str | None:
    """Why a wheel cannot be built here without the network, or None."""
    pip, setuptools = _version("pip"), _version("setuptools")
    if pip is None or pip < (22, 3):
        return "needs pip >= 22.3 (pip --python installs into the fresh environment)"
    if setuptools is None:
        return "setuptools is not installed (the build backend, --no-build-isolation)"
    if setuptools < (70, 1) and _version("wheel") is None:
        return "setuptools < 70.1 needs the 'wheel' package to build a wheel"
    return None


def _env() -> dict[str, str]:
    """This process's environment without anything that points Python at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH")}
    env.update(COLUMNS="200", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def _run(argv: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([str(a) for a in argv], cwd=cwd, env=_env(), capture_output=True,
                         text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    assert res.returncode == 0, f"{argv}: exit {res.returncode}\n{res.stdout}\n{res.stderr}"
    return res


def _install(root: Path) -> Path:
    """A fresh venv under ``root`` with the wheel of this checkout installed."""
    src, dist, venv = root / "src", root / "dist", root / "venv"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    src.mkdir()
    for name in SOURCES:  # a copy: the build's build/ and *.egg-info stay out of the checkout
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--no-cache-dir", "--quiet", "-w", dist, src], root)
    wheels = sorted(dist.glob("omnisim-*.whl"))
    assert len(wheels) == 1, wheels

    _run([sys.executable, "-m", "venv", "--without-pip", venv], root)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps",
          "--no-index", "--no-cache-dir", "--quiet", wheels[0]], root)
    # Third-party packages from this environment, after the venv's own site-packages (written
    # after the install so that pip never sees the development omnisim).
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                        root).stdout.strip())
    here = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (purelib / "omnisim-test-deps.pth").write_text("".join(f"{p}\n" for p in here),
                                                   encoding="utf-8")
    return venv


def _check_imports(venv: Path, work: Path) -> None:
    """``sim`` and its scenarios come from the venv, the third-party packages from here."""
    probe = json.loads(_run([venv / "bin" / "python", "-c", PROBE], work).stdout)
    venv = venv.resolve()
    assert Path(probe["sim"]).resolve().is_relative_to(venv), probe
    assert Path(probe["dist"]).resolve().is_relative_to(venv), probe
    assert Path(probe["scenario_dir"]).resolve().is_relative_to(venv), probe
    assert probe["editable"] == [], probe  # the editable install's .pth hook never ran
    assert not Path(probe["simpy"]).resolve().is_relative_to(venv), probe
    # the README with the workshop lessons is package data too
    assert probe["lessons"] == len(load_lessons()) > 0, probe


def _check_scenarios_list(venv: Path, work: Path) -> None:
    res = _run([venv / "bin" / "omnisim", "scenarios", "list"], work)
    names = {line.split("│")[1].strip() for line in res.stdout.splitlines()
             if line.startswith("│") and line.split("│")[1].strip()}
    shipped = {p.relative_to(SCENARIO_DIR).with_suffix("").as_posix()
               for p in SCENARIO_DIR.rglob("*.yaml")}
    assert names == shipped, res.stdout


def _check_run(venv: Path, work: Path) -> None:
    out = work / "results"
    _run([venv / "bin" / "omnisim", "run", "baseline", "--days", "15", "--out", out], work)
    manifests = sorted(out.glob("baseline*/seed-1/manifest.json"))
    assert len(manifests) == 1, sorted(out.rglob("*"))
    manifest = json.loads(manifests[0].read_text(encoding="utf-8"))
    assert manifest["status"] == "complete"
    assert Path(manifest["source"]).resolve().is_relative_to(venv.resolve()), manifest["source"]
    assert (manifests[0].parent / "kpis.json").is_file()


def test_wheel_runs_outside_the_checkout(tmp_path: Path) -> None:
    """Build, install into a fresh venv, run from an empty folder: list, run, selfcheck."""
    reason = _why_no_build()
    if reason:
        pytest.skip(f"cannot build a wheel offline: {reason}")
    venv = _install(tmp_path)
    assert not venv.resolve().is_relative_to(REPO)
    work = tmp_path / "work"
    work.mkdir()
    _check_imports(venv, work)
    _check_scenarios_list(venv, work)
    _check_run(venv, work)
    res = _run([venv / "bin" / "omnisim", "selfcheck", "--help"], work)
    assert res.stdout.startswith("Usage: omnisim selfcheck"), res.stdout
    assert sorted(p.name for p in work.iterdir()) == ["results"]  # nothing else written
