"""The domain contract: a fourth domain written here is checked name by name, then plays."""
import textwrap

import pytest
from envs.api import spec_fields

from coevolve.cli import main as cli_main
from coevolve.config import RunConfig
from coevolve.domain_check import check_domain
from coevolve.domains import DOMAINS, domain_of, get_domain
from coevolve.errors import UserInputError
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.sandbox import Limits, SandboxPool
from coevolve.session import Session

ENV_SIDE = {
    "NAME": 'NAME = "{name}"',
    "ENV_REQUIRED": 'ENV_REQUIRED = ("LEVEL",)',
    "POLICY_REQUIRED": 'POLICY_REQUIRED = ("policy",)',
    "ALLOWED_IMPORTS": "ALLOWED_IMPORTS = frozenset()",
    "DOC_ENV": 'DOC_ENV = "An environment program sets LEVEL, an int."',
    "DOC_POLICY": 'DOC_POLICY = "A policy program defines policy() returning its skill."',
    "SEED_ENV": 'SEED_ENV = "LEVEL = 1\\n"',
    "DEFAULT_MAX_SECONDS": "DEFAULT_MAX_SECONDS = 10.0",
    "run_episode": """
        def run_episode(env_module, policy_module, *, seed, trace=False):
            won = policy_module.policy() + seed % 2 >= env_module.LEVEL
            return EpisodeResult(won, float(won), 1)
        """,
    "check_env": """
        def check_env(env_module, *, seeds):
            return LevelCheck(env_module.LEVEL <= 5, "LEVEL above 5", {"level": env_module.LEVEL})
        """,
    "render": """
        def render(env_module, seed, path, out_png):
            with open(out_png, "wb") as handle:
                handle.write(bytes([env_module.LEVEL]))
        """,
    "heldout_suite": """
        def heldout_suite():
            return [HeldoutFamily("hard", ("LEVEL = 3\\n",))]
        """,
}
MUTATIONS = """
def {function}(source, rng):
    value = int(source.split("=")[1]) + int(rng.integers(0, 2))
    return source.split("=")[0] + "= " + str(value) + "\\n", "changed"
"""


def write_domain(root, name: str, leave_out: str | None = None, policy: bool = True) -> tuple:
    """A toy domain's two packages under ``root``, without ``leave_out``."""
    envs, policies = root / f"{name}_envs", root / f"{name}_policies"
    envs.mkdir()
    body = "\n\n".join(textwrap.dedent(code).strip().replace("{name}", name)
                       for key, code in ENV_SIDE.items() if key != leave_out)
    (envs / "__init__.py").write_text(
        "from envs.api import EpisodeResult, HeldoutFamily, LevelCheck\n\n" + body + "\n")
    (envs / "mutations.py").write_text(MUTATIONS.format(function="mutate_env"))
    (envs / "prompt_notes_env.md").write_text("Keep LEVEL small.\n")
    if policy:
        policies.mkdir()
        (policies / "__init__.py").write_text(
            'SEED_POLICY = "def policy():\\n    return 1\\n"\n')
        (policies / "mutations.py").write_text(
            MUTATIONS.format(function="mutate_policy").replace('split("=")', 'split("return")')
            .replace('"= "', '"return "'))
    return envs.name, policies.name


