"""The MiniGrid program contracts, written once: the README and the LLM prompts use this text."""
from __future__ import annotations

from envs.api import imports_sentence

IMPORTS = imports_sentence({"minigrid", "gymnasium"})

DOC_ENV = f'''\
MiniGrid environment program.

A self-contained Python module that defines
``class CustomEnv(minigrid.minigrid_env.MiniGridEnv)``, constructible as ``CustomEnv()``
(pass ``mission_space=MissionSpace(mission_func=...)``, ``grid_size`` or ``width``/``height``
and ``max_steps`` to ``super().__init__``). The level is built in ``_gen_grid(self, width,
height)``: create ``self.grid = Grid(width, height)``, surround it with walls
(``self.grid.wall_rect(0, 0, width, height)``), put objects with ``self.put_obj(obj, x, y)``,
``self.grid.set(x, y, obj)`` or ``self.place_obj(obj, top, size)``, place at least one
``Goal()`` and set ``self.agent_pos = (x, y)`` and ``self.agent_dir`` (or call
``self.place_agent()``). {IMPORTS}

Randomness: draw from ``self.np_random`` (or ``self._rand_int`` and friends), ``random`` or
``numpy.random``; the harness seeds all three before every episode, so a seed fixes the level.

Objects (``minigrid.core.world_object``):

| Object              | Agent can enter       | Notes                                        |
|---------------------|-----------------------|----------------------------------------------|
| empty (None)        | yes                   |                                              |
| Wall()              | no                    |                                              |
| Goal()              | yes, ends the episode | reaching it is success                       |
| Lava()              | yes, ends the episode | stepping in is failure                       |
| Door(color)         | once open             | toggle (5) opens/closes it                   |
| Door(color, is_locked=True) | once unlocked | toggle while carrying a Key of that colour   |
| Key(color)          | no                    | pick up (3) from the cell in front           |
| Ball(color), Box(color) | no                | block the way                                |

Colours: red, green, blue, purple, yellow, grey.

Rewards: ``1 - 0.9 * (step_count / max_steps)`` on reaching a goal, 0 otherwise.

Termination: the agent steps onto a goal (success) or into lava (failure). Truncation: after
``max_steps`` steps (MiniGrid's default style is ``4 * size**2``). A level must be solvable:
the checker searches the shortest action sequence (turns included) from the agent to a goal
and rejects levels where none exists, with the reason (walled off, a locked door whose key is
unreachable, lava everywhere on the way, no goal, agent on a wall).
'''

DOC_POLICY = f'''\
MiniGrid policy program.

A self-contained Python module that defines ``policy(obs, agent_pos, agent_dir) -> int``.
{IMPORTS} Memory can live in
function attributes or module globals; every episode starts from a freshly executed module.

Observation: the whole level, fully observable.

| Argument    | Type                         | Meaning                                              |
|-------------|------------------------------|------------------------------------------------------|
| obs         | int ndarray (width, height, 3) | ``env.grid.encode()``: (OBJECT_IDX, COLOR_IDX, STATE) per cell, indexed ``obs[x, y]``; the agent is not drawn |
| agent_pos   | tuple (x, y)                 | the agent's cell; x grows east, y grows south        |
| agent_dir   | int                          | 0 east, 1 south, 2 west, 3 north                     |

OBJECT_IDX: 0 unseen, 1 empty, 2 wall, 3 floor, 4 door, 5 key, 6 ball, 7 box, 8 goal, 9 lava.
COLOR_IDX: 0 red, 1 green, 2 blue, 3 purple, 4 yellow, 5 grey.
STATE (doors): 0 open, 1 closed, 2 locked.

Action space:

| Num | Name    | Action                                                  |
|-----|---------|---------------------------------------------------------|
| 0   | left    | turn left                                               |
| 1   | right   | turn right                                              |
| 2   | forward | move one cell forward (walls, closed doors, keys block) |
| 3   | pickup  | pick up the object in front (one carried at a time)     |
| 4   | drop    | drop the carried object in front (empty cell only)      |
| 5   | toggle  | open/close the door in front; unlock it with its key    |

Any other return value (None, 6, "left", 2.5) ends the episode as a failure, and so does an
exception.

Rewards: ``1 - 0.9 * (steps / max_steps)`` on reaching the goal, 0 otherwise. Success: the
agent reaches a goal before ``max_steps``. Stepping into lava ends the episode as a failure.
'''
