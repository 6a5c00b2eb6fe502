"""Charts drawn on the server as inline SVG, for the impact pages.

Two kinds, both read from a :class:`~diaspora.services.impact.Table`:

- :func:`month_chart`: a table whose first column is a month, one bar per month for one
  series, one line per series (each with its own marker and dash) for several;
- :func:`bar_chart`: horizontal bars, one row per stage or category (the application funnel,
  coverage by country or sector), one bar per series.

Every chart is ``<svg role="img">`` with a ``<title>``, labelled by that title and described
by the table that follows it on the page (the table is the text alternative, always shown).
The drawing scales to the width of its box (``viewBox``, width 100%); series differ in colour
and also in pattern or marker, and the legend names them in text. Colours and patterns are
presentation attributes, never ``style`` attributes, so the site's Content Security Policy
holds. Every label is escaped. A table with no value to draw gives no chart (empty Markup).

Charts are drawn left to right in every language (``direction="ltr"`` on the ``<svg>``, and
every text anchored explicitly), so a right-to-left page does not move their labels off the
drawing. In a right-to-left language each label is a right-to-left isolate of its own
(:func:`_label`), so it still reads right to left, its numbers in their place.
"""

import math
from datetime import date

from flask_babel import gettext as _
from markupsafe import Markup, escape

from diaspora import i18n
from diaspora.services.impact import SMALL_CELL, Table, country_label, translate

WIDTH = 400
FONT = 13
# Dark enough against white for graphical objects (3:1 and more), and told apart by pattern
# (bars) or marker and dash (lines) as well as by colour.
COLOURS = ("#0b6e4f", "#b0432c", "#1f4e79", "#6a3d9a", "#7a5a00", "#3d3d3d")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
MARKERS = ("circle", "square", "triangle", "diamond", "cross", "bar")
NUMERIC = ("count", "hours", "days", "percent")
MAX_BARS = 20


def chart(table: Table, table_id: str) -> Markup:
    """The chart that fits ``table``: by month when its first column is a month, else
    horizontal bars; empty Markup when the table has nothing to draw."""
    if table.columns and table.columns[0].kind == "month":
        return month_chart(table, table_id)
    return bar_chart(table, table_id)


def series_of(table: Table) -> list[int]:
    """The indexes of the columns drawn: every column of the first numeric column's kind
    (so counts are never drawn on one scale with hours or shares)."""
    kinds = [c.kind for c in table.columns[1:] if c.kind in NUMERIC]
    if not kinds:
        return []
    return [i for i, c in enumerate(table.columns) if i and c.kind == kinds[0]][: len(COLOURS)]


def month_chart(table: Table, table_id: str) -> Markup:
    """Month by month: bars for one series, lines with markers for several."""
    series = series_of(table)
    if not table.rows or not _has_values(table, series):
        return Markup("")
    top, ticks = axis(_max_value(table, series))
    kind = table.columns[series[0]].kind
    legend, legend_height = _legend(table, series, lines=len(series) > 1)
    left, right, plot_top, plot_height = 48, 8, legend_height + 8, 180
    plot_width = WIDTH - left - right
    height = plot_top + plot_height + 40
    slot = plot_width / len(table.rows)

    def y(value):
        return plot_top + plot_height - plot_height * value / top

    parts = [legend, _grid(ticks, y, left, WIDTH - right, kind)]
    if len(series) == 1:
        index = series[0]
        bar = max(min(slot * 0.7, 40), 1)
        for n, row in enumerate(table.rows):
            value = row[index]
            if value is None:
                continue
            x = left + slot * n + (slot - bar) / 2
            parts.append(
                f'<rect class="bar" x="{x:.0f}" y="{y(value):.0f}" width="{bar:.0f}" '
                f'height="{plot_top + plot_height - y(value):.0f}" fill="{COLOURS[0]}"/>'
            )
    else:
        for s, index in enumerate(series):
            dash = f' stroke-dasharray="{DASHES[s]}"' if DASHES[s] else ""
            drawn = []
            for run in _runs(table, index, left, slot, y):
                if len(run) > 1:
                    path = " ".join(f"{x:.0f},{py:.0f}" for x, py in run)
                    drawn.append(f'<polyline points="{path}" fill="none"{dash}/>')
                drawn.extend(_marker(s, x, py) for x, py in run)
            parts.append(
                f'<g class="series" fill="{COLOURS[s]}" stroke="{COLOURS[s]}" '
                f'stroke-width="2">{"".join(drawn)}</g>'
            )
    parts.append(_month_labels(table, left, slot, plot_top + plot_height))
    return _svg(table, table_id, height, parts)


