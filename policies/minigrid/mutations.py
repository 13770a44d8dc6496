"""Mutation operators over MiniGrid policy programs: genetic programming through ``ast``.

A block program (one with ``BEHAVIOURS`` and ``PARAMS``, see :mod:`policies.minigrid.blocks`)
is mutated by one operator drawn from the generator:

- ``insert``: add a catalogue behaviour the program lacks, at a random position;
- ``remove``: drop one behaviour (at least one stays);
- ``swap``: exchange the positions of two behaviours;
- ``perturb``: move a numeric parameter a small random step;
- ``toggle``: flip a boolean parameter.

The result is rebuilt self-contained and minimal (:func:`policies.minigrid.catalogue.rebuild`).
Any other program that defines ``policy`` (hand-written, or an LLM's) is refused with a
ValueError: its constants may be contract indices (object codes, actions), which a blind
perturbation would corrupt; the offline designer edits such programs with its generic operators.
"""
from __future__ import annotations

import ast
import math

import numpy as np

from envs.codetools import Draft, Operator, Registry
from policies.minigrid.catalogue import CATALOGUE, read_spec, rebuild


def mutate_policy(source: str, rng: np.random.Generator) -> tuple[str, str]:
    """One random edit of a policy program.

    Args:
        source: a policy program defining ``policy(obs, agent_pos, agent_dir)``.
        rng: the only source of randomness; equal generator states give equal mutants.

    Returns:
        ``(new_source, description)``, the description one line naming the edit; the
        program's comments and layout are kept outside the rewritten statements.

    Raises:
        ValueError: if the source does not parse, defines no top-level ``policy``, is not built
            from blocks, or has malformed ``BEHAVIOURS``/``PARAMS``.
    """
    try:
        draft = Draft(source)
    except SyntaxError as exc:
        raise ValueError(f"policy source does not parse (line {exc.lineno}): {exc.msg}") from None
    module = draft.tree
    if not any(isinstance(s, ast.FunctionDef) and s.name == "policy" for s in module.body):
        raise ValueError("policy source defines no top-level function `policy(obs, agent_pos, "
                         "agent_dir)`")
    spec = read_spec(module)
    if spec is None:
        raise ValueError("policy program has no BEHAVIOURS/PARAMS (building blocks): the block "
                         "operators do not apply; build it with policies.minigrid.assemble_policy")
    behaviours, params = spec
    if not OPERATORS.applicable(spec):
        raise ValueError("no operator can edit this block program: it has no behaviours to "
                         "reorder, none left to insert and no parameters")
    operator = OPERATORS.choose(rng, spec)
    behaviours, params, description = operator.apply(list(behaviours), dict(params), rng)
    draft.tree = rebuild(module, behaviours, params)
    return draft.render(), description


def _numeric(value) -> bool:
    """True for an int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _insert(behaviours, params, rng):
    """Insert a catalogue behaviour the program lacks at a random position."""
    missing = [b for b in CATALOGUE.behaviours if b not in behaviours]
    name = missing[int(rng.integers(len(missing)))]
    at = int(rng.integers(len(behaviours) + 1))
    behaviours.insert(at, name)
    return behaviours, params, f"insert behaviour {name} at position {at}"


def _remove(behaviours, params, rng):
    """Remove one behaviour."""
    name = behaviours.pop(int(rng.integers(len(behaviours))))
    return behaviours, params, f"remove behaviour {name}"


def _swap(behaviours, params, rng):
    """Exchange two behaviours' positions."""
    i, j = sorted(int(k) for k in rng.choice(len(behaviours), size=2, replace=False))
    behaviours[i], behaviours[j] = behaviours[j], behaviours[i]
    return behaviours, params, f"swap behaviours {behaviours[j]} and {behaviours[i]}"


def _step(value, rng):
    """A nearby value: ints move by 1 or 2 (staying at least 1 when positive), floats scale."""
    if isinstance(value, float):
        return round(value * math.exp(float(rng.normal(0.0, 0.3))), 4)
    new = value + int(rng.choice([-2, -1, 1, 2]))
    if value > 0:
        new = max(1, new)
    elif value == 0:
        new = abs(new)
    return new if new != value else value + 1


def _perturb(behaviours, params, rng):
    """Move one numeric parameter by a small random step."""
    keys = [k for k, v in params.items() if _numeric(v)]
    key = keys[int(rng.integers(len(keys)))]
    old = params[key]
    params[key] = _step(old, rng)
    return behaviours, params, f"perturb {key} {old} -> {params[key]}"


def _toggle(behaviours, params, rng):
    """Flip one boolean parameter."""
    keys = [k for k, v in params.items() if isinstance(v, bool)]
    key = keys[int(rng.integers(len(keys)))]
    params[key] = not params[key]
    return behaviours, params, f"set {key} {params[key]}"


def _has_numbers(spec) -> bool:
    return any(_numeric(v) for v in spec[1].values())


OPERATORS = Registry((
    Operator("insert", _insert, 0.4, lambda spec: any(b not in spec[0] for b in CATALOGUE.behaviours)),
    Operator("remove", _remove, 0.1, lambda spec: len(spec[0]) >= 2),
    Operator("swap", _swap, 0.15, lambda spec: len(spec[0]) >= 2),
    Operator("perturb", _perturb, 0.1, _has_numbers),
    Operator("toggle", _toggle, 0.25, lambda spec: any(isinstance(v, bool) for v in spec[1].values())),
))
"""The policy operators: ``apply(behaviours, params, rng)`` returns the edited pair and a
description; ``applies((behaviours, params))`` says whether it can edit them."""
