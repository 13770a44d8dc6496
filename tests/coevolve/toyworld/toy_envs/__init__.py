"""A toy domain for loop tests: an environment has a LEVEL, a policy a SKILL.

The policy wins an episode when SKILL + noise >= LEVEL, with noise in {-1, 0, 1} from the seed.
"""
import os
import struct
import time
import zlib

from envs.api import EpisodeResult, HeldoutFamily, LevelCheck

NAME = "toy"
ENV_REQUIRED = ("LEVEL",)
POLICY_REQUIRED = ("policy",)
ALLOWED_IMPORTS = frozenset()
DEFAULT_MAX_SECONDS = 10.0
DIFFICULTY_MEASURE = "level"
SEED_ENV = "LEVEL = 1\n"
DOC_ENV = "An environment program sets LEVEL (an int, at most 20)."
DOC_POLICY = "A policy program defines policy() returning its SKILL."


def run_episode(env_module, policy_module, *, seed, trace=False):
    time.sleep(float(os.environ.get("TOY_EPISODE_SECONDS", "0")))
    skill = policy_module.policy()
    won = skill + (seed % 3) - 1 >= env_module.LEVEL
    return EpisodeResult(won, float(won), 1, trace={"skill": skill} if trace else None)


def check_env(env_module, *, seeds):
    level = env_module.LEVEL
    if level > 20:
        return LevelCheck(False, f"LEVEL {level} is above 20", {"level": level})
    return LevelCheck(True, None, {"level": level})


def format_trace(trace):
    return f"skill {trace['skill']}"


def heldout_suite():
    return [HeldoutFamily("hard", ("LEVEL = 6\n", "LEVEL = 8\n")),
            HeldoutFamily("easy", ("LEVEL = 0\n",))]


def render(env_module, seed, path, out_png):
    """The level as a one-pixel-high grey PNG, one pixel per LEVEL step."""
    width = max(1, env_module.LEVEL)
    rows = b"\0" + bytes([128]) * width

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(out_png, "wb") as handle:
        handle.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, 1, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
