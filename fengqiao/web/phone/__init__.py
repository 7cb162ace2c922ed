"""The grid worker's phone app (an installable, offline-first PWA under /m/)."""
