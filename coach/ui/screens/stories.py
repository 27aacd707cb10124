"""The story library: the stories with their competencies and lint status, an editor for the four
STAR sections with a live word count and a lint panel that follows the typing, and the coverage
matrix.

Reading files, linting (spaCy) and seeding run in thread workers and come back as messages;
saving a few kilobytes happens on the spot so that a refusal (the file changed outside coach) is
reported at once.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import (
    DataTable,
    Input,
    Label,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from coach.errors import CoachError
from coach.stories.coverage import coverage
from coach.stories.library import LibraryLoad, changed_on_disk, reload_story
from coach.stories.lint import DEFAULT_WPM, MAX_TELLING_S, LintReport
from coach.stories.model import PARTS, Story, StoryConflictError, count_words, new_story, speaking_seconds
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar

#: Seconds of quiet typing before the draft is linted again.
LINT_DELAY_S = 0.6
_SECTION_HEIGHT = {"situation": 5, "task": 4, "action": 9, "result": 5}


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _clock(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}"


class StoryLibraryScreen(Screen):
    """Draft, check and see the coverage of the STAR stories in the library folder."""

    CSS_PATH = "stories.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save"),
        Binding("ctrl+n", "new_story", "New story"),
        Binding("ctrl+r", "reload", "Reload from disk"),
        Binding("ctrl+o", "overwrite", "Overwrite", show=False),
        # Priority: the editor's text areas would otherwise take these keys (ctrl+e is their
        # end-of-line, which the end key still does).
        Binding("ctrl+g", "toggle_coverage", "Coverage", priority=True),
        Binding("ctrl+e", "rehearse", "Rehearse aloud", priority=True),
        Binding("escape", "leave", "Back"),
    ]

    class LibraryLoaded(Message):
        """The library folder was read (and seeded the first time)."""

        def __init__(self, loaded: LibraryLoad) -> None:
            super().__init__()
            self.loaded = loaded

    class LibraryLinted(Message):
        """Every story in the list was checked: story id -> report."""

        def __init__(self, reports: dict[str, LintReport]) -> None:
            super().__init__()
            self.reports = reports

    class Linted(Message):
        """The draft in the editor was checked; ``revision`` says which edit it reflects."""

        def __init__(self, revision: int, report: LintReport) -> None:
            super().__init__()
            self.revision = revision
            self.report = report

    class Saved(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class SaveRefused(Message):
        """Saving was refused because the file changed outside coach since it was opened."""

        def __init__(self, path: Path, error: str) -> None:
            super().__init__()
            self.path = path
            self.error = error

    def __init__(self, stories_dir: Path | None = None, wpm: float | None = None) -> None:
        super().__init__()
        self.stories_dir = stories_dir
        #: The user's pace for speaking-time estimates (the lead passes the measured one).
        self.wpm = wpm or DEFAULT_WPM
        self.folder: Path | None = None
        self.stories: list[Story] = []
        self.load_errors: list = []
        self.reports: dict[str, LintReport] = {}
        #: The story open in the editor, as last read or saved (the draft is compared with it).
        self.current: Story | None = None
        self.draft_report: LintReport | None = None
        self._revision = 0
        self._lint_timer: Timer | None = None
        self._conflict = False
        self._leave_armed = False
        self._switch_armed: str | None = None
        self.coverage = None
        #: What had focus in the editor before the coverage tab was shown (focus returns there).
        self._editor_focus = None

    # --- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with Horizontal(id="stories-body"):
            with Vertical(id="story-side"):
                yield Label("[b]Stories[/]", id="story-side-title")
                yield OptionList(id="story-list")
                yield Static("", id="story-count")
            with TabbedContent(id="story-tabs", initial="tab-editor"):
                with TabPane("Editor", id="tab-editor"):
                    with VerticalScroll(id="story-editor"):
                        for field, label, hint in (
                            ("title", "Title", "A few words you will recognise"),
                            ("competencies", "Competencies", "conflict, ownership, ml_in_production, ..."),
                            ("metric", "Metric", "The one number to remember"),
                            ("roles", "Roles", "ML Engineer, Data Scientist, ML Research Scientist"),
                            ("tags", "Tags", "comma, separated"),
                        ):
                            with Horizontal(classes="story-field"):
                                yield Label(label, classes="field-label")
                                yield Input(placeholder=hint, id=f"story-{field}", classes="field-input")
                        for part in PARTS:
                            yield Label(f"[b]{part.capitalize()}[/]", id=f"label-{part}", classes="section-label")
                            area = TextArea(id=f"section-{part}", classes="section-text", soft_wrap=True,
                                            show_line_numbers=False)
                            area.styles.height = _SECTION_HEIGHT[part] + 2
                            yield area
                    yield Static("", id="story-stats")
                    with VerticalScroll(id="story-lint-pane"):
                        yield Static("", id="story-lint")
                with TabPane("Coverage", id="tab-coverage"):
                    with VerticalScroll(id="coverage-pane"):
                        yield DataTable(id="coverage-table", cursor_type="row", zebra_stripes=True)
                        yield Static("", id="coverage-notes")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.title = "Story library"
        self._set_editor_enabled(False)
        self.query_one("#story-lint", Static).update("Loading the library…")
        self.load_library()

    def _set_editor_enabled(self, enabled: bool) -> None:
        for widget in self.query(".field-input, .section-text"):
            widget.disabled = not enabled

    # --- loading ---------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="story-load", exit_on_error=False)
    def load_library(self) -> None:
        from coach.stories.library import load_library, open_library

        folder = open_library(self.app.settings, self.stories_dir)
        self.post_message(self.LibraryLoaded(load_library(folder)))

    def on_story_library_screen_library_loaded(self, message: LibraryLoaded) -> None:
        loaded = message.loaded
        self.folder = loaded.folder
        self.stories = loaded.stories
        self.load_errors = loaded.errors
        self.sub_title = str(loaded.folder)
        self._refresh_list()
        self._refresh_coverage()
        for error in loaded.errors:
            self.notify(str(error), title="Story not loaded", severity="error", timeout=12)
        if self.current is None:
            if self.stories:
                self.open_story(self.stories[0])
            else:
                self.action_new_story()
        self.lint_library(list(self.stories))

    @work(thread=True, group="story-lint-all", exit_on_error=False)
    def lint_library(self, stories: list[Story]) -> None:
        from coach.stories.lint import lint_story

        self.post_message(self.LibraryLinted({story.id: lint_story(story, self.wpm) for story in stories}))

    def on_story_library_screen_library_linted(self, message: LibraryLinted) -> None:
        self.reports.update(message.reports)
        self._refresh_list()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        # One place for every worker's failure: the message is written for the user (CoachError).
        if event.state == WorkerState.ERROR and event.worker.group.startswith("story-"):
            self.notify(str(event.worker.error), title="Story library", severity="error", timeout=12)

    # --- the list --------------------------------------------------------------------------------

    def _status(self, story: Story) -> Text:
        report = self.reports.get(story.id)
        if report is None:
            return Text("checking…", style="dim")
        style = "red" if report.errors else ("yellow" if report.warnings else "green")
        return Text(("✓ " if not report.findings else "") + report.status, style=style)

    def _prompt(self, story: Story) -> Text:
        prompt = Text(story.title, style="bold")
        if self._is_dirty() and self.current is not None and story.id == self.current.id:
            prompt.append(" *", style="yellow")
        prompt.append("\n")
        prompt.append(", ".join(c.replace("_", " ") for c in story.competencies) or "no competencies",
                      style="dim")
        prompt.append("\n")
        prompt.append_text(self._status(story))
        return prompt

    def _refresh_list(self) -> None:
        options = self.query_one("#story-list", OptionList)
        highlighted = options.highlighted_option.id if options.highlighted_option else None
        items: list[Option] = [Option(self._prompt(s), id=f"story:{s.id}") for s in self.stories]
        for n, error in enumerate(self.load_errors):
            label = Text(error.path.name if error.path else "story", style="bold red")
            label.append(f"\nline {error.line}: " if error.line else "\n", style="red")
            label.append("not loaded", style="red")
            items.append(Option(label, id=f"error:{n}", disabled=True))
        options.set_options(items)
        ids = [o.id for o in items]
        if highlighted in ids:
            options.highlighted = ids.index(highlighted)
        elif self.current is not None and f"story:{self.current.id}" in ids:
            options.highlighted = ids.index(f"story:{self.current.id}")
        bad = len(self.load_errors)
        count = f"{len(self.stories)} stories" + (f", {bad} not loaded" if bad else "")
        self.query_one("#story-count", Static).update(count)

    @on(OptionList.OptionSelected, "#story-list")
    def _story_chosen(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if not option_id.startswith("story:"):
            return
        story = next((s for s in self.stories if s.id == option_id[len("story:"):]), None)
        if story is None or (self.current is not None and story.id == self.current.id and story.path):
            return
        if self._is_dirty() and self._switch_armed != story.id:
            self._switch_armed = story.id
            self.notify("Unsaved changes: ctrl+s saves them; choose the story again to discard them.",
                        title="Not saved", severity="warning")
            return
        if changed_on_disk(story):
            # Edited in another editor since the library loaded: open what is on disk now.
            try:
                fresh = reload_story(story)
            except CoachError as exc:
                self.notify(str(exc), title="Cannot open", severity="error", timeout=12)
                return
            self.stories = [fresh if s is story else s for s in self.stories]
            self.reports.pop(story.id, None)
            story = fresh
            self.lint_library([fresh])
        self.open_story(story)

    # --- the editor ------------------------------------------------------------------------------

    def open_story(self, story: Story) -> None:
        """Show a story in the editor (unsaved edits to the previous one are dropped)."""
        self.current = story
        self._conflict = False
        self._switch_armed = None
        self._leave_armed = False
        self._set_editor_enabled(True)
        self.query_one("#story-title", Input).value = story.title
        self.query_one("#story-competencies", Input).value = ", ".join(story.competencies)
        self.query_one("#story-metric", Input).value = story.metric
        self.query_one("#story-roles", Input).value = ", ".join(story.roles)
        self.query_one("#story-tags", Input).value = ", ".join(story.tags)
        for part in PARTS:
            self.query_one(f"#section-{part}", TextArea).load_text(story.sections.get(part, ""))
        self.draft_report = self.reports.get(story.id) if story.path is not None else None
        self._draft_changed()
        self.query_one("#section-situation", TextArea).scroll_visible()

    def draft(self) -> Story:
        """The story as it stands in the editor, carrying the open story's file and fingerprint."""
        base = self.current or new_story("")
        return Story(
            title=self.query_one("#story-title", Input).value,
            competencies=_split(self.query_one("#story-competencies", Input).value),
            roles=_split(self.query_one("#story-roles", Input).value),
            tags=_split(self.query_one("#story-tags", Input).value),
            metric=self.query_one("#story-metric", Input).value,
            sections={part: self.query_one(f"#section-{part}", TextArea).text for part in PARTS},
            extra=dict(base.extra), extra_sections=list(base.extra_sections), preamble=base.preamble,
            path=base.path, opened=base.opened,
        )

    def _is_dirty(self) -> bool:
        if self.current is None:
            return False
        try:
            return self.draft() != self.current or self.current.path is None
        except Exception:  # the editor is being built or torn down
            return False

    @on(TextArea.Changed)
    @on(Input.Changed, ".field-input")
    def _edited(self) -> None:
        # Filling the editor posts these too; they only recount and re-lint, which is harmless.
        if self.current is not None:
            self._leave_armed = False
            self._draft_changed()

    def _draft_changed(self) -> None:
        """Counts now (no spaCy, instant); the lint once typing pauses."""
        self._revision += 1
        self._update_stats()
        if self._lint_timer is not None:
            self._lint_timer.stop()
        self._lint_timer = self.set_timer(LINT_DELAY_S, self._lint_now)
        self.query_one("#story-lint", Static).update(self._lint_text(pending=True))

    def _update_stats(self) -> None:
        if self.current is None:
            return
        draft = self.draft()
        counts = {part: count_words(draft.text_of(part)) for part in PARTS}
        total = sum(counts.values())
        seconds = speaking_seconds(total, self.wpm)
        line = Text(f"{total} words · about {_clock(seconds)} at {self.wpm:.0f} wpm",
                    style="bold red" if seconds > MAX_TELLING_S else "bold")
        line.append(" · " + " · ".join(f"{part.capitalize()} {counts[part]}" for part in PARTS), style="dim")
        if self._is_dirty():
            line.append(" · unsaved", style="yellow")
        self.query_one("#story-stats", Static).update(line)
        for part in PARTS:
            self.query_one(f"#label-{part}", Label).update(
                f"[b]{part.capitalize()}[/]  [dim]{counts[part]} words, {_clock(speaking_seconds(counts[part], self.wpm))}[/]")

    def _lint_now(self) -> None:
        if self.current is not None:
            self.lint_draft(self.draft(), self._revision)

    @work(thread=True, exclusive=True, group="story-lint", exit_on_error=False)
    def lint_draft(self, draft: Story, revision: int) -> None:
        from coach.stories.lint import lint_story

        self.post_message(self.Linted(revision, lint_story(draft, self.wpm)))

    def on_story_library_screen_linted(self, message: Linted) -> None:
        if message.revision != self._revision:
            return  # typed since: a newer lint is on its way
        self.draft_report = message.report
        self.query_one("#story-lint", Static).update(self._lint_text())
        if self.current is not None and self.current.path is not None:
            self.reports[self.current.id] = message.report
            option_id = f"story:{self.current.id}"
            options = self.query_one("#story-list", OptionList)
            if any(o.id == option_id for o in options.options):
                options.replace_option_prompt(option_id, self._prompt(self.current))

    def _lint_text(self, pending: bool = False) -> Text:
        report = self.draft_report
        out = Text()
        if report is None:
            out.append("Checking…" if pending else "", style="dim")
            return out
        if not report.findings:
            out.append("✓ No problems found.", style="green")
        for finding in report.findings:
            style = "bold red" if finding.severity == "error" else "yellow"
            out.append(f"{finding.severity:7} ", style=style)
            if finding.where():
                out.append(f"{finding.where()}: ", style="bold")
            out.append(finding.message + "\n")
        if pending:
            out.append("checking…", style="dim")
        return out

    # --- saving ----------------------------------------------------------------------------------

    def action_save(self, force: bool = False) -> None:
        from coach.stories.library import save_story

        if self.current is None or self.folder is None:
            return
        draft = self.draft()
        if not draft.title:
            self.notify("Give the story a title first.", title="Not saved", severity="warning")
            return
        try:
            path = save_story(draft, self.folder, force=force)
        except StoryConflictError as exc:
            self._conflict = True
            self.refresh_bindings()
            self.notify(f"{exc} ctrl+r reloads the file (dropping your edits here); ctrl+o overwrites it "
                        "with your version.", title="Not saved", severity="error", timeout=20)
            self.post_message(self.SaveRefused(exc.path, str(exc)))
            return
        except CoachError as exc:
            self.notify(str(exc), title="Not saved", severity="error", timeout=12)
            return
        previous = self.current
        self.current = draft
        self._conflict = False
        self.refresh_bindings()
        self.stories = [s for s in self.stories if s is not previous and s.path != path] + [draft]
        self.stories.sort(key=lambda s: s.id)
        if self.draft_report is not None:
            self.reports[draft.id] = self.draft_report
        self._refresh_list()
        self._refresh_coverage()
        self._update_stats()
        self.notify(f"Saved {path.name}", title="Story library")
        self.post_message(self.Saved(path))

    def action_overwrite(self) -> None:
        if self._conflict:
            self.action_save(force=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "overwrite":
            return self._conflict
        return True

    def action_reload(self) -> None:
        if self.current is None or self.current.path is None:
            self.notify("This story has not been saved yet; there is no file to reload.", severity="warning")
            return
        try:
            fresh = reload_story(self.current)
        except CoachError as exc:
            self.notify(str(exc), title="Cannot reload", severity="error", timeout=12)
            return
        self.stories = [fresh if s.path == fresh.path else s for s in self.stories]
        self.reports.pop(fresh.id, None)
        self.open_story(fresh)
        self._refresh_list()
        self._refresh_coverage()
        self.notify(f"Reloaded {fresh.path.name} from disk.", title="Story library")

    def action_new_story(self) -> None:
        if self._is_dirty() and self._switch_armed != "new":
            self._switch_armed = "new"
            self.notify("Unsaved changes: ctrl+s saves them; ctrl+n again starts a new story anyway.",
                        title="Not saved", severity="warning")
            return
        self.open_story(new_story("Untitled story"))
        self.query_one("#story-title", Input).focus()

    def action_leave(self) -> None:
        if self._is_dirty() and not self._leave_armed:
            self._leave_armed = True
            self.notify("Unsaved changes: ctrl+s saves them; escape again leaves without saving.",
                        title="Not saved", severity="warning")
            return
        self.app.pop_screen()

    # --- coverage --------------------------------------------------------------------------------

    def action_toggle_coverage(self) -> None:
        tabs = self.query_one("#story-tabs", TabbedContent)
        if tabs.active == "tab-editor":
            # Focus must leave the editor too: TabbedContent shows the pane of the focused widget,
            # so a text area keeping focus would switch straight back.
            self._editor_focus = self.focused
            tabs.active = "tab-coverage"
            self.query_one("#coverage-table", DataTable).focus()
        else:
            tabs.active = "tab-editor"
            previous = self._editor_focus
            if previous is not None and previous.is_attached and previous.focusable:
                previous.focus()

    def _refresh_coverage(self) -> None:
        result = coverage(self.stories, getattr(self.app, "questions", None))
        table = self.query_one("#coverage-table", DataTable)
        table.clear(columns=True)
        table.add_column("Competency", key="competency")
        for n, _story in enumerate(result.stories, start=1):
            table.add_column(str(n), key=f"s{n}")
        table.add_column("Stories", key="count")
        table.add_column("Questions", key="questions")
        for competency in result.competencies:
            count = len(result.matrix[competency])
            style = "bold red" if not count else ("yellow" if count == 1 else "")
            cells = [Text("●", style="green") if result.covers(s, competency) else Text("·", style="dim")
                     for s in result.stories]
            table.add_row(Text(competency.replace("_", " "), style=style), *cells, Text(str(count), style=style),
                          str(result.question_counts.get(competency, "")), key=competency)
        notes = Text()
        for line in result.summary():
            notes.append(line + "\n", style="red" if line.startswith("No story") else "yellow")
        if not result.summary():
            notes.append("Every competency has at least two stories.\n", style="green")
        notes.append("\n")
        for n, story in enumerate(result.stories, start=1):
            notes.append(f"{n:>3}  {story.title}\n", style="dim")
        self.query_one("#coverage-notes", Static).update(notes)
        self.coverage = result

    def action_rehearse(self) -> None:
        """Tell the open story out loud in the practice session, then compare with the draft."""
        if self.current is None or self.current.path is None:
            self.notify("Save the story first, then rehearse it.", severity="warning")
            return
        from coach.session import question_for_story
        from coach.ui.screens.practice import PracticeScreen

        self.app.push_screen(PracticeScreen(question_for_story(self.current), story=self.current))
