"""Renderers: a table of records in, a string out. The CLI decides where the string goes."""

from cxroi.report.formats import OutputFormat, render_records

__all__ = ["OutputFormat", "render_records"]
