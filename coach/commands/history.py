"""`coach history`, `report`, `export`, `import`, `attempt delete` and `reanalyse`.

Only click is imported at module level: `coach --help` must stay instant, so the storage,
reports and analysis modules are imported inside each command.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from coach.storage import AttemptSummary, History


def _open_history(*, read_only_ok: bool = False) -> History:
    """The user's history; anything the user must know about it (a damaged file moved aside) goes to stderr.

    ``read_only_ok``: a command that only reads may open a history in a read-only folder.
    """
    from coach.settings import load_settings
    from coach.storage import History

    history = History(load_settings(), read_only_ok=read_only_ok)
    for notice in history.notices:
        click.echo(f"Note: {notice}", err=True)
    return history


def _count(n: int, noun: str) -> str:
    """"1 attempt", "3 attempts"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _length(attempt: AttemptSummary) -> str:
    seconds = attempt.metrics.duration_s
    if seconds is None:
        return "-"
    text = f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return text if attempt.metrics.spoken else f"~{text}"


def _structure(attempt: AttemptSummary) -> str:
    m = attempt.metrics
    if m.star_completeness is not None:
        return f"STAR {round(m.star_completeness * 4)}/4"
    if m.think_score is not None:
        return f"rubric {m.think_score:.0f}"
    return "-"


@click.command("history")
@click.option("--limit", "-n", default=20, show_default=True, type=click.IntRange(min=0),
              help="Show at most this many attempts (0 for all).")
@click.option("--json", "as_json", is_flag=True, help="Print the attempts as JSON.")
def history_command(limit: int, as_json: bool) -> None:
    """List your attempts, newest first: date, question, and the key measures.

    Ids in the first column are what `coach attempt delete` and `coach reanalyse` take.
    Scores are 0-100; pace is words per minute (130-160 ideal); fillers are per minute.
    """
    with _open_history(read_only_ok=True) as history:
        total = history.count()
        attempts = history.attempts(limit=limit or None)
    if as_json:
        from coach.storage.history import finite

        click.echo(json.dumps(finite([_as_json(a) for a in attempts]), ensure_ascii=False, allow_nan=False))
        return
    if not attempts:
        click.echo("No attempts yet. Practise with `coach`, and every answer is kept here.")
        return
    width = shutil.get_terminal_size((120, 24)).columns
    question_width = max(24, width - 82)
    header = (f"{'ID':>5}  {'When':16}  {'Kind':5}  {'Question':{question_width}}  {'Length':>6}  {'Pace':>4}  "
              f"{'Fill/min':>8}  {'Structure':11}  {'Score':>5}")
    measures_width = 6 + 2 + 4 + 2 + 8 + 2 + 11 + 2 + 5
    click.echo(click.style(header, bold=True))
    from coach.storage.threads import threaded, turn_label

    # A follow-up is a turn of its answer: listed right under it, indented, never as a question of its own.
    for row in threaded(attempts):
        attempt = row.attempt
        question = _clip(turn_label(row), question_width)
        kind = "f-up" if attempt.is_follow_up else "think" if attempt.kind == "think_aloud" else "behav"
        line = f"{attempt.id:>5}  {_when(attempt.created_at):16}  {kind:5}  {question:{question_width}}  "
        if attempt.analysed:
            m = attempt.metrics
            pace = f"{m.wpm:.0f}" if m.wpm is not None else "-"
            fillers = f"{m.fillers_per_min:.1f}" if m.fillers_per_min is not None else "-"
            score = f"{m.overall:.0f}" if m.overall is not None else "-"
            line += f"{_length(attempt):>6}  {pace:>4}  {fillers:>8}  {_structure(attempt):11}  {score:>5}"
        else:
            # One row per attempt: a long error (a path, twice) is clipped to the measures' columns.
            why = _clip(f"not analysed: {attempt.analysis_error or 'no analysis'}", measures_width)
            line += click.style(why, fg="red")
        if attempt.audio_missing:
            line += click.style("  [recording missing]", fg="yellow")
        click.echo(line)
        if attempt.note:
            click.echo(f"{'':7}" + click.style(_clip(f"✎ {attempt.note}", width - 8), fg="cyan"))
    if len(attempts) < total:
        click.echo(f"\n{len(attempts)} of {total} attempts shown; --limit 0 shows all.", err=True)


def _clip(text: str | None, width: int) -> str:
    from coach.process import printable

    text = printable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _as_json(attempt: AttemptSummary) -> dict:
    from dataclasses import asdict

    out = asdict(attempt)
    out["created_at"] = attempt.created_at.isoformat()
    out["audio_path"] = str(attempt.audio_path) if attempt.audio_path else None
    out["audio_missing"] = attempt.audio_missing
    return out


@click.command("report")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only attempts from this date (YYYY-MM-DD).")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]),
              help="md (Markdown, the default) or html (one page with charts); -o FILE.html implies html.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of printing it.")
