"""``symbackprop publish``: an assignment for PrairieLearn, Moodle, Canvas, nbgrader or Otter-Grader."""

from __future__ import annotations

import click


@click.command("publish")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--to", "platform", required=True,
              help="prairielearn, moodle, canvas, nbgrader or otter")
@click.option("-o", "--output", required=True, type=click.Path(),
              help="where to write: a folder (prairielearn, nbgrader, otter), quiz.xml (moodle), a .zip (canvas)")
@click.option("--tolerance", type=float, default=0.005, show_default=True,
              help="numeric answers (prairielearn, moodle, canvas): right within this "
              "fraction of the largest entry")
@click.option("--force", is_flag=True, help="replace files that exist")
def command(folder, platform, output, tolerance, force):
    """Write the assignment in FOLDER for the platform a course runs."""
    from ..classroom.platforms import export

    written = export(folder, platform, output, force=force, tolerance=tolerance)
    click.echo(f"wrote {len(written)} file{'s' if len(written) != 1 else ''} for {platform} into {output}")
