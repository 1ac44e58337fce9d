"""The command line, `collaborative-citizen <step>` (or `python -m collaborative_citizen <step>`): the Makefile's
build steps, one sub-command each, one progress line per step.

    validate   check a wave's respondent file against the codebook
    tables     the weighted tables of a wave (results.csv, changes.csv, not_asked.csv)
    notebook   execute one report notebook; notebooks: several at once, one kernel per core
    publish    the workbook, the HTML and the PDF (xlsx, html, pdf; several in one process)
    preview    serve the wave's report on 127.0.0.1 and rebuild it on every saved change

Invalid input exits 2 with one `error:` line per problem and no traceback; anything else exits 1 with one line.
DEBUG=1 in the environment shows the traceback as well."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

from .errors import (
    CodebookError,
    DataValidationError,
    InputError,
    NotebookError,
    PublishError,
    WaveError,
    check_source_date_epoch,
    os_error_line,
)

# pandas and papermill are imported by the commands that use them: the notebooks command starts its kernels
# sooner without them.
from .inputs.codebook import load_codebook
from .inputs.waves import load_wave, wave_folder
from .wave_id import wave_id_problem

# Invalid input exits with this status (and no traceback); 1 is left for genuine crashes.
EXIT_INVALID = 2
# A file that is wrong everywhere (the wrong file, a shifted column) would otherwise print thousands of lines.
PROBLEMS_LISTED = 100


def cmd_validate(args) -> int:
    respondents = _respondents(args)
    print(f"validate: {args.wave}: {len(respondents)} respondents in {respondents.source} match {args.codebook}")
    return 0


def cmd_tables(args) -> int:
    from .analysis import publication_rules
    from .analysis.changes import earlier_estimates, not_asked, wave_changes, write_changes
    from .analysis.results_file import write_results
    from .analysis.tables import weighted_tables

    respondents = _respondents(args)
    table = publication_rules.apply(weighted_tables(respondents))
    sources = earlier_estimates(Path(args.data_dir), respondents.wave, respondents.codebook)
    changes = publication_rules.apply_to_changes(
        wave_changes(table, respondents.wave, respondents.codebook, Path(args.data_dir), sources)
    )
    out = Path(args.build_dir) / args.wave / "results.csv"
    # The full table, suppressed cells included, is for analysts only: it is kept outside what is published.
    write_results(table, Path(args.build_dir).parent / "analysis" / args.wave / "results-unsuppressed.csv")
    # changes.csv and not_asked.csv first: results.csv is what make checks, so it must appear only when all three
    # are written, and takes a new time whenever one of them changed (each is rewritten only when it changes).
    changed = write_changes(changes, out.with_name("changes.csv"))
    changed |= write_results(
        not_asked(respondents.asked, respondents.wave, respondents.codebook, sources), out.with_name("not_asked.csv")
    )
    if not write_results(publication_rules.suppress(table), out) and changed:
        out.touch()
    compared = sorted(set(changes.previous_wave)) if len(changes) else []
    print(
        f"tables: {args.wave}: {len(respondents)} respondents, {len(table)} cells"
        + (f", compared with {', '.join(compared)}" if compared else "")
        + f" -> {out}"
    )
    return 0


def cmd_notebook(args) -> int:
    from .notebooks import check_source_date_epoch, resolve_notebook, run_notebook

    check_source_date_epoch()
    notebook = Path(args.notebook)
    source, choice = resolve_notebook(notebook)
    output = Path(args.build_dir) / args.wave / "notebooks" / notebook.name
    parameters = {"wave": args.wave, "data_dir": args.data_dir, "build_dir": args.build_dir, **choice}
    if args.figures_dir:
        parameters["figures_dir"] = args.figures_dir
    for pair in args.parameter or []:
        name, _, value = pair.partition("=")
        parameters[name] = value
    run_notebook(notebook, output, parameters, cwd=Path.cwd(), source=source)
    print(f"notebook: {args.wave}: {notebook.name} -> {output}")
    return 0


def cmd_notebooks(args) -> int:
    """Several notebooks at once, one kernel per core (see notebooks.run_notebooks); one line per notebook."""
    from .kernels import remove_kernel_root

    try:
        return _notebooks(args)
    finally:
        remove_kernel_root()  # the kernels' socket folders, also when the run was interrupted


def _notebooks(args) -> int:
    from .notebooks import check_source_date_epoch, notebook_job, run_notebooks

    check_source_date_epoch()
    jobs = [  # once each, in the order given
        notebook_job(Path(name), args.wave, args.data_dir, args.build_dir, args.figures_dir)
        for name in dict.fromkeys(args.notebooks)
    ]

    def done(job):
        print(f"notebook: {args.wave}: {job.notebook.name} -> {job.output}", flush=True)

    errors = run_notebooks(jobs, cwd=Path.cwd(), done=done)
    if errors:
        raise NotebookError("\n".join(errors))
    if args.stamp:
        stamp = Path(args.stamp)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text("".join(f"{job.notebook}\n" for job in jobs), encoding="utf-8")
    return 0


def cmd_publish(args) -> int:
    from .paths import Paths

    paths = Paths(
        root=Path.cwd(),
        data=Path(args.data_dir),
        report=Path(args.report_dir),
        build=Path(args.build_dir),
        wave=args.wave,
    )
    # Several outputs in one process (make runs `publish html pdf`) share its start-up and imports; a PDF after
    # the HTML has its layout worker started first, before the HTML step's libraries are imported here, and
    # getting ready while the page is rendered.
    layouts = None
    if "pdf" in args.outputs[1:] and "html" in args.outputs[: args.outputs.index("pdf")]:
        from .publish.pdf import start_pdf

        layouts = start_pdf(paths)
    try:
        from .publish.report import publish_step

        for output in args.outputs:
            publish_step(output, paths, args.wave, pdf_layouts=layouts if output in ("html", "pdf") else None)
    finally:
        if layouts is not None:
            layouts.close()
    return 0


def cmd_preview(args) -> int:
    """Serves until Ctrl-C (or SIGTERM, taken the same way). --build-dir is the make work tree's build folder."""
    import signal

    from .kernels import remove_kernel_root
    from .preview import Preview, serve

    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        serve(Preview(args.wave, args.make_args, Path(args.build_dir) / args.wave, Path.cwd()), args.port)
    finally:
        remove_kernel_root()  # the socket folder of the kernel it kept for finding templates
    return 0


