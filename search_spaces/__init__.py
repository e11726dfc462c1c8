"""Built-in search spaces; importing this package registers them into nas_ops."""

from nas_ops.spaces import register_space
from search_spaces.mlp import MLPSpace
from search_spaces.multinet import MultinetSpace
from search_spaces.nb201 import NB201Space
from search_spaces.nbgraph import NBGraphSpace

register_space(MultinetSpace())
register_space(MLPSpace())
register_space(NBGraphSpace())
register_space(NB201Space())

__all__ = ["MLPSpace", "MultinetSpace", "NB201Space", "NBGraphSpace"]
