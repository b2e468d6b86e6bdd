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

Exceptions to any rule are listed in ``ALLOWED`` (kept small, each entry with its reason) or,
for work in progress elsewhere on issue 14, in the temporary ``PENDING``; an entry that no
longer matches a violation fails too, so both lists only shrink. The checker itself is tested
on small in-memory sources (the ``test_checker_*`` tests), so this file cannot pass by
checking nothing.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "analysis")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60

#: Justified exceptions: violation key -> why. Keys: ``path`` (a module's size),
#: ``path::Qualified.function`` (a function's size), ``path::_name`` (a private name read),
#: ``cycle::a, b`` (the modules of an import cycle), ``path::analysis`` (an analysis import).
ALLOWED: dict[str, str] = {
    "sim/distributions.py": "two halves, the distribution classes and the parser of their "
                            "file specs (_Params, _build_*, parse_distribution); splitting "
                            "the parser out is follow-up work outside issue 14 (no owner "
                            "yet), and the file is stable",
}

#: TEMPORARY (issue 14): violations in files that are being rewritten on other branches right
#: now; cleared when those branches are merged. Do not add entries for new code.
PENDING: dict[str, str] = {
    "sim/scenario.py": "947 lines: becoming the package sim/scenario/ (lead)",
    "sim/kpis.py::compute_kpis": "87 lines: sim/kpis.py is becoming a KPI registry package "
                                 "(KPI engineer)",
    "sim/journey/cash.py::collect": "79 lines: journey refactor (lead)",
    "sim/journey/shop.py::_checkout": "75 lines: journey refactor (lead)",
    "sim/journey/fulfil.py::fulfil": "65 lines: journey refactor (lead)",
    "sim/journey/order.py::enter": "65 lines: journey refactor (lead)",
    "sim/processmap.py::figure": "63 lines: lead's file",
    "sim/journey/common.py::_open_state": "pick_channel reads Station._open_state: use "
                                          "Station.open_until(now) (lead)",
    "analysis/figures.py::_format_axis": "imported from analysis.plots: make it public "
                                         "(KPI engineer)",
}


# --------------------------------------------------------------------------- the checker
@dataclass(frozen=True)
class Violation:
    """One breach of a house rule: ``key`` names it in ALLOWED/PENDING, ``message`` says
    where it is and what to do."""

    rule: str
    key: str
    message: str


@dataclass(frozen=True)
class Module:
    path: str  #: relative to the repository, with "/"
    name: str  #: dotted
    tree: ast.Module
    lines: int

    @property
    def package(self) -> str:
        """The package this module's relative imports start from."""
        return self.name if self.path.endswith("/__init__.py") else self.name.rpartition(".")[0]


def parse(sources: Mapping[str, str]) -> dict[str, Module]:
    """Modules by dotted name, from ``{relative path: source text}``."""
    mods = {}
    for path, text in sources.items():
        parts = path[: -len(".py")].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        mods[name] = Module(path, name, ast.parse(text, filename=path), len(text.splitlines()))
    return mods


def read_tree(root: Path = ROOT) -> dict[str, Module]:
    """Every module of the omnisim packages under ``root``."""
    return parse({p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
                  for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))})


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


@dataclass(frozen=True)
class Import:
    node: ast.Import | ast.ImportFrom
    runtime: bool  #: at module level (not in a function) and not under TYPE_CHECKING


def imports(tree: ast.Module) -> list[Import]:
    """Every import statement, and whether it runs when the module is imported."""
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, typing_only: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(Import(node, not in_function and not typing_only))
            return
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, in_function, True)
            for child in node.orelse:
                visit(child, in_function, typing_only)
            return
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef
                                          | ast.Lambda)
        for child in ast.iter_child_nodes(node):
            visit(child, inner, typing_only)

    visit(tree, False, False)
    return found


