"""Errors that mean bad input rather than a crash, in a module of their own: the command line catches them
without importing pandas or papermill, which only the commands that need them load."""
from __future__ import annotations


class DataValidationError(ValueError):
    """The respondent data breaks the codebook; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class NotebookError(RuntimeError):
    """A notebook could not be run: unknown parameter, or a cell raised."""
