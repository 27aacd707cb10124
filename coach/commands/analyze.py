"""`coach analyze`: one answer (a recording or a typed text) analysed and reported."""

from __future__ import annotations

import math
from pathlib import Path

import click

from coach.commands.common import StageProgress

_TEXT_SUFFIXES = {".txt", ".md", ".text"}


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """click's FloatRange lets nan through (every comparison with nan is false)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number.", ctx=ctx, param=param)
    return value


@click.command("analyze")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@click.option("--text", "typed", help="Analyse this typed answer instead of a file.")
@click.option("--question", help="The question the answer responds to.")
@click.option("--question-id", help="A question from the bank (see `coach questions`): sets the question, "
                                    "kind, target and expected concepts.")
@click.option("--kind", type=click.Choice(["behavioral", "think_aloud", "follow_up"]),
              help="Which rubric: STAR for behavioral (the default), reasoning for think-aloud; follow_up judges "
                   "a short answer (20-60 s) on whether it answers the follow-up given with --question.")
@click.option("--target", "target_s", type=click.FloatRange(min=10, max=3600), callback=_finite,
              help="Target answer length in seconds (10 to 3600).")
@click.option("--model", help="tiny.en (bundled default), base, a faster-whisper model name, or a model folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object to stdout instead of the report.")
@click.option("--save", is_flag=True, help="Keep the attempt in your history (see `coach history`).")
def analyze_command(file: Path | None, typed: str | None, question: str | None, question_id: str | None, kind: str | None,
            target_s: float | None, model: str | None, as_json: bool, save: bool) -> None:
    """Coach a recorded (or written) answer: pace, pauses, fillers, hedges, STAR, length, tips.

    FILE is any audio file (WAV, FLAC, OGG, MP3, M4A, ...), any sample rate or channel count,
    or a .txt/.md file holding a written answer (timing fields are then null).

    \b
    Examples:
      coach analyze answer.wav
      coach analyze answer.mp3 --question "Tell me about a conflict" --target 90
      coach analyze answer.wav --question-id ta-system-design-01 --json > answer.json
      coach analyze --text "At my last job I led ..." --kind behavioral
      coach analyze reply.wav --kind follow_up --question "What was the outcome?"
    """
    from coach.analysis.answer import QuestionContext, analyse_file, analyse_text, transcriber_for
    from coach.errors import CoachError
    from coach.process import limit_malloc_arenas, plain_text, printable

    limit_malloc_arenas()
    if (file is None) == (typed is None):
        raise click.UsageError("Give either FILE or --text, not both and not neither.")
    from coach.settings import load_settings

    settings = load_settings()
    question = printable(question or "").strip() or None  # it is printed in the report
    if kind == "follow_up" and question is None:
        raise click.UsageError("A follow-up is judged on whether it answers what was asked: give the follow-up "
                               "with --question (and the question it followed with --question-id, if from the bank).")
    context = QuestionContext(text=question, kind=kind or "behavioral", target_s=target_s)
    if question_id:
        from coach.questions.bank import find_question, load_questions

        bank = find_question(load_questions(settings.data_dir / "questions"), question_id)
        if kind == "follow_up":
            # Judged as the follow-up it is: its own words and target, the bank question's concepts.
            context = QuestionContext(text=question, kind="follow_up", target_s=target_s, concepts=bank.concepts,
                                      question_id=bank.id)
        else:
            context = QuestionContext(text=context.text or bank.text, kind=kind or bank.kind,
                                      target_s=target_s or bank.target_s, concepts=bank.concepts,
                                      follow_ups=bank.follow_ups, question_id=bank.id)
    is_text = typed is not None or file.suffix.lower() in _TEXT_SUFFIXES
    try:
        if typed is not None:
            analysis = analyse_text(plain_text(typed), question=context)
        elif is_text:
            analysis = analyse_text(plain_text(_read_answer(file)), question=context, source=str(file))
        else:
            # Inside the try: a bad model (a typo in speech.model) is an analysis that failed, and
            # the recording is still kept below.
            transcriber = transcriber_for(settings, model)
            with StageProgress() as on_progress:
                analysis = analyse_file(file, settings, transcriber=transcriber, question=context,
                                        on_progress=on_progress)
    except CoachError as exc:
        if save and not is_text and file.is_file():  # an attempt is kept even when its analysis fails
            _save_failed(settings, file, exc, context, model or settings.speech.model)
        raise
    # The analysis is shown before it is saved, so a full disk or a locked history never throws
    # away an answer that was already analysed.
    _show(analysis, as_json)
    if save:
        from coach.errors import StorageError
        from coach.storage import save_analysis

        try:
            attempt = save_analysis(settings, analysis, None if is_text else file)
        except StorageError as exc:
            raise CoachError(_not_saved(exc, "the analysis above")) from exc
        click.echo(f"Saved as attempt {attempt}.", err=True)


def _read_answer(file: Path) -> str:
    from coach.errors import CoachError

    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
        raise CoachError(f"{file} cannot be read as UTF-8 text ({reason.lower()}); check the file.") from exc


def _save_failed(settings, file: Path, error: Exception, context, model: str) -> None:
    """Keep the recording of an answer whose analysis failed, so `coach reanalyse` can retry it."""
    from coach.errors import CoachError, StorageError
    from coach.storage import save_analysis

    try:
        attempt = save_analysis(settings, None, file, error=str(error), question_id=context.question_id,
                                question_text=context.text, kind=context.kind, target_s=context.target_s,
                                model=model)
    except StorageError as exc:
        click.echo(f"Error: {error}", err=True)
        raise CoachError(_not_saved(exc, "the recording")) from exc
    click.echo(f"Saved as attempt {attempt} (not analysed); `coach reanalyse {attempt}` retries.", err=True)


def _not_saved(exc: Exception, what: str) -> str:
    message = str(exc)
    if "not saved" in message or "not stored" in message:
        return message
    return f"{what[0].upper()}{what[1:]} was not saved: {message[0].lower()}{message[1:]}"


def _show(analysis, as_json: bool) -> None:
    from coach.process import printable, strict_json

    if as_json:
        click.echo(strict_json(analysis.to_json()))
        return
    from dataclasses import replace

    from rich.console import Console

    from coach.answer_report import render

    if analysis.source:  # a file name can hold control characters too, and the report shows it
        analysis = replace(analysis, source=printable(analysis.source))
    Console().print(render(analysis))


def register(cli: click.Group) -> None:
    cli.add_command(analyze_command)
