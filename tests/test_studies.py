"""The committed study configs load, and the power calculation that sized them holds."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from nas_ops.config import load_config
from tests.study_scripts import study_script

STUDIES = Path(__file__).resolve().parents[1] / "studies"


def _power() -> ModuleType:
    return study_script("power")


@pytest.mark.parametrize("name", ["operator_effects_ci", "operator_effects_real",
                                  "operator_effects"])
def test_operator_effect_studies_use_the_design(name: str) -> None:
    study = load_config(STUDIES / f"{name}.toml").study
    assert study.matched_controls and study.base_patience > 0


def test_the_real_study_is_the_powered_design() -> None:
    config = load_config(STUDIES / "operator_effects_real.toml")
    assert config.study.base_models >= 30 and config.study.mode == "per_operator"
    assert (config.study.base_models, config.study.variations) == (80, 2)
    assert config.evaluation.workers == 2


def test_power_calculation() -> None:
    power = _power()
    # no effect: the test rejects at about its level; the approximation is monotone in N and M
    assert power.power_t(0.0, 60, 2, 0.45, 0.05) == pytest.approx(0.05, abs=0.01)
    assert power.power_t(0.5, 80, 2, 0.45, 0.05 / 57) > power.power_t(0.5, 60, 2, 0.45,
                                                                       0.05 / 57)
    assert power.detectable(60, 6, 0.45, 0.05, 57) < power.detectable(60, 2, 0.45, 0.05, 57)
    # the numbers docs/study-design.md states for the chosen design
    assert power.detectable(80, 2, 0.45, 0.05, 57) == pytest.approx(0.42, abs=0.005)
    assert power.detectable(80, 2, 0.45, 0.05, 57, replicated=True) == pytest.approx(
        0.62, abs=0.005)
    # the approximation agrees with the exact Wilcoxon test by simulation
    delta = power.detectable(60, 2, 0.45, 0.05, 57)
    assert power.simulate(delta, 60, 2, 0.45, 0.05 / 57, 300) == pytest.approx(0.8, abs=0.08)
