"""A seeded navigation arena drawn as text, with the path a policy took in it (for LLM prompts)."""
from __future__ import annotations

import math

from envs.pygame_nav.contract import goal_rect, make_env, reset_env
from envs.pygame_nav.runner import run_episode

COLUMNS = 48
"""Characters per row of the drawing; rows keep the arena's aspect ratio (cells twice as tall)."""
LEGEND = ("legend: # obstacle, G goal zone, S start, E where the episode ended, * the path, "
          ". free; x grows to the right, y downwards")


def draw_level(env_module, policy_module, *, seed: int) -> str:
    """The arena of ``seed`` on a coarse character grid, with the policy's path, and the
    obstacle rectangles listed exactly."""
    obs, _ = reset_env(make_env(env_module), seed)
    width, height = (float(v) for v in obs["bounds"])
    cell = width / COLUMNS
    rows = max(1, math.ceil(height / (2 * cell)))
    grid = [["." for _ in range(COLUMNS)] for _ in range(rows)]
    obstacles = [o for o in obs["objects"] if o["type"] == "obstacle"]

    def mark(x0, y0, w, h, char):
        for r in range(max(0, int(y0 // (2 * cell))), min(rows, math.ceil((y0 + h) / (2 * cell)))):
            for c in range(max(0, int(x0 // cell)), min(COLUMNS, math.ceil((x0 + w) / cell))):
                grid[r][c] = char

    for o in obstacles:
        mark(o["pos"][0], o["pos"][1], o["size"][0], o["size"][1], "#")
    gx, gy, gw, gh = goal_rect(obs)
    mark(gx, gy, gw, gh, "G")
    path = []
    if policy_module is not None:
        trace = run_episode(env_module, policy_module, seed=seed, trace=True).trace
        path = list(trace.positions) if trace is not None else []

    def put(point, char, over=".G*"):
        r, c = min(rows - 1, int(point[1] // (2 * cell))), min(COLUMNS - 1, int(point[0] // cell))
        if grid[r][c] in over:
            grid[r][c] = char

    for point in path[1:-1]:
        put(point, "*", over=".")
    if path:
        put(path[-1], "E", over=".G*#")
    put(obs["agent_pos"], "S", over=".G*#E")
    listed = ", ".join(f"({o['pos'][0]:g},{o['pos'][1]:g},{o['size'][0]:g},{o['size'][1]:g})"
                       for o in obstacles[:40])
    more = f" and {len(obstacles) - 40} more" if len(obstacles) > 40 else ""
    return "\n".join([f"seed {seed}, arena {width:g} x {height:g} px, one character = "
                      f"{cell:.1f} x {2 * cell:.1f} px, agent radius {obs['agent_radius']:g}"]
                     + ["".join(row) for row in grid] + [LEGEND,
                     f"obstacles (x, y, w, h): {listed or 'none'}{more}"])
