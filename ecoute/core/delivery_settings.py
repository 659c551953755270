"""Settings of `[delivery]`: where reports and alerts go. Nothing configured, nothing sent.

Secrets never sit in the settings file: the SMTP password comes from `ECOUTE_SMTP_PASSWORD`,
and the webhook URL (a Slack incoming-webhook URL is itself a credential) from
`ECOUTE_WEBHOOK_URL`, which wins over a `url` in the file.
"""

from __future__ import annotations

import os
import re
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SMTP_PASSWORD_ENV = "ECOUTE_SMTP_PASSWORD"
WEBHOOK_URL_ENV = "ECOUTE_WEBHOOK_URL"

FindingKind = Literal["volume_spike", "negative_surge", "emerging_topic", "sentiment_shift", "share_of_voice_shift"]
ALL_KINDS: tuple[FindingKind, ...] = (
    "volume_spike",
    "negative_surge",
    "emerging_topic",
    "sentiment_shift",
    "share_of_voice_shift",
)
_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
_HTTP_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _address(value: str) -> str:
    """A bare address or 'Name <address>'; anything else (line breaks included) is refused."""
    if "\r" in value or "\n" in value or not _ADDRESS.match(parseaddr(value)[1]):
        raise ValueError(f"not an e-mail address: {value!r}")
    return value


class Email(_Strict):
    host: str = Field(min_length=1, description="SMTP server host name.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP port: 587 for STARTTLS, 465 for SSL, 25 plain.")
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS before sending.")
    ssl: bool = Field(default=False, description="Connect over TLS from the start (SMTPS, usually port 465).")
    from_address: str = Field(description="Sender, 'reports@example.com' or 'ecoute <reports@example.com>'.")
    to: list[str] = Field(min_length=1, description="Recipients.")
    username: str | None = Field(
        default=None,
        description=f"SMTP login, when the server needs one; the password is read from {SMTP_PASSWORD_ENV}.",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Longest wait for the SMTP server, per step.")
    subject_prefix: str = Field(default="[ecoute]", description="Put before every subject.")
    reports: bool = Field(default=True, description="Send reports to these recipients.")
    alerts: bool = Field(default=True, description="Send alerts to these recipients.")

    @model_validator(mode="before")
    @classmethod
    def _no_password_in_file(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(f"password: not in the settings file; set the {SMTP_PASSWORD_ENV} environment variable")
        return data

    @field_validator("from_address")
    @classmethod
    def _from_is_address(cls, value: str) -> str:
        return _address(value)

    @field_validator("to")
    @classmethod
    def _to_are_addresses(cls, values: list[str]) -> list[str]:
        return [_address(v) for v in values]

    @model_validator(mode="after")
    def _one_tls_mode(self) -> Email:
        if self.ssl and self.starttls:
            raise ValueError("ssl and starttls: choose one (ssl for port 465, starttls for 587)")
        if self.username and not (self.ssl or self.starttls):
            raise ValueError("username: the password would travel in clear; set starttls or ssl")
        return self

    def password(self) -> str | None:
        return os.environ.get(SMTP_PASSWORD_ENV) or None


class Webhook(_Strict):
    url: str | None = Field(
        default=None,
        description=f"Slack-compatible incoming webhook; {WEBHOOK_URL_ENV}, when set, wins over this. "
        "Keep real Slack URLs (they are credentials) in the environment.",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Longest wait for the webhook to answer.")
    reports: bool = Field(default=True, description="Post report digests to the webhook.")
    alerts: bool = Field(default=True, description="Post alerts to the webhook.")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not _HTTP_URL.match(url):
            raise ValueError("must be an http:// or https:// URL")
        return url

    def resolved_url(self) -> str | None:
        return os.environ.get(WEBHOOK_URL_ENV) or self.url


class Alerts(_Strict):
    min_confidence: float = Field(default=0.7, ge=0, le=1, description="Findings less sure than this never alert.")
    min_magnitude: float = Field(
        default=0.0,
        ge=0,
        description="Smallest |magnitude| that alerts, in the kind's own unit "
        "(z-score for spikes, ratio for emerging topics, points for shifts).",
    )
    kinds: list[FindingKind] = Field(
        default_factory=lambda: list(ALL_KINDS), min_length=1, description="Kinds of finding that alert."
    )


class Delivery(_Strict):
    email: Email | None = Field(default=None, description="Send by e-mail (SMTP); absent: no e-mail.")
    webhook: Webhook | None = Field(default=None, description="Post to a Slack-compatible webhook; absent: no post.")
    alerts: Alerts | None = Field(default=None, description="Alert on strong findings; absent: no alerts.")
