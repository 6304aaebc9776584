"""Numbers in the report: a value that rounds to zero is "0.00", never "-0.00" (issue 17)."""

from __future__ import annotations

from types import SimpleNamespace

from thematic.export.report import fmt_ci, fmt_num, fmt_pct


def test_no_negative_zero():
    assert fmt_num(-0.001) == "0.00" and fmt_num(-0.004, 2) == "0.00" and fmt_num(-0.0) == "0.00"
    assert fmt_num(-0.005, 3) == "-0.005" and fmt_num(-1.5) == "-1.50" and fmt_num(0.001) == "0.00"
    assert fmt_pct(-0.04) == "0.0%" and fmt_pct(-0.06) == "-0.1%"
    estimate = SimpleNamespace(not_applicable=False, estimate=-0.0004, low=-0.31, high=0.002)
    assert fmt_ci(estimate) == "0.00 [-0.31, 0.00]"
