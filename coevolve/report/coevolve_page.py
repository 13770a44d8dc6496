"""The sections of a co-evolution run's report, in the order the page shows them."""
from __future__ import annotations

import os

from coevolve.domains import get_domain
from coevolve.report import figures
from coevolve.report.history import (STRATEGIES, candidate_outcomes, logged_scores,
                                     measure_series, mixture_grids, most_likely_policy,
                                     msne_weights, rejections, split_constant,
                                     token_usage)
from coevolve.report.html import Section, code_page, esc, image, link, note, number, table
from coevolve.report.renders import render_archive, run_sandbox
from coevolve.report.rundata import RunData
from coevolve.store import RunStore, write_atomic

REASON_CHARS = 300
"""Rejection reasons are cut to this length in the table."""


def coevolve_sections(data: RunData, folder: str, executor=None):
    """(title, subtitle, sections, notes) of a co-evolution run's report."""
    records, config = data.iterations, data.config
    iterations = [r.iteration for r in records]
    pages = _program_pages(data, folder)
    notes = []
    sections = [_summary(data, pages),
                _covolve(data, folder),
                _msne(data, folder, iterations)]
    series = measure_series(records)
    if series:
        sections.append(_curriculum(series, folder))
    else:
        notes.append("curriculum (the chosen environments recorded no numeric level measures)")
    sections.append(_levels(data, folder, pages, executor))
    if data.heldout:
        sections.append(_heldout(data.heldout))
    else:
        notes.append(f"held-out results (no heldout.json; run `coevolve heldout {data.root}`)")
    sections.append(_candidates(records, folder, iterations))
    usage = token_usage(records, data.llm)
    if usage:
        figures.tokens_figure(iterations, usage, os.path.join(folder, "tokens.png"))
        totals = [[name, f"{values.sum():,.0f}"] for name, values in usage.items()]
        sections.append(Section("tokens", "LLM token use", image(
            "tokens.png", "LLM tokens per iteration") + table(["tokens", "total"], totals, {1})))
    else:
        notes.append(f"LLM token use (none recorded: the {config.get('designer', '?')} designer)")
    title = f"coevolve report: {os.path.basename(os.path.normpath(data.root))}"
    plural = "s" if len(records) > 1 else ""
    subtitle = (f"{config['domain']} domain, {config.get('designer', '?')} designer, seed "
                f"{config.get('seed', '?')}; {len(records)} finished iteration{plural} "
                f"(0..{iterations[-1]}); programs ran in the "
                f"{config.get('sandbox', 'process (before sandbox modes were recorded)')} sandbox.")
    return title, subtitle, sections, notes


def _program_pages(data: RunData, folder: str) -> dict[str, str]:
    """One HTML page per archived program; returns label -> page path relative to ``folder``."""
    store, pages = RunStore(data.root), {}
    for record in data.iterations:
        for entry in (record.env, record.policy):
            if entry:
                relative = f"programs/{entry.label}.html"
                write_atomic(os.path.join(folder, relative), code_page(
                    f"{entry.label} ({entry.file}, sha256 {entry.sha256[:12]})",
                    store.read(entry.file), "../index.html"))
                pages[entry.label] = relative
    return pages


def _summary(data: RunData, pages: dict) -> Section:
    last = data.iterations[-1]
    shape = data.payoffs.shape
    scores = [[name, number(last.scores[name]["worst"]), number(last.scores[name]["mean"])]
              for name in STRATEGIES]
    support = sorted(((w, label) for label, w in last.msne.items() if w > 1e-9), reverse=True)
    mixture = [[link(pages[label], label) if label in pages else label, number(w)]
               for w, label in support]
    config = [[key, value] for key, value in sorted(data.config.items())]
    body = (f"<p>After iteration {esc(last.iteration)}: {shape[0]} policies &times; "
            f"{shape[1]} environments in the archive; game value "
            f"<b>{number(last.value)}</b>.{_episodes_sentence(data.iterations)}</p>"
            + table(["strategy", "worst-case archive success", "mean archive success"],
                    scores, {1, 2})
            + "<h3>MSNE mixture (support)</h3>" + table(["policy", "weight"], mixture, {1})
            + "<details><summary>Configuration</summary>"
            + table(["setting", "value"], config) + "</details>")
    return Section("summary", "Summary", body)


def _episodes_sentence(records) -> str:
    """' 1,234 episodes played, 567 reused (31% saved).' over the run; empty without counts."""
    counted = [r.episodes for r in records if r.episodes]
    if not counted:
        return ""
    played = sum(c["played"] for c in counted)
    reused = sum(c["reused"] for c in counted)
    saved = reused / max(played + reused, 1)
    return (f" {played:,} episodes played, {reused:,} reused from earlier episodes with the same "
            f"start that drew no randomness ({saved:.0%} saved).")


