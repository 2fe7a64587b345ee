"""The KPI trends as charts: SVG drawn on the server with pygal, one per trend, by ISO week.

Why pygal: charts come out as plain SVG from Python, with no JavaScript to ship, build or
allow; the page shows them as images from our own origin, so the Content-Security-Policy
(script-src and style-src 'self') stays as it is for every page (pygal writes its styles
inside the SVG, which an image may carry: see core.audit_views.kpi_chart). Every figure
drawn is also in the table under the chart and in kpis.csv, for screen readers and for
anyone who wants the numbers.

`render(name, weeks)` -> SVG bytes; `CHARTS` names what can be drawn, with its title.
"""

from collections.abc import Mapping, Sequence

import pygal
from pygal.etree import etree as ET
from pygal.style import Style

from audit.kpis import Week

# The site's palette (static/css/app.css): brand blue first, then the status colours.
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1c2430",
    foreground_strong="#1c2430",
    foreground_subtle="#e4e7ec",
    opacity=".85",
    opacity_hover="1",
    colors=("#1f5fbf", "#b42318", "#127a45", "#a15c00", "#6941c6", "#0e7490", "#667085"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    title_font_size=16,
    legend_font_size=14,
    value_font_size=13,
    tooltip_font_size=14,
)
X_TITLE = "ISO week (Monday to Sunday)"
# The drawing's size: about what it takes on the dashboard at 1280 px (two charts a row),
# so its text reads at the size it was set in; wider screens scale it up.
WIDTH, HEIGHT = 600, 340

CHARTS: dict[str, str] = {
    "touchless": "Touchless rate of the invoices posted",
    "exceptions": "Invoices received raising each exception",
    "cycle-time": "Median hours from arrival to posting",
    "backlog": "Open invoices at the week's end",
}


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _hours(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f} h"


def _count(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _base(kind, weeks: Sequence[Week], *, y_title: str, formatter, legend_rows=0, **options):
    labels = [w.week for w in weeks]
    # At most about 13 week labels on the axis (a quarter); every week still has its point.
    every = max(1, -(-len(labels) // 13))
    chart = kind(
        style=STYLE,
        width=WIDTH,
        height=HEIGHT,
        js=(),  # no script in the SVG: nothing to allow in the CSP, and an image runs none
        x_title=X_TITLE,
        y_title=y_title,
        value_formatter=formatter,
        x_label_rotation=30 if len(labels) > 8 else 0,
        show_minor_x_labels=every == 1,
        x_labels_major_every=every,
        truncate_label=-1,
        truncate_legend=-1,
        margin=12,
        margin_right=36,  # room for the last week's label under a line's last point
        stroke_style={"width": 2.5},
        # pygal lays the legend out below the axis title and past the bottom edge unless
        # room is kept for it.
        margin_bottom=12 + 22 * (-(-legend_rows // 2)),
        spacing=12,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        print_values=False,
        no_data_text="No invoices in the period",
        **options,
    )
    chart.x_labels = labels
    return chart


def render(name: str, weeks: Sequence[Week], *, labels: Mapping[str, str] | None = None) -> bytes:
    """The chart `name` (a key of CHARTS) over `weeks`, as SVG bytes; `labels` names the
    exception codes in the legend (code -> label; a code without one is shown as it is).
    KeyError for an unknown name."""
    title = CHARTS[name]
    if name == "touchless":
        chart = _base(
            pygal.Line,
            weeks,
            y_title="Touchless rate",
            formatter=_percent,
            range=(0, 1),
            show_legend=False,
            dots_size=4,
            allow_interruptions=True,
        )
        chart.y_labels = [0, 0.25, 0.5, 0.75, 1]
        chart.add("Touchless rate", [w.touchless_rate for w in weeks])
    elif name == "exceptions":
        codes = sorted({code for w in weeks for code in w.exception_rate_by_code})
        chart = _base(
            pygal.Line,
            weeks,
            legend_rows=len(codes),
            y_title="Share of invoices",
            formatter=_percent,
            range=(0, 1),
            dots_size=4,
            allow_interruptions=True,
        )
        chart.y_labels = [0, 0.25, 0.5, 0.75, 1]
        for code in codes:
            chart.add(
                (labels or {}).get(code, code),
                [w.exception_rate_by_code.get(code, 0.0) if w.received else None for w in weeks],
            )
    elif name == "cycle-time":
        chart = _base(
            pygal.Bar, weeks, y_title="Hours, median", formatter=_hours, show_legend=False
        )
        chart.add("Median hours to posting", [w.cycle_time_median_hours for w in weeks])
    elif name == "backlog":
        chart = _base(
            pygal.Bar, weeks, y_title="Open invoices", formatter=_count, show_legend=False
        )
        # Whole invoices on the axis: about six steps from 0 to the highest count.
        top = max((w.backlog for w in weeks), default=0)
        step = max(1, -(-top // 6))
        chart.y_labels = list(range(0, top + step + 1, step))
        chart.add("Open at the week's end", [w.backlog for w in weeks])
    else:
        raise KeyError(name)
    chart.title = title
    return _without_scripts(chart.render_tree())


def _without_scripts(tree) -> bytes:
    """The SVG with pygal's inline config script taken out: tooltips are not needed (the
    numbers are in the table beside each chart), and an image must carry no script."""
    for parent in list(tree.iter()):
        for child in list(parent):
            if str(child.tag).rpartition("}")[2] == "script":
                parent.remove(child)
    return ET.tostring(tree, encoding="utf-8", xml_declaration=True)
