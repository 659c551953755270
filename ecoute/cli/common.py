"""What every command shares: the consoles, the settings option, friendly errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ecoute.core.errors import EcouteError

console = Console(soft_wrap=True)
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="Settings file.", envvar="ECOUTE_SETTINGS")]


def friendly(command: F) -> F:
    """Turn ecoute's own errors into one readable message and exit code 1."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except EcouteError as error:
            # the message is text, never markup: a query or path holding "[...]" prints as written
            err.print(Text.assemble(("error:", "bold red"), " ", str(error)), highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
