"""The report opened in headless Chromium: the page renders, its tables are there, nothing ran."""

from __future__ import annotations

import shutil
import subprocess

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)"
)


def test_report_renders_in_headless_chromium(hostile, tmp_path):
    from thematic.export.report import write_report

    out = tmp_path / "report.html"
    write_report(hostile, out, coder="consensus", n_boot=20, exemplars=100)
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            out.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    for table in (
        "table-questions",
        "table-codebook",
        "table-prevalence",
        "table-groups-1",
        "table-clusters",
        "table-agreement",
        "table-audit",
    ):
        assert f'id="{table}"' in dom
    assert dom.count("<table") >= 10
    assert "<script" not in dom.lower()
    assert "&lt;script&gt;alert('pwned')&lt;/script&gt;" in dom
    assert dom.count('src="data:image/png;base64,') >= 4
