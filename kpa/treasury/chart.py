"""The monthly chart of a statement, drawn on the server as SVG: two bars a month (what came
in, what went out), no script, no inline style — only classes, styled by
`treasury/statement.css`. The SVG is an image with a title and a description; the page puts
the same figures in a table below it, for screen readers and for anyone who prefers numbers.

Geometry stays in Decimal like the money it draws: no float anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.dateformat import format as format_date
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from kpa.core.money import format_money
from kpa.treasury.statements import MonthFigures

WIDTH = Decimal(640)
HEIGHT = Decimal(300)
TOP, BOTTOM, SIDE = Decimal(12), Decimal(40), Decimal(8)
BAR_SHARE = Decimal("0.36")  # of a month's slot, for each of its two bars
TENTH = Decimal("0.1")


def _coordinate(value: Decimal) -> str:
    return str(value.quantize(TENTH))


def monthly_chart(months: Sequence[MonthFigures], *, chart_id: str, title: str) -> SafeString:
    """The SVG of the months' ins and outs; `chart_id` makes its title's id unique."""
    values = [v for m in months for v in (m.income, m.expenses)]
    high = max([*values, Decimal(0)])
    low = min([*values, Decimal(0)])
    if high == low:
        high = Decimal(1)
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - 2 * SIDE) / max(len(months), 1)
    bar = slot * BAR_SHARE

    def y(value: Decimal) -> Decimal:
        return TOP + (high - value) / (high - low) * plot_height

    zero = y(Decimal(0))
    bars = []
    labels = []
    for index, month in enumerate(months):
        left = SIDE + slot * index + (slot - 2 * bar) / 2
        name = format_date(month.month, "F Y")
        for offset, value, css, words in (
                (Decimal(0), month.income, "bar-in", _("entrées")),
                (bar, month.expenses, "bar-out", _("sorties"))):
            top = min(y(value), zero)
            bars.append((css, _coordinate(left + offset), _coordinate(top),
                         _coordinate(bar), _coordinate(abs(y(value) - zero)),
                         f"{name} : {words} {format_money(value)} €"))
        # Every other month's name hides on a phone (statement.css), where twelve would touch.
        labels.append(("chart-label" if (len(months) - index) % 2 else "chart-label minor",
                       _coordinate(SIDE + slot * index + slot / 2),
                       _coordinate(HEIGHT - BOTTOM / 3), format_date(month.month, "N")))
    title_id, desc_id = f"{chart_id}-titre", f"{chart_id}-desc"
    description = _("Deux barres par mois : à gauche ce qui est entré (ventes et autres "
                    "recettes), à droite ce qui est sorti (dépenses, contribution, "
                    "rémunération). Les montants sont dans le tableau qui suit.")
    return format_html(
        '<svg class="treasury-chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{} {}" focusable="false">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>'
        '<g class="bars">{}</g>'
        '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"></line>'
        '<g class="chart-labels" aria-hidden="true">{}</g></svg>',
        WIDTH, HEIGHT, title_id, desc_id, title_id, title, desc_id, description,
        format_html_join("", '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                             "<title>{}</title></rect>", bars),
        _coordinate(SIDE), _coordinate(zero), _coordinate(WIDTH - SIDE), _coordinate(zero),
        format_html_join("", '<text class="{}" x="{}" y="{}">{}</text>', labels),
    )