def absolute(mod: Module, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` reads from, relative imports resolved."""
    if not node.level:
        return node.module or ""
    base = mod.package.split(".")
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def targets(mod: Module, node: ast.Import | ast.ImportFrom, mods: Mapping[str, Module]
            ) -> list[tuple[str, str | None]]:
    """What an import statement reads: ``(module, name)`` pairs; name None for ``import m``
    and for a submodule ``m`` in ``from p import m`` (then the module is ``p.m``)."""
    if isinstance(node, ast.Import):
        return [(a.name, None) for a in node.names]
    src = absolute(mod, node)
    return [(f"{src}.{a.name}", None) if f"{src}.{a.name}" in mods else (src, a.name)
            for a in node.names]


def where(mod: Module, node: ast.AST) -> str:
    return f"{mod.path}:{getattr(node, 'lineno', '?')}"


# rule 1 ------------------------------------------------------------------------------------
def analysis_imports(mods: Mapping[str, Module]) -> Iterator[Violation]:
    """Modules of sim/ (outside sim/cli/) that import analysis."""
    for mod in mods.values():
        if not mod.path.startswith("sim/") or mod.path.startswith("sim/cli/"):
            continue
        names: list[tuple[ast.AST, str]] = []
        for imp in imports(mod.tree):
            names += [(imp.node, m) for m, _ in targets(mod, imp.node, mods)]
        for node in ast.walk(mod.tree):  # importlib.import_module("analysis.x")
            if isinstance(node, ast.Call) and node.args and isinstance(
                    node.args[0], ast.Constant) and isinstance(node.args[0].value, str) and (
                    getattr(node.func, "attr", None) == "import_module"
                    or getattr(node.func, "id", None) in ("import_module", "__import__")):
                names.append((node, node.args[0].value))
        for node, name in names:
            if name == "analysis" or name.startswith("analysis."):
                yield Violation(
                    "analysis", f"{mod.path}::analysis",
                    f"{where(mod, node)} imports {name}: nothing in sim/ outside sim/cli/ "
                    "imports analysis/ (analysis reads results, the engine never needs it). "
                    "Move what the engine needs into sim/, or do the work in the CLI and "
                    "pass the result in.")


# rule 2 ------------------------------------------------------------------------------------
def _class_privates(mod: Module) -> set[str]:
    """Private attribute names the classes of a module define."""
    names: set[str] = set()
    for cls in (n for n in ast.walk(mod.tree) if isinstance(n, ast.ClassDef)):
        for stmt in cls.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(stmt.name)
            for target in (stmt.targets if isinstance(stmt, ast.Assign) else
                           [stmt.target] if isinstance(stmt, ast.AnnAssign) else []):
                if isinstance(target, ast.Name):
                    names.add(target.id)
        for node in ast.walk(cls):
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and \
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                names.add(node.attr)
    return {n for n in names if _private(n)}


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def _private_submodule(mod: Module, node: ast.AST, src: str, mods: Mapping[str, Module]
                       ) -> Iterator[Violation]:
    """A private submodule (``p._m``) imported from outside its package ``p``."""
    parts = src.split(".")
    for i, part in enumerate(parts):
        if _private(part):
            package = ".".join(parts[:i])
            if mod.name != package and not mod.name.startswith(package + "."):
                yield Violation(
                    "private", f"{mod.path}::{part}",
                    f"{where(mod, node)} imports {src}, a private module of {package}: use "
                    f"what {package} makes public, or make the module public.")
            return


def private_reads(mods: Mapping[str, Module]) -> Iterator[Violation]:
    """Private names of other omnisim modules, read by import, through a module or on an
    object (see the module docstring for the decision on objects)."""
    owners: dict[str, set[str]] = {}
    for mod in mods.values():
        for name in _class_privates(mod):
            owners.setdefault(name, set()).add(mod.name)
    for mod in mods.values():
        aliases: dict[str, str] = {}  # local name -> the omnisim module it stands for
        for imp in imports(mod.tree):
            node = imp.node
            for alias, (src, name) in zip(node.names, targets(mod, node, mods), strict=True):
                if name is None and src in mods:
                    if isinstance(node, ast.Import) and not alias.asname:
                        aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]
                    else:
                        aliases[alias.asname or alias.name] = src
                    yield from _private_submodule(mod, node, src, mods)
                elif name is not None and _private(name) and src in mods and src != mod.name:
                    yield Violation(
                        "private", f"{mod.path}::{name}",
                        f"{where(mod, node)} imports {name} from {src}, a private name of "
                        f"another module: make it public there ({mods[src].path}: drop the "
                        "underscore and document it), or move the code that needs it there.")
        mine = _class_privates(mod)
        for node in ast.walk(mod.tree):
            if not (isinstance(node, ast.Attribute) and _private(node.attr)):
                continue
            value = _dotted(node.value)
            head = value.split(".")[0] if value else None
            if head in aliases and value is not None:
                target = aliases[head] + value[len(head):]
                if target in mods and target != mod.name:
                    yield Violation(
                        "private", f"{mod.path}::{node.attr}",
                        f"{where(mod, node)} reads {target}.{node.attr}, a private name of "
                        f"another module: make it public in {mods[target].path}, or move "
                        "the code that needs it there.")
                continue
            if value in ("self", "cls") or (isinstance(node.value, ast.Call) and
                                            getattr(node.value.func, "id", "") == "super"):
                continue
            others = owners.get(node.attr, set()) - {mod.name}
            if others and node.attr not in mine:
                yield Violation(
                    "private", f"{mod.path}::{node.attr}",
                    f"{where(mod, node)} reads {ast.unparse(node)}: {node.attr} is a private "
                    f"attribute of a class in {', '.join(sorted(others))}. Add a public "
                    "method or property there and use it.")


# rule 3 ------------------------------------------------------------------------------------
def import_graph(mods: Mapping[str, Module]) -> dict[str, dict[str, str]]:
    """module -> {imported omnisim module: where}, for imports that run on import."""
    graph: dict[str, dict[str, str]] = {name: {} for name in mods}
    for mod in mods.values():
        for imp in imports(mod.tree):
            if imp.runtime:
                for src, _ in targets(mod, imp.node, mods):
                    if src in mods and src != mod.name:
                        graph[mod.name].setdefault(src, where(mod, imp.node))
    return graph


def cycles(mods: Mapping[str, Module]) -> Iterator[Violation]:
    """One violation per strongly connected component of the import graph, showing one
    cycle through it with the line of every import."""
    graph = import_graph(mods)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan (the graph is small: recursion is fine)
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    for comp in sorted(components):
        path = _cycle_path(graph, comp)
        ring = [*path, path[0]]
        steps = " -> ".join(f"{a} ({graph[a][b]})" for a, b in zip(path, ring[1:], strict=True))
        yield Violation(
            "cycle", "cycle::" + ", ".join(comp),
            f"import cycle through module-level imports: {steps} -> {path[0]}. Break it: "
            "move what both need into a module that imports neither (as sim/cli/common.py "
            "does for the CLI), import inside the function that needs it, or, for "
            "annotations only, under `if TYPE_CHECKING:`.")


def _cycle_path(graph: Mapping[str, Mapping[str, str]], comp: list[str]) -> list[str]:
    """A shortest cycle through the first module of a component (breadth first)."""
    start, members = comp[0], set(comp)
    parent: dict[str, str] = {}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v]):
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return path[::-1]
            if w in members and w not in parent:
                parent[w] = v
                queue.append(w)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


# rule 4 ------------------------------------------------------------------------------------
def _functions(node: ast.AST, prefix: str = "") -> Iterator[tuple[str, ast.AST]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + child.name, child
            yield from _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            yield from _functions(child, f"{prefix}{child.name}.")
        else:
            yield from _functions(child, prefix)


def function_lines(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from ``def`` to the end, without the docstring."""
    total = (fn.end_lineno or fn.lineno) - fn.lineno + 1
    first = fn.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
            isinstance(first.value.value, str):
        total -= (first.end_lineno or first.lineno) - first.lineno + 1
    return total


def sizes(mods: Mapping[str, Module]) -> Iterator[Violation]:
    """Modules over MAX_MODULE_LINES and functions over MAX_FUNCTION_LINES in sim/."""
    for mod in sorted(mods.values(), key=lambda m: m.path):
        if not mod.path.startswith("sim/"):
            continue
        if mod.lines > MAX_MODULE_LINES:
            yield Violation(
                "size", mod.path,
                f"{mod.path} has {mod.lines} lines (limit {MAX_MODULE_LINES}): it holds more "
                "than one idea; split it into modules (or a package) with one idea each.")
        for qualname, fn in _functions(mod.tree):
            assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
            n = function_lines(fn)
            if n > MAX_FUNCTION_LINES:
                yield Violation(
                    "size", f"{mod.path}::{qualname}",
                    f"{where(mod, fn)} {qualname}() has {n} lines without its docstring "
                    f"(limit {MAX_FUNCTION_LINES}): split it into named steps (helpers), or, "
                    "if it really must stay whole, add it to ALLOWED in tests/test_house.py "
                    "with the reason.")


RULES = {"analysis": analysis_imports, "private": private_reads, "cycle": cycles,
         "size": sizes}


def violations(mods: Mapping[str, Module], rule: str) -> list[Violation]:
    return list(RULES[rule](mods))


def report(found: Iterable[Violation], allowed: Mapping[str, str]) -> list[str]:
    return [v.message for v in found if v.key not in allowed]


# --------------------------------------------------------------------------- the rules
@pytest.fixture(scope="module")
def tree() -> dict[str, Module]:
    return read_tree()


@pytest.fixture(scope="module")
def found(tree: dict[str, Module]) -> dict[str, list[Violation]]:
    return {rule: violations(tree, rule) for rule in RULES}


EXCEPTIONS = {**ALLOWED, **PENDING}


@pytest.mark.parametrize("rule", list(RULES))
def test_house_rule(found: dict[str, list[Violation]], rule: str) -> None:
    bad = report(found[rule], EXCEPTIONS)
    assert not bad, "\n".join(["house rule broken (DEVELOPERS.md):", *bad])


def test_every_exception_is_still_needed(found: dict[str, list[Violation]]) -> None:
    keys = {v.key for vs in found.values() for v in vs}
    stale = [f"{key}: no longer a violation; remove it from "
             f"{'PENDING' if key in PENDING else 'ALLOWED'} in tests/test_house.py"
             for key in EXCEPTIONS if key not in keys]
    assert not stale, "\n".join(stale)
    assert all(why.strip() for why in EXCEPTIONS.values()), "every exception needs its reason"
    assert not set(ALLOWED) & set(PENDING)


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
