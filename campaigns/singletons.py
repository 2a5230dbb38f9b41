from django.core.cache import cache
from django.db import models, transaction


class OneRowModel(models.Model):
    """Settings a campaign holds exactly one of (in its schema): `current()` gives the
    row, creating it with its defaults the first time it is asked for; `cached()` the
    same from the (per-campaign) cache, for hot paths, until the row is saved again."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        changed = not self._state.adding  # a new row (the defaults) changes nothing cached
        super().save(*args, **kwargs)
        self._forget(at_commit=changed)

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self._forget()
        return result

    @classmethod
    def _forget(cls, at_commit=True):
        # Now, and again at commit: a read in between would cache a row not yet committed.
        key = cls._cache_key()
        cache.delete(key)
        if at_commit:
            transaction.on_commit(lambda: cache.delete(key))

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()

    @classmethod
    def _cache_key(cls):
        return f"onerow:{cls._meta.label_lower}"

    @classmethod
    def cached(cls):
        found = cache.get(cls._cache_key())
        if found is None:
            found = cls.current()
            cache.set(cls._cache_key(), found, 3600)
        return found
