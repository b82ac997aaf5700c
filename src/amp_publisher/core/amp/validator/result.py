"""What :func:`amp_publisher.core.amp.validator.validate` returns: the verdict and the errors,
each with the official validator's code, wording, position and spec URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ValidationError", "ValidationResult"]


@dataclass(frozen=True)
class ValidationError:
    """One problem found by :func:`validate`.

    Attributes:
        line: 1-based line of the tag (or CSS token) where the problem starts.
        col: 0-based column of it.
        code: the official validator error code (``"DISALLOWED_TAG"``).
        message: the official validator's wording, parameters filled in.
        spec_url: documentation link of the violated rule, or None.
        severity: ``"ERROR"`` (makes the page FAIL) or ``"WARNING"``.
    """

    line: int
    col: int
    code: str
    message: str
    spec_url: str | None = None
    severity: str = "ERROR"

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape used by ``amp-render validate --format json`` and the logs."""
        return {
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "message": self.message,
            "spec_url": self.spec_url,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class ValidationResult:
    """The verdict for one document: ``status`` is ``"PASS"`` unless an ERROR was found.

    Attributes:
        status: ``"PASS"`` or ``"FAIL"``.
        errors: every error and warning, in document order (warnings do not fail a page).
    """

    status: str
    errors: tuple[ValidationError, ...] = ()

    @property
    def passed(self) -> bool:
        """True when the document is valid AMP (warnings allowed)."""
        return self.status == "PASS"
