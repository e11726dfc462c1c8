from pathlib import Path

from nas_ops.cli.demo_cmd import default_config
from nas_ops.config import load_config


def test_packaged_quickstart_is_the_documented_one():
    studies = Path(__file__).resolve().parents[2] / "studies" / "quickstart.toml"
    assert default_config().read_text() == studies.read_text()
    cfg = load_config(default_config())
    assert cfg.task.name == "mnist1d" and cfg.search.algorithm == "nsga2"
