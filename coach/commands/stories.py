"""`coach stories list|new|lint|coverage|match`: the story library from the command line.

Only click is imported at module level so `coach --help` stays instant; the library, and spaCy
for lint and match, load inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from coach.process import printable, strict_json

if TYPE_CHECKING:
    from coach.stories import LibraryLoad, Story


def _folder(ctx: click.Context) -> Path:
    from coach.settings import load_settings
    from coach.stories import open_library

    return open_library(load_settings(), (ctx.obj or {}).get("stories_dir"))


def _load(ctx: click.Context) -> LibraryLoad:
    from coach.stories import load_library

    return load_library(_folder(ctx))


def _echo_errors(loaded: LibraryLoad) -> None:
    for error in loaded.errors:
        click.echo(f"Error: {printable(str(error))}", err=True)


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)}:{int(round(seconds % 60)):02d}"


@click.group("stories")
@click.option("--stories", "stories_dir", type=click.Path(path_type=Path, file_okay=False),
              help="The story library folder (default: the stories_dir setting, else <data dir>/stories).")
@click.pass_context
def stories(ctx: click.Context, stories_dir: Path | None) -> None:
    """Draft, check and match your STAR stories.

    Each story is a Markdown file (a header with title, competencies, roles, tags and metric, then
    Situation, Task, Action and Result sections) that you can edit in any editor. A new library
    starts with sample stories for ML roles.

    \b
    Examples:
      coach stories list
      coach stories new "The model that drifted" -c ml_in_production -c ownership
      coach stories lint
      coach stories coverage
      coach stories match "Tell me about a time you disagreed with a teammate"
    """
    ctx.obj = {**(ctx.obj or {}), "stories_dir": stories_dir}


@stories.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the stories as JSON.")
@click.pass_context
def list_stories(ctx: click.Context, as_json: bool) -> None:
    """List the stories: file, length at 150 words a minute, competencies, title."""
    loaded = _load(ctx)
    if as_json:
        click.echo(strict_json([_story_json(s) for s in loaded.stories]))
    else:
        id_width = max((len(printable(s.id)) for s in loaded.stories), default=0)
        comp_width = max((len(printable(", ".join(s.competencies))) for s in loaded.stories), default=1)
        for story in loaded.stories:
            competencies = printable(", ".join(story.competencies)) or "-"
            click.echo(f"{printable(story.id):{id_width}}  {_minutes(story.speaking_s()):>5}  "
                       f"{competencies:{comp_width}}  {printable(story.title)}")
        click.echo(f"\n{_count(len(loaded.stories), 'story', 'stories')} in {printable(str(loaded.folder))}.",
                   err=True)
    _echo_errors(loaded)


def _story_json(story: Story) -> dict[str, Any]:
    return {"id": story.id, "path": str(story.path), "title": story.title, "competencies": story.competencies,
            "roles": story.roles, "tags": story.tags, "metric": story.metric, "words": story.word_count,
            "sections": story.sections}


def _competencies(ctx, param, values: tuple[str, ...]) -> list[str]:
    from coach.stories import COMPETENCIES
    from coach.stories.model import normalise_competency

    out = []
    for value in values:
        for name in value.split(","):
            name = normalise_competency(name)
            if name and name not in COMPETENCIES:
                raise click.BadParameter(f"{name!r} is not a competency; use one of {', '.join(COMPETENCIES)}.")
            if name:
                out.append(name)
    return out


@stories.command("new")
@click.argument("title")
@click.option("-c", "--competency", "competencies", multiple=True, callback=_competencies,
              help="A competency the story shows (repeat, or separate with commas).")
@click.option("--role", "roles", multiple=True, help="A role the story suits (repeat for more).")
@click.option("--tag", "tags", multiple=True, help="A tag (repeat for more).")
@click.option("--metric", default="", help="The headline number of the story.")
@click.pass_context
def new(ctx: click.Context, title: str, competencies: list[str], roles: tuple[str, ...], tags: tuple[str, ...],
        metric: str) -> None:
    """Start a story called TITLE: a file with the four sections to fill in, named after the title.

    An existing story is never replaced: a second story with the same title gets "-2" in its name.
    """
    from coach.stories import create_story, load_library, new_story

    if not title.strip():
        raise click.BadParameter("the title is empty.", param_hint="TITLE")
    story = new_story(title, competencies, list(roles), list(tags), metric)
    folder = _folder(ctx)
    # Two stories with one title are usually a slip (the user forgot the first one): say so, but
    # still create the new file, since a second take on the same story can be deliberate.
    same = [s for s in load_library(folder).stories if _same_title(s.title, title) and s.path is not None]
    path = create_story(folder, story)
    if same:
        click.echo(f'A story titled "{printable(title.strip())}" already exists ({printable(same[0].path.name)}); '
                   f"this one is {printable(path.name)}.", err=True)
    click.echo(printable(str(path)))
    click.echo("Fill in the four sections in any editor, then run `coach stories lint`.", err=True)


def _same_title(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _finite(ctx, param, value: float) -> float:
    """click's FloatRange lets nan through (every comparison with nan is false)."""
    if value != value:
        raise click.BadParameter(f"{value} is not a number.", ctx=ctx, param=param)
    return value


