"""The Makefile's prerequisite lists hold every module each step runs: editing a module the build
reads rebuilds what depends on it. The imports are read from the package's source, with ast."""

import ast
import subprocess

from conftest import ROOT

PACKAGE = ROOT / "src" / "collaborative_citizen"


def _module_file(dotted: str):
    """The file of a package module named with dots below the package ("inputs.codebook"), or None."""
    path = PACKAGE.joinpath(*dotted.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _name(path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")


def _imports(module: str) -> set[str]:
    """The package modules `module` imports, anywhere in its text (a function's import runs in the step too),
    as dotted names below the package."""
    path = _module_file(module)
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = package[: len(package) - (node.level - 1)]
        elif (node.module or "").startswith("collaborative_citizen"):
            base = []
        else:
            continue
        target = [*base, *(node.module or "").split(".")] if node.module else base
        if target and target[0] == "collaborative_citizen":
            target = target[1:]
        for candidate in [".".join(target)] + [".".join([*target, alias.name]) for alias in node.names]:
            if candidate and _module_file(candidate):
                found.add(_name(_module_file(candidate)))
    return found


def _closure(*modules: str) -> set[str]:
    seen, todo = set(), list(modules)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo += sorted(_imports(name))
    return seen


def _make_variable(name: str) -> set[str]:
    """The package modules a variable of the Makefile lists, as dotted names."""
    printed = subprocess.run(
        ["make", "-s", "-pn", "-f", "Makefile", "FORCE"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    line = next(line for line in printed.splitlines() if line.startswith(f"{name} := "))
    return {_name(ROOT / word) for word in line.split(" := ", 1)[1].split() if word.endswith(".py")}


def test_the_notebooks_step_lists_every_module_the_notebooks_import():
    needed = _closure("cli", "notebooks", "findings.finding", "findings.about")
    listed = _make_variable("FINDING_CODE") | _make_variable("ABOUT_CODE") | _make_variable("TABLE_INPUTS")
    # The command line imports the publish stage only in the publish command, which the notebooks step never runs.
    assert {n for n in needed - listed if not n.startswith("publish")} == set()
    assert "findings.charts" in needed and "inputs.codebook" in needed  # the closure follows relative imports


def test_the_publish_step_lists_every_module_it_imports():
    assert _closure("publish.report") - _make_variable("PUBLISH_CODE") == set()


def test_the_tables_step_lists_every_module_it_imports():
    assert _closure("analysis.tables", "analysis.changes", "errors") - _make_variable("TABLE_CODE") == set()


def test_every_module_of_a_stage_is_a_prerequisite_of_the_steps_that_import_the_stage():
    """A new module needs no edit of the Makefile: each stage's files are found by wildcard."""
    for stage, variable in (("inputs", "TABLE_CODE"), ("analysis", "TABLE_CODE"), ("findings", "FINDING_CODE")):
        on_disk = {_name(p) for p in (PACKAGE / stage).glob("*.py")}
        assert on_disk <= _make_variable(variable), (stage, on_disk - _make_variable(variable))


def test_the_notebooks_step_follows_the_wave_and_the_codebook_as_well_as_the_tables():
    """The notebooks read wave.yml (base lines, fieldwork dates), the codebook (labels) and targets.csv (what the
    original published) directly: a change there that leaves the tables as they were must still re-run them."""
    printed = subprocess.run(
        ["make", "-s", "-pn", "-f", "Makefile", "FORCE"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    rule = next(line for line in printed.splitlines() if line.startswith("report/build/.work/stamps/2014/notebooks"))
    needed = rule.split(":", 1)[1].split()
    for path in (
        "data/codebook.yml",
        "data/waves/2014/wave.yml",
        "data/waves/2014/respondents.sav",
        "data/waves/2014/targets.csv",
        "report/build/.work/build/2014/results.csv",
    ):
        assert path in needed, path
