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


def use_cleaner(cleaner, parent_pid):
    """A forked process: Django is set up already and the cleaner comes built. It lets
    go of the sockets it inherited and dies with its parent (see let_go_of_parent)."""
    global _cleaner
    let_go_of_parent(parent_pid)
    _cleaner = cleaner


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def let_go_of_parent(parent_pid):
    """A forked copy holds the parent's sockets: its database connection, in the middle
    of the import's transaction, and the Celery broker's. Were the parent killed (a
    worker restarted, the OOM killer), these copies would keep that transaction open,
    and its locks on the campaign's tables held, for as long as they live; and they
    would live on, each holding the other end of its own task pipe. So each socket is
    replaced by /dev/null here (the parent's are not touched), and the kernel kills
    this process when its parent dies."""
    import ctypes
    import signal
    import stat

    devnull = os.open(os.devnull, os.O_RDWR)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.dup2(devnull, fd)
        except OSError:  # the descriptor listdir itself used, gone since
            continue
    os.close(devnull)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # died before the line above
        os._exit(1)


def clean_in_worker(chunk):
    return clean_chunk(_cleaner, chunk)


def clean_block_in_worker(shape, offset, number, block):
    return clean_block(_cleaner, offset, number, block, shape=shape)
