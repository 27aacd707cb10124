"""Every attempt kept: the history database, its service layer, trends, export and import.

No Textual here, and nothing heavy at import time (spaCy and Whisper are imported only by
:meth:`History.reanalyse`), so ``coach history`` starts instantly.

    from coach.storage import History, save_analysis

    with History(settings) as history:
        for attempt in history.attempts(limit=10):
            ...
"""

from __future__ import annotations

from coach.storage.db import (
    DB_FILENAME,
    LOCKED_MESSAGE,
    HistoryCorruptError,
    HistoryLockedError,
    HistoryVersionError,
)
from coach.storage.history import History, history_path, save_analysis
from coach.storage.models import Attempt, AttemptSummary, DeletedAttempt, Highlight, Metrics, Session
from coach.storage.schema import LATEST_VERSION

__all__ = [
    "DB_FILENAME",
    "LATEST_VERSION",
    "LOCKED_MESSAGE",
    "Attempt",
    "AttemptSummary",
    "DeletedAttempt",
    "Highlight",
    "History",
    "HistoryCorruptError",
    "HistoryLockedError",
    "HistoryVersionError",
    "Metrics",
    "Session",
    "history_path",
    "save_analysis",
]
