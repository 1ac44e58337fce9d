"""What a wave id may be, said once: the name of one folder of data/waves, never a path or make syntax.

The Makefile runs this file with the system's Python before it uses WAVE for anything (it imports nothing, so it
runs before the environment exists); the command line and the wave loader import it."""

from __future__ import annotations

import re
import sys

WAVE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def is_plain_id(text) -> bool:
    """Whether `text` names one folder of data/waves: no path separators, no '..', nothing empty or hidden."""
    return isinstance(text, str) and bool(WAVE_ID.fullmatch(text))


def wave_id_problem(wave: str, waves_dir: str, name: str = "--wave") -> str | None:
    """The one-line error for a wave id that is not plain (None for a good one)."""
    if is_plain_id(wave):
        return None
    shown = f"{name}{wave!r}" if name.endswith("=") else f"{name} {wave!r}"
    return (
        f"error: {shown}: not a plain wave id (expected letters, digits, '-', '_' or '.', starting with a letter or "
        f"digit, naming a folder of {waves_dir})"
    )


if __name__ == "__main__":  # python3 wave_id.py <wave> <waves folder>: prints the problem, or "ok"
    print(wave_id_problem(sys.argv[1], sys.argv[2], "WAVE=") or "ok")
