"""MiniGrid policies: the naive seed, the building-block catalogue and its mutation operators.

``SEED_POLICY`` is the source of ``seed_policy.py``: turn toward the goal and step forward, nothing
more, so that every skill of an evolved policy is found by the search. The search composes the
behaviours of ``blocks.py`` (see ``BUILDING_BLOCKS_DOC``) through
:func:`policies.minigrid.mutations.mutate_policy`.
"""
from pathlib import Path

from envs.api import trusted_policy

from policies.minigrid.catalogue import CATALOGUE, assemble_policy
from policies.minigrid.mutations import mutate_policy

SEED_BEHAVIOURS: tuple[str, ...] = ("greedy_to_goal",)
"""Behaviours of the seed policy; ``seed_policy.py`` is ``assemble_policy(SEED_BEHAVIOURS)``."""

SEED_POLICY: str = Path(__file__).with_name("seed_policy.py").read_text()
"""Source of the naive seed policy program."""

REFERENCE_POLICY: str = trusted_policy("policies.minigrid.reference")
"""The reference solver: the feasibility check's search as a policy (:mod:`.reference`)."""

BUILDING_BLOCKS_DOC: str = """\
### MiniGrid policy building blocks (offline designer)

An evolved MiniGrid policy is a list of behaviours tried in order (`BEHAVIOURS`): the first one
that proposes an action acts, and the agent steps forward when none does. The seed policy holds
only `greedy_to_goal`. The offline designer edits programs through `ast` with five operators:
insert a behaviour from the catalogue, remove one, swap two, perturb a numeric parameter, and
toggle a boolean parameter (`PARAMS`). Every program stays self-contained: it carries exactly the
helpers its behaviours use and imports only the standard library and numpy.

Behaviours in the catalogue:

- `greedy_to_goal` (the seed): turn toward the goal and step forward, blind to walls, doors and
  lava.
- `plan_to_goal`: breadth-first shortest path to the goal around walls; the distance field is
  cached until the grid changes.
- `open_door_ahead`: toggle the door in front if it is closed, or locked and the carried key
  has its colour.
- `get_key`: when empty-handed, walk to the nearest key (keys that open a locked door first) and
  pick it up; the colour is remembered, since a carried key leaves the grid.
- `open_nearest_door`: walk to the nearest closed door (or a locked door the carried key opens)
  and toggle it.
- `drop_useless_key`: drop the carried key when it opens no locked door while another locked
  door has its key lying in the grid.
- `clear_the_way`: when the goal is out of reach, clear a way that ignores doors (and, only when
  none exists, keys lying on the floor): open the doors on it, fetch the key of a locked door the
  carried key does not open (three deep), and pick up a key that bars it, after putting the
  carried key down off every way considered.
- `avoid_lava_ahead`: turn instead of stepping into lava.
- `replan_when_stuck`: after standing still for `stuck_steps` steps, mark the cell in front as
  blocked so that the planners route around it.
- `explore_when_stuck`: after standing still for `stuck_steps` steps, take `explore_steps` random
  moves.

Parameters:

- `avoid_lava` (default off): planners treat lava as a wall. Off, the shortest path may cross lava,
  so lava avoidance is something the search must switch on.
- `plan_through_doors` (default off): planners may route through closed doors (which
  `open_door_ahead` then opens); locked doors are walkable only while carrying their key.
- `key_only_if_needed` (default off): `get_key` waits until the goal is unreachable without a key.
- `match_key_colour` (default off): `get_key` never picks up a key that opens no locked door.
- `stuck_steps` (default 5) and `explore_steps` (default 4): integer thresholds.

What the search cannot discover: anything outside this catalogue, such as picking up or moving
balls and boxes, opening boxes, missions other than reaching a goal square (KeyCorridor's
"pick up the ball"), avoiding moving obstacles, or exploring under partial observability (the
policy sees the whole grid). An LLM designer is not bound by the catalogue; for a program not
built from blocks the offline designer only perturbs numeric constants.
"""
"""README-ready description of the building blocks the offline policy search draws on."""

__all__ = ["BUILDING_BLOCKS_DOC", "CATALOGUE", "REFERENCE_POLICY", "SEED_BEHAVIOURS", "SEED_POLICY",
           "assemble_policy", "mutate_policy"]
