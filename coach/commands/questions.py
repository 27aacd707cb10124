"""`coach questions`: the question bank, filtered by role, kind and category."""

from __future__ import annotations

import click

from coach.commands.common import count


@click.command("questions")
@click.option("--role", type=click.Choice(["ML Engineer", "Data Scientist", "ML Research Scientist"],
                                          case_sensitive=False), help="Only questions for this role.")
@click.option("--kind", type=click.Choice(["behavioral", "think_aloud"]), help="Only this kind.")
@click.option("--category", help="A competency (conflict, failure, ...) or think-aloud category "
                                 "(ml_fundamentals, coding_approach, system_design, practical_scenarios).")
@click.option("--json", "as_json", is_flag=True, help="Print the questions as JSON.")
def questions_command(role: str | None, kind: str | None, category: str | None, as_json: bool) -> None:
    """List the question bank, filtered by role, kind and category.

    Your own questions go in TOML files in <data dir>/questions (same format as the bundled
    ones); a question with a bundled id replaces it.
    """
    from dataclasses import asdict

    from coach.errors import CoachError
    from coach.process import printable, strict_json
    from coach.questions.bank import categories, filter_questions, load_questions
    from coach.settings import load_settings

    settings = load_settings()
    bank = load_questions(settings.data_dir / "questions")
    if category is not None and category not in categories(bank):
        raise CoachError(f"There is no category {printable(repr(category))}; use one of {', '.join(categories(bank))}.")
    found = filter_questions(bank, role=role, kind=kind, category=category)
    if as_json:
        click.echo(strict_json([asdict(q) for q in found]))
        return
    for q in found:
        click.echo(f"{printable(q.id):32} {q.kind:12} {q.target_s:>4.0f} s  {printable(q.text)}")
    click.echo(f"\n{count(len(found), 'question')}.", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(questions_command)
