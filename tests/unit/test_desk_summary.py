"""The office reads a handover's summary as the phone drafted it (web/static/app/desk/
handover_draft.js): counts, open lists, and a cut list's full count in ``totals``."""

from __future__ import annotations

from server.desk.handovers import summary_lines, unresolved


def test_a_cut_list_counts_its_full_total_and_totals_is_no_line() -> None:
    inside = [{"label": f"訪客 {i}", "place": "A-0101"} for i in range(20)]
    lines = summary_lines({"keys_out": 3, "visitors_inside": inside,
                           "rounds_missed": [], "totals": {"visitors_inside": 23}})
    by_key = {line["key"]: line for line in lines}
    assert "totals" not in by_key
    assert by_key["keys_out"]["count"] == 3
    assert by_key["visitors_inside"]["count"] == 23
    assert len(by_key["visitors_inside"]["items"]) == 20
    assert [line["key"] for line in unresolved({"visitors_inside": inside,
                                                "rounds_missed": []})] == ["visitors_inside"]


def test_a_summary_that_is_not_what_the_phone_writes_does_not_break_the_page() -> None:
    assert summary_lines(None) == []
    lines = summary_lines({"visitors_inside": [{"label": "甲"}], "totals": "x",
                           "extra": {"a": 1}})
    by_key = {line["key"]: line for line in lines}
    assert by_key["visitors_inside"]["count"] == 1
    assert by_key["extra"]["count"] is None
