"""Renderings of decisions and directives for people (and, later, oversight reports)."""
