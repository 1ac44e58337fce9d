"""'About the survey': fieldwork, sample, weighting and, for a reconstructed wave, what is assumed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from html import escape
from pathlib import Path

import pandas as pd

from ..analysis.statistics import effective_base, weighting_efficiency
from ..inputs.codebook import load_codebook
from ..inputs.loading import Respondents, load_respondents
from ..inputs.waves import load_wave, wave_folder
from .wording import Number, pct

PROFILE = ("sex", "age_band", "social_grade", "internet_access")


@dataclass
class SurveyAbout:
    respondents: Respondents
    targets: pd.DataFrame | None

    @classmethod
    def load(cls, wave: str, data_dir: str | Path = "data") -> "SurveyAbout":
        data_dir = Path(data_dir)
        the_wave = load_wave(wave_folder(data_dir, wave))
        respondents = load_respondents(the_wave, load_codebook(data_dir / "codebook.yml"))
        targets_path = the_wave.folder / "targets.csv"
        targets = (
            pd.read_csv(targets_path, dtype=str, keep_default_na=False)
            if the_wave.reconstructed and targets_path.is_file()
            else None
        )
        return cls(respondents, targets)

    @property
    def wave(self):
        return self.respondents.wave

    def profile(self) -> pd.DataFrame:
        """Unweighted and weighted composition of the sample on the main demographics."""
        weights = self.respondents.weights
        rows = []
        demographics = self.respondents.codebook.demographics  # without those the wave did not collect
        for key in (k for k in PROFILE if k in demographics):
            variable = demographics[key]
            codes = self.respondents.codes(key)
            for answer in variable.answers:
                mask = codes == answer.code
                rows.append(
                    {
                        "variable": variable.wording,
                        "group": answer.label,
                        "respondents": int(mask.sum()),
                        "unweighted_pct": 100 * mask.mean(),
                        "weighted_pct": 100 * weights[mask].sum() / weights.sum(),
                    }
                )
        return pd.DataFrame(rows)

    def numbers(self) -> dict:
        weights = self.respondents.weights
        wave = self.wave
        found = {
            "wave": {
                "id": wave.id,
                "year": wave.year,
                "title": wave.title,
                "base": len(self.respondents),
                "population": wave.population,
                "fieldwork": wave.fieldwork_text,
                "agency": wave.agency,
                "mode": wave.mode,
                "reconstructed": wave.reconstructed,
            },
            "weighting_efficiency": round(100 * weighting_efficiency(weights), 6),
            "effective_base": round(effective_base(weights), 6),
            "weight_min": round(float(weights.min()), 6),
            "weight_max": round(float(weights.max()), 6),
        }
        if self.targets is not None:
            met = self.targets.met == "True"
            found["targets"] = {
                "total": int(len(self.targets)),
                "met": int(met.sum()),
                "figures": int((self.targets.kind == "figure").sum()),
            }
        return found

    def write_summary(self, build_dir: str | Path = "report/build") -> Path:
        path = Path(build_dir) / self.wave.id / "about.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.numbers(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    def html(self) -> str:
        wave, numbers = self.wave, self.numbers()
        efficiency = Number(numbers["weighting_efficiency"], "weighting_efficiency")
        base = numbers["wave"]["base"]
        sample = f", {escape(wave.sample)}" if wave.sample else ""
        parts = [
            '<section class="about" id="about-the-survey">',
            "<h2>About the survey</h2>",
            f"<p>{escape(wave.agency)} interviewed {base:,} {escape(wave.population)}{sample}{',' if sample else ''} "
            f"from {escape(wave.fieldwork_prose)} ({escape(wave.mode)}).</p>",
        ]
        if wave.weighted:
            parts.append(
                f"<p>{escape(wave.weighting_text)} Weighting costs precision: the weighting "
                f"efficiency is {pct(efficiency)}, so the {base:,} interviews carry the statistical "
                f"information of about {round(numbers['effective_base']):,} unweighted ones (the effective "
                "base). Percentages are weighted; every base shown is the unweighted number of people "
                "asked.</p>"
            )
        else:
            parts.append(
                "<p>The results are not weighted: every respondent counts equally, and every base shown is "
                "the number of people asked.</p>"
            )
        if wave.notes and not wave.reconstructed:
            parts.append(f'<p class="note wave-notes">{escape(wave.notes)}</p>')
        if wave.reconstructed:
            # In full on the cover and in Methods; here, one short mark.
            parts.append(
                f'<p class="note reconstruction"><strong>Reconstructed data.</strong> The {wave.year} respondent '
                "file was rebuilt to match the figures the original report published; the rest are assumptions "
                '(see <a href="#methods-reconstruction">Methods</a>).</p>'
            )
        profile = self.profile()
        rows = "".join(
            f"<tr><td>{escape(r.variable)}</td><td>{escape(r.group)}</td><td>{r.respondents:,}</td>"
            f"<td>{r.unweighted_pct:.0f}</td><td>{r.weighted_pct:.0f}</td></tr>"
            for r in profile.itertuples()
        )
        parts.append(
            '<div class="table-scroll" role="region" tabindex="0" aria-label="The sample before and after '
            'weighting"><table class="profile"><caption>The sample before and after weighting</caption>'
            '<thead><tr><th scope="col">Variable</th><th scope="col">Group</th><th scope="col">Respondents'
            '</th><th scope="col">Unweighted %</th><th scope="col">Weighted %</th></tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
        parts.append("</section>")
        return "\n".join(parts)
