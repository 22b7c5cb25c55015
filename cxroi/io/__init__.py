"""The one input layer: every command reads its files through here.

It sniffs the format (CSV/TSV, XLSX, Parquet), the encoding and the delimiter, recognises survey export
layouts (Qualtrics, SurveyMonkey) and drops their extra header rows, maps column names (header, ImportId or
question text) and reads only the columns a command needs, in batches.
"""

from cxroi.io.batches import Batch, ColumnKind, ReadOptions
from cxroi.io.reader import TableSource, open_source, open_sources

__all__ = ["Batch", "ColumnKind", "ReadOptions", "TableSource", "open_source", "open_sources"]
