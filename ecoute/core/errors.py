"""Typed errors shared across layers. The CLI turns them into friendly messages."""

from __future__ import annotations


class EcouteError(Exception):
    """Base of every error ecoute raises on purpose."""


class SettingsError(EcouteError):
    """The settings file is missing or invalid; the message names the key and the problem."""


class ConnectorError(EcouteError):
    """Base of connector failures (the tree is in `ecoute.connectors.errors`); a query that does
    not parse is one too, since connectors parse the queries they are given."""


class RunFailed(EcouteError):
    """A run that went to the end but not whole: some sources or deliveries failed.

    Its message has one line per failure; `stats` is what the run did (`runs.stats`).
    """

    def __init__(self, message: str, stats: dict[str, object]) -> None:
        super().__init__(message)
        self.stats = stats

    def __reduce__(self) -> tuple[type[RunFailed], tuple[str, dict[str, object]]]:
        return RunFailed, (str(self), self.stats)  # results may be pickled: keep both arguments
