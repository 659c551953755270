"""Typed errors of the warehouse."""

from ecoute.core.errors import EcouteError


class WarehouseError(EcouteError):
    """Base for warehouse problems."""


class WarehouseLocked(WarehouseError):
    """Another process holds the DuckDB file open (a tool outside ecoute's own locking)."""


class WarehouseBusy(WarehouseError):
    """Another ecoute run holds the writer lock past the wait."""


class WarehouseMissing(WarehouseError):
    """There is no warehouse (or no readable copy of it) yet."""


class MigrationError(WarehouseError):
    """A migration failed or an applied migration was edited afterwards."""
