"""Built-in search spaces; importing this package registers them into nas_ops."""

from nas_ops.spaces import register_space
from search_spaces.mlp import MLPSpace
from search_spaces.multinet import MultinetSpace

register_space(MultinetSpace())
register_space(MLPSpace())

__all__ = ["MLPSpace", "MultinetSpace"]
