"""Driving policy programs as source: a genome of constants, then the driver of :mod:`envs.driving.driver`.

A program built here is standalone (``math`` only): ``GENOME`` selects and tunes the building blocks,
the copied :class:`Driver` implements them, and ``policy(obs)`` drives with one Driver per episode
(every episode executes the module afresh). :func:`read_genome` reads ``GENOME`` back, so the
offline designer mutates a genome and re-emits the program.
"""
from __future__ import annotations

import ast
import inspect
from functools import lru_cache

from envs import codetools
from envs.driving import driver

LATERAL = ("stanley", "pure_pursuit")
SWITCHES = ("follow", "lights", "pedestrians", "ttc_brake", "pass_parked")
"""The genome's on/off building blocks."""
BOUNDS = {"k_heading": (0.2, 4.0), "k_cross": (0.2, 6.0), "lookahead_s": (0.3, 2.5), "cruise_mps": (3.0, 10.0),
          "kp_speed": (0.3, 4.0), "ki_speed": (0.0, 1.5), "headway_s": (0.5, 3.0), "min_gap_m": (0.5, 8.0),
          "stop_margin_m": (0.5, 6.0), "ped_horizon_s": (1.0, 8.0), "ttc_s": (0.5, 4.0), "pass_margin_m": (0.2, 1.5),
          "pass_clear_m": (10.0, 50.0), "pass_speed_mps": (1.0, 6.0)}
"""Range of every numeric gene."""

_HEADER = '''"""Driving policy for coevolve's driving domain (built from envs.driving.driver blocks).

GENOME below selects and tunes the blocks; Driver implements them. policy(obs) -> (steer, throttle, brake).
"""
'''

_POLICY = '''

_DRIVER = []


def policy(obs):
    """Drive with this program's genome (one Driver per episode: the module is executed afresh)."""
    if not _DRIVER:
        _DRIVER.append(Driver(GENOME))
    return _DRIVER[0].act(obs)
'''


def check_genome(genome: dict) -> dict:
    """``genome`` if every gene is known and within range; ValueError naming the first that is not."""
    unknown = sorted(set(genome) ^ set(driver.SEED_GENOME))
    if unknown:
        raise ValueError(f"GENOME keys differ from the driver's: {', '.join(unknown)}")
    if genome["lateral"] not in LATERAL:
        raise ValueError(f"GENOME['lateral'] must be one of {LATERAL}, got {genome['lateral']!r}")
    for name in SWITCHES:
        if not isinstance(genome[name], bool):
            raise ValueError(f"GENOME[{name!r}] must be True or False, got {genome[name]!r}")
    for name, (low, high) in BOUNDS.items():
        if not low <= genome[name] <= high:
            raise ValueError(f"GENOME[{name!r}] must be within [{low}, {high}], got {genome[name]!r}")
    return genome


@lru_cache(maxsize=1)
def driver_source() -> str:
    """The driver module's source between its docstring and the genome constants at its end."""
    source = inspect.getsource(driver)
    tree = ast.parse(source)
    first = tree.body[1].lineno
    last = next(node.lineno for node in tree.body if isinstance(node, ast.Assign) and node.targets[0].id == "SEED_GENOME")
    return "".join(source.splitlines(keepends=True)[first - 1:last - 1]).rstrip() + "\n\n"


def format_genome(genome: dict) -> str:
    """``GENOME = {...}`` source, one gene a line."""
    return f"GENOME = {_genome_value(genome)}\n"


def _genome_value(genome: dict) -> str:
    return "{\n" + "".join(f"    {name!r}: {value!r},\n" for name, value in genome.items()) + "}"


def write_genome(source: str, genome: dict) -> str:
    """``source`` with its ``GENOME`` replaced by ``genome``; everything else, comments included,
    kept verbatim (a program built by :func:`policy_program` becomes ``policy_program(genome)``)."""
    return codetools.write_constants(source, {"GENOME": _genome_value(check_genome(dict(genome)))})


def policy_program(genome: dict) -> str:
    """A standalone policy program for ``genome``."""
    return f"{_HEADER}{driver_source()}\n{format_genome(check_genome(dict(genome)))}{_POLICY}"


def read_genome(source: str) -> dict:
    """The ``GENOME`` of a program built by :func:`policy_program`; ValueError if there is none."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"policy source does not parse: {exc}") from exc
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) == "GENOME":
            try:
                return check_genome(ast.literal_eval(node.value))
            except ValueError as exc:
                raise ValueError(f"GENOME is not a valid literal genome: {exc}") from exc
    raise ValueError("not a genome driving program (built by policies.driving.program): it assigns no GENOME")
