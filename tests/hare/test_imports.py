"""The hare package's imports, read from its source (ast): no import cycle among its modules, and
no hare import tucked into a function body (where it could hide one) except in the command-line
entry points, which import lazily so that ``hare --help`` starts fast."""

from __future__ import annotations

import ast
from pathlib import Path

HARE = Path(__file__).resolve().parents[2] / "hare"
# Modules whose functions may import hare modules, and why. Their lazy imports still count as
# edges below, so they cannot hide a cycle either.
LAZY = {
    "hare.cli": "the command line: each subcommand imports what it runs (start-up time)",
    "hare.live.terminal": "`hare recourse`: imports the engine when the command runs (start-up time)",
}


def _modules() -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    out = {}
    for path in sorted(HARE.rglob("*.py")):
        parts = list(path.relative_to(HARE.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


MODULES = _modules()


def _imported(node: ast.Import | ast.ImportFrom, importer: str, package: bool) -> set[str]:
    """The hare modules an import statement executes: the module it names (or each submodule
    that ``from X import name`` names) and the packages above it, except the importer's own
    packages, which are already being imported when it runs."""
    if isinstance(node, ast.Import):
        named = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            here = importer.split(".") if package else importer.split(".")[:-1]
            base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
        named = [base] + [f"{base}.{alias.name}" for alias in node.names]
    ancestors = {".".join(importer.split(".")[:i]) for i in range(1, importer.count(".") + 1)}
    out = set()
    for name in named:
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            module = ".".join(parts[:i])
            if module in MODULES and module not in ancestors and module != importer:
                out.add(module)
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or \
        (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST, in_function: bool = False):
    """(import node, inside a function body) for every runtime import statement."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, in_function
        elif isinstance(node, ast.If) and _is_type_checking(node):
            continue  # annotations only, never executed
        else:
            nested = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                      ast.Lambda))
            yield from _imports(node, nested)


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module-level edges, function-level edges) between hare modules."""
    top = {name: set() for name in MODULES}
    lazy = {name: set() for name in MODULES}
    for name, (path, package) in MODULES.items():
        for node, in_function in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            (lazy if in_function else top)[name] |= _imported(node, name, package)
    return top, lazy


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle (a list of modules, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_import_reader_sees_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    top, _ = _graph()
    assert "hare.questions" in top["hare.users"] and "hare.session" not in top["hare.users"]
    assert "hare.generators.growing_spheres" in top["hare.users"]
    assert "hare.generators" in top["hare.users"]  # the package runs first


def test_no_import_cycle_among_hare_modules():
    top, lazy = _graph()
    assert _cycle(top) is None
    # the lazy imports, counted as if they ran at import time, close no cycle either
    both = {name: top[name] | lazy[name] for name in MODULES}
    assert _cycle(both) is None


def test_hare_imports_in_function_bodies_only_where_start_up_time_asks_for_them():
    _, lazy = _graph()
    assert {name for name, targets in lazy.items() if targets} <= set(LAZY)


def test_no_protocol_choice_is_tested_by_name_outside_the_protocol_module():
    """The engine calls the protocol's objects; only hare.protocol names the authors' choices."""
    offenders = []
    for name, (path, _) in _modules().items():
        if name == "hare.protocol":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                constants = [n.value for n in (node.left, *node.comparators)
                             if isinstance(n, ast.Constant)]
                if "authors" in constants:
                    offenders.append(f"{name}:{node.lineno}")
    assert offenders == []
