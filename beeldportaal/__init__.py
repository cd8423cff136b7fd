"""Beeldportaal composition root: settings, CLI, mounting the components, ``serve``."""
