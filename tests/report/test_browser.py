"""A real MiniGrid run refreshes its report after every iteration; a real browser loads it.

The browser is Debian's chromium (scripts/install_chromium.sh installs it), run headless with
networking features off; the page's own script marks <body> once every image has loaded.
"""
import os
import re
import subprocess

import pytest

from coevolve.cli import main
from coevolve.config import RunConfig
from coevolve.loop import run
from coevolve.progress import Progress
from coevolve.report import write_report
from coevolve.session import Session

CHROMIUM = "/usr/bin/chromium"
SECTIONS = ("summary", "covolve", "msne", "curriculum", "levels", "candidates")


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """A 2-iteration run whose report is refreshed after every iteration, as `--report` does."""
    root = str(tmp_path_factory.mktemp("browser") / "run")
    config = RunConfig(domain="minigrid", iterations=2, episodes=2, candidates=2, workers=2)
    state = Session.create(config, root, progress=Progress(quiet=True))
    pages = []

    def refresh():
        with open(write_report(root, state.executor), encoding="utf-8") as handle:
            pages.append(handle.read())

    try:
        run(state, config.iterations, refresh)
    finally:
        state.close()
    return root, pages


def test_the_report_is_refreshed_after_every_iteration(refreshed):
    _, pages = refreshed
    assert [re.search(r"(\d+) finished iteration", page).group(1) for page in pages] == [
        "1", "2", "3"]


def test_every_image_loads_in_a_headless_browser(refreshed, tmp_path):
    root, _ = refreshed
    index = os.path.join(root, "report", "index.html")
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=10000", "--dump-dom", "file://" + os.path.abspath(index)],
        capture_output=True, text=True, timeout=60, check=True).stdout
    body = re.search(r"<body[^>]*>", dom).group(0)
    loaded, total = map(int, re.search(r'data-images="(\d+)/(\d+)"', body).groups())
    assert 'data-images-ok="true"' in body
    assert loaded == total == 3 + 3 + 1  # covolve, msne, curriculum; 3 levels; candidates
    for section in SECTIONS:
        assert f'<section id="{section}">' in dom
    assert "Not in this report: held-out results (no heldout.json; run `coevolve heldout" in dom
    assert "LLM token use (none recorded: the offline designer)" in dom


def test_run_report_flag_writes_the_page(tmp_path, capsys):
    root = str(tmp_path / "run")
    assert main(["run", "--domain", "minigrid", "--iterations", "0", "--episodes", "1",
                 "--workers", "1", "--out", root, "--quiet", "--report"]) == 0
    with open(os.path.join(root, "report", "index.html"), encoding="utf-8") as handle:
        assert "1 finished iteration (0..0)" in handle.read()
