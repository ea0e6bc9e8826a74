"""Synthetic landing-folder generator for the Monitor Statushouders U16."""

from pipelines.synthetic.generate import GenerateSummary, generate
from pipelines.synthetic.world import World, build_world

__all__ = ["GenerateSummary", "World", "build_world", "generate"]
