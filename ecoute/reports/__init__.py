"""Reports: an HTML page and a Markdown digest per brand and period (plotly.js shared by the
reports folder, or inlined where a page travels alone)."""

from ecoute.reports.render import ReportPaths, write_report

__all__ = ["ReportPaths", "write_report"]
