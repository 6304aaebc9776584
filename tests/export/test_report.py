"""The study report: the numbers it shows, escaping, self-containment, and its errors."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import REPO
from tests.export.conftest import KEY, THEMES
from thematic.errors import ThematicError
from thematic.export.report import build_report, render_html, render_markdown, write_report

SCALES = REPO / "scales" / "ai-therapy.yaml"


class Elements(HTMLParser):
    """Tags, attributes and text of an HTML page, as a browser's parser sees them."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def hostile_report(_hostile_file, tmp_path_factory):
    """The report of the hostile study, built once (charts included)."""
    import shutil

    from thematic.store.project import open_project

    path = tmp_path_factory.mktemp("report") / "hostile.db"
    shutil.copyfile(_hostile_file, path)
    with open_project(path) as project:
        return build_report(project, coder="consensus", n_boot=50, exemplars=100)


def test_prevalence_counts_respondents_by_the_key(study):
    from thematic.store.corpus import list_units

    report = build_report(study, coder="consensus", charts=False, n_boot=20)
    answered = {u.respondent_id for u in list_units(study)}
    assert report.coded_respondents == len(answered)
    for row in report.prevalence:
        expected = sum(1 for r in answered if row.theme in KEY[r])
        assert row.respondents == row.units == expected
        assert row.percent == pytest.approx(100 * expected / len(answered))
    assert [t.id for t in report.themes] == THEMES
    role = next(g for g in report.by_group if g.attribute == "role")
    assert role.groups == ("qualified", "trainee")
    assert sum(role.coded) + role.excluded == len(answered)
    assert [a.name for a in report.attributes] == ["role", "approach", "would_consider"]


def test_exemplars_prefer_single_theme_units(study):
    report = build_report(study, coder="consensus", charts=False, n_boot=20, exemplars=2)
    for theme, quotes in report.exemplars:
        assert len(quotes) == 2
        assert all(theme.id in KEY[q.respondent] for q in quotes)
        assert all(len(KEY[q.respondent]) == 1 for q in quotes)


def test_agreement_and_discovery_sections(study):
    report = build_report(study, coder="consensus", charts=False, n_boot=20)
    assert report.agreement is not None and report.agreement.coders == ("ana", "ben")
    assert report.agreement_note is None
    assert report.discovery is not None and [c.cluster for c in report.discovery.clusters] == [0, 1, 2, 3, -1]
    assert report.discovery.clusters[0].nearest == "Negative responses"
    html = render_html(report)
    assert 'id="table-agreement"' in html and "Krippendorff&#39;s alpha" in html
    assert 'id="table-clusters"' in html


def test_one_coder_means_no_agreement(demo_project, tmp_path):
    from tests.conftest import DEMO_CODEBOOK
    from tests.export.conftest import code_all
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    use_codebook(demo_project, load_codebook(DEMO_CODEBOOK))
    code_all(demo_project, "ana", KEY)
    report = build_report(demo_project, charts=False, n_boot=20)
    assert report.coder == "ana"
    assert report.agreement is None
    assert report.agreement_note == (
        "no agreement computed: agreement needs at least two coders, and only ana has "
        "coded units (have a second coder code the same units, or name them with "
        "--coders a,b)"
    )
    assert (
        report.discovery is None
        and report.discovery_note == "no discovery run yet (run `thematic discover` first)"
    )
    html = render_html(report)
    assert "no agreement computed: agreement needs at least two coders" in html


def test_html_escapes_everything_from_respondents(hostile_report):
    html = render_html(hostile_report)
    page = parse(html)
    assert [t for t, _ in page.tags if t in ("script", "iframe", "object", "embed", "link", "b")] == []
    text = "".join(page.text)
    assert (
        "<script>alert('pwned')</script> I think [b]bold[/b] claims need [red]care[/red] & thought." in text
    )
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "{{ jinja }} {% raw %}" in text


def test_html_is_self_contained(hostile_report):
    html = render_html(hostile_report)
    page = parse(html)
    for tag, attrs in page.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:image/png;base64,", "#")), (tag, value[:40])
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(hostile_report.charts) >= 4
    import base64

    assert all(base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n" for src in images)
    csp = next(a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert csp["content"].startswith("default-src 'none'")
    assert not re.search(r"https?://", html.replace("http://evil.example", ""))


def test_markdown_escapes_and_links_its_figures(hostile_report):
    figures = {name: f"r_figures/{name}.png" for name in hostile_report.charts}
    md = render_markdown(hostile_report, figures)
    assert md.startswith("# Therapists' attitudes towards AI in therapy\n")
    assert "<script>" not in md and "[b]" not in md and "<b>" not in md
    assert r"\<script\>alert('pwned')\</script\> I think \[b\]bold\[/b\]" in md
    assert "![Theme prevalence](r_figures/prevalence.png)" in md
    assert "| Negative responses |" in md


def test_closed_items_section_with_a_scale_file(study):
    report = build_report(study, coder="consensus", scales=SCALES, charts=False, n_boot=20)
    assert report.closed is not None
    assert [s.id for s in report.closed.described.subscales][:3] == ["goal", "task", "bond"]
    assert all(not a.name.startswith(("wai_", "att_")) for a in report.attributes)
    html = render_html(report)
    assert 'id="table-subscales"' in html and 'id="table-scores-by-theme"' in html
    without = render_html(build_report(study, coder="consensus", charts=False, n_boot=20))
    assert "No closed items in this report (pass --scales FILE to add them)." in without


def test_write_report_html_and_md(study, tmp_path):
    summary = write_report(study, tmp_path / "r.html", coder="ana", by=["role"], n_boot=20)
    assert summary.format == "html" and summary.coder == "ana"
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    summary = write_report(study, tmp_path / "r.md", coder="machine", by=["role"], n_boot=20)
    assert (
        summary.notes[0]
        == "These codings are the machine's suggestions (for each question, the latest suggest run that "
        "covers it), not human decisions."
    )
    assert sorted(p.name for p in (tmp_path / "r_figures").iterdir()) == [
        "by-role.png",
        "clusters.png",
        "prevalence.png",
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"by": ["age"]},
            "attribute 'age' not found (attributes are: role, approach, would_consider, wai_goal_1",
        ),
        (
            {"coder": "zoe"},
            "coder 'zoe' has no decisions in this project (coders: ana, ben, consensus; or --coder "
            "machine for the machine's suggestions)",
        ),
        ({"exemplars": -1}, "--exemplars must be 0 or more, not -1"),
    ],
)
def test_report_errors(study, tmp_path, kwargs, message):
    with pytest.raises(ThematicError) as info:
        write_report(study, tmp_path / "r.html", n_boot=20, **kwargs)
    assert info.value.message.startswith(message)
    assert not (tmp_path / "r.html").exists()


def test_several_coders_without_consensus_need_a_choice(demo_project):
    from tests.conftest import DEMO_CODEBOOK
    from tests.export.conftest import code_all
    from thematic.codebook.load import load_codebook
    from thematic.store.codebooks import use_codebook

    use_codebook(demo_project, load_codebook(DEMO_CODEBOOK))
    code_all(demo_project, "ana", KEY)
    code_all(demo_project, "ben", KEY)
    with pytest.raises(ThematicError) as info:
        build_report(demo_project, charts=False)
    assert info.value.message == (
        "several coders have coded: ana, ben (choose one with --coder NAME, or reconcile "
        "them into consensus first)"
    )
