"""A seeded MiniGrid level drawn as text, with the path a policy took on it (for LLM prompts)."""
from __future__ import annotations

from envs.minigrid.runner import make_env, run_episode

SYMBOLS = {"wall": "#", "goal": "G", "lava": "L", "key": "K", "ball": "B", "box": "X"}
ARROWS = ">v<^"
LEGEND = ("legend: # wall, G goal, L lava, K key, B ball, X box, D locked door, d closed door, "
          "o open door, > v < ^ the agent at the start (facing east/south/west/north), "
          "* cells the policy visited, . empty; x grows to the right, y downwards")


def draw_level(env_module, policy_module, *, seed: int) -> str:
    """The level of ``seed`` (one character per cell) with the policy's visited cells marked."""
    env = make_env(env_module, seed).unwrapped
    start, direction = tuple(int(v) for v in env.agent_pos), int(env.agent_dir)
    rows = [[_symbol(env.grid.get(x, y)) for x in range(env.grid.width)]
            for y in range(env.grid.height)]
    if policy_module is not None:
        trace = run_episode(env_module, policy_module, seed=seed, trace=True).trace
        for x, y in (trace.path if trace is not None else ()):
            if 0 <= y < len(rows) and 0 <= x < len(rows[0]) and rows[y][x] == ".":
                rows[y][x] = "*"
    rows[start[1]][start[0]] = ARROWS[direction % 4]
    header = "    " + "".join(str(x % 10) for x in range(env.grid.width))
    lines = [header] + [f"{y:3d} " + "".join(row) for y, row in enumerate(rows)]
    return "\n".join([f"seed {seed}, {env.grid.width} x {env.grid.height} cells"] + lines + [LEGEND])


def _symbol(cell) -> str:
    if cell is None:
        return "."
    if cell.type == "door":
        return "D" if cell.is_locked else ("o" if cell.is_open else "d")
    return SYMBOLS.get(cell.type, "?")
