"""The checker behind tests/test_house.py: omnisim's house rules read from the source with
``ast`` (nothing is imported). The rules, and the decisions in them, are described in
tests/test_house.py, which also tests this checker on small in-memory sources.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "analysis")
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


@dataclass(frozen=True)
class Violation:
    """One breach of a house rule: ``key`` names it in ALLOWED, ``message`` says
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
