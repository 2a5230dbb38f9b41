from django.db import models


class OneRowModel(models.Model):
    """Settings a campaign holds exactly one of (in its schema): `current()` gives the
    row, creating it with its defaults the first time it is asked for."""

    class Meta:
        abstract = True

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()
