"""The report page: sections, escaping, links and images that exist, Atari runs."""
import json
import os
import types
from html.parser import HTMLParser

import pytest
from matplotlib.figure import Figure
from report_runs import minigrid_programs, write_heldout, write_run

from coevolve.cli import main
from coevolve.evaluate import episode_seed
from coevolve.program import source_sha256
from coevolve.report import write_report
from envs.minigrid.runner import run_episode

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Section ids, image sources, link targets and the text of a page."""

    def __init__(self, path):
        super().__init__()
        self.sections, self.images, self.links, self.text = [], [], [], []
        with open(path, encoding="utf-8") as handle:
            self.html = handle.read()
        self.feed(self.html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append(attrs["id"])
        elif tag == "img":
            self.images.append(attrs["src"])
        elif tag == "a" and not attrs["href"].startswith("#"):
            self.links.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)


def _assert_files_exist(page_path, page):
    folder = os.path.dirname(page_path)
    for src in page.images:
        with open(os.path.join(folder, src), "rb") as handle:
            assert handle.read(8) == PNG_MAGIC, src
    for href in page.links:
        assert os.path.isfile(os.path.join(folder, href)), href


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("run"))
    write_run(root, minigrid_programs(), designer="llm", tokens=True)
    write_heldout(root)
    return write_report(root)  # starts and stops its own sandbox


def test_every_section_of_a_coevolution_run_is_present(report):
    page = Page(report)
    assert page.sections == ["summary", "covolve", "msne", "curriculum", "levels", "heldout",
                             "candidates", "tokens"]
    text = " ".join(page.text)
    assert "Not in this report" not in text
    assert "game value <b>0.250</b>" in page.html
    assert "46 episodes played, 20 reused" in page.html and "(30% saved)" in page.html
    assert page.images[:3] + page.images[-2:] == ["covolve.png", "msne.png", "curriculum.png",
                                                  "candidates.png", "tokens.png"]
    levels = page.images[3:-2]
    assert [src[:15] for src in levels] == ["level_env_0000_", "level_env_0001_", "level_env_0002_"]
    assert "Unchanged in every chosen environment: lava = 0, walls = 4" in text
    _assert_files_exist(report, page)


def _played_outcomes() -> list[str]:
    """What episode 0 of policy_0002 on env_0000..env_0002 does, played here, as the page says it."""
    env_sources, policy_sources = minigrid_programs()
    outcomes = []
    for source in env_sources[:3]:
        env, policy = types.ModuleType("env"), types.ModuleType("policy")
        exec(source, env.__dict__)
        exec(policy_sources[2], policy.__dict__)
        result = run_episode(env, policy, seed=episode_seed(source_sha256(source), 3, 0))
        outcomes.append(f"{'solved' if result.success else 'not solved'} in {result.steps} steps")
    return outcomes


def test_levels_show_outcomes_and_link_their_programs(report):
    page = Page(report)
    text = " ".join(page.text)
    assert "with the path of policy_0002" in text  # MSNE weight 0.75 after iteration 3
    assert text.count("solved in") == 3  # env_0003 cannot be built
    for outcome in _played_outcomes():
        assert outcome in text
    assert "render failed: RuntimeError" in text
    for label in ("env_0000", "env_0001", "env_0002", "env_0003", "policy_0002"):
        assert f"programs/{label}.html" in page.links
    program = Page(os.path.join(os.path.dirname(report), "programs", "env_0003.html"))
    assert "raise RuntimeError('</pre><script>broken</script>')" in " ".join(program.text)
    assert "<script>broken" not in program.html


def test_untrusted_text_is_escaped(report):
    page = Page(report)
    assert "<script>broken" not in page.html and "&lt;script&gt;broken" in page.html
    assert "<b>behind</b>" not in page.html and "&lt;b&gt;behind&lt;/b&gt;" in page.html


def test_heldout_table_lists_families_by_strategy(report):
    html = Page(report).html
    heldout = html[html.index('id="heldout"'):html.index('id="candidates"')]
    assert "<th>greedy success</th><th>uniform success</th><th>msne success</th>" in heldout
    assert "<td>Line-Long</td><td class=num>0.250</td>" in heldout


def test_token_use_is_plotted_and_totalled(report):
    page = Page(report)
    assert "tokens.png" in page.images
    assert "<td>prompt_tokens</td><td class=num>600</td>" in page.html
    assert "<td>completion_tokens</td><td class=num>60</td>" in page.html


def _atari_run(root, with_outputs):
    os.makedirs(root)
    history = [{"iteration": t, "candidate_mean": None if t == 0 else -15.0 + t,
                "best_mean": -20.0 + 3 * t, "best_std": 1.0, "stage": 1, "feedback": "x",
                "env_steps": 1000 * t, "seconds": 2.0 * t, "invalid": t, "notes": [],
                "errors": []} for t in range(3)]
    files = {"config.json": {"game": "Pong", "designer": "offline", "seed": 1, "episodes": 2},
             "state.json": {"iteration": 2, "best_source": "def act(obs):\n    return 0 < 1\n",
                            "best_mean": -14.0, "best_std": 1.0, "elites": [],
                            "history": history, "env_steps": 2000, "seconds": 4.0}}
    if with_outputs:
        files["summary.json"] = {"iterations": 2, "best_mean": -14.0, "best_std": 1.0,
                                 "stage": 1, "env_steps": 2000, "seconds": 4.0}
        with open(os.path.join(root, "best_policy.py"), "w") as handle:
            handle.write("# standalone\ndef act(obs):\n    return int('<&>' != '')\n")
        fig = Figure(figsize=(2, 2))
        fig.subplots().plot([0, 1], [0, 1])
        fig.savefig(os.path.join(root, "curve.png"))
    for name, content in files.items():
        with open(os.path.join(root, name), "w") as handle:
            json.dump(content, handle)
    return root


def test_an_atari_run_shows_its_curve_history_and_best_policy(tmp_path):
    report = write_report(_atari_run(str(tmp_path / "pong"), with_outputs=True))
    page = Page(report)
    assert page.sections == ["atari-summary", "atari-curve", "atari-history", "atari-play",
                             "atari-policy"]
    frames = page.images[1:]  # one screen per 200 steps until a still paddle loses 0-21
    assert page.images[0] == "atari_curve.png"
    assert frames[:2] == ["atari_frame_0.png", "atari_frame_1.png"]
    assert frames == [f"atari_frame_{n}.png" for n in range(len(frames))] and len(frames) <= 6
    assert "step 200, score" in " ".join(page.text)
    assert "programs/best_policy.py" in page.links
    assert "return int(&#x27;&lt;&amp;&gt;&#x27; != &#x27;&#x27;)" in page.html
    text = " ".join(page.text)
    assert "-14.00 ± 1.00" in text and "Pong, offline optimiser, seed 1; 2 iterations." in text
    _assert_files_exist(report, page)


def test_a_best_policy_that_fails_shows_why_it_has_no_screens(tmp_path):
    root = _atari_run(str(tmp_path / "pong"), with_outputs=True)
    with open(os.path.join(root, "best_policy.py"), "w") as handle:
        handle.write("def act(obs):\n    raise ValueError('no move')\n")
    page = Page(write_report(root))
    assert "atari-play" in page.sections and page.images == ["atari_curve.png"]
    assert "No screens: ValueError: no move" in " ".join(page.text)


def test_an_atari_run_without_outputs_falls_back_to_its_checkpoint(tmp_path):
    page = Page(write_report(_atari_run(str(tmp_path / "pong"), with_outputs=False)))
    assert page.sections == ["atari-summary", "atari-history", "atari-policy"]
    assert "return 0 &lt; 1" in page.html
    assert "learning curve (no curve.png in the run directory yet)" in " ".join(page.text)


def test_the_command_writes_the_page(tmp_path, capsys):
    assert main(["report", _atari_run(str(tmp_path / "pong"), with_outputs=False)]) == 0
    assert capsys.readouterr().out.strip().endswith(os.path.join("report", "index.html"))


def test_an_atari_run_of_records_shows_its_history_and_best_program(tmp_path):
    root = tmp_path / "pong"
    (root / "programs").mkdir(parents=True)
    (root / "programs" / "policy_0001.py").write_text("def act(obs):\n    return 2 > 1\n")
    (root / "config.json").write_text(json.dumps({"game": "Pong", "designer": "offline",
                                                  "seed": 0}))
    records = [{"iteration": t, "candidate_mean": -9.0, "best_mean": -10.0 + t, "best_std": 0.5,
                "stage": 1, "invalid": 0, "env_steps": 100 * t, "seconds": 1.0 * t,
                "best": {"file": "programs/policy_0001.py"}} for t in range(2)]
    (root / "iterations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    page = Page(write_report(str(root)))
    assert page.sections == ["atari-summary", "atari-history", "atari-policy"]
    assert "return 2 &gt; 1" in page.html and "-9.00 ± 0.50" in " ".join(page.text)
