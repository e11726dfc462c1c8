"""The public API as a researcher uses it: configs built in Python, create_search with ask/tell
or run, load_run, run_study and build_report; and `import nas_ops` / `nas-ops --help` without
torch."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

import nas_ops
from nas_ops.engine.algorithms import make_algorithm
from nas_ops.evaluation import run_request
from nas_ops.store import run_contents
from tests.configs import tiny_config


def test_a_config_built_in_python_is_checked_like_a_file() -> None:
    with pytest.raises(nas_ops.ConfigError, match="search.algorithm = 'nsga' is not valid; "
                       "choose one of: nsga2, mu_plus_lambda, aging, random, local"):
        nas_ops.RunConfig(search=nas_ops.SearchConfig(algorithm="nsga"))
    with pytest.raises(nas_ops.ConfigError, match="search.crossover_rate must be in"):
        nas_ops.SearchConfig(crossover_rate=1.5)
    with pytest.raises(nas_ops.ConfigError, match="evaluation.max_group must be >= 1"):
        nas_ops.EvaluationConfig(max_group=0)
    with pytest.raises(nas_ops.ConfigError, match="evaluation.fuse = 'sometimes'"):
        nas_ops.EvaluationConfig(fuse="sometimes")
    with pytest.raises(nas_ops.ConfigError, match="study.mode"):
        dataclasses.replace(nas_ops.StudyConfig(), mode="all")


def test_algorithms_are_registered_by_name() -> None:
    assert make_algorithm("aging").name == "aging"
    with pytest.raises(nas_ops.UnknownNameError,
                       match="aging, local, mu_plus_lambda, nsga2, random"):
        make_algorithm("nsga")


@pytest.mark.parametrize("algorithm", ["nsga2", "aging"])
def test_ask_tell_by_hand_equals_run(tmp_path: Path, algorithm: str) -> None:
    config = tiny_config(seed=4, generations=1, algorithm=algorithm)
    search = nas_ops.create_search(config, tmp_path / "by_hand")
    asked = 0
    while batch := search.ask():
        for cand in batch:
            assert cand.request is not None and cand.request.uid == cand.uid
            search.tell(cand.uid, run_request(cand.request))
            asked += 1
    assert search.finished and asked >= 4
    search.close()
    summary = nas_ops.create_search(config, tmp_path / "run").run()
    assert isinstance(summary, nas_ops.SearchSummary) and summary.evaluations == 8
    by_hand, ran = run_contents(tmp_path / "by_hand"), run_contents(tmp_path / "run")
    assert by_hand == ran
    run = nas_ops.load_run(tmp_path / "run")
    assert run.meta.status == "finished" and len(run.individuals) == 8


def test_tell_refuses_a_uid_not_asked(tmp_path: Path) -> None:
    search = nas_ops.create_search(tiny_config(), tmp_path / "run")
    try:
        first = search.ask()[0]
        with pytest.raises(nas_ops.ConfigError, match="no candidate of that uid"):
            search.tell("nobody", run_request(first.request))  # type: ignore[arg-type]
    finally:
        search.close()


def test_create_search_refuses_an_existing_run_unless_asked(tmp_path: Path) -> None:
    config = tiny_config(generations=1, population=2, offspring=2)
    search = nas_ops.create_search(config, tmp_path / "run")
    for cand in search.ask():  # the initial population only, then stop
        search.tell(cand.uid, run_request(cand.request))  # type: ignore[arg-type]
    search.close()
    with pytest.raises(nas_ops.ConfigError, match="load_if_exists=True"):
        nas_ops.create_search(config, tmp_path / "run")
    other = dataclasses.replace(config, seed=99)
    with pytest.raises(nas_ops.ConfigError, match="another config"):
        nas_ops.create_search(other, tmp_path / "run", load_if_exists=True)
    summary = nas_ops.create_search(config, tmp_path / "run", load_if_exists=True).run()
    assert summary.evaluations == 4 and summary.trained == 2  # the first two were not redone


def test_run_study_and_build_report(tmp_path: Path) -> None:
    config = tiny_config(study__base_models=1, study__variations=1,
                         study__operators=["change_units"], study__controls=1,
                         study__matched_controls=False)
    summary = nas_ops.run_study(config, tmp_path / "study")
    assert summary.evaluations == 3  # one base model, one variation, one control
    run = nas_ops.load_run(tmp_path / "study")
    assert run.meta.kind == "study"
    report = nas_ops.build_report(tmp_path / "study", tmp_path / "report")
    assert report.exists()


@pytest.mark.parametrize("code", [
    "import nas_ops; nas_ops.RunConfig(); nas_ops.load_config",
    "from nas_ops.cli import build_parser; build_parser().format_help()",
])
def test_import_and_help_do_not_import_torch(code: str) -> None:
    check = f"{code}; import sys; assert 'torch' not in sys.modules, 'torch imported'"
    res = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


@pytest.mark.parametrize("package", ["nas_ops", "nas_ops.engine", "nas_ops.evaluation"])
def test_lazy_names_load_on_first_use_and_are_listed(package: str) -> None:
    """Each package's ``__all__`` resolves (imported on first use, then kept in the package),
    ``dir`` lists the names not yet imported, and an unknown name is an AttributeError naming
    the package."""
    code = (f"import importlib, sys; m = importlib.import_module({package!r}); "
            "names = [n for n in getattr(m, '__all__', ['SequentialEvaluator', "
            "'PoolEvaluator', 'run_request'])]; "
            "missing = [n for n in names if n not in dir(m)]; assert not missing, missing; "
            "[getattr(m, n) for n in names]; "
            "kept = [n for n in names if n not in vars(m)]; assert not kept, kept; "
            "m.no_such_name")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert f"AttributeError: module {package!r} has no attribute 'no_such_name'" in res.stderr, \
        res.stderr
