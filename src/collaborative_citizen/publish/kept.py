"""Results of the HTML step's costliest pure steps (the parts made from the tables, each executed notebook's
finding, each fragment cleaned, each part fact-checked) kept from one build for the next, so
that an edited essay recomputes its own and little else.

A result is kept as JSON in a file named by a digest of the step, its inputs, the package's code and the versions
of the libraries doing the work: a change to any of them computes it afresh. A step gives the same JSON-shaped
value (lists, dicts, strings, numbers) whether it was computed or read back, so a build reads the same either way.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
# The libraries whose results the steps keep: nh3 cleans the fragments, pandas reads results.csv into the tables.
LIBRARIES = ("nh3", "pandas", "numpy")


@lru_cache(maxsize=1)
def code_digest() -> str:
    digest = hashlib.sha256()
    for name in LIBRARIES:
        digest.update(f"{name}=={metadata.version(name)}\0".encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files_digest(paths: Iterable[Path]) -> str:
    """One digest of the files, each by its folder's and its own name and its content."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(f"{path.parent.name}/{path.name}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


class KeptResults:
    """The kept results in `folder` (None: nothing kept, every step computed)."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.used: set[str] = set()

    def get(self, step: str, inputs: Iterable[str], compute: Callable[[], object]):
        """`compute()`'s value, as JSON gives it back, read from the folder when an earlier build kept it for the
        same `step` and `inputs` (strings that say everything the value depends on beside the code)."""
        digest = hashlib.sha256(f"{code_digest()}\0{step}".encode())
        for text in inputs:
            digest.update(b"\0" + text.encode("utf-8"))
        key = digest.hexdigest()
        self.used.add(key)
        path = None if self.folder is None else self.folder / f"{key}.json"
        if path is not None:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass  # not kept (or cut short: computed again)
        text = json.dumps(compute(), ensure_ascii=False)
        if path is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
        return json.loads(text)

    def forget_others(self) -> None:
        """Remove what this build did not use (the results for an essay's earlier wording, say)."""
        forget_unused(self.folder, self.used)


def forget_unused(folder: Path | None, used: set[str]) -> None:
    """Remove the files of `folder` whose name (up to its first dot) is not in `used`, and what an interrupted build
    left half written (`.<name>.<pid>.partial`, of a process no longer running)."""
    if folder is None or not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith("."):
            if path.name.endswith(".partial") and not _running(path.name.split(".")[-2]):
                path.unlink(missing_ok=True)
        elif path.name.split(".")[0] not in used:
            path.unlink(missing_ok=True)


def _running(pid: str) -> bool:
    """Whether the process named in a partial file's name may still be writing it (where /proc cannot tell: yes)."""
    if not Path("/proc").is_dir():
        return True
    return pid.isdigit() and Path(f"/proc/{pid}").exists()
