"""Pictures for the book: sequence diagrams of hops and a step-through player.

Nothing in k8slite imports viz; matplotlib and ipywidgets are imported only when a
function draws, so ``import k8slite.viz`` needs neither.
"""
from .player import Player
from .sequence import lifelines, sequence_diagram, sequence_table

__all__ = ["Player", "lifelines", "sequence_diagram", "sequence_table"]
