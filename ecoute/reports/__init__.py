"""Reports: a self-contained HTML page and a Markdown digest per brand and period."""

from ecoute.reports.render import ReportPaths, write_report

__all__ = ["ReportPaths", "write_report"]