def bar_chart(table: Table, table_id: str) -> Markup:
    """One group of horizontal bars per row (its label above), one bar per series, the value
    written at the end of each bar. At most :data:`MAX_BARS` rows, the largest first."""
    series = series_of(table)
    if not table.rows or not _has_values(table, series):
        return Markup("")
    rows = list(table.rows)
    shown = rows
    if len(rows) > MAX_BARS:
        shown = sorted(rows, key=lambda row: -(row[series[0]] or 0))[:MAX_BARS]
        shown.sort(key=rows.index)
    kind = table.columns[series[0]].kind
    top, _ticks = axis(_max_value(table, series))
    legend, legend_height = _legend(table, series, lines=False)
    left, right, bar = 4, 64, 14
    plot_width = WIDTH - left - right
    group = FONT + 6 + bar * len(series) + 10
    plot_top = legend_height + 4
    height = plot_top + group * len(shown) + 4
    parts = [legend, _patterns(table, len(series))]
    for n, row in enumerate(shown):
        top_y = plot_top + group * n
        name = _short(format_value(row[0], table.columns[0].kind), 52)
        parts.append(
            f'<text x="{left}" y="{top_y + FONT}" font-size="{FONT}" text-anchor="start">'
            f"{_label(name)}</text>"
        )
        for s, index in enumerate(series):
            value = row[index]
            by = top_y + FONT + 5 + bar * s
            if value is None:
                missing = format_value(None, table.columns[index].kind)
                parts.append(
                    f'<text class="none" x="{left}" y="{by + bar - 3}" font-size="{FONT - 2}" '
                    f'text-anchor="start" fill="#5a6670">'
                    f"{_label(f'{table.columns[index].text}: {missing}')}</text>"
                )
                continue
            width = max(plot_width * value / top, 1 if value else 0)
            parts.append(
                f'<rect class="bar" x="{left}" y="{by}" width="{width:.0f}" height="{bar - 2}" '
                f'fill="{_fill(table, s)}" stroke="{COLOURS[s]}"/>'
                f'<text x="{left + width + 4:.0f}" y="{by + bar - 3}" text-anchor="start">'
                f"{_label(_number(value, kind))}</text>"
            )
    title_note = ""
    if len(shown) < len(rows):
        title_note = _(
            " (the %(shown)d largest of %(total)d; the table lists all)",
            shown=len(shown),
            total=len(rows),
        )
    return _svg(table, table_id, height, parts, title_note)


def axis(largest: float) -> tuple[float, list[float]]:
    """The top of the scale and its ticks: a few round steps (1, 2 or 5 times a power of
    ten) from 0 to at least ``largest``."""
    if largest <= 0:
        return 1, [0, 1]
    rough = largest / 4
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    if step < 1 and largest >= 1:
        step = 1
    count = math.ceil(largest / step - 1e-9)
    return step * count, [step * n for n in range(count + 1)]


def hidden_count() -> str:
    """What a hidden small count says, in the page's language ("fewer than 5")."""
    return _("fewer than %(num)d", num=SMALL_CELL)


def format_value(value, kind: str, hidden: str | None = None) -> str:
    """A cell as the pages show it, in the page's language: months "Jan 2026", numbers with
    the language's separators, shares in %, times in days; a hidden people count as
    ``hidden`` ("fewer than 5"), another missing value as "none", and an empty value in a
    number column (a question that offers no such answer) as "not asked". Text is
    translated when it is one of the figures' own words (a measure, a stage)."""
    if value is None:
        return (hidden or hidden_count()) if kind == "count" else _("none")
    if value == "" and kind in NUMERIC:
        return _("not asked")
    if kind == "month":
        return _month(value)
    if kind == "text":
        return str(translate(value))
    if kind == "country":
        return country_label(value)
    return _number(value, kind)


