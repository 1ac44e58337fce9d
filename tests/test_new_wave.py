"""A researcher adds a wave by dropping its data file and a description into data/waves/<id>/ and running
`make report WAVE=<id>`. Here a 2016 wave (the 2014 respondents with some answers changed) is added in a
scratch copy of data/, built end to end, and compared with the waves before it."""
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pyreadstat
import pytest
import yaml

from conftest import DATA, ROOT

WAVE = "2016"


@pytest.fixture(scope="module")
def new_wave(tmp_path_factory):
    root = tmp_path_factory.mktemp("new-wave")
    data = root / "data"
    (data / "waves").mkdir(parents=True)
    shutil.copy(DATA / "codebook.yml", data / "codebook.yml")
    shutil.copytree(DATA / "waves" / "2014", data / "waves" / "2014")
    shutil.copytree(DATA / "published", data / "published")
    frame, _ = pyreadstat.read_sav(str(DATA / "waves" / "2014" / "respondents.sav"), apply_value_formats=False)
    frame["resp_id"] = frame["resp_id"] + 20_000
    # One in four who chose equality of opportunity now choose universal provision.
    moved = (frame["fairness"] == 1) & (np.arange(len(frame)) % 4 == 0)
    frame.loc[moved, "fairness"] = 2
    folder = data / "waves" / WAVE
    folder.mkdir()
    frame.to_csv(folder / "respondents.csv", index=False)
    description = {"id": WAVE, "title": "The Collaborative Citizen 2016", "year": 2016,
                   "fieldwork": {"start": "2016-02-01", "end": "2016-02-07"},
                   "population": "adults aged 15+ in Great Britain", "geography": "GB", "minimum_age": 15,
                   "agency": "Ipsos MORI",
                   "mode": "face-to-face, in respondents' homes", "data_file": "respondents.csv",
                   "respondent_id": "resp_id", "weight": "weight"}
    (folder / "wave.yml").write_text(yaml.safe_dump(description))
    made = subprocess.run(["make", "-s", "report", f"WAVE={WAVE}", f"DATA_DIR={data}",
                           f"BUILD_ROOT={root / 'build'}", f"FIGURES_DIR={root / 'figures'}"],
                          cwd=ROOT, capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    return root, made.stdout


def test_make_report_builds_the_new_wave(new_wave):
    root, output = new_wave
    build = root / "build" / WAVE
    for name in (f"collaborative-citizen-{WAVE}.html", f"collaborative-citizen-{WAVE}.pdf", "results.csv",
                 f"collaborative-citizen-{WAVE}-tables.xlsx"):
        assert (build / name).is_file(), name
    # One progress line per step: tables, nine notebooks, HTML, PDF, workbook.
    lines = output.strip().splitlines()
    assert len(lines) == 13 and all(re.match(r"^[a-z ]+: 2016: ", line) for line in lines), output


def test_the_new_numbers_and_the_change_since_earlier_waves(new_wave):
    root, _ = new_wave
    f2 = json.loads((root / "build" / WAVE / "findings" / "F2.json").read_text())
    numbers = f2["numbers"]
    assert numbers["equal_opportunity"] < numbers["equal_opportunity_2014"] - 5
    assert numbers["same_for_everyone"] > numbers["same_for_everyone_2014"] + 5
    assert numbers["equal_opportunity_2010"] == 50
    chart = ET.parse(ROOT / f2["figure"]["svg"]).getroot()
    bars = [e.get("id") for e in chart.iter() if e.get("id", "").startswith("bar-")]
    # This wave and 2014 for every answer, 2010 for the two answers it published.
    assert len(bars) == 4 + 4 + 2
    bullets = " ".join(re.sub(r"<[^>]+>", "", b) for b in f2["bullets"])
    assert re.search(r"Support for equality of opportunity is down \d+ points since 2014", bullets)
    f3 = json.loads((root / "build" / WAVE / "findings" / "F3.json").read_text())
    assert "Agreement that dignity matters as much as outcomes shows no significant change since 2014" in \
        " ".join(re.sub(r"<[^>]+>", "", b) for b in f3["bullets"])


def test_a_wave_of_real_data_carries_no_reconstruction_notes(new_wave):
    root, _ = new_wave
    html = (root / "build" / WAVE / f"collaborative-citizen-{WAVE}.html").read_text()
    assert 'class="note reconstruction"' not in html
    assert "\u2020" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