def report_command(since: datetime | None, fmt: str | None, output: Path | None) -> None:
    """Your progress: three things to work on, first week against the last 7 days, trends, per-question progress.

    \b
    Examples:
      coach report                        # Markdown on stdout
      coach report -o progress.html       # one self-contained page with charts; open it in a browser
      coach report --since 2025-03-01 --format md -o march.md
    """
    from coach.reports import build_report

    if fmt is None:
        fmt = "html" if output is not None and output.suffix.lower() in (".html", ".htm") else "md"
    with _open_history(read_only_ok=True) as history:
        text = build_report(history, since=since, fmt=fmt)
    if output is None or str(output) == "-":  # "-o -" is stdout, as in every Unix tool
        click.echo(text, nl=False)
        return
    from coach.errors import CoachError
    from coach.safe_files import write_atomic

    if not output.parent.is_dir():
        raise CoachError(f"The folder {output.parent} does not exist; create it or choose another place for the "
                         "report.")
    write_atomic(output, text, kept="no report was written there")
    click.echo(f"Report written to {output}", err=True)


@click.command("export")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite ARCHIVE if it exists.")
def export_command(archive: Path, force: bool) -> None:
    """Write your whole history (every attempt and recording) to ARCHIVE (.zip or .tar.gz).

    `coach import ARCHIVE` restores it, here or on another machine.
    """
    from coach.errors import CoachError
    from coach.storage.archive import export_history

    exists = f"{archive} already exists; choose another name or add --force to overwrite it."
    if archive.exists() and not force:
        raise CoachError(exists)
    with _open_history(read_only_ok=True) as history:
        try:
            # exclusive: an archive that appears while exporting is not overwritten either.
            summary = export_history(history, archive, exclusive=not force)
        except FileExistsError as exc:
            raise CoachError(exists) from exc
    click.echo(f"Exported {_count(summary.attempts, 'attempt')}, {_count(summary.sessions, 'session')} and "
               f"{_count(summary.audio_files, 'recording')} to {summary.path}.")
    if summary.missing_audio:
        missing = len(summary.missing_audio)
        ids = ", ".join(str(i) for i in summary.missing_audio[:10]) + ("…" if missing > 10 else "")
        verb = "was" if missing == 1 else "were"
        click.echo(f"{_count(missing, 'recording')} {verb} no longer on disk, so the archive holds the analysis "
                   f"without the audio (attempt{'s' if missing > 1 else ''} {ids}).", err=True)


@click.command("import")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
def import_command(archive: Path) -> None:
    """Restore a history exported with `coach export`. Attempts already here are skipped, so
    importing the same archive twice adds nothing."""
    from coach.storage.archive import import_history

    with _open_history() as history:
        summary = import_history(history, archive)
    click.echo(f"Imported {_count(summary.attempts_added, 'attempt')} ({summary.attempts_skipped} already here), "
               f"{_count(summary.sessions_added, 'session')} and {_count(summary.audio_restored, 'recording')} "
               f"from {archive}.")
    if summary.audio_missing:
        click.echo(f"{_count(summary.audio_missing, 'recording')} named in the archive could not be found in it; "
                   "those attempts were imported without audio.", err=True)


@click.group("attempt")
def attempt_group() -> None:
    """Manage single attempts (ids from `coach history`)."""


@attempt_group.command("delete")
@click.argument("attempt_id", metavar="ID", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete_command(attempt_id: int, yes: bool) -> None:
    """Delete attempt ID and its recording, for good."""
    with _open_history() as history:
        attempt = history.attempt(attempt_id)
        if not yes:
            click.confirm(f"Delete attempt {attempt_id} ({_when(attempt.created_at)}, "
                          f"{_clip(attempt.question_label, 60)}) and its recording?", abort=True, err=True)
        deleted = history.delete_attempt(attempt_id)
    message = f"Deleted attempt {attempt_id}"
    if deleted.audio_removed:
        message += f" and its recording {deleted.audio_path}"
    elif deleted.audio_missing:
        message += f"; its recording {deleted.audio_path} was already gone"
    elif deleted.audio_kept:
        message += f"; its recording {deleted.audio_path} is outside coach's data folder and was left in place"
    click.echo(message + ".")


@click.command("reanalyse")
@click.argument("attempt_id", metavar="ID", type=int)
@click.option("--model", help="Transcribe with this model (tiny.en, base, a model name or folder); "
                              "default the configured one.")
def reanalyse_command(attempt_id: int, model: str | None) -> None:
    """Analyse attempt ID again from its recording (or its text, if typed) and keep the new analysis."""
    from coach.commands.common import StageProgress

    with _open_history() as history, StageProgress() as on_progress:
        attempt = history.reanalyse(attempt_id, model=model, on_progress=on_progress)
    analysis = attempt.analysis or {}
    used = f" with {attempt.model}" if attempt.model else ""
    click.echo(f"Attempt {attempt_id} analysed again{used}.")
    scores = analysis.get("scores") or {}
    if scores:
        click.echo("Scores: " + ", ".join(f"{name} {value}" for name, value in scores.items()))
    for number, tip in enumerate(analysis.get("tips") or [], 1):
        click.echo(f"{number}. {tip}")


COMMANDS = (history_command, report_command, export_command, import_command, attempt_group, reanalyse_command)


def register(cli: click.Group) -> None:
    """Add the history commands to the `coach` group."""
    for command in COMMANDS:
        cli.add_command(command)

