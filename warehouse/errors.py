"""Typed errors of the warehouse."""

from ecoute.core.errors import EcouteError


class WarehouseError(EcouteError):
    """Base for warehouse problems."""


class WarehouseLocked(WarehouseError):
    """Another process holds the DuckDB file."""


class MigrationError(WarehouseError):
    """A migration failed or an applied migration was edited afterwards."""
