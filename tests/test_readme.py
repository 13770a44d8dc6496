"""The README stays true: its two commands, and the building blocks the offline search draws on."""
import os
import re

import policies.minigrid
from envs.minigrid.mutations import OPERATORS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as handle:
        return handle.read()


def test_readme_gives_the_two_commands_and_make_and_ci_run_them():
    readme, makefile, ci = read("README.md"), read("Makefile"), read(".ci/run")
    assert "make run" in readme and "make test" in readme
    assert re.search(r"^run: install\n\t\.venv/bin/coevolve run --domain minigrid$", makefile, re.M)
    assert re.search(r"^test: install browser\n\t\.venv/bin/python -m pytest -q$", makefile, re.M)
    assert "make test" in ci


def test_readme_lists_every_minigrid_building_block_and_operator():
    readme = read("README.md")
    catalogue = policies.minigrid.CATALOGUE
    for name in [*catalogue.behaviours, *catalogue.params]:
        assert f"`{name}`" in readme, name
    for operator in OPERATORS:
        assert operator.name in readme, operator.name


def test_readme_states_the_import_allow_list_exactly_as_enforced():
    from envs.api import SAFE_STDLIB
    text = read("README.md")
    section = text[text.index("## Generated code is untrusted"):text.index("## Domains and what")]
    stated = section[section.index("these standard library modules:"):]
    listed = set(re.findall(r"`([a-z_0-9]+)`", stated))
    assert listed == SAFE_STDLIB - {"numpy", "__future__"}


def test_readme_documents_the_driving_blocks_and_operators():
    import policies.driving
    from envs.driving.mutations import ENV_OPERATORS_DOC
    readme = read("README.md")
    assert policies.driving.BUILDING_BLOCKS_DOC in readme and ENV_OPERATORS_DOC in readme