def _respondents(args):
    from .inputs.loading import load_respondents

    codebook = load_codebook(args.codebook)
    wave = load_wave(wave_folder(args.data_dir, args.wave))
    respondents = load_respondents(wave, codebook)
    for line in respondents.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return respondents


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="collaborative-citizen", description=__doc__)
    main.add_argument("--data-dir", default="data", help="folder holding codebook.yml and waves/ (default: data)")
    main.add_argument("--codebook", default=None, help="codebook file (default: <data-dir>/codebook.yml)")
    main.add_argument("--build-dir", default="report/build", help="where built outputs go (default: report/build)")
    # The same options after the step's name too (`collaborative-citizen publish html --build-dir x`): given
    # there, they override the ones before it.
    anywhere = argparse.ArgumentParser(add_help=False)
    for option in ("--data-dir", "--codebook", "--build-dir"):
        anywhere.add_argument(option, default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    commands = main.add_subparsers(dest="command", required=True)
    for name, func, text in (
        ("validate", cmd_validate, "check a wave's respondent file against the codebook"),
        ("tables", cmd_tables, "write the weighted tables of a wave to results.csv"),
    ):
        sub = commands.add_parser(name, parents=[anywhere], help=text)
        sub.add_argument("--wave", default="2014", help="wave id, a folder of data/waves (default: 2014)")
        sub.set_defaults(func=func)
    sub = commands.add_parser("notebook", parents=[anywhere], help="execute one report notebook with papermill")
    sub.add_argument(
        "notebook",
        help="a notebook of notebooks/, or a finding as report.yml names it, run by notebooks/finding.ipynb "
        "(e.g. notebooks/03_dignity_and_outcomes.ipynb)",
    )
    sub.add_argument("--wave", default="2014", help="wave id (default: 2014)")
    sub.add_argument("--figures-dir", default=None, help="where charts go (finding notebooks; default: figures)")
    sub.add_argument(
        "-p",
        "--parameter",
        action="append",
        metavar="NAME=VALUE",
        help="another notebook parameter; a name the notebook does not declare is an error",
    )
    sub.set_defaults(func=cmd_notebook)
    sub = commands.add_parser(
        "notebooks", parents=[anywhere], help="execute several report notebooks at once, one kernel per core"
    )
    sub.add_argument("notebooks", nargs="*", help="paths of the notebooks (none: nothing to do)")
    sub.add_argument("--wave", default="2014", help="wave id (default: 2014)")
    sub.add_argument(
        "--figures-dir",
        default=None,
        help="where charts go, for the notebooks that declare figures_dir (default: figures)",
    )
    sub.add_argument("--stamp", default=None, help="file to write when every notebook succeeded (for make)")
    sub.set_defaults(func=cmd_notebooks)
    sub = commands.add_parser(
        "publish",
        parents=[anywhere],
        help="write the workbook, the HTML and the PDF of a wave's report",
        description="xlsx writes the weighted tables of <build-dir>/<wave>/results.csv as a workbook beside it; html "
        "reads report.yml, the commentary, the codebook, the wave and the executed notebooks, and writes "
        "collaborative-citizen-<wave>.html and the merged notebook; pdf turns that HTML into the PDF. Each prints one "
        "line; bad input stops it with exit status 2 and leaves the previous outputs in place.",
    )
    sub.add_argument("outputs", nargs="+", choices=("html", "pdf", "xlsx"), help="what to write, in order")
    sub.add_argument("--wave", default="2014", help="wave id (default: 2014)")
    sub.add_argument("--report-dir", default="report", help="report.yml and commentary/ (default: report)")
    sub.set_defaults(func=cmd_publish)
    sub = commands.add_parser(
        "preview", parents=[anywhere], help="serve the wave's report on 127.0.0.1, rebuilt on every save"
    )
    sub.add_argument("--wave", default="2014", help="wave id (default: 2014)")
    sub.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    sub.add_argument("make_args", nargs="*", help="variables passed on to make (DATA_DIR=..., BUILD_ROOT=...)")
    sub.set_defaults(func=cmd_preview)
    return main


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command. Invalid input exits 2 with one `error:` line per problem and no traceback;
    anything else exits 1 with one line. DEBUG=1 in the environment shows the traceback as well."""
    args = parser().parse_args(argv)
    if args.codebook is None:
        args.codebook = str(Path(args.data_dir) / "codebook.yml")
    wave = getattr(args, "wave", None)
    problem = None if wave is None else wave_id_problem(wave, str(Path(args.data_dir) / "waves"))
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_INVALID
    try:
        check_source_date_epoch(os.environ.get("SOURCE_DATE_EPOCH"))
        return args.func(args)
    except PublishError as error:
        _traceback_if_debugging()
        for line in error.problems:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_INVALID
    except DataValidationError as error:
        _traceback_if_debugging()
        for line in error.problems[:PROBLEMS_LISTED]:
            print(f"error: {line}", file=sys.stderr)
        hidden = len(error.problems) - PROBLEMS_LISTED
        more = f" ({hidden} not listed: fix these first)" if hidden > 0 else ""
        print(
            f"{args.command}: {len(error.problems)} problem(s) in the input{more}; nothing was written", file=sys.stderr
        )
        return EXIT_INVALID
    except (CodebookError, WaveError, NotebookError, InputError) as error:
        _traceback_if_debugging()
        for line in str(error).splitlines() or [type(error).__name__]:
            print(f"error: {line}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print(f"error: {args.command}: interrupted; the published report and tables are unchanged", file=sys.stderr)
        return 130
    except OSError as error:  # a full disk, a folder that cannot be written: the file, and what the system said
        _traceback_if_debugging()
        print(
            f"error: {os_error_line(error)} ({args.command}; the published report and tables are unchanged)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    except Exception as error:  # a genuine crash: one line, the traceback only on request
        _traceback_if_debugging()
        where = f"{error.filename}: " if isinstance(error, OSError) and error.filename else ""
        detail = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        print(
            f"error: {where}{args.command} failed: {type(error).__name__}: {' '.join(detail.split())}"
            + ("" if debugging() else " (run with DEBUG=1 for the traceback)"),
            file=sys.stderr,
        )
        return 1


def debugging() -> bool:
    return os.environ.get("DEBUG", "").strip().lower() not in ("", "0", "no", "false")


def _traceback_if_debugging() -> None:
    if debugging():
        traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
