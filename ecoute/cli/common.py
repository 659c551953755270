"""What every command shares: the consoles, the settings option, friendly errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from ecoute.core.errors import EcouteError, storage_problem

console = Console(soft_wrap=True)
err = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])
SettingsOption = Annotated[Path, typer.Option("--settings", "-s", help="Settings file.", envvar="ECOUTE_SETTINGS")]


class Verbosity:
    """`ecoute --verbose ...`: tracebacks are shown (set by the app's callback)."""

    tracebacks = False


def _say(error: BaseException | str) -> None:
    # the message is text, never markup: a query or path holding "[...]" prints as written
    err.print(Text.assemble(("error:", "bold red"), " ", str(error)), highlight=False, soft_wrap=True)


def friendly(command: F) -> F:
    """Turn errors into one readable line and exit code 1; the traceback only with --verbose.

    ecoute's own errors say what went wrong; a disk that refused a write is found anywhere in
    the exception's chain and said as such; anything else is named by its type and message.
    """

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except EcouteError as error:
            if Verbosity.tracebacks:
                raise
            _say(error)
            raise typer.Exit(1) from None
        except Exception as error:
            if Verbosity.tracebacks:
                raise
            known = storage_problem(error)
            _say(known or f"{type(error).__name__}: {error} (`ecoute --verbose ...` shows the traceback)")
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
