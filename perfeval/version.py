"""perfeval's version: part of every cache key, so a new version never reuses an old read."""

__version__ = "0.1.0"