def _number(value, kind: str) -> str:
    if kind == "percent":
        # Translators: a share, e.g. "42%"; "%%" is the percent sign.
        return _("%(share)s%%", share=i18n.format_number(value, 0))
    if kind == "days":
        return _("%(days)s days", days=i18n.format_number(value, 1))
    if isinstance(value, float) and not value.is_integer():
        return i18n.format_number(value, 1)
    return i18n.format_number(int(value), 0)


def _month(value) -> str:
    return i18n.format_date(value, "%b %Y") if isinstance(value, date) else str(value)


# Unicode's right-to-left isolate and its end (around a label in a right-to-left language).
RLI, PDI = "\u2067", "\u2069"


def _label(text: str) -> Markup:
    """``text`` escaped for a chart, and in a right-to-left language isolated as
    right-to-left: the chart runs left to right, its labels read in their own direction
    ("14 يومًا" keeps its number on the right)."""
    if i18n.direction() == "rtl":
        return escape(RLI + text + PDI)
    return escape(text)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _has_values(table: Table, series: list[int]) -> bool:
    return any(row[i] for row in table.rows for i in series)


def _max_value(table: Table, series: list[int]) -> float:
    return max((row[i] for row in table.rows for i in series if row[i] is not None), default=0)


def _runs(table, index, left, slot, y):
    """Consecutive months with a value: a missing month breaks the line."""
    runs, run = [], []
    for n, row in enumerate(table.rows):
        if row[index] is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append((left + slot * (n + 0.5), y(row[index])))
    if run:
        runs.append(run)
    return runs


def _grid(ticks, y, left, right, kind) -> str:
    lines = []
    for tick in ticks:
        ty = y(tick)
        label = _label(_number(tick, "count" if kind in ("percent", "days") else kind))
        lines.append(
            f'<line x1="{left}" x2="{right}" y1="{ty:.0f}" y2="{ty:.0f}" '
            f'stroke="{"#5a6670" if tick == 0 else "#d5dde3"}" stroke-width="1"/>'
            f'<text x="{left - 4}" y="{ty + 4:.0f}" font-size="{FONT - 2}" text-anchor="end" '
            f'fill="#5a6670">{label}</text>'
        )
    return "".join(lines)


def _month_labels(table, left, slot, base) -> str:
    """Month names under the bars, thinned to fit a phone; the year under each January and
    under the first month."""
    every = math.ceil(len(table.rows) / 6)
    labels, year = [], None
    for n, row in enumerate(table.rows):
        month = row[0]
        if n % every or not isinstance(month, date):
            continue
        x = left + slot * (n + 0.5)
        name = _label(i18n.format_date(month, "%b"))
        labels.append(f'<text x="{x:.0f}" y="{base + 16}" text-anchor="middle">{name}</text>')
        if month.year != year:
            year = month.year
            labels.append(
                f'<text x="{x:.0f}" y="{base + 31}" font-size="{FONT - 2}" '
                f'text-anchor="middle" fill="#5a6670">{_label(str(month.year))}</text>'
            )
    return "".join(labels)


