"""The `coach` command. Heavy libraries are imported inside commands so `coach --help` is instant."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from coach import __version__


class _Group(click.Group):
    """Shows user-facing errors as one line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context):
        from coach.errors import CoachError

        try:
            return super().invoke(ctx)
        except CoachError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except PermissionError as exc:
            # A last net under the specific messages: a folder or file the user cannot read (a data
            # folder made by another account, a chmod gone wrong) is still one sentence, not a traceback.
            from coach.process import printable

            where = printable(str(exc.filename)) if exc.filename else "a file coach needs"
            click.echo(f"Error: {where} cannot be opened (permission denied); fix its permissions, or point "
                       "COACH_DATA_DIR or COACH_CONFIG somewhere you can read and write.", err=True)
            ctx.exit(2)


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="coach")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """A private, offline interview coach for machine-learning roles.

    It transcribes a spoken answer on this machine with Whisper and measures its pace and
    pauses from the audio. Nothing leaves the machine.

    \b
    Settings: $COACH_CONFIG or the user config folder's coach/config.toml (see README).
    Data:     $COACH_DATA_DIR or the user data folder's coach/.
    """
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            click.echo("\nThe practice session needs a terminal: run `coach` in one (or `coach practice`).")
            return
        ctx.invoke(practice)


@cli.command()
@click.option("--mute", is_flag=True, help="Show questions as text only; do not read them aloud.")
def practice(mute: bool) -> None:
    """Open the practice session (the default when `coach` runs with no command).

    Questions are read aloud, your answer is recorded and transcribed as you speak, and the
    feedback follows the moment you stop. No microphone? Type the answer or pick an audio file.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        # Textual would write escape codes into a pipe and wait for keys that never come.
        click.echo("Error: The practice session needs a terminal; run `coach practice` in one, or analyse a "
                   "recording with `coach analyze FILE`.", err=True)
        sys.exit(2)
    from coach.ui.app import make_app

    make_app(_settings(), speak=False if mute else None).run()


def _settings():
    from coach.settings import load_settings

    return load_settings()


_TEXT_SUFFIXES = {".txt", ".md", ".text"}


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    """click's FloatRange lets nan through (every comparison with nan is false)."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number.", ctx=ctx, param=param)
    return value


@cli.command()
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
def analyze(file: Path | None, typed: str | None, question: str | None, question_id: str | None, kind: str | None,
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
    settings = _settings()
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
            with _progress() as on_progress:
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

    from coach.report import render

    if analysis.source:  # a file name can hold control characters too, and the report shows it
        analysis = replace(analysis, source=printable(analysis.source))
    Console().print(render(analysis))


@cli.command()
@click.option("--role", type=click.Choice(["ML Engineer", "Data Scientist", "ML Research Scientist"],
                                          case_sensitive=False), help="Only questions for this role.")
@click.option("--kind", type=click.Choice(["behavioral", "think_aloud"]), help="Only this kind.")
@click.option("--category", help="A competency (conflict, failure, ...) or think-aloud category "
                                 "(ml_fundamentals, coding_approach, system_design, practical_scenarios).")
@click.option("--json", "as_json", is_flag=True, help="Print the questions as JSON.")
def questions(role: str | None, kind: str | None, category: str | None, as_json: bool) -> None:
    """List the question bank, filtered by role, kind and category.

    Your own questions go in TOML files in <data dir>/questions (same format as the bundled
    ones); a question with a bundled id replaces it.
    """
    from dataclasses import asdict

    from coach.errors import CoachError
    from coach.process import printable, strict_json
    from coach.questions.bank import categories, filter_questions, load_questions

    settings = _settings()
    bank = load_questions(settings.data_dir / "questions")
    if category is not None and category not in categories(bank):
        raise CoachError(f"There is no category {printable(repr(category))}; use one of {', '.join(categories(bank))}.")
    found = filter_questions(bank, role=role, kind=kind, category=category)
    if as_json:
        click.echo(strict_json([asdict(q) for q in found]))
        return
    for q in found:
        click.echo(f"{printable(q.id):32} {q.kind:12} {q.target_s:>4.0f} s  {printable(q.text)}")
    click.echo(f"\n{_count(len(found), 'question')}.", err=True)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class _progress:
    """A spinner and bar on stderr while a file is analysed, only when stderr is a terminal."""

    def __enter__(self):
        self._progress = None
        if not sys.stderr.isatty():
            return lambda stage, done: None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, SpinnerColumn, TaskProgressColumn, TextColumn

        self._progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                  TaskProgressColumn(), console=Console(stderr=True), transient=True)
        self._progress.start()
        task = self._progress.add_task("reading audio", total=1.0)

        def update(stage: str, done: float) -> None:
            self._progress.update(task, description=stage, completed=done)

        return update

    def __exit__(self, *exc_info) -> None:
        if self._progress is not None:
            self._progress.stop()


@cli.command()
def doctor() -> None:
    """Check the microphone, speaker, speech engine, models and data folder.

    Prints one line per check with the fix for anything missing; exits 0 only when all pass.
    """
    from coach.doctor import run_checks
    from coach.settings import load_settings_or_defaults

    # A broken config is reported as one failed check, and the rest run on the defaults: doctor
    # is where people go when something is wrong.
    settings, config_error = load_settings_or_defaults()
    results = run_checks(settings, config_error=config_error)
    for check in results:
        mark = click.style("ok  ", fg="green") if check.ok else click.style("FAIL", fg="red")
        line = f"{mark} {check.name}: {check.detail}"
        if not check.ok:
            line += f"\n     fix: {check.fix}"
        click.echo(line)
    failed = sum(not c.ok for c in results)
    click.echo(f"\n{len(results) - failed} of {_count(len(results), 'check')} passed.")
    sys.exit(1 if failed else 0)


from coach.commands.history import register as _register_history  # noqa: E402
from coach.commands.speak import register as _register_speak  # noqa: E402
from coach.commands.stories import register as _register_stories  # noqa: E402

_register_history(cli)
_register_stories(cli)
_register_speak(cli)


def main() -> None:
    cli(prog_name="coach")
