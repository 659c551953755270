"""The connectors' small error tree. Messages say what was actually received."""

from ecoute.core.errors import ConnectorError

__all__ = ["ConnectorError", "ParseError", "RateLimited", "SourceUnavailable"]


class SourceUnavailable(ConnectorError):
    """The source could not be reached or read at all (dead host, missing file)."""

    def __init__(self, message: str, *, status_code: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code  # the HTTP status when the source answered with an error
        self.body = body  # the start of what it answered, for callers that inspect API error reasons


class RateLimited(ConnectorError):
    """The source asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ParseError(ConnectorError):
    """One record could not be understood; it goes to quarantine with this message."""
