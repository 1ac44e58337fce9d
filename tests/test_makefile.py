"""The Makefile's prerequisite lists hold every module each step runs (issue 19): editing a module the build
reads rebuilds what depends on it. The imports are read from the package's source, with ast."""

import ast
import subprocess

from conftest import ROOT

PACKAGE = ROOT / "src" / "collaborative_citizen"


def _imports(module: str) -> set[str]:
    """The package modules `module` imports, anywhere in its text (a function's import runs in the step too)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("collaborative_citizen"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {alias.name for alias in node.names}
    return {name for name in found if (PACKAGE / f"{name}.py").is_file()}


def _closure(*modules: str) -> set[str]:
    seen, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(_imports(name))
    return seen


def _make_variable(name: str) -> set[str]:
    printed = subprocess.run(
        ["make", "-s", "-pn", "-f", "Makefile", "FORCE"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    line = next(line for line in printed.splitlines() if line.startswith(f"{name} := "))
    return {
        word.rsplit("/", 1)[-1].removesuffix(".py") for word in line.split(" := ", 1)[1].split() if word.endswith(".py")
    }


def test_the_notebooks_step_lists_every_module_the_notebooks_import():
    needed = _closure("cli", "notebooks", "findings", "about") - {"publish", "publish_html", "publish_pdf"}
    listed = _make_variable("FINDING_CODE") | _make_variable("ABOUT_CODE") | _make_variable("TABLE_INPUTS")
    assert needed - listed == set()


def test_the_publish_step_lists_every_module_it_imports():
    assert _closure("publish") - _make_variable("PUBLISH_CODE") == set()


def test_the_tables_step_lists_every_module_it_imports():
    assert _closure("tables", "changes", "errors") - _make_variable("TABLE_CODE") - {"changes"} == set()
