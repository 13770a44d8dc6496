"""Every domain's operators make the same choices as before the AST toolkit (envs.codetools).

``mutation_records.json`` was recorded once from the implementation before the toolkit (commit
cfaa543, where every operator ended in ``ast.unparse``) by running this module as a script with
that checkout first on ``PYTHONPATH``: for each case, a chain of mutations from a seed program
with a fixed generator, each step's description and the sha256 of ``ast.dump`` of the mutant.
The toolkit keeps comments and layout, so the texts differ; the trees, and so the operator,
node and new value each step chose, must not. The same chains run again on the seed programs
with comments put before every statement: the trees must still match the records, and the
comments must survive. The Atari cases were recorded again at the merge of the ``rest()``
primitive and stacked macros (#15), which change the starter programs and the macros on purpose
(and the Pong and Breakout macro cases again when those macros got their dead zones, and all
of them when the primitives gained `bounced` and `plan_press`),
the PyGame policy cases at the REGRID and SMOOTH genes (#18), which add two operators to the
draw, and the PyGame environment cases when budget tightening came to apply to levels whose
resets differ, again when levels got an optional per-reset budget and again when a drawn reset
got at least its own route's steps (#18: the programs' text changed, the choices did not), and
the MiniGrid policy cases when the catalogue gained ``clear_the_way`` (#18: the insert draws
from one more behaviour, so the choices change); every other case still holds its record from cfaa543.
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import io
import json
import sys
import tokenize
from pathlib import Path

import numpy as np
import pytest

RECORDS = Path(__file__).with_name("mutation_records.json")


def digest(source: str) -> str:
    return hashlib.sha256(ast.dump(ast.parse(source)).encode()).hexdigest()[:16]


def chain(mutate, source: str, seed: int, steps: int) -> list[list[str]]:
    """``steps`` mutations in a row from one generator: [description, digest] per step."""
    rng, out = np.random.default_rng(seed), []
    for _ in range(steps):
        try:
            source, note = mutate(source, rng)
        except ValueError as exc:
            out.append(["ValueError", str(exc)[:60]])
            break
        out.append([note, digest(source)])
    return out


def _atari(game: str, strength: float = 1.5):
    from envs.atari import get_game
    from policies.atari.mutations import PolicyMutator

    record = get_game(game)
    return PolicyMutator(record.objects, record.primitives, strength).mutate


def _atari_other(game: str) -> str:
    from policies.atari import template_source

    other, rng = template_source(game), np.random.default_rng(11)
    for _ in range(3):
        other, _ = _atari(game)(other, rng)
    return other


def _generic_program(name: str) -> str:
    spec = importlib.util.spec_from_file_location("generic_cases", Path(__file__).parents[1] / "coevolve" / "test_generic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def cases():
    """name -> (mutate, seed program, generator seeds, steps)."""
    from coevolve.designers.generic import mutate_generic
    from envs.driving import SEED_ENV as DRIVING_ENV
    from envs.driving.mutations import mutate_env as driving_env
    from envs.minigrid import SEED_ENV as MINIGRID_ENV
    from envs.minigrid.mutations import mutate_env as minigrid_env
    from envs.pygame_nav import SEED_ENV as PYGAME_ENV
    from envs.pygame_nav.mutations import mutate_env as pygame_env
    from envs.atari import get_game
    from policies.atari import template_source
    from policies.atari.mutations import apply_macro, crossover
    from policies.driving import SEED_POLICY as DRIVING_POLICY
    from policies.driving.mutations import mutate_policy as driving_policy
    from policies.minigrid import assemble_policy
    from policies.minigrid.mutations import mutate_policy as minigrid_policy
    from policies.pygame_nav import SEED_POLICY as PYGAME_POLICY
    from policies.pygame_nav.mutations import mutate_policy as pygame_policy

    found = {
        "minigrid_env": (minigrid_env, MINIGRID_ENV, range(5), 6),
        "minigrid_policy": (minigrid_policy, assemble_policy(["greedy_to_goal", "plan_to_goal"]), range(5), 6),
        "pygame_env": (pygame_env, PYGAME_ENV, range(2), 2),
        "pygame_policy": (pygame_policy, PYGAME_POLICY, range(3), 4),
        "driving_env": (driving_env, DRIVING_ENV, range(3), 4),
        "driving_policy": (driving_policy, DRIVING_POLICY, range(3), 4),
    }
    for game in ("Pong", "Breakout", "SpaceInvaders"):
        found[f"atari/{game}"] = (_atari(game), template_source(game), range(4), 5)
        other = _atari_other(game)
        found[f"atari_crossover/{game}"] = (lambda s, r, o=other: crossover(s, o, r), template_source(game), range(3), 3)
        found[f"atari_macro/{game}"] = (lambda s, r, g=game: apply_macro(s, r, get_game(g).macros), template_source(game),
                                        range(4), 1)
    for name in ("LLM_MINIGRID_POLICY", "LLM_PYGAME_ENV"):
        found[f"generic/{name}"] = (mutate_generic, _generic_program(name), range(6), 1)
    return found


def record() -> dict:
    """The records of every case, as the current implementation makes them."""
    return {f"{name}/{seed}": chain(mutate, source, seed, steps)
            for name, (mutate, source, seeds, steps) in cases().items() for seed in seeds}


def commented(source: str) -> str:
    """``source`` with a comment line before every statement (at its indentation)."""
    lines = source.splitlines(keepends=True)
    starts = {}
    for node in ast.walk(ast.parse(source)):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            for stmt in body if isinstance(body, list) else []:
                if isinstance(stmt, ast.stmt):
                    first = stmt.decorator_list[0].lineno if getattr(stmt, "decorator_list", None) else stmt.lineno
                    starts[first] = lines[first - 1][:len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    for number in sorted(starts, reverse=True):
        lines.insert(number - 1, f"{starts[number]}# note {number}\n")
    return "".join(lines)


def comments(source: str) -> list[str]:
    return [token.string for token in tokenize.generate_tokens(io.StringIO(source).readline)
            if token.type == tokenize.COMMENT]


@pytest.fixture(scope="module")
def expected():
    return json.loads(RECORDS.read_text())


@pytest.mark.parametrize("name", list(cases()))
def test_operators_choose_as_before_the_toolkit(name, expected):
    mutate, source, seeds, steps = cases()[name]
    for seed in seeds:
        assert chain(mutate, source, seed, steps) == expected[f"{name}/{seed}"], (name, seed)


@pytest.mark.parametrize("name", [n for n in cases() if not n.startswith("generic")])
def test_commented_programs_mutate_to_the_same_trees_and_keep_their_comments(name, expected):
    mutate, source, seeds, steps = cases()[name]
    source = commented(source)
    notes = comments(source)
    for seed in list(seeds)[:1]:
        rng, text = np.random.default_rng(seed), source
        for step in expected[f"{name}/{seed}"]:
            if step[0] == "ValueError":
                break
            text, note = mutate(text, rng)
            assert [note, digest(text)] == step, (name, seed)
            if name.startswith("pygame_policy"):
                continue  # a genome program is re-emitted from its genome (the blocks it selects change)
            kept = comments(text)
            assert _within(kept, notes) and _top_level(source) <= set(kept), (name, seed, note)
            if not name.startswith(("minigrid_policy", "atari_crossover", "atari_macro")):
                assert kept == notes, (name, seed, note)  # those drop or replace whole functions


def _within(kept: list[str], notes: list[str]) -> bool:
    """Whether ``kept`` is ``notes`` with some left out, in the same order."""
    rest = iter(notes)
    return all(note in rest for note in kept)


def _top_level(source: str) -> set[str]:
    return {line.strip() for line in source.splitlines() if line.startswith("# note")}


if __name__ == "__main__":
    json.dump(record(), sys.stdout, indent=0, sort_keys=True)
