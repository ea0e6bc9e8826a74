"""Synthetic landing-folder generator for the Monitor Statushouders U16."""

from synthetic.generate import GenerateSummary, generate, send_new_files
from synthetic.world import World, build_world

__all__ = ["GenerateSummary", "World", "build_world", "generate", "send_new_files"]