def _legend(table, series, lines: bool) -> tuple[str, int]:
    """The series' names in text, each beside its swatch (its marker and dash for lines,
    its pattern for bars), two to a row."""
    if len(series) < 2:
        return "", 0
    items = []
    for s, index in enumerate(series):
        x = 4 + (s % 2) * WIDTH / 2
        y = 4 + (s // 2) * 20
        label = _label(_short(table.columns[index].text, 26))
        if lines:
            dash = f' stroke-dasharray="{DASHES[s]}"' if DASHES[s] else ""
            swatch = (
                f'<g fill="{COLOURS[s]}" stroke="{COLOURS[s]}" stroke-width="2">'
                f'<line x1="{x}" x2="{x + 24}" y1="{y + 8}" y2="{y + 8}"{dash}/>'
                f"{_marker(s, x + 12, y + 8)}</g>"
            )
        else:
            swatch = (
                f'<rect x="{x}" y="{y + 1}" width="24" height="13" fill="{_fill(table, s)}" '
                f'stroke="{COLOURS[s]}"/>'
            )
        items.append(f'{swatch}<text x="{x + 30}" y="{y + 12}" text-anchor="start">{label}</text>')
    rows = math.ceil(len(series) / 2)
    return f'<g class="legend">{"".join(items)}</g>', rows * 20 + 4


def _marker(s: int, x: float, y: float) -> str:
    """Series ``s``'s marker at (x, y); its colour comes from the group around it."""
    shape, r = MARKERS[s], 4
    if shape == "circle":
        return f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r}"/>'
    if shape == "square":
        return f'<rect x="{x - r:.0f}" y="{y - r:.0f}" width="{2 * r}" height="{2 * r}"/>'
    if shape == "triangle":
        points = f"{x:.0f},{y - r - 1:.0f} {x + r + 1:.0f},{y + r:.0f} {x - r - 1:.0f},{y + r:.0f}"
    elif shape == "diamond":
        points = f"{x:.0f},{y - r - 1:.0f} {x + r + 1:.0f},{y:.0f} {x:.0f},{y + r + 1:.0f} "
        points += f"{x - r - 1:.0f},{y:.0f}"
    elif shape == "cross":
        return (
            f'<path fill="none" d="M{x - r:.0f},{y - r:.0f}L{x + r:.0f},{y + r:.0f}'
            f'M{x - r:.0f},{y + r:.0f}L{x + r:.0f},{y - r:.0f}"/>'
        )
    else:
        return f'<rect x="{x - r - 1:.0f}" y="{y - 1.5:.0f}" width="{2 * r + 2}" height="3"/>'
    return f'<polygon points="{points}"/>'


def _pattern_id(table: Table, s: int) -> str:
    return f"chart-{table.key}-p{s}"


def _fill(table: Table, s: int) -> str:
    return COLOURS[s] if s == 0 else f"url(#{_pattern_id(table, s)})"


def _patterns(table: Table, count: int) -> str:
    """Hatches and dots for the second series on, so bars differ by more than colour."""
    shapes = (
        "",
        '<path d="M0,8 L8,0" stroke-width="2"/>',
        '<circle cx="4" cy="4" r="1.6" stroke-width="1"/>',
        '<path d="M0,0 L8,8 M0,8 L8,0" stroke-width="1.5"/>',
        '<path d="M0,4 L8,4" stroke-width="2"/>',
        '<path d="M4,0 L4,8" stroke-width="2"/>',
    )
    defs = []
    for s in range(1, count):
        colour = COLOURS[s]
        shape = shapes[s].replace("/>", f' stroke="{colour}" fill="{colour}"/>')
        defs.append(
            f'<pattern id="{_pattern_id(table, s)}" width="8" height="8" '
            f'patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="#fff"/>'
            f"{shape}</pattern>"
        )
    return f"<defs>{''.join(defs)}</defs>" if defs else ""


def _svg(table: Table, table_id: str, height: float, parts: list[str], note: str = "") -> Markup:
    chart_id = f"chart-{table.key}"
    title = escape(_("Chart: %(title)s", title=table.title_text) + note)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {WIDTH} {math.ceil(height)}" width="100%" direction="ltr" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" aria-describedby="{escape(table_id)}" '
        f'font-family="system-ui, sans-serif" font-size="{FONT - 1}" fill="#1d2a33">'
        f'<title id="{escape(chart_id)}-title">{title}</title>'
    )
    if not any(p.startswith("<defs>") for p in parts):
        parts = [_patterns(table, 0), *parts]
    return Markup(head + "".join(parts) + "</svg>")  # noqa: S704 - every label escaped above
