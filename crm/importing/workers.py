"""Entry points of the processes that clean rows in parallel (pipeline._cleaning_pool).
This module imports no models: a spawned process unpickles it before Django is set up."""

import os

from .rows import RowCleaner, clean_block, clean_chunk

_cleaner = None


def init_worker(settings_module, language, cleaner_kwargs):
    global _cleaner
    if settings_module:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django
    from django.conf import settings
    from django.utils import translation

    django.setup()
    translation.activate(language or settings.LANGUAGE_CODE)
    _cleaner = RowCleaner(**cleaner_kwargs)


def use_cleaner(cleaner):
    """A forked process: Django is set up already and the cleaner comes built."""
    global _cleaner
    _cleaner = cleaner


def clean_in_worker(chunk):
    return clean_chunk(_cleaner, chunk)


def clean_block_in_worker(shape, offset, number, block):
    return clean_block(_cleaner, offset, number, block, shape=shape)
