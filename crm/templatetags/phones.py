from django import template

from crm.phones import campaign_region, readable

register = template.Library()


@register.filter
def phone(number):
    """{{ contact.phone|phone }}: "06 12 34 56 78" in a French campaign."""
    return readable(number, campaign_region())
