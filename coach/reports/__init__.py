"""Progress reports from the history: Markdown, or one self-contained HTML page with SVG charts.

No Textual and no plotting library: the charts are SVG written by :mod:`coach.reports.svg`.
"""

from __future__ import annotations

from coach.reports.build import FORMATS, build_report

__all__ = ["FORMATS", "build_report"]
