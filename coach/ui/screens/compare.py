"""Two attempts at one question side by side: scores and measures with their change, and the two
transcripts with what was added and dropped.

The attempts are read in a thread worker (SQLite) and arrive as a :class:`CompareScreen.Loaded`
message; the screen itself only lays them out.
"""

from __future__ import annotations

import difflib
import string

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Label, Static
from textual.worker import Worker, WorkerState

from coach.storage.models import Attempt, AttemptSummary
from coach.storage.trends import METRICS, MetricSpec
from coach.ui.widgets.steady_footer import SteadyFooter
from coach.ui.widgets.title_bar import TitleBar

_ADDED = "bold green"
_DROPPED = "red strike"


def previous_attempt(attempts: list[AttemptSummary], attempt_id: int) -> AttemptSummary | None:
    """The attempt to compare ``attempt_id`` with: the latest analysed one before it, else the
    earliest analysed one after it (``attempts`` oldest first, all at one question)."""
    analysed = [a for a in attempts if a.analysed or a.id == attempt_id]
    ids = [a.id for a in analysed]
    if attempt_id not in ids:
        return None
    at = ids.index(attempt_id)
    before = [a for a in analysed[:at] if a.analysed]
    if before:
        return before[-1]
    after = [a for a in analysed[at + 1:] if a.analysed]
    return after[0] if after else None


def diff_transcripts(before: str, after: str) -> tuple[Text, Text, int, int]:
    """Both transcripts with the words only the earlier one has struck out in red, and the words
    only the later one has in green; returns ``(earlier, later, words added, words dropped)``.

    Words are matched ignoring case and punctuation, so "So," and "so" are the same word."""
    old, new = before.split(), after.split()

    def key(word: str) -> str:
        return word.strip(string.punctuation + "“”‘’…").lower()

    matcher = difflib.SequenceMatcher(a=[key(w) for w in old], b=[key(w) for w in new], autojunk=False)
    left, right = Text(), Text()
    added = dropped = 0

    def put(text: Text, words: list[str], style: str = "") -> None:
        for word in words:
            if text:
                text.append(" ")
            text.append(word, style)

    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            put(left, old[i1:i2])
            put(right, new[j1:j2])
            continue
        if i2 > i1:
            put(left, old[i1:i2], _DROPPED)
            dropped += i2 - i1
        if j2 > j1:
            put(right, new[j1:j2], _ADDED)
            added += j2 - j1
    return left, right, added, dropped


def _judge(spec: MetricSpec, before: float | None, after: float | None) -> bool | None:
    """True when ``after`` is better than ``before`` by the metric's own sense of better."""
    if before is None or after is None or abs(after - before) < 1e-9:
        return None
    if spec.better == "higher":
        return after > before
    if spec.better == "lower":
        return after < before
    low, high = spec.good

    def distance(value: float) -> float:
        return max(low - value, value - high, 0.0)

    if distance(before) == distance(after):
        return None
    return distance(after) < distance(before)


def _change(improved: bool | None, text: str) -> Text:
    if improved is None:
        return Text(text or "same", "dim")
    return Text(text, "green" if improved else "red")


def _when(attempt: AttemptSummary) -> str:
    return attempt.created_at.astimezone().strftime("%d %b %H:%M").lstrip("0")


def comparison_table(before: Attempt, after: Attempt) -> Table:
    """Scores first (0-100, higher is better), then the measures trends are drawn from."""
    table = Table(box=None, padding=(0, 2), show_edge=False, header_style="bold")
    table.add_column("")
    table.add_column(f"Earlier ({_when(before)})", justify="right")
    table.add_column(f"This one ({_when(after)})", justify="right")
    table.add_column("Change")
    old_scores, new_scores = before.scores or {}, after.scores or {}
    for name in list(dict.fromkeys([*old_scores, *new_scores])):
        a, b = old_scores.get(name), new_scores.get(name)
        delta = None if a is None or b is None else b - a
        improved = None if not delta else delta > 0
        table.add_row(f"{name} score", "-" if a is None else str(a), "-" if b is None else str(b),
                      _change(improved, "" if delta is None else f"{delta:+d}"))
    a_len, b_len = before.metrics.duration_s, after.metrics.duration_s
    if a_len is not None or b_len is not None:
        shown = ["-" if s is None else f"{s:.0f}" for s in (a_len, b_len)]
        # The change is taken between the numbers shown, so 15 -> 36 never reads "+20 s".
        change = "" if "-" in shown else f"{int(shown[1]) - int(shown[0]):+d} s"
        table.add_row("Length (s)", *shown, _change(None, change))
    for key, spec in METRICS.items():
        a, b = getattr(before.metrics, key), getattr(after.metrics, key)
        if a is None and b is None:
            continue
        improved = _judge(spec, a, b)
        word = {True: "better", False: "worse", None: "same" if a is not None and b is not None else ""}[improved]
        table.add_row(spec.title, spec.format(a), spec.format(b), _change(improved, word))
    return table


def _parent_label(history, attempt: AttemptSummary) -> str | None:
    """How the compare screen names the answer a follow-up followed: its question, in quotes."""
    from coach.errors import CoachError

    if attempt.parent_id is None:
        return None
    try:
        parent = history.attempt(attempt.parent_id)
    except CoachError:
        return None
    return f'"{parent.question_label}"'


def _alone(attempt: AttemptSummary) -> str:
    if attempt.is_follow_up:
        return (f'This answers the follow-up "{attempt.question_label}", and a follow-up is compared only with '
                "other answers to the same follow-up: this is the only one so far.")
    return ("This is your only analysed attempt at this question: answer it again (r on the feedback screen) and "
            "compare the two.")


