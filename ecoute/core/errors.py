"""Typed errors shared across layers. The CLI turns them into friendly messages."""


class EcouteError(Exception):
    """Base of every error ecoute raises on purpose."""


class SettingsError(EcouteError):
    """The settings file is missing or invalid; the message names the key and the problem."""
