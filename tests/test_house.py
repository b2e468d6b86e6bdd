"""House rules (DEVELOPERS.md), checked on the source text with ``ast``: nothing is imported.

The rules, for the omnisim modules (``sim/`` and ``analysis/``):

1. No module in ``sim/`` outside ``sim/cli/`` imports ``analysis`` (any import statement,
   at module level, inside a function or under ``if TYPE_CHECKING:``, and
   ``importlib.import_module("analysis...")``).
2. No module reads another module's private names (a single leading underscore; dunders
   such as ``__version__`` are public):

   - ``from sim.x import _y``, and ``import sim.x`` (or ``from sim import x``) then
     ``sim.x._y`` / ``x._y``; a package may use its own private submodules.
   - Decision: attribute access on *objects* counts too, as ``station._open_state`` in
     ``sim/journey/common.py`` couples that module to how ``Station`` stores its state just as
     much as an import of a private function would. The check has no types, so it matches by
     name: ``obj._x`` (``obj`` not ``self``, ``cls`` or ``super()``) in module N is a
     violation when a class of another omnisim module defines ``_x`` (``self._x = ...``, a
     class-level ``_x`` or a method ``_x``) and no class of N does. Private attributes of
     third-party objects (Mesa's ``model._agents``) are not omnisim names and do not count.
3. No import cycle among omnisim modules through module-level imports. Imports inside
   functions and under ``if TYPE_CHECKING:`` do not count; imports in class bodies and
   module-level ``try``/``if`` blocks do (they run on import). ``from p import m`` with ``m`` a
   submodule is an edge to ``p.m``; the implicit import of a parent package (which Python
   starts first and which is allowed to be in progress) is not an edge.
4. In ``sim/``: no module over 500 lines and no function over 60 lines. A function's lines
   run from ``def`` to its last line, without its docstring (a click command's docstring is
   its ``--help``, and documentation should not be squeezed); nested functions count in
   their parent and are also checked themselves.

Exceptions to any rule are listed in ``ALLOWED`` (kept small, each entry with its reason; empty
today); an entry that no longer matches a violation fails too, so the list only shrinks. The
checker itself is tested on small in-memory sources (the ``test_checker_*`` tests), so this
file cannot pass by checking nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from house_checker import (
    MAX_FUNCTION_LINES,
    MAX_MODULE_LINES,
    RULES,
    Module,
    Violation,
    import_graph,
    parse,
    read_tree,
    report,
    violations,
)

#: Justified exceptions: violation key -> why. Keys: ``path`` (a module's size),
#: ``path::Qualified.function`` (a function's size), ``path::_name`` (a private name read),
#: ``cycle::a, b`` (the modules of an import cycle), ``path::analysis`` (an analysis import).
ALLOWED: dict[str, str] = {}


# --------------------------------------------------------------------------- the rules
@pytest.fixture(scope="module")
def tree() -> dict[str, Module]:
    return read_tree()


@pytest.fixture(scope="module")
def found(tree: dict[str, Module]) -> dict[str, list[Violation]]:
    return {rule: violations(tree, rule) for rule in RULES}


EXCEPTIONS = ALLOWED


@pytest.mark.parametrize("rule", list(RULES))
def test_house_rule(found: dict[str, list[Violation]], rule: str) -> None:
    bad = report(found[rule], EXCEPTIONS)
    assert not bad, "\n".join(["house rule broken (DEVELOPERS.md):", *bad])


def test_every_exception_is_still_needed(found: dict[str, list[Violation]]) -> None:
    keys = {v.key for vs in found.values() for v in vs}
    stale = [f"{key}: no longer a violation; remove it from ALLOWED in tests/test_house.py"
             for key in EXCEPTIONS if key not in keys]
    assert not stale, "\n".join(stale)
    assert all(why.strip() for why in EXCEPTIONS.values()), "every exception needs its reason"


# --------------------------------------------------------------------------- the checker
BAD = {
    "sim/__init__.py": "",
    "sim/engine.py": (
        "import analysis.stats\n"
        "from sim.store import _secret, public\n"
        "import sim.store\n"
        "from sim import store as st\n"
        "from sim.cli import _internal_ok\n"
        "x = sim.store._hidden + st._hidden\n"
        "def f(station):\n"
        "    from analysis import plots\n"
        "    return station._state, self_ok(station)\n"
    ),
    "sim/store.py": (
        "from sim.engine import f\n"
        "_secret = _hidden = public = 1\n"
        "class Shelf:\n"
        "    def __init__(self):\n"
        "        self._state = 0\n"
        "    def _peek(self):\n"
        "        return self._state\n"
    ),
    "sim/late.py": (
        "import importlib\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from sim.engine import f\n"
        "def g():\n"
        "    from sim import store\n"
        "    return importlib.import_module('analysis.report')\n"
    ),
    "sim/cli/__init__.py": "import analysis.report\nfrom sim.cli import sub\n",
    "sim/cli/sub.py": "from sim.cli import helper\n",
    "sim/cli/helper.py": "from . import _internal_ok\nfrom .sub import x\n",
    "sim/cli/_internal_ok.py": "",
    "sim/big.py": "x = 1\n" * (MAX_MODULE_LINES + 1),
    # long: 1 + 60 lines and a docstring; short: 60 lines with its docstring's 4 not counted
    "sim/long.py": ("def long():\n    '''A docstring\n\n    of several lines.\n    '''\n"
                    + "    x = 1\n" * MAX_FUNCTION_LINES + "\n"
                    "def short():\n    '''Doc.\n\n    More.\n    '''\n"
                    + "    x = 1\n" * (MAX_FUNCTION_LINES - 1) + "\n"
                    "class K:\n    def method(self):\n"
                    + "        x = 1\n" * MAX_FUNCTION_LINES),
    "analysis/__init__.py": "",
    "analysis/views.py": "from sim.store import Shelf\ndef peek(s: Shelf):\n    return s._peek()\n",
}


@pytest.fixture(scope="module")
def bad() -> dict[str, Module]:
    return parse(BAD)


def keys(mods: Mapping[str, Module], rule: str) -> set[str]:
    return {v.key for v in violations(mods, rule)}


def test_checker_finds_analysis_imports_anywhere_in_sim_but_the_cli(bad):
    found = violations(bad, "analysis")
    assert {v.key for v in found} == {"sim/engine.py::analysis", "sim/late.py::analysis"}
    lines = sorted(v.message.split(" ")[0] for v in found)
    assert lines == ["sim/engine.py:1", "sim/engine.py:8", "sim/late.py:7"]


def test_checker_finds_private_names_read_across_modules(bad):
    found = violations(bad, "private")
    assert {v.key for v in found} == {
        "sim/engine.py::_secret",  # from x import _y
        "sim/engine.py::_hidden",  # sim.store._hidden and st._hidden
        "sim/engine.py::_state",  # an object's attribute that Shelf defines
        "analysis/views.py::_peek",  # a private method of another module's class
        "sim/engine.py::_internal_ok",  # a private submodule, from outside its package
    }
    assert sum(v.key == "sim/engine.py::_hidden" for v in found) == 2
    # a package's own private submodule, self._x and the defining module are fine
    assert not any(v.key.startswith(("sim/cli/", "sim/store.py")) for v in found)
    msg = next(v.message for v in found if v.key == "sim/engine.py::_state")
    assert "sim.store" in msg and "public method or property" in msg


def test_checker_reports_an_import_cycle_and_ignores_lazy_ones(bad):
    found = violations(bad, "cycle")
    assert [v.key for v in found] == ["cycle::sim.cli.helper, sim.cli.sub",
                                      "cycle::sim.engine, sim.store"]
    assert "sim.engine (sim/engine.py:2) -> sim.store (sim/store.py:1) -> sim.engine" \
        in found[1].message
    # sim/late.py imports sim.engine under TYPE_CHECKING and sim.store in a function: no edge
    assert import_graph(bad)["sim.late"] == {}


def test_checker_finds_long_modules_and_functions_without_counting_docstrings(bad):
    assert keys(bad, "size") == {"sim/big.py", "sim/long.py::long", "sim/long.py::K.method"}
    assert "sim/long.py::short" not in keys(bad, "size")


def test_checker_failure_message_says_what_to_do(bad):
    bad_lines = report(violations(bad, "size"), {"sim/big.py": "why"})
    assert len(bad_lines) == 2 and all("split it" in line for line in bad_lines)
    assert all("ALLOWED" in line for line in bad_lines)


def test_checker_sees_this_repository(tree):
    """The real tree is read: the engine's modules, with their imports."""
    assert {"sim.resources", "sim.cli", "sim.cli.common", "analysis.stats"} <= set(tree)
    graph = import_graph(tree)
    assert "sim.cli.common" in graph["sim.cli.compare"]
    assert "sim.cli.compare" in graph["sim.cli"]
