"""Size limits of the package: no file under src/ over 450 lines, no function over 100.

A function counts from the line after its docstring (a long public docstring with defaults
and an example is wanted, not a smell) or, without one, from its ``def`` line, to its last
line; nested functions count inside their parent and on their own.
"""

import ast
from pathlib import Path

import trainwise

SRC = Path(trainwise.__file__).resolve().parent
MAX_FILE_LINES = 450
MAX_FUNCTION_LINES = 100


def _modules():
    return sorted(SRC.rglob("*.py"))


def _rel(path: Path) -> str:
    return "src/trainwise/" + path.relative_to(SRC).as_posix()


def function_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of ``node`` after its docstring (from the ``def`` line when it has none)."""
    first = node.body[0]
    has_doc = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    start = first.end_lineno + 1 if has_doc else node.lineno
    return node.end_lineno - start + 1


def test_no_file_is_over_the_limit():
    long = []
    for path in _modules():
        n = len(path.read_text(encoding="utf-8").splitlines())
        if n > MAX_FILE_LINES:
            long.append(f"{_rel(path)}: {n} lines")
    assert not long, f"files over {MAX_FILE_LINES} lines (split by concept):\n" + "\n".join(long)


def test_no_function_is_over_the_limit():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = function_lines(node)
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{_rel(path)}:{node.lineno} {node.name}(): {n} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_the_count_skips_the_docstring_and_nothing_else():
    # guards the measure itself: a docstring is free, code and comments after it count
    tree = ast.parse(
        'def f():\n    """Doc.\n\n    More doc.\n    """\n    # why\n    x = 1\n    return x\n'
        "def g(a,\n      b):\n    return a\n"
    )
    f, g = tree.body
    assert function_lines(f) == 3
    assert function_lines(g) == 3
