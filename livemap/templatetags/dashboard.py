"""How a dashboard table shows its cells: a day as people read it ("samedi 28 nov."),
the rest as it is. The rows keep ISO days for the CSV and the charts' data."""

import datetime as dt
import re

from django import template
from django.utils.html import format_html

from campaigns.templatetags.french_dates import date

register = template.Library()

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@register.filter
def cell(value):
    if value is None:
        return "—"
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return format_html('<time datetime="{}">{}</time>', value, date(day, "l j N"))
    return value
