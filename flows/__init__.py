"""Prefect flows: they only compose the steps in `ecoute.pipeline`, with retries on I/O."""
