"""The standalone policy file plays the same episode as the harness, in a fresh interpreter."""
import random
import subprocess
import sys
import types

import numpy
import pytest

from coevolve.atari.standalone import standalone_source
from envs.atari import Protocol, run_episode
from policies.atari import template_source


@pytest.mark.parametrize("game", ["Breakout", "SpaceInvaders"])
def test_standalone_score_equals_the_harness_score(game, tmp_path):
    source = template_source(game)
    script = tmp_path / "policy.py"
    script.write_text(standalone_source(source, game, max_steps=300, sticky=0.25))
    done = subprocess.run([sys.executable, "-I", str(script)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path,
                          env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"})
    assert done.returncode == 0, done.stderr
    random.seed(0)  # as the job runner seeds an episode with seed 0
    numpy.random.seed(0)
    module = types.ModuleType("policy_program")
    exec(compile(source, "policy_program.py", "exec"), module.__dict__)
    expected = run_episode(Protocol(game, 0.25, 300), module, seed=0)
    assert done.stdout == f"score {expected.ret:g} in {expected.steps} steps\n"


def test_an_existing_main_block_is_replaced():
    source = template_source("Pong") + '\n\nif __name__ == "__main__":\n    print("old")\n'
    text = standalone_source(source, "Pong")
    assert text.count('if __name__ == "__main__":') == 1 and 'print("old")' not in text
