"""One finding of the report: its numbers, chart, base line, notes and commentary, all from results.csv. The
figures are here; the chart, the words and the group comparisons are in drawing.py, commentary.py and
comparisons.py.

A finding notebook calls, in order: `Finding.load(...)`, `.draw(...)`, `.write_summary(...)`, `.html()`."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from ..analysis.changes import read_changes, read_not_asked
from ..analysis.results_file import read_results
from ..analysis.statistics import ALPHA
from ..inputs.codebook import Codebook, Variable, load_codebook
from ..inputs.waves import Wave, load_wave, wave_folder
from ..inputs.yaml_files import load_yaml, yaml_problem
from .commentary import FindingText, TemplateProblem  # noqa: F401 (what Finding raises for a bad template)
from .comparisons import GroupComparisons
from .drawing import Chart, FindingChart
from .wording import Number


def load_report_config(path: str | Path) -> dict:
    try:
        return load_yaml(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: {yaml_problem(error)} (expected valid YAML)") from None


def published_cells(wave: Wave) -> set[tuple[str, str, str]]:
    """(question, item, answer) of whole-sample figures the original report published, for a reconstructed
    wave: every other figure shown from it is an assumption and must be presented as one."""
    path = wave.folder / "targets.csv"
    if not wave.reconstructed or not path.is_file():
        return set()
    targets = pd.read_csv(path, dtype=str, keep_default_na=False)
    figures = targets[(targets.kind == "figure") & (targets.breakdown == "total")]
    return set(zip(figures.question, figures["item"], figures.answer))


@dataclass(frozen=True)
class Change:
    """A figure of this wave against the same figure in the latest earlier wave that has it (changes.csv)."""

    wave: str
    before: Number
    now: Number
    p_value: float  # NaN when the earlier figure cannot be tested (published without a base)
    design_note: str  # how the two waves' designs differ, "" when they do not
    p_adjusted: float = math.nan  # adjusted for every change tested (publication_rules.py)

    @property
    def testable(self) -> bool:
        return not math.isnan(self.p_value)

    @property
    def significant(self) -> bool:
        """Significant once adjusted for every change tested, as a reviewer would count it."""
        return self.testable and self.p_adjusted < ALPHA

    @property
    def up(self) -> bool:
        return self.now > self.before

    @property
    def gap(self) -> Number:
        return Number(abs(self.now - self.before), f"{self.now.key}-since-{self.wave}")


@dataclass
class Finding(FindingText, FindingChart, GroupComparisons):
    """A finding's figures from results.csv and changes.csv; what it draws (drawing.py), says (commentary.py) and
    compares (comparisons.py) comes from the mixins."""

    number: int
    spec: dict
    wave: Wave
    codebook: Codebook
    table: pd.DataFrame  # this question's rows of results.csv
    config: dict
    template_dir: Path
    published: set = field(default_factory=set)
    changes_table: pd.DataFrame = field(default_factory=pd.DataFrame)  # this question's rows of changes.csv
    claims: list = field(default_factory=list)
    last_asked: str | None = None  # for a question this wave did not ask: the latest earlier wave that did
    chart: Chart | None = None
    # Items of the question this wave did not ask: (item, the latest earlier wave that asked it, or "").
    items_not_asked: list = field(default_factory=list)

    @classmethod
    def load(
        cls,
        number: int,
        wave: str,
        data_dir: str | Path = "data",
        build_dir: str | Path = "report/build",
        report_config: str | Path = "report/report.yml",
    ) -> "Finding":
        data_dir, config = Path(data_dir), load_report_config(report_config)
        specs = {f["number"]: f for f in config["findings"]}
        if number not in specs:
            raise KeyError(f"{report_config}: no finding {number} (findings: {sorted(specs)})")
        spec = specs[number]
        the_wave = load_wave(wave_folder(data_dir, wave))
        codebook = load_codebook(data_dir / "codebook.yml").for_wave(the_wave)
        question = codebook.questions[spec["question"]]
        out = Path(build_dir) / the_wave.id
        results = read_results(out / "results.csv")
        changes = read_changes(out / "changes.csv")
        # What this wave did not ask, with the wave that last did, as the tables step found it.
        missing = read_not_asked(out / "not_asked.csv")
        missing = missing[missing.question == question.key]
        table = results[results.question == question.key].reset_index(drop=True)
        whole = missing[missing["item"] == ""]
        return cls(
            number=number,
            spec=spec,
            wave=the_wave,
            codebook=codebook,
            table=table,
            config=config,
            template_dir=Path(report_config).parent / "findings",
            published=published_cells(the_wave),
            changes_table=changes[changes.question == question.key].reset_index(drop=True),
            last_asked=(whole.last_asked.iloc[0] or None) if len(whole) else None,
            items_not_asked=[(r.item, r.last_asked) for r in missing[missing["item"] != ""].itertuples()],
        )

    @property
    def asked(self) -> bool:
        """A wave need not ask every question; a finding it did not ask is reported as such, not dropped."""
        return not self.table.empty

    # --- numbers ---------------------------------------------------------------------------------------------

    @property
    def question(self) -> Variable:
        return self.codebook.questions[self.spec["question"]]

    @property
    def slug(self) -> str:
        return self.spec["notebook"].split("_", 1)[1]

    def row(self, answer: str, item: str = "", breakdown: str = "total", group: str = "total") -> pd.Series:
        rows = self._rows().get((item, answer, breakdown, group), [])
        if len(rows) != 1:
            raise KeyError(
                f"finding {self.number}: no figure for {self.question.key}/{item or '-'}/{answer} "
                f"in {breakdown}={group}"
            )
        return self.table.iloc[rows[0]]

    def _rows(self) -> dict[tuple, list[int]]:
        """Positions in the table by (item, answer, breakdown, group): a chart looks up a hundred figures or so,
        and filtering the table for each was a tenth of a finding's time."""
        if getattr(self, "_row_positions", None) is None:
            self._row_positions = {}
            columns = zip(self.table["item"], self.table.answer, self.table.breakdown, self.table.group)
            for position, key in enumerate(columns):
                self._row_positions.setdefault(key, []).append(position)
        return self._row_positions

    def value(self, answer: str, item: str = "") -> Number:
        return Number(float(self.row(answer, item).pct), self.key(answer, item))

    @staticmethod
    def key(answer: str, item: str = "") -> str:
        return f"{item}_{answer}" if item else answer

    def numbers(self) -> dict[str, Number]:
        """Every whole-sample figure of the finding by key (`<item>_<answer>` for grids), its aliases, and
        earlier waves' figures as `<answer>_<wave id>`."""
        totals = self.table[self.table.breakdown == "total"]
        found = {
            self.key(r.answer, r.item): Number(float(r.pct), self.key(r.answer, r.item)) for r in totals.itertuples()
        }
        for alias, key in (self.spec.get("aliases") or {}).items():
            if key in found:  # a wave may not ask every item
                found[alias] = Number(float(found[key]), alias)
        for r in self.changes_table.itertuples():
            key = f"{self.key(r.answer, r.item)}_{r.previous_wave}"
            found[key] = Number(float(r.previous_pct), key)
        return found

    @property
    def earlier(self) -> dict[str, dict[str, float]]:
        """Earlier waves' whole-sample figures for this question, oldest first: {wave: {figure key: pct}}."""
        found: dict[str, dict[str, float]] = {}
        for r in self.changes_table.itertuples():
            found.setdefault(r.previous_wave, {})[self.key(r.answer, r.item)] = float(r.previous_pct)
        return found

    def changes(self, answer: str, item: str = "") -> list[Change]:
        """This wave's figure against the latest earlier wave that has it, as tested in changes.csv."""
        t = self.changes_table
        rows = t[(t.answer == answer) & (t["item"] == item) & t.latest]
        key = self.key(answer, item)
        return [
            Change(
                r.previous_wave,
                Number(float(r.previous_pct), f"{key}_{r.previous_wave}"),
                Number(float(r.pct), key),
                float(r.p_value),
                r.design_note,
                float(r.p_adjusted),
            )
            for r in rows.itertuples()
        ]

    # --- chart -------------------------------------------------------------------------------------------------

    @property
    def items(self) -> list:
        """The question's grid items this wave asked, in questionnaire order."""
        asked = set(self.table["item"])
        return [i for i in self.question.items if i.key in asked]

    # --- text --------------------------------------------------------------------------------------------------

    def ranked(self, item: str = "") -> list[Number]:
        """The question's substantive answers (not don't know, none or other), largest first."""
        skip = {"other"} | {a.key for a in self.question.answers if a.exclusive or a.key == "dont_know"}
        values = [self.value(a.key, item) for a in self.question.answers if a.key not in skip]
        return sorted(values, key=lambda v: (-float(v), v.key))

    def summary(self) -> dict:
        about = {
            "finding": self.number,
            "wave": self.wave.id,
            "title": self.spec["title"],
            "question": self.question.key,
            "wording": self.question.wording,
        }
        if not self.asked:
            empty = {"numbers": {}, "bases": {}, "subgroup_claims": [], "bullets": []}
            return {**about, "asked": False, "last_asked": self.last_asked, **empty}
        bullets = self.commentary()
        bases = {}
        for r in self.table[(self.table.breakdown == "total")].itertuples():
            bases.setdefault(r.item or "total", int(r.base_unweighted))
        return {
            **about,
            "asked": True,
            "numbers": {k: round(float(v), 6) for k, v in sorted(self.numbers().items())},
            "bases": bases,
            "base_line": self.base_line(),
            "published": sorted(f"{i}_{a}" if i else a for q, i, a in self.published if q == self.question.key),
            "subgroup_claims": [d.as_json() for d in self.claims],
            "bullets": bullets,
            "figure": {
                "svg": self.chart.svg_path.as_posix() if self.chart else None,
                "png": self.chart.png_path.as_posix() if self.chart else None,
                "alt": self.chart.alt if self.chart else None,
            },
        }

    def write_summary(self, build_dir: str | Path = "report/build") -> Path:
        """The finding's key numbers as JSON in report/build/<wave>/findings/, for the essays to cite."""
        path = Path(build_dir) / self.wave.id / "findings" / f"F{self.number}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        summary = self.summary()
        path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
