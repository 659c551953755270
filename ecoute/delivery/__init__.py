"""Delivery: reports and alerts by e-mail and to Slack-compatible webhooks, each channel on its own."""

from ecoute.delivery.outcome import Channel, ChannelOutcome, DeliveryError, DeliveryResult
from ecoute.delivery.send import send_alerts, send_report, should_alert

__all__ = ["Channel", "ChannelOutcome", "DeliveryError", "DeliveryResult", "send_alerts", "send_report", "should_alert"]
