"""The story library on disk: where it is, seeding it, loading it, and saving stories safely.

Reliability rules (issue 5): writes are atomic (a temporary file in the same folder, then a
rename); an edit made outside coach since a story was opened is never overwritten silently; a
malformed file is reported with its file and line while the rest still loads; titles become
safe file names that never leave the folder and never replace another story.
"""

from __future__ import annotations

import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import CoachError, StorageError
from coach.safe_files import copy_atomic, open_atomic, write_atomic
from coach.stories.model import (
    Fingerprint,
    Story,
    StoryConflictError,
    StoryFileError,
    format_story,
    read_story,
)

if TYPE_CHECKING:
    from coach.settings import Settings



def _samples_dir() -> Path:
    """The sample stories. Their one source is the repo's top-level ``stories/``; the package's
    ``samples`` is a relative symlink to it, which setuptools follows, so wheels and sdists carry
    real copies. A checkout where the symlink did not survive (git on Windows without symlink
    support) falls back to the repo folder itself."""
    packaged = Path(__file__).resolve().parent / "samples"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "stories"


SAMPLES_DIR = _samples_dir()
#: Markdown files in a library folder that are not stories (a stories folder kept in git has one).
_NOT_STORIES = {"readme.md", "license.md", "changelog.md"}
_MAX_STEM = 60
# Names Windows refuses for a file, whatever the extension; harmless to avoid everywhere.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


@dataclass
class LibraryLoad:
    """The stories that loaded, and one error per file that did not."""

    folder: Path
    stories: list[Story] = field(default_factory=list)
    errors: list[StoryFileError] = field(default_factory=list)


def library_dir(settings: Settings | None = None, override: Path | str | None = None) -> Path:
    """The library folder: ``override`` (``--stories DIR``), else the ``stories_dir`` setting, else
    ``<data dir>/stories``."""
    if override:
        return Path(override).expanduser()
    configured = getattr(settings, "stories_dir", None) if settings is not None else None
    if configured:
        return Path(configured).expanduser()
    if settings is None:
        from coach.settings import load_settings

        settings = load_settings()
    return settings.data_dir / "stories"


def open_library(settings: Settings | None = None, override: Path | str | None = None, *,
                 seed: bool = True) -> Path:
    """Resolve the library folder and, the first time (the folder does not exist yet), fill it
    with the sample stories. A folder that exists is never re-seeded, so deleted samples stay gone.

    Raises:
        CoachError: the folder cannot be created.
    """
    folder = library_dir(settings, override)
    if folder.is_dir():
        return folder
    if folder.exists():
        raise CoachError(f"The story library {folder} is a file, not a folder; point --stories at a folder.")
    try:
        if seed:
            seed_samples(folder)
        else:
            folder.mkdir(parents=True)
    except OSError as exc:
        raise CoachError(f"The story library {folder} cannot be created ({exc.strerror or exc}); "
                         "check the path and its permissions.") from exc
    return folder


def sample_files() -> list[Path]:
    return sorted(p for p in SAMPLES_DIR.glob("*.md") if p.name.lower() not in _NOT_STORIES)


def seed_samples(folder: Path) -> None:
    """Copy the samples into a new folder, all or nothing: they go to a temporary sibling that is
    renamed into place, so an interrupted first run does not leave a half-seeded library that is
    then never seeded again."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.seeding-{secrets.token_hex(4)}")
    staging.mkdir(mode=0o700)
    try:
        for sample in sample_files():
            copy_atomic(sample, staging / sample.name)
        staging.rename(folder)
    except (OSError, StorageError):
        shutil.rmtree(staging, ignore_errors=True)
        if not folder.is_dir():  # another process seeding at the same moment is fine
            raise


def story_files(folder: Path) -> list[Path]:
    """The ``*.md`` files of a library, leaving out hidden ones (our temporary files) and READMEs."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.md")
                  if not p.name.startswith(".") and p.name.lower() not in _NOT_STORIES and p.is_file())


def load_library(folder: Path) -> LibraryLoad:
    """Read every story in ``folder``; a file that cannot be read becomes an error, not an exception."""
    loaded = LibraryLoad(folder)
    for path in story_files(folder):
        try:
            loaded.stories.append(read_story(path))
        except StoryFileError as exc:
            loaded.errors.append(exc)
    return loaded


# --- file names ----------------------------------------------------------------------------------


