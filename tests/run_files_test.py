"""One table names every run-directory file: the module's table lists exactly its names, and
no module spells a file name itself (writers and readers take it from ``run_files``)."""

import ast
import re
from pathlib import Path

from trainwise import run_files

SRC = Path(run_files.__file__).resolve().parent

#: A checkpoint folder has its own layout (checkpoint/store.py), which happens to reuse the
#: run's weights file name on purpose: a checkpoint's model.safetensors loads on its own.
OWN_LAYOUT = {"checkpoint/store.py"}


def test_the_table_lists_every_name_in_order():
    rows = re.findall(r"^([\w.]+?)/? {2,}\S", run_files.__doc__, flags=re.M)
    names = [r for r in rows if r != "name"]  # the header row
    assert names == list(run_files.ALL)
    assert len(set(run_files.ALL)) == len(run_files.ALL)


def _string_constants(tree: ast.AST):
    """Every string literal that is not a docstring (f-string parts included)."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                yield node


def test_no_module_spells_a_run_file_name():
    # names with a dot, and "checkpoints": the folder names best/, eval/ and tensorboard/
    # are also ordinary words (the `eval` command), so they are not searched for
    names = {n for n in run_files.ALL if "." in n} | {run_files.CHECKPOINTS}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "run_files.py" or rel in OWN_LAYOUT:
            continue
        for node in _string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            if node.value in names:
                found.append(f"src/trainwise/{rel}:{node.lineno}: {node.value!r}")
    assert not found, "use trainwise.run_files instead of:\n" + "\n".join(found)
