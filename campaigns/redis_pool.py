"""One Redis connection pool per process and server for Django's cache.

Django keeps cache objects per context, and a request served from a thread pool
runs in a fresh copy of the context: each request would build a new cache object,
a new pool and a new connection (redis-py's connection setup alone reads package
metadata from disk). The pool is thread-safe; a forked process (Celery's prefork
pool) makes its own."""

import os
import threading

import redis

_lock = threading.Lock()
_pools = {}


class SharedConnectionPool(redis.ConnectionPool):
    @classmethod
    def from_url(cls, url, **kwargs):
        key = (os.getpid(), url, tuple(sorted((k, repr(v)) for k, v in kwargs.items())))
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = _pools[key] = super().from_url(url, **kwargs)
            return pool
