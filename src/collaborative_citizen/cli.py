"""Command line: the Makefile's build steps, one sub-command each, one progress line per step."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .codebook import CodebookError, load_codebook
from .loading import DataValidationError, load_respondents
from .notebooks import NotebookError
from .waves import WaveError, load_wave, wave_folder

# Invalid input exits with this status (and no traceback); 1 is left for genuine crashes.
EXIT_INVALID = 2


def cmd_validate(args) -> int:
    respondents = _respondents(args)
    print(f"validate: {args.wave}: {len(respondents)} respondents in {respondents.source} match {args.codebook}")
    return 0


def cmd_tables(args) -> int:
    from .tables import weighted_tables, write_results

    respondents = _respondents(args)
    table = weighted_tables(respondents)
    out = Path(args.build_dir) / args.wave / "results.csv"
    write_results(table, out)
    print(f"tables: {args.wave}: {len(respondents)} respondents, {len(table)} cells -> {out}")
    return 0


def cmd_notebook(args) -> int:
    from .notebooks import run_notebook

    notebook = Path(args.notebook)
    output = Path(args.build_dir) / args.wave / "notebooks" / notebook.name
    parameters = {"wave": args.wave, "data_dir": args.data_dir, "build_dir": args.build_dir}
    if args.figures_dir:
        parameters["figures_dir"] = args.figures_dir
    for pair in args.parameter or []:
        name, _, value = pair.partition("=")
        parameters[name] = value
    run_notebook(notebook, output, parameters, cwd=Path.cwd())
    print(f"notebook: {args.wave}: {notebook.name} -> {output}")
    return 0


def _respondents(args):
    codebook = load_codebook(args.codebook)
    wave = load_wave(wave_folder(args.data_dir, args.wave))
    return load_respondents(wave, codebook)


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="collaborative-citizen", description=__doc__)
    main.add_argument("--data-dir", default="data", help="folder holding codebook.yml and waves/ (default: data)")
    main.add_argument("--codebook", default=None, help="codebook file (default: <data-dir>/codebook.yml)")
    main.add_argument("--build-dir", default="report/build", help="where built outputs go (default: report/build)")
    commands = main.add_subparsers(dest="command", required=True)
    for name, func, text in (("validate", cmd_validate, "check a wave's respondent file against the codebook"),
                             ("tables", cmd_tables, "write the weighted tables of a wave to results.csv")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--wave", default="2014", help="wave id, a folder of data/waves (default: 2014)")
        sub.set_defaults(func=func)
    sub = commands.add_parser("notebook", help="execute one report notebook with papermill")
    sub.add_argument("notebook", help="path of the notebook, e.g. notebooks/03_dignity_and_outcomes.ipynb")
    sub.add_argument("--wave", default="2014", help="wave id (default: 2014)")
    sub.add_argument("--figures-dir", default=None, help="where charts go (finding notebooks; default: figures)")
    sub.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                     help="another notebook parameter; a name the notebook does not declare is an error")
    sub.set_defaults(func=cmd_notebook)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.codebook is None:
        args.codebook = str(Path(args.data_dir) / "codebook.yml")
    try:
        return args.func(args)
    except DataValidationError as error:
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        print(f"{args.command}: {len(error.problems)} problem(s) in the input; nothing was written", file=sys.stderr)
        return EXIT_INVALID
    except (CodebookError, WaveError, NotebookError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_INVALID


if __name__ == "__main__":
    sys.exit(main())
