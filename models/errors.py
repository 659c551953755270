"""Typed errors raised by the models package.

The CLI turns these into friendly messages; everywhere else they stay exceptions.
"""

from __future__ import annotations

from ecoute.core.errors import EcouteError


class ModelError(EcouteError):
    """A model could not be loaded, trained or run."""


class ModelNotFound(ModelError):
    """A model spec names nothing that exists locally (no download is attempted)."""


class ModelMismatch(ModelError):
    """A sentiment head was asked to run on an encoder other than the one it was trained on."""


class LabelMappingError(ModelError):
    """A classifier's labels cannot be mapped onto negative / neutral / positive."""
