"""Starting, continuing and resuming runs: the engine's entry points for the API and the CLI."""

from __future__ import annotations

from pathlib import Path

from nas_ops.config import RunConfig, extends, load_config, with_overrides
from nas_ops.engine.search import Search
from nas_ops.engine.study import Study
from nas_ops.engine.summary import SearchSummary
from nas_ops.errors import ConfigError
from nas_ops.evaluation import spawned_workers
from nas_ops.evaluation.spawn_guard import check_main_guard
from nas_ops.infra.outdir import check_run_dir
from nas_ops.store import LEDGER_NAME, Ledger, RunMeta


def _as_config(config: str | Path | RunConfig) -> RunConfig:
    return config if isinstance(config, RunConfig) else load_config(config)


def _recorded(run_dir: Path) -> RunMeta | None:
    """What a run directory recorded about its run, or None when it holds no run."""
    if not (run_dir / LEDGER_NAME).is_file():
        return None
    with Ledger(run_dir, "r") as ledger:
        return ledger.run_meta()


def _recorded_config(run_dir: Path) -> RunConfig | None:
    """The config a run directory recorded, or None when it holds no run."""
    meta = _recorded(run_dir)
    return None if meta is None else meta.config


def _check_spawn(config: RunConfig) -> None:
    """Before the run directory is touched: a calling script that worker processes would run
    again (no ``__main__`` guard) is refused."""
    check_main_guard(spawned_workers(config.evaluation))


def create_search(config: str | Path | RunConfig, out: str | Path, *,
                  load_if_exists: bool = False, progress: bool = False) -> Search:
    """A search of ``config`` (a TOML path or a :class:`RunConfig`) recording into ``out``.

    A directory that already holds a run is refused, unless ``load_if_exists``: then the run
    continues (nothing evaluated is evaluated again), provided its recorded config is ``config``.
    Drive it with ``run()``, or evaluate yourself with ``ask()`` / ``tell(uid, record)``.
    """
    cfg, run_dir = _as_config(config), Path(out)
    check_run_dir(run_dir)
    _check_spawn(cfg)
    recorded = _recorded_config(run_dir)
    if recorded is not None:
        if recorded.to_dict() != cfg.to_dict():
            raise ConfigError(f"run directory {str(run_dir)!r} holds a run with another config; "
                              "use a new directory")
        if not load_if_exists:
            raise ConfigError(f"run directory {str(run_dir)!r} already holds a run; pass "
                              "load_if_exists=True to continue it")
    search = Search(cfg, run_dir, progress=progress)
    try:
        search.start()
    except BaseException:
        search.close()
        raise
    return search


def run_search(config: str | Path | RunConfig, out: str | Path, *, seed: int | None = None,
               max_evals: int | None = None, progress: bool = True) -> SearchSummary:
    """Run a search of ``config`` (a TOML path or a :class:`RunConfig`) into ``out``;
    ``seed`` and ``max_evals`` override the config's. Raises :class:`AllFailedError` (with
    the summary) when every evaluation failed, as ``Search.run()`` does."""
    cfg = with_overrides(_as_config(config), seed=seed, max_evals=max_evals)
    check_run_dir(Path(out))
    _check_spawn(cfg)
    recorded = _recorded_config(Path(out))
    if recorded is not None and extends(recorded, cfg):
        raise ConfigError(f"run directory {str(out)!r} holds this run with max_evals = "
                          f"{recorded.max_evals}; extend it with `nas-ops resume {out} "
                          f"--max-evals {cfg.max_evals}`")
    return Search(cfg, out, progress=progress).run()


def run_study(config: str | Path | RunConfig, out: str | Path, *,
              progress: bool = False) -> SearchSummary:
    """The operator-effect study of ``config`` (its ``[study]`` section, which a TOML file must
    hold) into ``out``."""
    cfg = config if isinstance(config, RunConfig) else load_config(config, require=("study",))
    check_run_dir(Path(out))
    _check_spawn(cfg)
    return Study(cfg, out, progress=progress).run()


def _extended(config: RunConfig, kind: str, max_evals: int) -> RunConfig:
    """``config`` with the larger budget ``max_evals`` (checked: it must add evaluations)."""
    if kind == "study":
        raise ConfigError("a study cannot be extended (--max-evals is for searches)")
    new = with_overrides(config, max_evals=max_evals)  # bounds and the generations' cap
    if new.max_evals <= config.max_evals:
        raise ConfigError(f"--max-evals {max_evals} does not extend this run, which has "
                          f"max_evals = {config.max_evals}; give a larger number")
    return new


def resume_search(run_dir: str | Path, progress: bool = True,
                  max_evals: int | None = None) -> SearchSummary:
    """Finish a run (search or study) that was stopped: its config is read back from the
    ledger, and nothing already evaluated is evaluated again. ``max_evals`` larger than the
    run's extends it: the result is the run that asked for ``max_evals`` from the start."""
    path = Path(run_dir)
    meta = _recorded(path)
    if meta is None:
        raise ConfigError(f"{str(path)!r} is not a run directory (no {LEDGER_NAME})")
    config, kind = meta.config, meta.kind
    if config is None:
        raise ConfigError(f"{str(run_dir)!r} has no recorded config; start it with `search`")
    if max_evals is not None:
        config = _extended(config, kind, max_evals)
    _check_spawn(config)
    if kind == "study":
        return Study(config, run_dir, progress=progress).run()
    return Search(config, run_dir, progress=progress, extend=max_evals is not None).run()
