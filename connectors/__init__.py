"""Connectors: each turns one kind of public source into Mention records."""

from connectors.base import CollectContext, Connector
from connectors.errors import ConnectorError, ParseError, RateLimited, SourceUnavailable
from connectors.files import FileConnector
from ecoute.settings import Source

CONNECTOR_KINDS = {"file": FileConnector}


def connector_for(source: Source) -> Connector:
    return CONNECTOR_KINDS[source.kind](source)


__all__ = [
    "CONNECTOR_KINDS",
    "CollectContext",
    "Connector",
    "ConnectorError",
    "FileConnector",
    "ParseError",
    "RateLimited",
    "SourceUnavailable",
    "connector_for",
]
