"""How the review pages show the time between doors: "4 min 52 s", not "292 s"."""

from django import template

register = template.Library()


@register.filter
def duration(seconds):
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    return f"{minutes} min {rest:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
