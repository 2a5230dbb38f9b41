import datetime as dt

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from participation import text

register = template.Library()


@register.filter
def markdown(value):
    return mark_safe(text.render(value))  # noqa: S308 - text.render escapes raw HTML


@register.filter
def author_label(user):
    """How an author is shown in public: display name, else full name; never the e-mail."""
    if user is None:
        return _("Anonyme")
    return user.display_name or user.full_name or _("Participant·e")


@register.filter(expects_localtime=True)
def last_day(moment):
    """When a step ending at `moment` is last open, to be shown as a date: a step that
    ends at midnight on 8 December is open until the evening of the 7th, and reads
    "jusqu'au 7 décembre" (the 8th would send people to a closed step)."""
    if isinstance(moment, dt.datetime) and moment.time() == dt.time(0):
        return moment - dt.timedelta(microseconds=1)
    return moment


@register.simple_tag
def site_chrome():
    from participation.selectors import site_chrome as chrome

    return chrome()
