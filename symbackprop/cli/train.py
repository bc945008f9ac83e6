"""``symbackprop train``: gradient descent on the compiled symbolic gradients."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import DataError
from ..training import MAX_EPOCHS
from .common import FRACTION, LEARNING_RATE, SEED, network_options, print_json


@click.command("train")
@network_options
@click.option(
    "--data", "data", required=True, metavar="teacher|xor|spirals|digits|running_sum|FILE",
    help="a built-in data set, or a CSV / .npz file of samples (X and Y)",
)
@click.option("--samples", type=click.IntRange(min=1), default=200, show_default=True,
              help="number of samples drawn for teacher, spirals and running_sum")
@click.option("--epochs", type=click.IntRange(min=1, max=MAX_EPOCHS), default=100, show_default=True,
              help="passes over the training data")
@click.option("--lr", type=LEARNING_RATE, default=0.5, show_default=True, help="learning rate α")
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "adam"]), default="sgd",
              show_default=True, help="update rule")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="minibatch size (default: the full batch, as in the articles)")
@click.option("--full-loss", is_flag=True,
              help="with --batch-size: report the loss over all samples after each epoch "
                   "(one more forward pass each) instead of the mean of its minibatch losses")
@click.option("--seed", type=SEED, default=0, show_default=True,
              help="seed of the initial parameters, the data sets and the shuffling")
@click.option("--validation", type=FRACTION,
              default=None, help="hold out this fraction of the samples and track its loss")
@click.option("--params", "params_path", type=click.Path(dir_okay=False),
              help="starting parameters (JSON); default: drawn from --seed")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False),
              help="draw the loss curve to this file (.png, .svg or .pdf)")
@click.option("--save", "save_path", type=click.Path(dir_okay=False),
              help="write the trained parameters to this JSON file")
@click.option("--force", is_flag=True, help="replace the --plot and --save files if they exist")
@click.option("--progress/--no-progress", default=None,
              help="show the progress bar (default: when stderr is a terminal)")
@click.option("--json", "as_json", is_flag=True,
              help='print {"initial_loss", "final_loss", "epochs", …} as JSON')
def command(network, data, samples, epochs, lr, optimizer, batch_size, full_loss, seed, validation,
            params_path, plot_path, save_path, force, progress, as_json):
    """Train the network with its compiled symbolic gradients.

    Prints the loss before and after training.  Ctrl-C stops at once,
    keeps the parameters of the last finished epoch and still writes --plot
    and --save.  Exit status: 0 when training completes, 1 when it diverges (the
    loss became NaN or exploded: use a smaller --lr), 130 when interrupted,
    2 for bad input.
    """
    from ..training import held_out, train

    # Refuse before training, not after minutes of it.
    if plot_path is not None:
        from ..plot import check_plot_path

        check_plot_path(plot_path, force)
    if save_path is not None:
        from ..io import check_output_path

        check_output_path(save_path, force)
        if plot_path is not None and Path(save_path).resolve() == Path(plot_path).resolve():
            raise DataError(f"--plot and --save both name {save_path!r}; give two files")
    X, Y, label, classify = _load(data, network, samples, seed)
    if validation is not None:
        held_out(validation, X.shape[0])  # refused before the heading and the work
    start = None
    if params_path is not None:
        from ..params import load_params

        start = load_params(params_path, network)
    compiled = network.compile()
    batch = "full batch" if batch_size is None else f"batches of {batch_size}"
    click.echo(
        f"training {network.describe()} on {label} ({X.shape[0]} samples) with {optimizer}, "
        f"lr {lr:g}, {batch}, {epochs} epochs",
        err=True,
    )
    result = train(
        network, X, Y, epochs=epochs, lr=lr, optimizer=optimizer, batch_size=batch_size,
        seed=seed, params=start, validation=validation, progress=progress, compiled=compiled,
        full_loss=full_loss,
    )
    summary = result.summary()
    if classify:
        from ..datasets import accuracy

        summary["accuracy"] = accuracy(compiled.predict(result.params, X), Y)
    written = []
    if plot_path is not None:
        from ..plot import plot_losses

        title = f"{network.describe()} on {label}"
        written.append(("loss curve", plot_losses(result, plot_path, title=title, force=force)))
    if save_path is not None:
        from ..params import save_params

        written.append(("parameters", save_params(save_path, result.params, force=force)))

    if as_json:
        print_json(summary)
    else:
        _print_summary(result, summary)
        for what, path in written:
            click.echo(f"wrote the {what} to {path}")
    if result.stopped == "diverged":
        click.echo(f"symbackprop: error: {result.message}", err=True)
        sys.exit(1)
    if result.stopped == "interrupted":
        click.echo(f"symbackprop: {result.message}", err=True)
        sys.exit(130)


def _load(data: str, network, samples: int, seed: int):
    """(X, Y, a label for messages, whether accuracy means something)."""
    from .. import datasets

    if data in datasets.NAMES:
        dataset = datasets.by_name(data, network, samples, seed)
        return dataset.X, dataset.Y, f"{data} data", data in ("xor", "spirals", "digits", "running_sum")
    if not Path(data).exists():
        raise DataError(
            f"--data {data!r} is neither a built-in data set ({', '.join(datasets.NAMES)}) "
            "nor an existing file"
        )
    from ..data import load_data

    X, Y = load_data(data, network)
    return X, Y, repr(data), False


def _print_summary(result, summary: dict) -> None:
    initial, final = result.initial_loss, result.final_loss
    ratio = f" ({final / initial:.2%} of the start)" if initial > 0 else ""
    click.echo(f"epochs:       {result.epochs}")
    click.echo(f"initial loss: {initial:.6g}")
    click.echo(f"final loss:   {final:.6g}{ratio}")
    if result.validation_history is not None:
        click.echo(f"held-out loss: {result.validation_history[0]:.6g} -> "
                   f"{result.validation_history[-1]:.6g} ({result.n_validation} samples)")
    if "accuracy" in summary:
        click.echo(f"accuracy:     {summary['accuracy']:.1%}")
    click.echo(f"time:         {result.seconds:.2f} s ({result.optimizer}, lr {result.lr:g})")
