"""The in-process lower bound of a cold build: one Python process, the package imported once, the tables, every
notebook's code run in that process (its HTML output kept as the notebook would keep it), then the workbook, the
HTML and the tagged PDF, one after another. Run as `python -c LOWER_BOUND <wave>` in a copy of the project; it
writes into lb-build/ and lb-figures/ there. (A benchmark's harness, not the product: it runs the notebooks' code
without a kernel, which the build never does.)"""

# The lower bound: every notebook's code run in this one process (its HTML output kept as the notebook would
# keep it), then the publishing steps, in the same process.
LOWER_BOUND = r"""
import os, sys
from pathlib import Path
import nbformat
from collaborative_citizen.analysis import tables  # noqa: F401  (the package, imported once)
from collaborative_citizen.cli import main as cli
from collaborative_citizen.paths import Paths
from collaborative_citizen.publish.report import build_pdf, publish_step

wave, build = sys.argv[1], "lb-build"
assert cli(["--build-dir", build, "tables", "--wave", wave]) == 0
import yaml
config = yaml.safe_load(Path("report/report.yml").read_text())
jobs = [(Path("notebooks/00_about_the_survey.ipynb"), "00_about_the_survey", {})]
jobs += [(Path("notebooks/finding.ipynb"), f["notebook"], {"finding": f["number"]}) for f in config["findings"]]
for source, name, choice in jobs:
    notebook = nbformat.read(source, as_version=4)
    shown = []
    namespace = {"display": lambda obj: shown.append(obj), "__name__": "__main__"}
    parameters = {"wave": wave, "data_dir": "data", "build_dir": build, "figures_dir": "lb-figures", **choice}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in cell.metadata.get("tags", []):
            exec(cell.source, namespace)
            namespace.update({k: v for k, v in parameters.items() if k in namespace})
            continue
        exec(cell.source.replace("from IPython.display import HTML, display", "from IPython.display import HTML"),
             namespace)
        if shown:
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": shown[-1].data})]
            shown.clear()
    out = Path(build) / wave / "notebooks" / f"{name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out)
paths = Paths(root=Path.cwd(), data=Path("data"), report=Path("report"), build=Path(build), wave=wave)
for step in ("xlsx", "html"):
    publish_step(step, paths, wave)
build_pdf(paths, workers=1, keep_pieces=False)  # (every piece, one after another, in this process)
"""
