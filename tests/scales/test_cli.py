"""The commands: scales describe / check and crosstab, their formats, and their one-line errors."""

from __future__ import annotations

import csv
import io
import json

from tests.scales.conftest import FIXTURES, MINI_YAML, insert_codings


def refused(result, message: str) -> None:
    assert result.exit_code == 2, result
    assert result.stdout == ""
    assert result.stderr == f"error: {message}\n"


def test_describe_table(cli, mini_project):
    result = cli("scales", "describe", "--scales", MINI_YAML)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("scales mini (mini.yaml): 10 respondents, 4 items, 2 subscales\n")
    assert ("items on agree5: 1 = Strongly disagree, 2 = Disagree, 3 = Neither, 4 = Agree, "
            "5 = Strongly agree\n") in out
    assert " q3 (R) " in out and "(R): reverse-keyed" in out
    assert "Mini: Use (3.14) > Trust (3.00)\n" in out
    assert "(2000 resamples, seed 0)" in out
    assert "…" not in out                     # not a terminal: tables print at full width


def test_describe_by_group_and_seed(cli, mini_project):
    result = cli("scales", "describe", "--scales", MINI_YAML, "--by", "group", "--seed", "5",
                 "--n-boot", "100")
    assert result.exit_code == 0, result.stderr
    assert "by group: a 5, b 5\n" in result.stdout
    assert "(100 resamples, seed 5)" in result.stdout
    assert "U: Mann-Whitney; r: rank-biserial (positive: a higher than b)" in result.stdout


def test_describe_json_and_csv(cli, mini_project):
    data = json.loads(cli("scales", "describe", "--scales", MINI_YAML, "--format", "json",
                          "--n-boot", "0").stdout)
    assert data["scales"] == "mini" and data["respondents"] == 10 and data["by"] is None
    assert [s["id"] for s in data["subscales"]] == ["trust", "use"]
    assert data["subscales"][0]["alpha"]["n"] == 8
    result = cli("scales", "describe", "--scales", MINI_YAML, "--format", "csv", "--n-boot", "0",
                 "--by", "group")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["section", "id", "group", "statistic", "value"]
    assert ["item", "q1", "", "count: 1 Strongly disagree", "2"] in rows
    assert ["subscale by group", "trust", "", "test", "Mann-Whitney U"] in rows


def test_scales_check(cli, mini_project):
    result = cli("scales", "check", "--scales", MINI_YAML)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("mini.yaml is valid: 4 items (1 reverse-keyed), 2 subscales; answers of 10 "
                             "respondents checked\n")


def test_describe_errors(cli, mini_project, tmp_path):
    refused(cli("scales", "describe", "--scales", MINI_YAML, "--format", "xml"),
            "--format must be table, json or csv, not 'xml'")
    refused(cli("scales", "describe", "--scales", tmp_path / "none.yaml"),
            f"scale file {tmp_path / 'none.yaml'} not found (check the path given to --scales)")
    refused(cli("scales", "describe", "--scales", MINI_YAML, "--by", "role"),
            "attribute 'role' is not a column of the imported data (columns: group, q1, q2, q3, q4)")
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI_YAML.read_text(encoding="utf-8").replace("reverse: [q3]", "reverse: [q5]"),
                   encoding="utf-8")
    refused(cli("scales", "describe", "--scales", bad),
            "bad.yaml: reverse-keyed item 'q5' is not under items (declare it under items, or remove it from "
            "reverse)")


def test_non_numeric_answer_is_one_line(cli, tmp_path):
    cli("init")
    assert cli("import", FIXTURES / "bad-answer.csv", "--id", "id", "--text", "answer").exit_code == 0
    before = cli("status", "--json").stdout
    result = cli("scales", "describe", "--scales", MINI_YAML)
    refused(result, "respondent A2 answered 'often' to q2, which is neither a number nor a label of "
                    "response set agree5 (1 = Strongly disagree, 2 = Disagree, 3 = Neither, ..., "
                    "5 = Strongly agree) (correct the data, or list 'often' under missing: in the scale file "
                    "if it codes a missing answer)")
    assert "Traceback" not in result.stderr
    assert cli("status", "--json").stdout == before


