"""``symbackprop assignment``: one variant of the worksheet per roster id, answers templates and the key."""

from __future__ import annotations

import click

from .common import SEED, network_options
from .grade import JOBS


@click.command("assignment")
@network_options
@click.option("--roster", "roster_path", required=True, type=click.Path(dir_okay=False),
              help="CSV with a header holding an 'id' column")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="the assignment folder to write (students/, key/)")
@click.option("--questions", help="parameters or entries asked about, e.g. W2,W1,b1 "
              "(default: each sheet's own exercises)")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="the class seed; with each id it picks that student's variant")
@click.option("--formats", default=None, help="sheet formats among md,html,pdf "
              "(default: every one whose tools are installed)")
@click.option("--only", help="write this roster id's variant again")
@click.option("--jobs", type=JOBS, default=None, help="worker processes (default: one per core)")
@click.option("--force", is_flag=True, help="replace files that exist")
def command(network, roster_path, output, questions, seed, formats, only, jobs, force):
    """Write DIR/students/<id>/ (sheet, answers.toml) for every roster id, and DIR/key/."""
    from ..classroom.assignment import write_assignment
    from ..classroom.pool import default_jobs
    from ..classroom.roster import read_roster
    from ..classroom.variants import split_questions

    roster = read_roster(roster_path)
    assignment, left_out = write_assignment(
        network, roster, output,
        questions=split_questions(questions) if questions else None,
        seed=seed,
        formats=[f.strip() for f in formats.split(",")] if formats else None,
        only=only,
        force=force,
        jobs=jobs or default_jobs(),
    )
    for note in left_out:
        click.echo(f"note: left out {note}", err=True)
    count = 1 if only else len(assignment.students)
    click.echo(f"wrote {count} variant{'s' if count != 1 else ''} into {output}/students; "
               f"the key is in {output}/key")
