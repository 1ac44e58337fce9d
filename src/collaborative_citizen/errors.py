"""Errors that mean bad input rather than a crash, every stage's in this one module: the command line catches them
without importing pandas, papermill or the publishing libraries, which only the commands that need them load."""

from __future__ import annotations


class CodebookError(ValueError):
    """The codebook itself is inconsistent; raised with the file name and the offending key."""


class WaveError(ValueError):
    """A wave description is missing or wrong; the message names the file and the field."""


class DesignError(ValueError):
    """The declared design cannot give a variance (a lonely PSU with lonely_psu: fail)."""


class PublishError(ValueError):
    """Bad input to the publishing step; `problems` holds one line per problem, each naming its file."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class DataValidationError(ValueError):
    """The respondent data breaks the codebook; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class NotebookError(RuntimeError):
    """A notebook could not be run: unknown parameter, or a cell raised."""


class InputError(ValueError):
    """A setting the build was given is wrong (an environment variable, say); the message names it."""


# The latest date a build may carry: 31 December 9999. A larger SOURCE_DATE_EPOCH is milliseconds, not seconds.
LATEST_EPOCH = 253_402_300_799


def check_source_date_epoch(value: str | None) -> int | None:
    """SOURCE_DATE_EPOCH as a whole number of seconds since 1970, checked before any work starts (a bad value
    would otherwise surface in the charts' kernels as a time-out, half a minute later)."""
    if value is None or value == "":
        return None
    text = value.strip()
    if not text.isdigit():
        raise InputError(
            f"SOURCE_DATE_EPOCH={value!r}: not a whole number of seconds since 1970 (expected e.g. "
            "1391126400, or unset to use the last commit's date)"
        )
    if int(text) > LATEST_EPOCH:
        raise InputError(
            f"SOURCE_DATE_EPOCH={value!r}: after the year 9999; milliseconds rather than seconds? "
            f"(expected seconds since 1970, e.g. {int(text) // 1000})"
        )
    return int(text)


def os_error_line(error: OSError) -> str:
    """'report/build/x.csv: could not be written: No space left on device' from any OSError."""
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or ' '.join(str(error).split())}"