def test_crosstab_theme_by(cli, mini_coded):
    result = cli("crosstab", "--theme-by", "group")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("themes by group (coder ana; percent of the group's coded respondents)\n")
    assert "a (n=4)" in out and "b (n=5)" in out and "1 (25%)" in out and "Fisher" in out
    assert "caveat" not in out
    assert result.stderr == "not counted: 1 respondent with no answer coded by ana\n"
    data = json.loads(cli("crosstab", "--theme-by", "group", "--format", "json").stdout)
    assert data["coder"] == "ana" and data["themes"][2]["counts"] == {"a": 1, "b": 2}
    rows = list(csv.reader(io.StringIO(cli("crosstab", "--theme-by", "group", "--format", "csv").stdout)))
    assert rows[0][:8] == ["theme", "name", "a n", "a %", "b n", "b %", "all n", "all %"]
    assert rows[3][:8] == ["risks", "risks", "1", "25.0", "2", "40.0", "3", "33.33"]


def test_crosstab_caveat_line(cli, coded_demo):
    result = cli("crosstab", "--theme-by", "would_consider", "--coder", "writer")
    assert result.exit_code == 0, result.stderr
    assert "χ²(2) = " in result.stdout
    assert result.stdout.endswith(
        "caveat: expected counts below 5 for mixed-support (1 of 6 cells), negative-responses (1 of 6 "
        "cells), possibilities-of-ai (1 of 6 cells), therapeutic-risks (1 of 6 cells): their chi-square "
        "p-values are approximate (read those rows as description, or compare fewer, larger groups)\n")


def test_crosstab_score_by_theme(cli, mini_coded):
    result = cli("crosstab", "--scales", MINI_YAML, "--score", "trust")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        "Trust score (1 to 5) by theme (coder ana; 8 coded respondents with a score)\n")
    assert "r: rank-biserial (positive: respondents with the theme score higher)" in result.stdout
    assert result.stderr == ("not counted: 1 respondent coded but with no trust score "
                             "(too few items answered)\n")
    data = json.loads(cli("crosstab", "--scales", MINI_YAML, "--score", "trust", "--format", "json").stdout)
    assert data["subscale"] == "trust" and data["coded"] == 8
    rows = list(csv.reader(io.StringIO(
        cli("crosstab", "--scales", MINI_YAML, "--score", "trust", "--format", "csv").stdout)))
    assert rows[0] == ["theme", "name", "with n", "with mean", "with median", "without n", "without mean",
                       "without median", "U", "p", "p (Holm)", "rank-biserial r"]


def test_crosstab_errors(cli, mini_project):
    refused(cli("crosstab"), "crosstab needs --theme-by ATTR or --scales FILE --score SUBSCALE (themes by a "
                             "respondent attribute, or a subscale score by theme)")
    refused(cli("crosstab", "--theme-by", "group", "--scales", MINI_YAML, "--score", "trust"),
            "pass either --theme-by or --score, not both (run crosstab once for each)")
    refused(cli("crosstab", "--score", "trust"),
            "--score needs --scales FILE (name the scale file that defines subscale 'trust')")
    refused(cli("crosstab", "--theme-by", "group"),
            "nobody has coded yet (code some units first, or pass --coder machine to use the machine's "
            "suggestions)")
    refused(cli("crosstab", "--theme-by", "group", "--format", "html"),
            "--format must be table, json or csv, not 'html'")
    insert_codings(mini_project, "ana", {"A1": ["x"]})
    refused(cli("crosstab", "--scales", MINI_YAML, "--score", "bond"),
            "subscale 'bond' is not in mini.yaml (subscales are: trust, use)")


def test_survey_text_prints_as_typed(cli, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("id,group,answer,q1,q2,q3,q4\nA,[b]x[/b],Hi.,1,2,3,4\nB,[red]y,Ho.,2,3,4,5\n"
                    "C,[red]y,No.,2,3,4,5\n", encoding="utf-8")
    cli("init")
    cli("import", path, "--id", "id", "--text", "answer")
    result = cli("scales", "describe", "--scales", MINI_YAML, "--by", "group", "--n-boot", "0")
    assert result.exit_code == 0, result.stderr
    assert "by group: [b]x[/b] 1, [red]y 2\n" in result.stdout
