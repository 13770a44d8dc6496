"""Run reports: matplotlib figures, level renders and one self-contained HTML page.

``write_report(root)`` writes ``root/report/index.html`` with its images and program pages
beside it; the page opens from disk and needs no network.
"""
from __future__ import annotations

import os

from coevolve.report.atari_page import atari_sections
from coevolve.report.coevolve_page import coevolve_sections
from coevolve.report.html import document
from coevolve.report.rundata import load_run
from coevolve.store import write_atomic


def write_report(root: str, executor=None) -> str:
    """Write (or refresh) the report of the run in ``root``; returns the page's path.

    Args:
        root: a co-evolution or Atari run directory.
        executor: a sandbox pool for the level renders (``SandboxPool`` or anything with its
            ``run(jobs)``); by default the report starts and stops its own.
    """
    data = load_run(root)
    folder = os.path.join(root, "report")
    os.makedirs(folder, exist_ok=True)
    build = coevolve_sections if data.kind == "coevolve" else atari_sections
    title, subtitle, sections, notes = build(data, folder, executor)
    path = os.path.join(folder, "index.html")
    write_atomic(path, document(title, subtitle, sections, notes))
    return path
