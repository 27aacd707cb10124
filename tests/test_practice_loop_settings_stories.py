"""Issue 14, rough edges: `coach stories new` with a title already in the library, and the
settings screen (its title, where it saves, the speech model as a choice)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_coach


def test_new_story_with_an_existing_title_says_so_and_keeps_both(tmp_path: Path):
    folder = tmp_path / "stories"
    first = run_coach("stories", "--stories", str(folder), "new", "The model that drifted")
    assert first.returncode == 0, first.stderr
    assert "already exists" not in first.stderr
    original = Path(first.stdout.strip())
    before = original.read_text()

    # Same title with other case and spacing: the same story to a reader.
    second = run_coach("stories", "--stories", str(folder), "new", "the model  that Drifted")
    assert second.returncode == 0, second.stderr
    made = Path(second.stdout.strip())
    assert made != original and made.is_file()
    assert original.read_text() == before
    notes = [line for line in second.stderr.splitlines() if "already exists" in line]
    assert notes == [f'A story titled "the model that Drifted" already exists ({original.name}); '
                     f"this one is {made.name}."]

    other = run_coach("stories", "--stories", str(folder), "new", "A different story")
    assert other.returncode == 0 and "already exists" not in other.stderr
