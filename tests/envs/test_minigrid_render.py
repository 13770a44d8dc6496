"""Rendering MiniGrid levels with a policy's path to PNG."""
import matplotlib.image
import numpy as np

from envs.minigrid import SEED_ENV, render, run_episode, trace_path
from envs.minigrid.render import PATH_COLOUR, TILE, draw_path, level_image
from tests.envs.test_minigrid_programs import GOAL_SEEKER, load


def read_rgb(path) -> np.ndarray:
    return (matplotlib.image.imread(path)[:, :, :3] * 255).round().astype(np.uint8)


def test_render_writes_a_png_of_the_grid_size_with_the_path(tmp_path):
    env_module = load(SEED_ENV.replace("SIZE = 8", "SIZE = 9"))
    result = run_episode(env_module, load(GOAL_SEEKER, "policy"), seed=2, trace=True)
    path = trace_path(result.trace)
    out = tmp_path / "level.png"
    render(env_module, 2, path, str(out))
    image = read_rgb(out)
    assert image.shape == (9 * TILE, 9 * TILE, 3)
    for x, y in path:
        assert np.array_equal(image[y * TILE + TILE // 2, x * TILE + TILE // 2], PATH_COLOUR)


def test_render_without_path_is_minigrids_own_frame(tmp_path):
    env_module = load(SEED_ENV)
    out = tmp_path / "plain.png"
    render(env_module, 5, None, str(out))
    assert np.array_equal(read_rgb(out), level_image(env_module, 5))
    assert not (read_rgb(out) == PATH_COLOUR).all(axis=2).any()


def test_render_a_registered_environment(tmp_path):
    out = tmp_path / "doorkey.png"
    render(None, 0, [(1, 1), (2, 1)], str(out), env_id="MiniGrid-DoorKey-16x16-v0")
    assert read_rgb(out).shape == (16 * TILE, 16 * TILE, 3)


def test_draw_path_joins_cells_with_a_line():
    image = np.zeros((3 * TILE, 3 * TILE, 3), dtype=np.uint8)
    drawn = draw_path(image, [(0, 1), (2, 1)])
    row = drawn[TILE + TILE // 2]
    assert (row[TILE // 2: 2 * TILE + TILE // 2] == PATH_COLOUR).all()
    assert not image.any()  # the input is left untouched
