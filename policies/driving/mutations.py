"""Offline policy designer: mutations of a driving policy's genome, deterministic given a Generator.

Each operator returns a changed genome and a description, or None when it would change nothing;
:func:`mutate_policy` tries them in a random order and writes the first change into the program's
``GENOME`` (the rest of the program, comments included, is kept).
"""
from __future__ import annotations

import numpy as np

from envs.codetools import Operator, Registry
from policies.driving.program import BOUNDS, LATERAL, SWITCHES, read_genome, write_genome


def switch_lateral(genome: dict, rng):
    """Switch the lateral controller (Stanley <-> pure pursuit)."""
    value = next(name for name in LATERAL if name != genome["lateral"])
    return {**genome, "lateral": value}, f"lateral {genome['lateral']} -> {value}"


def _toggle(name: str):
    def operator(genome: dict, rng):
        return {**genome, name: not genome[name]}, f"{name} {genome[name]} -> {not genome[name]}"
    operator.__name__ = f"toggle_{name}"
    operator.__doc__ = f"Turn the {name} block on or off."
    return operator


def _scale(name: str):
    low, high = BOUNDS[name]

    def operator(genome: dict, rng):
        value = round(float(np.clip(genome[name] * rng.uniform(0.6, 1.6), low, high)), 2)
        if value == genome[name]:
            return None
        return {**genome, name: value}, f"{name} {genome[name]:g} -> {value:g}"
    operator.__name__ = f"scale_{name}"
    operator.__doc__ = f"Scale {name} by 0.6-1.6 within [{low:g}, {high:g}]."
    return operator


OPERATORS = Registry(Operator(op.__name__, op, 3.0 if op.__name__.startswith("toggle_") else 1.0) for op in (
    switch_lateral, *(_toggle(name) for name in SWITCHES), *(_scale(name) for name in BOUNDS)))
"""Every operator ``(genome, rng) -> (genome, description) | None``; the switches are three times as
likely to be tried first (they add whole skills)."""


def mutate_policy(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """A mutated copy of the genome policy program ``source`` and a one-line description.

    Raises ValueError when ``source`` is not a genome program (see :mod:`policies.driving.program`).
    """
    genome = read_genome(source)
    for operator in OPERATORS.order(rng):
        result = operator.apply(genome, rng)
        if result is not None and result[0] != genome:
            return write_genome(source, result[0]), result[1]
    raise ValueError("no policy mutation operator changes this genome")
