"""The SVG charts of the impact pages: parsed back as XML, their titles, bars, labels and
escaping checked, and the cases with nothing, little or a lot to draw."""

import xml.etree.ElementTree as ET
from datetime import date

from diaspora import charts
from diaspora.services.impact import Column, Table

SVG = "{http://www.w3.org/2000/svg}"


def by_month(*series, rows):
    columns = (Column("month", "Month", "month"),) + tuple(
        Column(key, key.title()) for key in series
    )
    return Table("applications_by_month", "Applications month by month", columns, tuple(rows))


def funnel(rows):
    columns = (
        Column("stage", "Stage", "text"),
        Column("applications", "Applications"),
        Column("share", "Share of applied", "percent"),
    )
    return Table("funnel", "Applications", columns, tuple(rows), people=frozenset({"applications"}))


def parse(markup):
    assert markup, "no chart drawn"
    return ET.fromstring(str(markup))  # noqa: S314 - our own output


def texts(svg):
    return ["".join(node.itertext()) for node in svg.iter(f"{SVG}text")]


def test_a_chart_is_an_image_titled_and_described_by_its_table():
    svg = parse(charts.chart(funnel([("Applied", 40, 100.0), ("Accepted", 8, 20.0)]), "t-funnel"))
    assert svg.get("role") == "img"
    assert svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 400 ")
    assert svg.get("aria-describedby") == "t-funnel"
    title = svg.find(f"{SVG}title")
    assert svg.get("aria-labelledby") == title.get("id")
    assert title.text == "Chart: Applications"


def test_horizontal_bars_one_per_row_with_label_and_value():
    svg = parse(charts.bar_chart(funnel([("Applied", 1200, 100.0), ("Accepted", 80, 6.7)]), "t"))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 2
    assert float(bars[0].get("width")) > float(bars[1].get("width")) > 0
    words = texts(svg)
    assert "Applied" in words and "Accepted" in words
    assert "1,200" in words and "80" in words  # thousands separators; shares not drawn


def test_month_bars_for_one_series_and_lines_with_a_legend_for_several():
    months = [date(2026, m, 1) for m in range(1, 13)]
    one = parse(
        charts.month_chart(by_month("applied", rows=[(m, n) for n, m in enumerate(months)]), "t")
    )
    bars = [r for r in one.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == 12
    assert float(bars[0].get("height")) == 0 < float(bars[1].get("height"))
    assert "Jan" in texts(one) and "2026" in texts(one)

    rows = [(m, 10 * n, n, None if n == 3 else 2) for n, m in enumerate(months)]
    many = parse(charts.month_chart(by_month("applied", "accepted", "declined", rows=rows), "t"))
    groups = [g for g in many.iter(f"{SVG}g") if g.get("class") == "series"]
    lines = [list(g.iter(f"{SVG}polyline")) for g in groups]
    dashes = {line[0].get("stroke-dasharray") for line in lines}
    assert len(dashes) == 3  # the series differ by dash, not colour alone
    assert {"Applied", "Accepted", "Declined"} <= set(texts(many))  # the legend in text
    # The missing month breaks the third line in two; its points are 11, not 12.
    assert groups[2].get("stroke") == charts.COLOURS[2]
    assert len(lines[2]) == 2
    assert len([m for m in groups[2] if m.tag == f"{SVG}polygon"]) == 11  # triangles


def test_ticks_are_few_and_round():
    assert charts.axis(0) == (1, [0, 1])
    assert charts.axis(7) == (8, [0, 2, 4, 6, 8])
    top, ticks = charts.axis(1_234_567)
    assert top >= 1_234_567 and len(ticks) <= 6
    assert all(t % 100_000 == 0 for t in ticks)
    svg = parse(charts.month_chart(by_month("applied", rows=[(date(2026, 1, 1), 1_234_567)]), "t"))
    assert "1,500,000" in texts(svg) or "1,400,000" in texts(svg)


def test_one_point_is_drawn():
    svg = parse(
        charts.month_chart(by_month("applied", "accepted", rows=[(date(2026, 5, 1), 3, 1)]), "t")
    )
    groups = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "series"]
    assert [len(g) for g in groups] == [1, 1]  # a marker each, no line
    assert groups[0][0].tag == f"{SVG}circle" and groups[1][0].tag == f"{SVG}rect"
    assert "May" in texts(svg)


def test_nothing_to_draw_gives_no_chart():
    assert charts.chart(funnel([]), "t") == ""
    assert charts.chart(by_month("applied", rows=[(date(2026, 1, 1), None)]), "t") == ""
    assert charts.chart(by_month("applied", rows=[(date(2026, 1, 1), 0)]), "t") == ""
    text_only = Table("notes", "Notes", (Column("what", "What", "text"),), (("x",),))
    assert charts.chart(text_only, "t") == ""


def test_hidden_people_are_written_as_fewer_than_five_not_drawn():
    svg = parse(charts.bar_chart(funnel([("Applied", 40, 100.0), ("Declined", None, None)]), "t"))
    assert len([r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]) == 1
    assert "Applications: fewer than 5" in texts(svg)


def test_every_label_is_escaped():
    hostile = '<script>alert(1)</script>"&'
    table = Table(
        "coverage_countries",
        "Coverage <b>",
        (
            Column("country", "Country", "text"),
            Column("members", "Members <i>"),
            Column("open", "Open"),
        ),
        ((hostile, 12, 3),),
    )
    markup = str(charts.chart(table, 'x"y'))
    assert "<script>" not in markup and "<b>" not in markup and "<i>" not in markup
    svg = ET.fromstring(markup)  # noqa: S314 - our own output
    assert hostile in texts(svg)
    assert svg.find(f"{SVG}title").text == "Chart: Coverage <b>"
    assert svg.get("aria-describedby") == 'x"y'


def test_series_differ_by_pattern_and_only_one_kind_is_drawn():
    table = Table(
        "coverage_sectors",
        "Coverage by sector",
        (
            Column("sector", "Sector", "text"),
            Column("members", "Members"),
            Column("open_projects", "Open projects"),
            Column("hours", "Hours", "hours"),
        ),
        (("Health", 30, 2, 9999), ("Energy", 0, 4, 1)),
    )
    svg = parse(charts.bar_chart(table, "t"))
    fills = {r.get("fill") for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"}
    assert charts.COLOURS[0] in fills and "url(#chart-coverage_sectors-p1)" in fills
    assert svg.find(f".//{SVG}pattern").get("id") == "chart-coverage_sectors-p1"
    assert "9,999" not in texts(svg)  # hours are not drawn on the people scale


def test_long_category_lists_show_the_largest_and_say_so():
    rows = [(f"Country {n}", n + 1, 0, 0.0) for n in range(30)]
    svg = parse(charts.bar_chart(funnel(rows), "t"))
    assert len([r for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"]) == charts.MAX_BARS
    assert "the 20 largest of 30" in svg.find(f"{SVG}title").text
    assert "Country 29" in texts(svg) and "Country 0" not in texts(svg)


def test_cells_are_formatted_by_kind():
    assert charts.format_value(date(2026, 3, 1), "month") == "Mar 2026"
    assert charts.format_value(12345, "count") == "12,345"
    assert charts.format_value(None, "count") == "fewer than 5"
    assert charts.format_value(None, "percent") == "none"
    assert charts.format_value(33.333, "percent") == "33%"
    assert charts.format_value(2.25, "days") == "2.2 days"
    assert charts.format_value(12400, "hours") == "12,400"
