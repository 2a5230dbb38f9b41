import time

from django.core.cache import cache
from django.db import connection, models, transaction

# cached() also keeps each row in the process for this many seconds: the hottest path
# (every report sync) then asks no cache server at all. A change made through another
# process is seen within that time; one made here at once.
LOCAL_SECONDS = 5
_local = {}  # (schema, model label) -> (monotonic expiry, row)


def forget_local_rows():
    """Drop the process' copies (tests, whose rows roll back)."""
    _local.clear()


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
        key, local_key = cls._cache_key(), cls._local_key()

        def forget():
            cache.delete(key)
            _local.pop(local_key, None)

        forget()
        if at_commit:
            transaction.on_commit(forget)

    @classmethod
    def current(cls):
        return cls.objects.order_by("pk").first() or cls.objects.create()

    @classmethod
    def _cache_key(cls):
        return f"onerow:{cls._meta.label_lower}"

    @classmethod
    def _local_key(cls):
        return (connection.schema_name, cls._meta.label_lower)

    @classmethod
    def cached(cls):
        now, local_key = time.monotonic(), cls._local_key()
        kept = _local.get(local_key)
        if kept is not None and kept[0] > now:
            return kept[1]
        key = cls._cache_key()
        found = cache.get(key)
        if found is None:
            found = cls.current()
            cache.set(key, found, 3600)
        _local[local_key] = (now + LOCAL_SECONDS, found)
        return found
