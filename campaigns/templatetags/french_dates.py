"""The `date` filter of every template, writing the first of the month as French does.

Django writes "1 décembre" for `{{ day|date:"j F" }}`; French writes "1er décembre"
("mardi 1er décembre", "1er Déc"). Loaded as a builtin (TEMPLATES' "builtins"), so
it replaces Django's filter of the same name everywhere; anything else is Django's.
"""

import re

from django import template
from django.template.defaultfilters import date as django_date
from django.utils.translation import get_language

register = template.Library()

# A lone "1" (not "11", "21", "01") followed by a word: the day of the month.
_FIRST = re.compile(r"(?<![\d/.:])1(?= [^\W\d])")


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    text = django_date(value, arg)
    if text and getattr(value, "day", None) == 1 and (get_language() or "").startswith("fr"):
        text = _FIRST.sub("1er", text, count=1)
    return text
