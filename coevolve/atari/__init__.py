"""The Atari single-domain mode: generative code optimisation of game-playing policy programs.

:mod:`coevolve.atari.loop` holds the loop of the paper; evaluation through the shared
evaluator, the run's state, tracing, staged feedback, optimisers and the standalone writer are
one import away.
"""
from coevolve.atari.feedback import Feedback, staged_feedback
from coevolve.atari.loop import AtariConfig, AtariRun

__all__ = ["AtariConfig", "AtariRun", "Feedback", "staged_feedback"]