def _covolve(data: RunData, folder: str) -> Section:
    records = data.iterations
    figures.covolve_figure(mixture_grids(records, data.payoffs), logged_scores(records),
                           os.path.join(folder, "covolve.png"))
    text = ("<p>Left: the newest policy's success on every archived environment after each "
            "iteration (UED-Greedy). Middle: the MSNE mixture's success. Right: worst-case and "
            "mean success over the environment archive of greedy, uniform and MSNE mixtures.</p>")
    return Section("covolve", "Co-evolution: success on the archive",
                   text + image("covolve.png", "success on the archive per iteration"))


def _msne(data: RunData, folder: str, iterations) -> Section:
    labels = data.payoffs.policy_labels
    weights = msne_weights(data.iterations, labels)
    values = [r.value for r in data.iterations]
    figures.msne_figure(iterations, labels, weights, values, os.path.join(folder, "msne.png"))
    return Section("msne", "MSNE weights and game value",
                   image("msne.png", "MSNE weights over iterations and the game value"))


def _curriculum(series: dict, folder: str) -> Section:
    varying, constant = split_constant(series)
    body = ""
    if varying:
        figures.curriculum_figure(varying, os.path.join(folder, "curriculum.png"))
        body = ("<p>Level measures of the environment chosen at each iteration (averaged over "
                "the feasibility check's seeds).</p>"
                + image("curriculum.png", "level measures of the chosen environment per iteration"))
    if constant:
        body += "<p>Unchanged in every chosen environment: " + ", ".join(
            f"{esc(name)} = {value:g}" for name, value in constant.items()) + ".</p>"
    return Section("curriculum", "Curriculum", body)


def _levels(data: RunData, folder: str, pages: dict, executor) -> Section:
    config = data.config
    domain = get_domain(config["domain"], config.get("env_package"), config.get("policy_package"))
    policy = most_likely_policy(data.iterations[-1])
    seconds = (config.get("episode_seconds") or domain.default_max_seconds) + 60
    with run_sandbox(executor, config, seconds, domain.env_package,
                     config.get("workers") or None) as pool:
        renders = render_archive(data.iterations, RunStore(data.root), domain.env_package,
                                 config.get("seed", 0), policy, folder, pool)
    cards = []
    for r in renders:
        program = f'<a href="{esc(pages[r.env_label])}">program</a>'
        if r.success is None:
            cards.append(f"<figure><figcaption><b>{esc(r.env_label)}</b> ({program}): "
                         f"{esc(r.error)}</figcaption></figure>")
            continue
        outcome = "solved" if r.success else "not solved"
        error = f"; {esc(r.error)}" if r.error else ""
        cards.append(f"<figure>{image(r.png, f'{r.env_label} with the path of {policy}', 'level')}"
                     f"<figcaption><b>{esc(r.env_label)}</b> ({program}): {outcome} in "
                     f"{esc(r.steps)} steps{error}</figcaption></figure>")
    text = (f"<p>Every archived environment (episode 0's seed) with the path of {esc(policy)}, "
            f"the policy with the largest MSNE weight ({link(pages[policy], 'its program')}).</p>")
    return Section("levels", "Archived environments", text
                   + f'<div class="levels">{"".join(cards)}</div>')


def _heldout(heldout: dict) -> Section:
    rows = heldout.get("results", [])
    strategies = list(dict.fromkeys(r["strategy"] for r in rows))
    families = list(dict.fromkeys(r["env"] for r in rows))
    cells = {(r["env"], r["strategy"]): r for r in rows}
    body = [[family] + [number(cells[(family, s)]["success_rate"]) if (family, s) in cells
                        else "-" for s in strategies] for family in families]
    text = (f"<p>Success rate on held-out levels after iteration {esc(heldout.get('iteration'))}, "
            f"{esc(heldout.get('episodes'))} episodes per family (mixtures draw one policy per "
            f"episode).</p>")
    return Section("heldout", "Held-out generalisation", text + table(
        ["held-out family"] + [f"{s} success" for s in strategies], body,
        set(range(1, len(strategies) + 1))))


def _candidates(records, folder: str, iterations) -> Section:
    outcomes = {kind: candidate_outcomes(records, kind) for kind in ("env", "policy")}
    figures.candidates_figure(iterations, outcomes, os.path.join(folder, "candidates.png"))
    rejected = rejections(records)
    rows = [[r["iteration"], r["kind"], r["category"], _cut(r["reason"]),
             os.path.basename(r["file"] or "")] for r in rejected]
    details = (f"<details><summary>{len(rejected)} rejected candidates and their reasons"
               f"</summary>{table(['iteration', 'kind', 'category', 'reason', 'file'], rows, {0})}"
               f"</details>") if rejected else note("No candidate was rejected.")
    return Section("candidates", "Candidates: acceptance and rejection",
                   image("candidates.png", "candidates per iteration by outcome") + details)


def _cut(text: str) -> str:
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 3] + "..."

