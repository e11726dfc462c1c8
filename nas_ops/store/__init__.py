"""The run ledger (SQLite, single writer) and reading runs back."""

from nas_ops.store.ledger import LEDGER_NAME, SCHEMA_VERSION, Ledger
from nas_ops.store.run import (
    Individual,
    Objective,
    Run,
    Variation,
    load_run,
    run_contents,
    weights_path,
)
from nas_ops.store.schema import RunMeta

__all__ = ["LEDGER_NAME", "SCHEMA_VERSION", "Individual", "Ledger", "Objective", "Run", "RunMeta",
           "Variation", "load_run", "run_contents", "weights_path"]
