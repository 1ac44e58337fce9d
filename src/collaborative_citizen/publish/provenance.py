"""Where a report came from, as its colophon says: the data file, codebook and commit it was built from (with
their SHA-256), the build date (SOURCE_DATE_EPOCH or the last commit's, never the clock) and the versions of the
packages that shape the output."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from ..inputs.yaml_files import load_yaml
from ..paths import Paths
from .essays import (
    PublishError,
)

# Packages whose versions shape the output, named in the colophon.
PACKAGES = (
    "numpy",
    "pandas",
    "pyreadstat",
    "matplotlib",
    "papermill",
    "nbconvert",
    "nbformat",
    "Jinja2",
    "mistune",
    "weasyprint",
    "pydyf",
    "fonttools",
    "gptables",
    "XlsxWriter",
)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(root), *args], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def build_date(root: Path) -> tuple[dt.datetime, str]:
    """SOURCE_DATE_EPOCH if set, else the last commit's date: never the clock, so rebuilds are identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    source = "the date set for this edition"
    if not epoch:
        epoch, source = _git(root, "log", "-1", "--format=%ct"), "the date of the last change to the project's files"
    if not epoch:
        raise PublishError("no build date: set SOURCE_DATE_EPOCH (seconds since 1970) or build from a git checkout")
    try:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc), source
    except ValueError:
        raise PublishError(f"SOURCE_DATE_EPOCH={epoch!r} is not a whole number of seconds") from None


def codebook_digest(path: Path, wave, asked: set) -> str:
    """SHA-256 of the codebook entries this wave's report used (the questions it asked, the demographics it
    collected, the design variables), in a canonical form: a question added for a later wave leaves it as it was."""
    raw = load_yaml(path.read_text(encoding="utf-8")) or {}
    used = {
        "questions": {k: v for k, v in (raw.get("questions") or {}).items() if k in asked},
        "demographics": {k: v for k, v in (raw.get("demographics") or {}).items() if k not in wave.not_collected},
        "design": raw.get("design") or {},
    }
    text = json.dumps(used, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def provenance(paths: Paths, wave, codebook_path: Path, asked: set) -> dict:
    date, source = build_date(paths.root)
    commit = _git(paths.root, "rev-parse", "HEAD")
    status = _git(paths.root, "status", "--porcelain")
    versions = [("Python", sys.version.split()[0])]
    for name in PACKAGES:
        try:
            versions.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return {
        "date": date,
        "date_iso": date.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "date_text": f"{date.day} {date:%B %Y}",
        "date_source": source,
        "data_file": paths.show(wave.data_file),
        "data_sha256": sha256(wave.data_file),
        "codebook": paths.show(codebook_path),
        "codebook_sha256": codebook_digest(codebook_path, wave, asked),
        "commit": commit or "unknown",
        "dirty": bool(status),
        "versions": versions,
    }
