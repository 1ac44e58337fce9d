from pathlib import Path

import pytest

from collaborative_citizen.codebook import load_codebook
from collaborative_citizen.loading import load_respondents
from collaborative_citizen.tables import weighted_tables
from collaborative_citizen.waves import load_wave

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def codebook():
    return load_codebook(DATA / "codebook.yml")


@pytest.fixture(scope="session")
def wave():
    return load_wave(DATA / "waves" / "2014")


@pytest.fixture(scope="session")
def respondents(wave, codebook):
    return load_respondents(wave, codebook)


@pytest.fixture(scope="session")
def table(respondents):
    return weighted_tables(respondents)
