"""Pictures of a level: obstacles, goal zone, start, and the agent's trajectory, drawn with pygame."""
from __future__ import annotations

from envs.pygame_nav.contract import goal_rect, headless, make_env, obstacle_rects, reset_env
from envs.pygame_nav.runner import NavTrace

_BACKGROUND, _OBSTACLE, _GOAL = (250, 250, 245), (60, 60, 70), (120, 200, 120)
_START, _PATH, _END = (40, 90, 220), (220, 50, 50), (150, 20, 20)


def draw(obs, path=(), scale: float = 1.0):
    """A pygame Surface of the level in ``obs`` with ``path`` [(x, y), ...] drawn over it."""
    headless()
    import pygame

    width, height = (max(1, int(round(v * scale))) for v in obs["bounds"])
    surface = pygame.Surface((width, height))
    surface.fill(_BACKGROUND)

    def box(x, y, w, h):
        return pygame.Rect(round(x * scale), round(y * scale), max(1, round(w * scale)), max(1, round(h * scale)))

    pygame.draw.rect(surface, _GOAL, box(*goal_rect(obs)))
    for rect in obstacle_rects(obs):
        pygame.draw.rect(surface, _OBSTACLE, box(*rect))
    radius = max(2, round(float(obs["agent_radius"]) * scale))
    start = [round(v * scale) for v in obs["agent_pos"]]
    pygame.draw.circle(surface, _START, start, radius)
    points = [(round(x * scale), round(y * scale)) for x, y in path]
    if len(points) > 1:
        pygame.draw.lines(surface, _PATH, False, points, max(1, round(2 * scale)))
    if points:
        pygame.draw.circle(surface, _END, points[-1], radius, max(1, round(2 * scale)))
    return surface


def render(env_module, seed: int, path, out_png: str, **options) -> None:
    """Write a PNG of ``env_module``'s level at ``seed`` with the trajectory ``path`` drawn.

    ``path`` is None, a :class:`NavTrace` or a sequence of (x, y) positions. Options: ``scale``
    (pixels per arena pixel; default fits the picture within 1000 px).
    """
    scale = options.pop("scale", None)
    if options:
        raise TypeError(f"unknown render options {sorted(options)}: the pygame domain takes scale")
    obs, _ = reset_env(make_env(env_module), seed)
    if scale is None:
        scale = min(1.0, 1000.0 / max(float(v) for v in obs["bounds"]))
    points = path.positions if isinstance(path, NavTrace) else (path or ())
    import pygame

    pygame.image.save(draw(obs, points, scale), str(out_png))
