"""liaison: decide, record and oversee actions that touch immigration enforcement."""

__version__ = "0.1.0"
