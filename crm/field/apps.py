from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    """Field operations: zones (and, with the field-operations issue, turfs, actions,
    walk lists and reports)."""

    name = "crm.field"
    label = "field"
    verbose_name = _("Terrain")

    def ready(self):
        from crm.signals import contact_erased

        from .signals import forget_erased_contact

        contact_erased.connect(forget_erased_contact, dispatch_uid="field.forget_erased_contact")
