"""Typed errors shared across layers. The CLI turns them into friendly messages."""


class EcouteError(Exception):
    """Base of every error ecoute raises on purpose."""


class SettingsError(EcouteError):
    """The settings file is missing or invalid; the message names the key and the problem."""


class ConnectorError(EcouteError):
    """Base of connector failures (the tree is in `ecoute.connectors.errors`); a query that does
    not parse is one too, since connectors parse the queries they are given."""
