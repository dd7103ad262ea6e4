"""The import graph of ``src/trainwise`` is a DAG in one fixed layer order.

Every import is read with ``ast`` (module level, inside functions and under ``TYPE_CHECKING``
alike); a module may import from its own layer or a lower one, never a higher one. The same
order is shown in docs/architecture.md. An import kept inside a function exists only to keep
start-up time down and says so in a comment (``# lazy: start-up time``), on the import or on
the comment lines just above its block of imports.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "trainwise"

#: Bottom -> top. A module may import only from its own row or rows above it in this table.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("base", ("trainwise", "trainwise.errors", "trainwise.vocabulary", "trainwise.run_files")),
    ("config machinery", ("trainwise.config",)),
    (
        "building blocks",
        (
            "trainwise.data",
            "trainwise.models",
            "trainwise.losses",
            "trainwise.optim",
            "trainwise.schedules",
            "trainwise.checkpoint",
        ),
    ),
    ("callbacks", ("trainwise.callbacks",)),
    ("doctor", ("trainwise.doctor",)),
    ("training", ("trainwise.training",)),
    ("report", ("trainwise.report",)),
    ("run", ("trainwise.run",)),
    ("experiments", ("trainwise.experiments",)),
    ("cli", ("trainwise.cli", "trainwise.__main__")),
]

LAZY_NOTE = "start-up time"


@dataclass(frozen=True)
class Edge:
    source: str  # importing module
    target: str  # imported module (a submodule when ``from pkg import submodule``)
    path: Path
    line: int
    lazy: bool  # inside a function


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _targets(node: ast.Import | ast.ImportFrom, source: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against the importing module's package
        pkg = source.split(".") if is_package else source.split(".")[:-1]
        pkg = pkg[: len(pkg) - (node.level - 1)]
        base = ".".join(pkg + ([base] if base else []))
    # `from pkg import sub` imports the submodule pkg.sub when there is one
    subs = [f"{base}.{a.name}" for a in node.names if _is_module(f"{base}.{a.name}")]
    return subs or [base]


def _edges() -> list[Edge]:
    edges = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function: set[int] = set()
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                in_function.update(id(n) for n in ast.walk(fn))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in _targets(node, source, path.name == "__init__.py"):
                if target == "trainwise" or target.startswith("trainwise."):
                    lazy = id(node) in in_function
                    edges.append(Edge(source, target, path, node.lineno, lazy))
    return edges


def layer_of(module: str) -> int:
    """Index in :data:`LAYERS` of the longest matching prefix (``trainwise`` alone: base)."""
    best, best_len = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "trainwise" and module.startswith(prefix + ".")):
                if len(prefix) > best_len:
                    best, best_len = i, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add its package to LAYERS")
    return best


EDGES = _edges()


def _where(e: Edge) -> str:
    return f"{e.path.relative_to(SRC.parent)}:{e.line}"


def test_every_module_has_a_layer():
    modules = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    for module in sorted(modules):
        layer_of(module)  # raises naming the module


def test_no_import_reaches_up_a_layer():
    upward = [
        f"{_where(e)}: {e.source} ({LAYERS[layer_of(e.source)][0]}) imports {e.target} "
        f"({LAYERS[layer_of(e.target)][0]}){' inside a function' if e.lazy else ''}"
        for e in EDGES
        if layer_of(e.target) > layer_of(e.source)
    ]
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; components of more than one node are cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_cycles_between_packages_of_one_layer():
    # the layer check allows imports within a layer; this keeps them one-way too
    def package(module: str) -> str:
        return ".".join(module.split(".")[:2])

    graph: dict[str, set[str]] = {}
    for e in EDGES:
        a, b = package(e.source), package(e.target)
        if a != b and layer_of(e.source) == layer_of(e.target):
            graph.setdefault(a, set()).add(b)
    assert not _strongly_connected(graph)


def test_no_cycles_between_modules():
    # a package's __init__ re-exporting its modules is not a cycle: the edge from a module to
    # its own package's __init__ is how Python loads it anyway, so those are left out
    graph: dict[str, set[str]] = {}
    for e in EDGES:
        if e.source != e.target and not e.source.startswith(e.target + "."):
            graph.setdefault(e.source, set()).add(e.target)
    cycles = _strongly_connected(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def _import_lines(tree: ast.AST) -> set[int]:
    """Every line an import statement covers (a wrapped name list spans several)."""
    return {
        n
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for n in range(node.lineno, (node.end_lineno or node.lineno) + 1)
    }


def _says_why(lines: list[str], imports: set[int], line: int) -> bool:
    """The import on ``line`` (1-based), or the comment block above its block of imports,
    names start-up time."""
    if LAZY_NOTE in lines[line - 1]:
        return True
    n = line - 1
    while n >= 1 and (n in imports or not lines[n - 1].strip()):
        n -= 1  # the rest of the import block
    while n >= 1 and lines[n - 1].strip().startswith("#"):
        if LAZY_NOTE in lines[n - 1]:
            return True
        n -= 1
    return False


def test_every_import_inside_a_function_says_it_is_for_start_up_time():
    missing = []
    for path in sorted({e.path for e in EDGES if e.lazy}):
        text = path.read_text(encoding="utf-8")
        lines, imports = text.splitlines(), _import_lines(ast.parse(text))
        missing += [
            f"{_where(e)}: {e.target}"
            for e in EDGES
            if e.lazy and e.path == path and not _says_why(lines, imports, e.line)
        ]
    assert not missing, (
        f"imports inside functions without a '# lazy: {LAZY_NOTE}' comment:\n"
        + "\n".join(sorted(set(missing)))
    )


def test_the_docs_show_the_same_order():
    doc = (SRC.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    shown = re.findall(r"^\|\s*(\d+)\s*\|\s*([^|]+?)\s*\|", doc, flags=re.M)
    assert [(int(n), name) for n, name in shown] == [
        (i, name) for i, (name, _) in enumerate(LAYERS, 1)
    ]


def test_the_reader_finds_known_edges():
    # guards the reader itself: a plain, a `from pkg import module` and a lazy import
    found = {(e.source, e.target, e.lazy) for e in EDGES}
    assert ("trainwise.run.schema", "trainwise.training.config", False) in found
    assert ("trainwise.run.session", "trainwise.run_files", False) in found
    assert ("trainwise.run.session", "trainwise.report", True) in found
    assert (
        layer_of("trainwise.run_files") == 0
        and LAYERS[layer_of("trainwise.run.session")][0] == "run"
    )
