"""``symbackprop variant``: a student's sheet again, from the code printed on it."""

from __future__ import annotations

import click

from .common import network_options


@click.command("variant")
@network_options
@click.option("--code", required=True, help="the sheet code, e.g. 7-ada-JHVJ")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="the folder to write")
@click.option("--questions", help="the questions of the assignment, if it named them (e.g. W2,W1,b1)")
@click.option("--formats", default="md", show_default=True, help="sheet formats among md,html,pdf")
@click.option("--force", is_flag=True, help="replace files that exist")
def command(network, code, output, questions, formats, force):
    """Write the variant a sheet code names: OUTPUT/students/<id>/ and OUTPUT/key/<id>/."""
    from ..classroom.assignment import write_variant
    from ..classroom.variants import split_questions

    student, seed = write_variant(network, code, output, split_questions(questions) if questions else None,
                                  [f.strip() for f in formats.split(",")], force)
    click.echo(f"wrote the variant of {student} (class seed {seed}) into {output}")
