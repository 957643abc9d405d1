"""Build hooks beyond pyproject.toml (compiled extensions, when there are any)."""

from setuptools import setup

setup()
