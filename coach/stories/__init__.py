"""The story library: STAR stories as Markdown files, checked, matched to questions and rehearsed.

No Textual here and nothing heavy at import: spaCy loads only when a story is linted, matched or
compared with a telling. The UI (``coach.ui.screens.stories``) and the CLI (``coach stories``)
both call these functions.
"""

from __future__ import annotations

from coach.stories.coverage import Coverage, coverage
from coach.stories.library import (
    LibraryLoad,
    changed_on_disk,
    create_story,
    library_dir,
    load_library,
    open_library,
    reload_story,
    safe_stem,
    save_story,
    unique_path,
)
from coach.stories.lint import Finding, LintReport, lint_story
from coach.stories.matching import Match, best_stories_for, match_stories
from coach.stories.model import (
    COMPETENCIES,
    PARTS,
    Story,
    StoryConflictError,
    StoryFileError,
    format_story,
    new_story,
    parse_story,
    read_story,
)
from coach.stories.rehearsal import Rehearsal, compare_telling

__all__ = [
    "COMPETENCIES", "PARTS", "Coverage", "Finding", "LibraryLoad", "LintReport", "Match", "Rehearsal", "Story",
    "StoryConflictError", "StoryFileError", "best_stories_for", "changed_on_disk", "compare_telling", "coverage",
    "create_story", "format_story", "library_dir", "lint_story", "load_library", "match_stories", "new_story",
    "open_library", "parse_story", "read_story", "reload_story", "safe_stem", "save_story", "unique_path",
]
