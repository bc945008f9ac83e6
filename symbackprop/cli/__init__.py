"""The command line, thin over the Python API.

Each subcommand lives in its own module here and is imported only when it
runs, so ``symbackprop derive`` does not pay for matplotlib or the compiler.
User mistakes print one sentence on stderr and exit with status 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from ..errors import SymbackpropError

COMMANDS = {
    "derive": "print the step-by-step derivation of the gradients",
    "grad": "compute the loss and gradients for given parameters and data",
    "check": "check every gradient against finite differences",
    "verify": "judge a hand-derived gradient formula",
    "train": "train the network with the compiled symbolic gradients",
    "worksheet": "write a derivation worksheet (PDF, HTML, LaTeX, Markdown)",
    "export": "write the loss and its symbolic gradient as a PyTorch or JAX module",
    "assignment": "write one variant of the worksheet per student, answers templates and the key",
    "variant": "write a student's variant again from the code on their sheet",
    "grade": "grade the students' answers into grades.csv, feedback files and an overview",
    "publish": "write an assignment for PrairieLearn, Moodle, Canvas, nbgrader or Otter-Grader",
    "demo": "run the main job end to end on the default networks",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from ``symbackprop.cli.<name>`` on use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{name}")
        return module.command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="symbackprop")
def cli() -> None:
    """Derive backpropagation symbolically, check it, and train with it."""


def fail(message: str, status: int = 2) -> None:
    """Print one sentence on stderr and exit with ``status``."""
    click.echo(f"symbackprop: error: {message}", err=True)
    sys.exit(status)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``symbackprop`` command."""
    try:
        cli.main(args=argv, prog_name="symbackprop", standalone_mode=False)
    except click.exceptions.Abort:
        fail("interrupted", 130)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        sys.exit(0)
    except click.ClickException as exc:
        fail(_one_line(exc.format_message()), exc.exit_code if exc.exit_code != 1 else 2)
    except SymbackpropError as exc:
        fail(_one_line(str(exc)))
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(0)


def _one_line(message: str) -> str:
    return " ".join(message.split())
