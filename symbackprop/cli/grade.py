"""``symbackprop grade``: grade every roster id's answers.toml into grades.csv and feedback files."""

from __future__ import annotations

import click

from .. import options
from .common import Checked

JOBS = Checked("whole number", int, lambda value: options.whole(value, "--jobs", 1, 64))


@click.command("grade")
@click.argument("folder", type=click.Path(file_okay=False))
@click.argument("submissions", type=click.Path(file_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the grades CSV to write")
@click.option("--jobs", type=JOBS, default=None, help="worker processes (default: one per core)")
@click.option("--time-limit", type=float, default=10.0, show_default=True,
              help="seconds to judge one formula; longer is the verdict unreadable")
@click.option("--tolerance", type=float, default=0.005, show_default=True,
              help="a value is right within this fraction of the largest entry")
@click.option("--value-weight", type=float, default=0.25, show_default=True,
              help="the value's share of a question's score (0: the formula alone)")
@click.option("--force", is_flag=True, help="replace grades and feedback that differ from this run's")
def command(folder, submissions, output, jobs, time_limit, tolerance, value_weight, force):
    """Grade SUBMISSIONS/<id>/answers.toml for every roster id of the assignment in FOLDER."""
    from ..classroom.grading import grade
    from ..classroom.judging import Settings
    from ..classroom.overview import per_question
    from ..classroom.pool import default_jobs

    settings = Settings(time_limit=time_limit, tolerance=tolerance, value_weight=value_weight)
    grades = grade(folder, submissions, output, settings, jobs=jobs or default_jobs(), force=force)
    on_roster = [s for s in grades.students if s.on_roster]
    mean = sum(s.score for s in on_roster) / len(on_roster)
    kept = len(on_roster) - grades.judged
    click.echo(f"graded {len(on_roster)} students (mean score {mean:.2f}"
               + (f"; {kept} kept from an earlier run" if kept else "") + f"): wrote {output}, "
               f"{folder}/feedback/<id>.md and {folder}/overview/")
    for number, shown, mean, mistakes in per_question(grades):
        common = "; ".join(f"{name} ({n})" for name, n in mistakes) or "none"
        click.echo(f"question {number} ({shown.replace('∂', 'd')}): mean score {mean:.2f}; most common mistakes: {common}")
