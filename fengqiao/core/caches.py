"""The process-wide caches, registered in one place.

A module that keeps something for the life of the process (a spatial index, reference-data
snapshots, remembered permissions, a memoised function) registers how to forget it here, next to
where it is defined:

    caches.register("territory.locate", invalidate)
    caches.register("cases.duplicates.normalise", normalise.cache_clear)

`clear_all()` then forgets everything this process keeps, in one call: the tests run it around each
test (the database is rolled back under the caches), and it is the one thing to call after loading
data behind the application's back. A cache whose module was never imported holds nothing, so only
imported modules need to have registered.
"""

import threading
from collections.abc import Callable

_lock = threading.Lock()
_registry: dict[str, Callable[[], None]] = {}


def register(name: str, clear: Callable[[], None]) -> Callable[[], None]:
    """Register `clear` (forgets one cache) under `name`; returns `clear`, so it also decorates.

    A second registration of the same name replaces the first (a reloaded module)."""
    with _lock:
        _registry[name] = clear
    return clear


def registered() -> list[str]:
    """The names registered so far, sorted."""
    with _lock:
        return sorted(_registry)


def clear_all() -> None:
    """Forget every registered cache of this process."""
    with _lock:
        clears = list(_registry.values())
    for clear in clears:
        clear()