def safe_stem(title: str) -> str:
    """A file name (without ``.md``) for a title: lower-case ASCII letters, digits and hyphens only,
    so no path separator, no ``..`` and no hidden or reserved name can come out of it."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(stem) > _MAX_STEM:
        stem = stem[:_MAX_STEM].rsplit("-", 1)[0] or stem[:_MAX_STEM]
    if not stem:
        stem = "story"
    if stem in _RESERVED:
        stem = f"story-{stem}"
    return stem


def unique_path(folder: Path, title: str) -> Path:
    """``folder/<safe stem>.md``, with ``-2``, ``-3``... when that name is taken (compared without
    case, for case-insensitive file systems)."""
    stem = safe_stem(title)
    taken = {p.name.lower() for p in folder.iterdir()} if folder.is_dir() else set()
    candidate, n = f"{stem}.md", 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem}-{n}.md"
    path = folder / candidate
    # Belt and braces: the stem is [a-z0-9-]+, so this holds; never write outside the library.
    if path.resolve().parent != folder.resolve():
        raise CoachError(f"The title {title!r} cannot become a file name inside {folder}.")
    return path


# --- saving --------------------------------------------------------------------------------------


def changed_on_disk(story: Story) -> bool:
    """Whether the story's file differs from what was read (or last saved), or is gone.

    The content hash decides, not the modification time: a ``touch`` or a checkout of identical
    content changes the time but is no edit, and an edit within the file system's timestamp
    resolution keeps the time but is one. Files are a few kilobytes, so hashing costs nothing.
    """
    if story.path is None or story.opened is None:
        return False
    try:
        data = story.path.read_bytes()
    except OSError:
        return True
    return len(data) != story.opened.size or Fingerprint.of_bytes(data, 0).sha256 != story.opened.sha256


def save_story(story: Story, folder: Path | None = None, *, force: bool = False) -> Path:
    """Write a story atomically and remember the saved version as the one now open.

    A story never saved gets a new file in ``folder`` named after its title (never replacing an
    existing file). A story read from a file is written back to that file, unless the file was
    changed outside coach since it was read.

    Args:
        story: The story; its ``path`` and ``opened`` are updated.
        folder: The library folder, for a story that has no file yet.
        force: Overwrite even an outside edit (only after the user chose to).

    Returns:
        The file written.

    Raises:
        StoryConflictError: the file was changed (or created) outside coach since it was read.
        CoachError: the folder or file cannot be written, or a section would break the format.
    """
    text = format_story(story)
    data = text.encode("utf-8")
    if story.path is None:
        if folder is None:
            raise CoachError(f"The story {story.title!r} has no file yet; say which library folder to save it in.")
        folder.mkdir(parents=True, exist_ok=True)
        path = _write_new(folder, story.title, data)
    else:
        path = story.path
        _write_over(path, data, story, force)
    story.path = path
    story.opened = Fingerprint.of_bytes(data, path.stat().st_mtime_ns)
    return path


def _write_new(folder: Path, title: str, data: bytes) -> Path:
    kept = "nothing was saved there"
    for _ in range(1000):
        path = unique_path(folder, title)
        try:
            # exclusive: the name is claimed only if free (a hard link, or O_EXCL where links are
            # not supported), so even a file created a moment ago by someone else is never replaced.
            return write_atomic(path, data, exclusive=True, kept=kept)
        except FileExistsError:
            continue
        except StorageError as exc:
            raise CoachError(f"Cannot save a new story: {exc}") from exc
    raise CoachError(f"Could not find a free file name for {title!r} in {folder}.")


def _write_over(path: Path, data: bytes, story: Story, force: bool) -> None:
    try:
        with open_atomic(path, kept=f"{path.name} is unchanged") as out:
            out.write(data)
            # Checked with the new version already on disk beside it: the window for an outside
            # edit to slip in before the rename is as small as it can be.
            if not force and path.exists() and (story.opened is None or changed_on_disk(story)):
                raise StoryConflictError(path, _mtime(path))
    except StorageError as exc:
        raise CoachError(f"Cannot save {path}: {exc}") from exc


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def reload_story(story: Story) -> Story:
    """Read a story's file again (after an outside edit), dropping unsaved changes.

    Raises:
        StoryFileError: the file is gone or malformed.
    """
    if story.path is None:
        raise CoachError(f"The story {story.title!r} has never been saved, so there is nothing to reload.")
    return read_story(story.path)


def create_story(folder: Path, story: Story) -> Path:
    """Save a new story under a file name made from its title (``-2``, ``-3`` if taken)."""
    story.path = None
    story.opened = None
    return save_story(story, folder)