@pytest.fixture
def domain_root(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_spec_requires_exactly_the_names_the_toy_defines():
    assert {f.metadata["attribute"] for f in spec_fields(required=True)} == set(ENV_SIDE)


@pytest.mark.parametrize("name", sorted(ENV_SIDE))
def test_each_missing_name_is_reported_with_what_to_add(domain_root, monkeypatch, name):
    package = f"lacks_{name.lower()}"
    env_package, policy_package = write_domain(domain_root, package, leave_out=name)
    problems = check_domain(package, env_package, policy_package)
    field = next(f for f in spec_fields(required=True) if f.metadata["attribute"] == name)
    assert problems == [f"{env_package} has no {name}: add `{field.metadata['add']}`"]
    monkeypatch.delitem(DOMAINS, package, raising=False)
    with pytest.raises(UserInputError, match=f"has no {name}: add"):
        get_domain(package, env_package, policy_package)
    assert package not in DOMAINS or DOMAINS[package].env_package == env_package


def test_wrong_kinds_and_the_policy_side_are_reported(domain_root):
    env_package, policy_package = write_domain(domain_root, "odd", policy=False)
    init = domain_root / env_package / "__init__.py"
    init.write_text(init.read_text().replace("DEFAULT_MAX_SECONDS = 10.0", "DEFAULT_MAX_SECONDS = 0")
                    .replace('SEED_ENV = "LEVEL = 1\\n"', 'SEED_ENV = "import os\\nLEVEL = 1\\n"')
                    .replace("def check_env(env_module, *, seeds)", "def check_env(env_module)")
                    + 'RUN_DEFAULTS = {"episode": 3}\n')
    problems = "\n".join(check_domain("odd", env_package, policy_package))
    assert "DEFAULT_MAX_SECONDS must be a positive number" in problems
    assert "SEED_ENV breaks the domain's contract" in problems and "os" in problems
    assert "check_env cannot be called as the harness calls it" in problems
    assert "RUN_DEFAULTS names episode, which are no run settings" in problems
    assert f"{policy_package} cannot be imported" in problems
    assert check_domain("other", *write_domain(domain_root, "named"))[0].startswith(
        "named_envs.NAME is 'named' but the domain is registered as 'other'")


def test_a_broken_domain_stops_a_run_before_anything_is_written(domain_root, monkeypatch,
                                                                capsys):
    env_package, policy_package = write_domain(domain_root, "broken", leave_out="run_episode")
    monkeypatch.setitem(DOMAINS, "broken", DOMAINS["minigrid"].__class__(
        "broken", env_package, policy_package))
    out = domain_root / "run"
    assert cli_main(["run", "--domain", "broken", "--out", str(out), "--quiet"]) == 2
    assert "broken_envs has no run_episode: add `def run_episode(" in capsys.readouterr().err
    assert not out.exists()


def test_a_complete_domain_registers_from_its_paths_plays_and_reopens_without_them(
        domain_root, monkeypatch):
    env_package, policy_package = write_domain(domain_root, "fourth")
    assert check_domain("fourth", env_package, policy_package) == []
    config = RunConfig(domain="fourth", env_package=env_package, policy_package=policy_package,
                       iterations=2, episodes=2, candidates=2, search_steps=0, workers=1)
    monkeypatch.delitem(DOMAINS, "fourth", raising=False)
    domain = domain_of(config)  # registered from the recorded module paths
    assert DOMAINS["fourth"] == domain and domain.notes("env") == "Keep LEVEL small."
    root = str(domain_root / "run")
    with SandboxPool(1, Limits(seconds=10, memory_mb=1024), preload=(env_package,)) as pool:
        session = Session.create(config, root, progress=Progress(quiet=True), executor=pool)
        run(session, 2)
        monkeypatch.delitem(DOMAINS, "fourth")  # as in a new process without the variable
        reopened = Session.reopen(root, progress=Progress(quiet=True), executor=pool)
        archive = reopened.archive
        assert reopened.next_iteration == 3 and reopened.domain.env_package == env_package
        assert archive.payoffs.values.shape == (len(archive.policies), len(archive.envs))
        assert archive.payoffs.values.shape[0] >= 2  # the run played and kept a new policy


def test_configs_without_module_paths_still_find_the_built_in_domains():
    old = RunConfig.from_dict({"domain": "pygame", "iterations": 1})
    assert domain_of(old).env_package == "envs.pygame_nav"
    with pytest.raises(UserInputError, match="unknown domain 'nowhere'"):
        domain_of(RunConfig(domain="nowhere"))
