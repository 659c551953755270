"""Whether this machine can run the configured sources: their files exist, their credentials are set.

The settings model checks what a file says (keys, values, URLs) and holds wherever it is read;
what is here depends on the machine it runs on, so it is a list of problems for `ecoute check`
to report, not a load error: a missing export must not stop the other sources from running
(`ecoute run` reports it as that source's failure, as the connector finds it).

Credentials are named from the connectors that read them, and only whether each is set is
kept: a value never leaves the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ecoute.connectors import bluesky, mastodon, reddit, youtube
from ecoute.core.settings import Settings
from ecoute.core.source_settings import FileSource, Source


@dataclass(frozen=True)
class CredentialSet:
    """Environment variables a connector reads together: all of them, or (when optional) none."""

    variables: tuple[str, ...]
    required: bool  # the source cannot read anything without them
    purpose: str  # what they are for, said when they are missing


# Only the variables each connector reads (REDDIT_USER_AGENT names the deployment, it is no secret).
CREDENTIALS: dict[str, tuple[CredentialSet, ...]] = {
    "reddit": (CredentialSet((reddit.ID_ENV, reddit.SECRET_ENV), required=False, purpose="Reddit OAuth needs both"),),
    "mastodon": (
        CredentialSet((mastodon.TOKEN_ENV,), required=False, purpose="full-text search on the first instance listed"),
    ),
    "bluesky": (
        CredentialSet(
            (bluesky.HANDLE_ENV, bluesky.PASSWORD_ENV),
            required=True,
            purpose="Bluesky's public AppView refuses anonymous search: sign in with a handle and an app password",
        ),
    ),
    "youtube": (
        CredentialSet((youtube.KEY_ENV,), required=True, purpose="YouTube's Data API answers only with a key"),
    ),
}


@dataclass(frozen=True)
class Credential:
    """One environment variable a source reads, and whether it is set (never its value)."""

    variable: str
    is_set: bool
    required: bool

    def __str__(self) -> str:
        state = "set" if self.is_set else "missing"
        return f"{self.variable} {state}" + ("" if self.is_set or self.required else " (optional)")


@dataclass(frozen=True)
class Problem:
    """Something on this machine that stops a source from running; `key` is the settings key or
    environment variable to fix."""

    source: str
    kind: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"source {self.source} ({self.kind}): {self.message}"


def _is_set(variable: str, environ: Mapping[str, str]) -> bool:
    return bool(environ.get(variable))  # the connectors take an empty variable for an unset one


def credentials(source: Source, environ: Mapping[str, str] | None = None) -> list[Credential]:
    """Every environment variable `source` reads as a credential, in the order `ecoute sources` lists them."""
    environ = os.environ if environ is None else environ
    return [
        Credential(variable, _is_set(variable, environ), group.required)
        for group in CREDENTIALS.get(source.kind, ())
        for variable in group.variables
    ]


def credential_problems(source: Source, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Required credentials that are missing, and optional ones set by halves (the connector refuses both)."""
    environ = os.environ if environ is None else environ
    problems = []
    for group in CREDENTIALS.get(source.kind, ()):
        missing = [v for v in group.variables if not _is_set(v, environ)]
        given = [v for v in group.variables if v not in missing]
        if not missing or (not given and not group.required):
            continue
        unset = " and ".join(missing)
        verb = "is" if len(missing) == 1 else "are"
        message = f"{unset} {verb} not set ({group.purpose})"
        if given and not group.required:
            message = f"{' and '.join(given)} is set but {unset} {verb} not ({group.purpose})"
        problems.append(Problem(source.name, source.kind, ", ".join(missing), message))
    return problems


def path_problems(source: Source) -> list[Problem]:
    """A file source whose export is not there, at the path the connector reads (relative paths
    were anchored to the settings file's folder when the settings were loaded)."""
    if not isinstance(source, FileSource):
        return []
    path = source.path
    if path.is_file():
        return []
    message = f"path: {path} is a folder, not a file" if path.is_dir() else f"path: no file at {path}"
    return [Problem(source.name, source.kind, "path", message)]


def readiness_problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """Everything on this machine that stops a configured source from running, source by source."""
    return [
        problem
        for source in settings.sources
        for problem in (*path_problems(source), *credential_problems(source, environ))
    ]
