"""Prefect flows: they only compose the steps in `ecoute.pipeline`, with retries on I/O."""

import logging


class _NoEmptyTraceback(logging.Filter):
    """Prefect logs a task that *returned* a Failed state (a dead source, said in one line) with
    `exc_info=True` and no exception, which prints "NoneType: None" under every failed source."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is None:
            record.exc_info = None
        return True


logging.getLogger("prefect.task_runs").addFilter(_NoEmptyTraceback())
