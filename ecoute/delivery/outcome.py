"""What a delivery did, channel by channel, and the error a channel raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ecoute.core.errors import EcouteError

Channel = Literal["email", "webhook"]


class DeliveryError(EcouteError):
    """A channel could not deliver; the message names the channel and what was received."""

    def __init__(self, message: str, *, channel: Channel) -> None:
        super().__init__(message)
        self.channel = channel


@dataclass(frozen=True)
class ChannelOutcome:
    """What one channel did: messages sent, alerts skipped as already sent, the error if any."""

    channel: Channel
    sent: int = 0
    already_sent: int = 0
    error: DeliveryError | None = None


@dataclass(frozen=True)
class DeliveryResult:
    """One outcome per configured channel; empty when nothing is configured."""

    outcomes: tuple[ChannelOutcome, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[DeliveryError]:
        return [o.error for o in self.outcomes if o.error is not None]

    def outcome(self, channel: Channel) -> ChannelOutcome:
        """The channel's outcome; KeyError when the channel is not configured."""
        for outcome in self.outcomes:
            if outcome.channel == channel:
                return outcome
        raise KeyError(channel)

    def raise_for_errors(self) -> None:
        """Raise the failure (all of them in one message when several channels failed)."""
        errors = self.errors
        if len(errors) == 1:
            raise errors[0]
        if errors:
            raise DeliveryError("; ".join(str(e) for e in errors), channel=errors[0].channel)

    def as_dict(self) -> dict[str, Any]:
        """For run stats: per channel, what was sent and the error, if any."""
        return {
            o.channel: {"sent": o.sent, "already_sent": o.already_sent, "error": str(o.error) if o.error else None}
            for o in self.outcomes
        }
