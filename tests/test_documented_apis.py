"""The report's modules use only the documented APIs of the libraries they build on: no private name
of jupyter_client, nbclient, nbconvert, papermill or WeasyPrint, no CPython exit tricks, so that upgrading any of
them needs no reading of its internals."""

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "collaborative_citizen"
LIBRARIES = ("jupyter_client", "nbclient", "nbconvert", "papermill", "weasyprint", "pypdf", "atexit", "cffi")
PRIVATE = re.compile(rf"\b(?:{'|'.join(LIBRARIES)})(?:\.\w+)*\._\w+|\bos\._exit\b|\bsys\._getframe\b")
# `from weasyprint.text import _ffi`, `import nbconvert._x`, and a name imported under an underscore.
PRIVATE_IMPORT = re.compile(
    rf"^\s*(?:from\s+(?:{'|'.join(LIBRARIES)})[\w.]*\s+import\s+[^#\n]*\b_\w+|import\s+(?:{'|'.join(LIBRARIES)})[\w.]*\._)",
    re.M,
)


def _sources():
    return sorted(PACKAGE.rglob("*.py"))


def test_the_check_finds_what_it_looks_for():
    assert PRIVATE.search("atexit._run_exitfuncs()") and PRIVATE.search("os._exit(0)")
    assert PRIVATE.search("jupyter_client.asynchronous.client._wait") and not PRIVATE.search("jupyter_client.manager")
    assert PRIVATE_IMPORT.search("from weasyprint.text.ffi import ffi, _x")
    assert not PRIVATE_IMPORT.search("from weasyprint import HTML")


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_no_private_name_of_another_library(path):
    text = path.read_text(encoding="utf-8")
    found = PRIVATE.findall(text) + PRIVATE_IMPORT.findall(text)
    assert found == [], f"{path.name}: {found}"


def test_no_module_reaches_into_weasyprint_or_jupyter_objects():
    """Private attributes of the objects these libraries hand back (a kernel client's `_handle_...`, a font
    configuration's `_folder`, a writer's `_root_object`) are off limits too."""
    reach = re.compile(
        r"\.(?:_handle_kernel_info_reply|_async_is_alive|_folder|_root_object|_init_resources|_nb_metadata"
        r"|_typeof_locked)\b|\.__del__\(\)"
    )
    assert reach.search("writer._root_object[key]") and not reach.search("wave_folder(data)")
    for path in _sources():
        assert reach.findall(path.read_text(encoding="utf-8")) == [], path.name


# Rooms a maintainer can read in one sitting (issue 19): the longest module and the longest class.
MODULE_LINES = 400
CLASS_LINES = 200


def _class_lengths(path: Path) -> dict[str, int]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name: node.end_lineno - node.lineno + 1 for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}


def test_every_module_reads_in_one_sitting():
    long = {
        p.relative_to(PACKAGE).as_posix(): n
        for p in _sources()
        if (n := len(p.read_text().splitlines())) > MODULE_LINES
    }
    assert long == {}, f"modules over {MODULE_LINES} lines: {long}"


def test_no_class_is_over_two_hundred_lines():
    long = {
        f"{p.relative_to(PACKAGE).as_posix()}:{name}": n
        for p in _sources()
        for name, n in _class_lengths(p).items()
        if n > CLASS_LINES
    }
    assert long == {}, f"classes over {CLASS_LINES} lines: {long}"
