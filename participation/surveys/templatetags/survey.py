from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def get_item(mapping, key):
    return (mapping or {}).get(key)


@register.filter
def rank_of(ranking, choice):
    """The rank (1-based) a stored ranking gives `choice`, or ""."""
    if isinstance(ranking, list) and choice in ranking:
        return ranking.index(choice) + 1
    return ""


@register.filter
def scale_values(question):
    return range(question.scale_min, question.scale_max + 1)


@register.filter
def as_text(value):
    if value is True:
        return _("Oui")
    if value is False:
        return _("Non")
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return f"{value[1]:.4f}, {value[0]:.4f}"
    if isinstance(value, list):
        return " ; ".join(map(str, value))
    return "" if value is None else value


@register.filter
def latlon(value):
    """A stored place ([lon, lat]) as the form's "lat,lon"."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[1]},{value[0]}"
    return ""
