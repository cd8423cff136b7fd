"""The error model: business code raises ``XdsError``; one boundary renders it.

ITI TF-3 4.2.4 (RegistryError). An error carries its protocol code, a human-readable
context, an optional location, and a severity; several may be collected in a list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from profiles.errors import ErrorCode
from profiles.vocabulary import Severity


@dataclass(frozen=True)
class RegistryError:
    """One ``rs:RegistryError`` (ITI TF-3 Table 4.2.4.1-1)."""

    code: str
    context: str
    location: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """True for Error severity, False for a Warning."""
        return self.severity is Severity.ERROR


class XdsError(Exception):
    """A protocol error with one or more RegistryErrors (raise it, never render it here)."""

    def __init__(
        self,
        code: ErrorCode | str,
        context: str,
        location: str = "",
        *,
        more: Iterable[RegistryError] = (),
    ) -> None:
        first = RegistryError(str(code), context, location)
        self.errors: list[RegistryError] = [first, *more]
        super().__init__(f"{code}: {context}")

    @property
    def code(self) -> str:
        """The code of the first error."""
        return self.errors[0].code

    @classmethod
    def of(cls, errors: list[RegistryError]) -> XdsError:
        """Build from a non-empty list of collected errors."""
        head, *rest = errors
        exc = cls(head.code, head.context, head.location, more=rest)
        exc.errors[0] = head
        return exc


class ErrorCollector:
    """Collects RegistryErrors during validation, then raises them together."""

    def __init__(self) -> None:
        self.items: list[RegistryError] = []

    def add(self, code: ErrorCode | str, context: str, location: str = "") -> None:
        """Record an error."""
        self.items.append(RegistryError(str(code), context, location))

    def warn(self, code: ErrorCode | str, context: str, location: str = "") -> None:
        """Record a warning."""
        self.items.append(RegistryError(str(code), context, location, Severity.WARNING))

    @property
    def errors(self) -> list[RegistryError]:
        """Only the Error-severity items."""
        return [e for e in self.items if e.is_error]

    @property
    def warnings(self) -> list[RegistryError]:
        """Only the Warning-severity items."""
        return [e for e in self.items if not e.is_error]

    def raise_if_errors(self) -> None:
        """Raise an XdsError carrying all items when any of them is an error."""
        if self.errors:
            raise XdsError.of(self.errors + self.warnings)
