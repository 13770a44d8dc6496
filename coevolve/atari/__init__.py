"""The Atari single-domain mode: generative code optimisation of game-playing policy programs.

:mod:`coevolve.atari.loop` holds the loop of the paper; tracing, evaluation, staged feedback,
optimisers, checkpoints and the standalone writer are one import away.
"""
from coevolve.atari.feedback import Feedback, staged_feedback
from coevolve.atari.loop import AtariConfig, AtariRun

__all__ = ["AtariConfig", "AtariRun", "Feedback", "staged_feedback"]