@stories.command("lint")
@click.argument("names", nargs=-1)
@click.option("--wpm", type=click.FloatRange(min=60, max=300), default=150.0, show_default=True, callback=_finite,
              help="Your speaking pace, for how long each story takes to tell.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def lint(ctx: click.Context, names: tuple[str, ...], wpm: float, as_json: bool) -> None:
    """Check stories with the same analysers that coach a spoken answer.

    Missing parts, a result with no number, "we" where "I" is needed, longer than two minutes at
    your pace, hedges and fillers, a situation longer than the action. NAMES limits the check to
    those stories (file names with or without .md). Exits 1 when any story has an error or a file
    cannot be read.
    """
    from coach.stories import lint_story

    loaded = _load(ctx)
    chosen = _select(loaded.stories, names)
    errors = [e for e in loaded.errors if not names or e.path is not None and e.path.stem in _stems(names)]
    reports = [lint_story(story, wpm) for story in chosen]
    if as_json:
        click.echo(strict_json({
            "stories": [{"id": r.story.id, "path": str(r.story.path), "title": r.story.title, "status": r.status,
                         "words": sum(r.words.values()), "speaking_s": round(r.speaking_s, 1),
                         "findings": [{"severity": f.severity, "code": f.code, "message": f.message,
                                       "section": f.section, "line": f.line} for f in r.findings]}
                        for r in reports],
            "unreadable": [{"path": str(e.path), "line": e.line, "message": e.detail} for e in errors],
        }))
    else:
        for report in reports:
            status = report.status
            colour = "red" if report.errors else ("yellow" if report.warnings else "green")
            name = report.story.path.name if report.story.path else report.story.id
            click.echo(f"{click.style(status, fg=colour)}  {printable(name)}"
                       f"  ({_minutes(report.speaking_s)} at {wpm:.0f} wpm)")
            for finding in report.findings:
                where = f"{finding.where()}: " if finding.where() else ""
                click.echo(f"  {finding.severity:7}  {printable(where + finding.message)}")
        for error in errors:
            click.echo(f"{click.style('unreadable', fg='red')}  {printable(str(error))}")
        failed = sum(bool(r.errors) for r in reports)
        click.echo(f"\n{_count(len(reports), 'story', 'stories')} checked: {len(reports) - failed} without errors, "
                   f"{failed} with errors"
                   + (f"; {_count(len(errors), 'file')} could not be read." if errors else "."), err=True)
    if errors or any(r.errors for r in reports):
        ctx.exit(1)


def _stems(names: tuple[str, ...]) -> set[str]:
    return {Path(n).name.removesuffix(".md") for n in names}


def _select(stories: list[Story], names: tuple[str, ...]) -> list[Story]:
    if not names:
        return stories
    wanted = _stems(names)
    found = [s for s in stories if s.id in wanted]
    missing = wanted - {s.id for s in found}
    if missing:
        from coach.errors import CoachError

        raise CoachError(f"No story named {', '.join(sorted(missing))}; list them with `coach stories list`.")
    return found


@stories.command("coverage")
@click.option("--json", "as_json", is_flag=True, help="Print the matrix as JSON.")
@click.pass_context
def coverage_command(ctx: click.Context, as_json: bool) -> None:
    """Which competencies your stories cover: the matrix, the gaps, and overused stories."""
    from coach.questions.bank import load_questions
    from coach.settings import load_settings
    from coach.stories import coverage

    loaded = _load(ctx)
    result = coverage(loaded.stories, load_questions(load_settings().data_dir / "questions"))
    if as_json:
        click.echo(strict_json({"matrix": result.matrix, "gaps": result.gaps, "thin": result.thin,
                                "overused": [{"id": o.story_id, "reason": o.reason} for o in result.overused],
                                "questions_per_competency": result.question_counts}))
        _echo_errors(loaded)
        return
    numbers = {story.id: n for n, story in enumerate(result.stories, start=1)}
    width = max(len(c) for c in result.competencies) + 2
    click.echo(" " * width + " ".join(f"{n:>2}" for n in numbers.values()) + "   stories  questions")
    for competency in result.competencies:
        cells = " ".join(" ●" if result.covers(s, competency) else " ·" for s in result.stories)
        count = len(result.matrix[competency])
        mark = click.style(f"{count:>7}", fg="red" if not count else ("yellow" if count == 1 else None))
        click.echo(f"{competency.replace('_', ' '):{width}}{cells}  {mark}  {result.question_counts.get(competency, 0):>9}")
    click.echo("")
    for story in result.stories:
        click.echo(f"{numbers[story.id]:>3}  {printable(story.title)}  ({printable(story.id)})")
    click.echo("")
    summary = result.summary()
    for line in summary:
        click.echo(printable(line))
    if not summary:
        click.echo("Every competency has at least two stories, and no story is stretched too thin.")
    _echo_errors(loaded)


@stories.command("match")
@click.argument("question")
@click.option("--question-id", help="A bank question (see `coach questions`): its competencies are used.")
@click.option("-n", "--count", type=click.IntRange(min=1), default=3, show_default=True, help="How many stories.")
@click.option("--json", "as_json", is_flag=True, help="Print the matches as JSON.")
@click.pass_context
def match(ctx: click.Context, question: str, question_id: str | None, count: int, as_json: bool) -> None:
    """The stories that best answer QUESTION, with the reason (shared competencies and words).

    The question's competencies come from the bank when the text (or --question-id) is a bank
    question, else from its words.
    """
    from coach.questions.bank import find_question, load_questions
    from coach.settings import load_settings
    from coach.stories import match_stories
    from coach.stories.matching import bank_competencies, infer_competencies

    bank = load_questions(load_settings().data_dir / "questions")
    competencies = list(find_question(bank, question_id).competencies) if question_id else \
        bank_competencies(question, bank)
    from_bank = bool(competencies)
    source = "from the bank" if from_bank else "read from the question"
    if not from_bank:
        competencies = infer_competencies(question)[:3]
    loaded = _load(ctx)
    matches = match_stories(question, loaded.stories, competencies if from_bank else None, limit=count)
    if as_json:
        click.echo(strict_json({"competencies": competencies, "competencies_source": source,
                                "matches": [{"id": m.story.id, "title": m.story.title, "score": m.score,
                                             "competencies": list(m.shared_competencies),
                                             "words": list(m.shared_words), "reason": m.reason} for m in matches]}))
        _echo_errors(loaded)
        return
    shown = ", ".join(c.replace("_", " ") for c in competencies) or "none recognised"
    click.echo(f"Competencies: {shown} ({source})")
    for n, found in enumerate(matches, start=1):
        click.echo(f"{n}. {printable(found.story.title)}  ({printable(found.story.id)})\n   {printable(found.reason)}")
    if not matches:
        click.echo("No story shares a competency or a content word with this question: time for a new one "
                   "(`coach stories new TITLE`).")
    _echo_errors(loaded)


def register(cli: click.Group) -> None:
    """Add the ``stories`` group to the ``coach`` command."""
    cli.add_command(stories)
