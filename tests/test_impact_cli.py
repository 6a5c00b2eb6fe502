"""``flask report impact`` and ``flask report public``: the dashboard's figures for scripts."""

import json

import pytest

from diaspora.services.impact import DASHBOARD_TABLES
from tests.test_impact_figures import network  # noqa: F401 (a fixture)

ARGS = ["report", "impact", "--period", "2026-01:2026-03"]


def blocks(output):
    """``{key: (title, csv lines)}`` of the CSV output."""
    found = {}
    for block in output.split("\n\n"):
        head, *lines = block.strip("\n").split("\n")
        assert head.startswith("# ")
        key, title = head[2:].split(": ", 1)
        found[key] = (title, lines)
    return found


@pytest.fixture
def refreshed(runner, network):  # noqa: F811
    """The network's figures computed by ``flask report refresh``."""
    result = runner.invoke(args=["report", "refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Impact figures computed as of ")
    return network


def test_before_the_first_refresh_the_report_says_so(runner, network):  # noqa: F811
    for args in (ARGS, ["report", "public"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "not been computed yet: run flask report refresh" in result.output
        assert "Traceback" not in result.output


def test_csv_prints_every_table_headed_by_its_key(runner, refreshed):
    result = runner.invoke(args=ARGS)
    assert result.exit_code == 0, result.output
    tables = blocks(result.output)
    assert list(tables) == list(DASHBOARD_TABLES)
    title, lines = tables["members"]
    assert title == "Members"
    assert lines == [
        "measure,count",
        "Members registered in the period,3",
        "Members with a complete profile,1",
        "Members listed in the directory,2",
        "Members active in the period,4",
        "Members in all,5",
    ]
    assert tables["projects_by_month"][1] == [
        "month,submitted,published,flagged,rejected",
        "2026-01,1,1,0,0",
        "2026-02,1,0,1,1",
        "2026-03,1,0,0,0",
    ]


def test_json_and_filters(runner, refreshed):
    result = runner.invoke(
        args=[*ARGS, "--format", "json", "--country", "gh", "--sector", "energy"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["period"] == "2026-01:2026-03"
    assert report["filters"] == {"country": "GH", "sector": "energy", "institution_id": None}
    assert list(report["tables"]) == list(DASHBOARD_TABLES)
    assert report["tables"]["projects"]["rows"] == [
        ["Projects submitted", 1],
        ["Projects published", 0],
        ["Projects flagged by screening", 1],
        ["Projects rejected", 1],
    ]
    institution = runner.invoke(args=[*ARGS, "--format", "json", "--institution", refreshed["b"]])
    rows = json.loads(institution.output)["tables"]["engagements"]["rows"]
    assert rows[0] == ["Engagements started", 1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "Months go from 01 to 12"),
        (["--period", "last year"], "YYYY-MM:YYYY-MM"),
        (["--period", "2026-05:2026-01"], "ends before it starts"),
        (["--country", "ZZ"], "not a country code"),
        (["--sector", "astrology"], "not a sector"),
        (["--institution", "424242"], "no institution 424242"),
        (["--institution", "abc"], "not a valid integer"),
        (["--format", "xml"], "'xml' is not one of"),
    ],
)
def test_bad_options_are_clear_errors(runner, network, args, message):  # noqa: F811
    result = runner.invoke(args=["report", "impact", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_public_report_hides_small_groups(runner, refreshed):
    result = runner.invoke(args=["report", "public", "--format", "json"])
    assert result.exit_code == 0, result.output
    tables = json.loads(result.output)["tables"]
    # One confirmed engagement in the whole network: nothing about it is shown.
    assert dict(tables["public_totals"]["rows"])["Engagements completed"] is None
    assert tables["public_countries"]["rows"] == []
    csv = runner.invoke(args=["report", "public"]).output
    assert csv.startswith("# public_totals: The network's impact\nmeasure,count\n")
