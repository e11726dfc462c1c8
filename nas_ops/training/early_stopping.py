"""Early stopping for sequential training (see :class:`nas_ops.training.Budget`).

The training loop calls :meth:`EarlyStopping.check` at each measurement point; it measures the
validation loss, keeps a copy of the best weights, and answers whether to stop. After the loop,
:meth:`EarlyStopping.restore` puts the best weights back. Deterministic: the validation loss is
computed in eval mode, which draws no noise and consumes no random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import Tensor, nn


class EarlyStopping:
    """Stop after ``patience`` measurements in a row without an improvement larger than
    ``min_improvement`` (relative to the best loss so far); remember the best weights."""

    def __init__(self, model: nn.Module, loss: Callable[[], float], patience: int,
                 min_improvement: float) -> None:
        if patience < 1:
            raise ValueError(f"patience must be >= 1, got {patience}")
        self.model, self.loss = model, loss
        self.patience, self.min_improvement = patience, min_improvement
        self.best = math.inf
        self.best_state: dict[str, Tensor] | None = None
        self.since_best = 0
        self.measurements = 0
        self.stopped = False

    def check(self) -> bool:
        """Measure once; ``True`` when training should stop now."""
        value = self.loss()
        self.measurements += 1
        if math.isfinite(value) and (self.best_state is None or
                                     value < self.best - self.min_improvement * abs(self.best)):
            self.best, self.since_best = value, 0
            self.best_state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        else:
            self.since_best += 1
        self.stopped = self.since_best >= self.patience
        return self.stopped

    def restore(self) -> None:
        """Load the best weights measured (nothing when nothing was measured)."""
        if self.best_state is not None:
            self.model.load_state_dict(self.best_state)
