"""The README documents every configuration variable and the two commands."""

from __future__ import annotations

from pathlib import Path

from xds_common.settings import VARIABLES

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_variable_is_documented() -> None:
    missing = [v.name for v in VARIABLES if f"`{v.name}`" not in README]
    assert missing == []


def test_the_two_commands_are_shown() -> None:
    assert "make run" in README and "make test" in README
