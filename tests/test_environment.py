"""environment.yml (for conda users) and pyproject.toml must describe the same environment."""

import re
import tomllib

import yaml
from conftest import ROOT


def _normalise(requirement: str) -> str:
    name, _, version = requirement.partition("==")
    return f"{re.sub(r'[-_.]+', '-', name.strip().lower())}=={version.strip()}"


def _locked() -> dict[str, str]:
    text = (ROOT / "requirements.lock").read_text()
    return {
        _normalise(m.group(1)).split("==")[0]: m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)
    }


def test_the_lock_holds_every_pin_of_pyproject_with_its_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    locked = _locked()
    for requirement in declared:
        name, version = _normalise(requirement).split("==")
        assert locked.get(name) == version, f"{requirement}: requirements.lock has {locked.get(name)}"
    # Every entry carries at least one hash (pip --require-hashes refuses the file otherwise).
    entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", (ROOT / "requirements.lock").read_text())[1:]
    assert len(entries) == len(locked) > 60
    assert all("--hash=sha256:" in entry for entry in entries)
    # No machine's own package index is written into it.
    assert "file://" not in (ROOT / "requirements.lock").read_text()


def test_environment_yml_installs_the_lock():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "-r requirements.lock" in pip and "--require-hashes" in pip


# conda-forge's names for packages PyPI names otherwise.
CONDA_NAMES = {"matplotlib-base": "matplotlib", "brotli-python": "brotli"}


def test_environment_yml_takes_conda_forge_packages_at_the_locks_versions():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert environment["channels"] == ["conda-forge"]
    pins = [d for d in environment["dependencies"] if isinstance(d, str) and d not in ("pip",)]
    conda = dict(pin.split("=", 1) for pin in pins if not pin.startswith("python="))
    assert len(conda) >= 10, "the compiled packages come from conda-forge"
    locked = _locked()
    for name, version in conda.items():
        pypi = CONDA_NAMES.get(name, name)
        assert locked.get(pypi) == version, f"environment.yml: {name}={version}, requirements.lock: {locked.get(pypi)}"


def test_every_dependency_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        assert "==" in requirement, f"{requirement} is not pinned: builds would not be reproducible"


def test_python_version_agrees():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in environment["dependencies"] if isinstance(d, str) and d.startswith("python="))
    minimum = project["requires-python"].removeprefix(">=")
    assert python.split("=")[1].startswith(minimum)