def _not_comparable(attempt: AttemptSummary, other: AttemptSummary) -> str:
    follow_up = attempt if attempt.is_follow_up else other
    return (f'Attempt {follow_up.id} answers the follow-up "{follow_up.question_label}"; it is compared only with '
            "other answers to that follow-up.")


class CompareScreen(Screen):
    """An attempt against the one before it at the same question (or another one chosen)."""

    CSS_PATH = "compare.tcss"
    AUTO_FOCUS = "#compare"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    class Loaded(Message):
        """Both attempts were read; ``count`` is how many attempts the question has."""

        def __init__(self, before: Attempt, after: Attempt, count: int, parent: str | None = None) -> None:
            super().__init__()
            self.before = before
            self.after = after
            self.count = count
            #: For two answers to a follow-up, what the follow-up was asked after.
            self.parent = parent

    class LoadFailed(Message):
        """There is nothing to compare, or the history could not be read; ``error`` says which."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, attempt_id: int, other_id: int | None = None) -> None:
        super().__init__()
        self.attempt_id = attempt_id
        self.other_id = other_id
        #: The earlier and the later attempt, once loaded.
        self.before: Attempt | None = None
        self.after: Attempt | None = None
        self.added = self.dropped = 0
        #: True when the two are answers to one follow-up.
        self.follow_up = False

    def compose(self) -> ComposeResult:
        yield TitleBar()
        with VerticalScroll(id="compare"):
            yield Static("Reading the attempts…", id="compare-question")
            yield Static(id="compare-meta")
            yield Label("Scores and measures", classes="section")
            yield Static(id="compare-table")
            yield Label("Transcripts ([b green]added[/], [red strike]dropped[/])", classes="section",
                        id="compare-diff-label")
            yield Static(id="compare-diffstat")
            with Horizontal(id="compare-transcripts"):
                with Vertical(classes="compare-side"):
                    yield Label("Earlier", id="compare-before-label", classes="side-label")
                    yield Static(id="compare-before")
                with Vertical(classes="compare-side"):
                    yield Label("This one", id="compare-after-label", classes="side-label")
                    yield Static(id="compare-after")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = "compare attempts"
        self.load_attempts()

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def load_attempts(self) -> None:
        from coach.errors import CoachError
        from coach.storage import History

        try:
            with History(self.app.settings) as history:
                attempt = history.attempt(self.attempt_id)
                if attempt.is_follow_up:
                    # A follow-up is compared only with other answers to the same follow-up: against
                    # the full answer it followed it would read as a worse story.
                    same = history.follow_up_answers(attempt.question_text or "")
                    parent = _parent_label(history, attempt)
                else:
                    same = history.attempts(question_key=attempt.question_key, newest_first=False)
                    parent = None
                if self.other_id is not None:
                    other = history.attempt(self.other_id)
                    if (attempt.is_follow_up or other.is_follow_up) and other.id not in {a.id for a in same}:
                        self.post_message(self.LoadFailed(_not_comparable(attempt, other)))
                        return
                else:
                    found = previous_attempt(same, attempt.id)
                    if found is None:
                        self.post_message(self.LoadFailed(_alone(attempt)))
                        return
                    other = history.attempt(found.id)
        except CoachError as exc:
            self.post_message(self.LoadFailed(str(exc)))
            return
        before, after = sorted((attempt, other), key=lambda a: (a.created_at, a.id))
        self.post_message(self.Loaded(before, after, len(same), parent))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "compare" and event.state == WorkerState.ERROR:
            self.post_message(self.LoadFailed(f"The attempts could not be read ({event.worker.error})."))

    def on_compare_screen_load_failed(self, message: LoadFailed) -> None:
        self.query_one("#compare-question", Static).update(Text(message.error, "red"))
        for section in self.query(".section, #compare-transcripts"):
            section.display = False

    def on_compare_screen_loaded(self, message: Loaded) -> None:
        self.before, self.after = before, after = message.before, message.after
        #: What the two are: attempts at a question, or answers to one follow-up.
        self.follow_up = after.is_follow_up
        if self.follow_up:
            self.query_one("#compare-question", Static).update(
                Text.assemble(("Follow-up: ", "bold cyan"), (after.question_label, "bold")))
            asked_after = f", asked after {message.parent}" if message.parent else ""
            self.query_one("#compare-meta", Static).update(
                f"Two answers to this follow-up{asked_after}: attempt {before.id} on {_when(before)} against "
                f"attempt {after.id} on {_when(after)} · {message.count} "
                f"answer{'s' if message.count != 1 else ''} to this follow-up")
        else:
            self.query_one("#compare-question", Static).update(Text(after.question_label, "bold"))
            self.query_one("#compare-meta", Static).update(
                f"Attempt {before.id} on {_when(before)} against attempt {after.id} on {_when(after)} · "
                f"{message.count} attempt{'s' if message.count != 1 else ''} at this question")
        self.query_one("#compare-table", Static).update(comparison_table(before, after))
        left, right, self.added, self.dropped = diff_transcripts(before.transcript or "", after.transcript or "")
        self.query_one("#compare-before-label", Label).update(f"Earlier ({_when(before)})")
        self.query_one("#compare-after-label", Label).update(f"This one ({_when(after)})")
        self.query_one("#compare-before", Static).update(left or Text("No transcript.", "dim"))
        self.query_one("#compare-after", Static).update(right or Text("No transcript.", "dim"))
        self.query_one("#compare-diffstat", Static).update(
            f"{self.added} word{'s' if self.added != 1 else ''} added, "
            f"{self.dropped} word{'s' if self.dropped != 1 else ''} dropped")
