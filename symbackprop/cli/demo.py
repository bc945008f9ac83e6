"""``symbackprop demo``: the main job end to end, in well under a minute.

1. derive the gradients of the "Beginner Deep Learning Maths" network and
   print the derivation (matrix form, and the full chain for one weight);
2. check every gradient of both articles' networks against finite differences;
3. train the teacher–student experiment with a progress bar and plot its loss;
4. train the second article's architecture on spirals and plot its loss;
5. train a small conv net on scikit-learn's 8×8 digits (when it is installed);
6. write a PDF and an HTML worksheet.

The last lines say what was written where, and what was skipped and why; the
exit status is 1 when a part failed (a gradient check, a worksheet whose tools
are missing), so ``make demo`` fails too.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from ..errors import DataError, SymbackpropError
from . import fail

WORKSHEETS = ("worksheet.html", "worksheet.pdf")


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="demo-output",
              show_default=True, help="folder for the files the demo writes")
@click.option("--epochs", type=click.IntRange(min=1), default=2000, show_default=True,
              help="epochs of the teacher–student experiment")
@click.option("--no-worksheet", is_flag=True, help="skip the PDF and HTML worksheets")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="show the training progress bars")
def command(out_dir, epochs, no_worksheet, progress):
    """Derive, check, train and write a worksheet, end to end.

    Writes derivation.txt/.tex, teacher-student-loss.png, spirals-loss.png,
    digits-loss.png, student-params.json and worksheet.pdf/.html into --out.  Re-running the
    demo replaces these files there (and only these): that folder belongs to
    the demo.  Exit status 1 when a part failed; the last lines say which.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a name too long, a file in the way, no permission
        raise DataError(f"cannot make the folder {str(out)!r}: {exc.strerror or exc}") from None
    started = time.perf_counter()
    written: list[Path] = []
    skipped: dict[str, str] = {}  # file name -> why it was not written
    failed: list[str] = []  # the skipped files that a part of the demo failed to write

    from .. import models

    beginner = models.beginner()
    understanding = models.understanding()

    _heading(1, f"Derive: the {beginner.describe()} network of \"Beginner Deep Learning Maths\"")
    derivation = beginner.derive()
    click.echo(derivation.text(level="matrix"))
    # One hidden weight in full: the chain rule through a layer and the δ recursion.
    click.echo(derivation.text(wrt="W2[1,1]"))
    written.append(_write(out / "derivation.txt", derivation.text()))
    written.append(_write(out / "derivation.tex", derivation.latex(standalone=True)))

    _heading(2, "Check every gradient against central finite differences")
    compiled = {}
    checks_pass = True
    for net in (beginner, understanding):
        compiled[net.name] = net.compile()
        checks_pass &= _gradcheck(compiled[net.name])

    _heading(3, "Train: a 2-3-3-2 student mimics a randomly initialised teacher of another shape")
    written.extend(_teacher_student(beginner, compiled[beginner.name], epochs, out, progress))

    _heading(4, "Train: two ReLU layers, softmax and cross-entropy learn three spirals")
    written.extend(_spirals(out, progress))

    _heading(5, "Train: a conv net (conv2d, max pooling, dense) learns the 8×8 handwritten digits")
    digits = _digits(out, progress)
    if isinstance(digits, str):
        skipped["digits-loss.png"] = digits
    else:
        written.extend(digits)

    if no_worksheet:
        skipped.update(dict.fromkeys(WORKSHEETS, "--no-worksheet was given"))
    else:
        _heading(6, "Write a worksheet for the 2-2-2 network of the classic worked example")
        for name in WORKSHEETS:
            problem = _worksheet(models.two_two_two(), out / name)
            if problem:
                skipped[name] = problem
                failed.append(name)
            else:
                written.append(out / name)

    click.echo(f"\nDone in {time.perf_counter() - started:.1f} s. Wrote {len(written)} files into {out}/:")
    for path in written:
        click.echo(f"  {path.name}")
    for name, why in skipped.items():
        click.echo(f"Skipped {name}: {why}")
    problems = [] if checks_pass else ["a compiled gradient disagreed with finite differences (see step 2)"]
    if failed:
        problems.append(f"the demo could not write {' and '.join(failed)} (see above why)")
    if problems:
        fail("; ".join(problems), 1)

def _heading(number: int, title: str) -> None:
    click.echo()
    click.secho(f"[{number}] {title}", bold=True)


def _write(path: Path, text: str | bytes) -> Path:
    from ..io import write_atomic

    return write_atomic(path, text, force=True)  # the demo's own output: replaced on re-runs


def _gradcheck(compiled) -> bool:
    try:
        from ..gradient_check import gradcheck
    except ImportError:
        click.echo("  (gradient checking is not available in this installation)")
        return True
    report = gradcheck(compiled, seed=0)
    click.echo("\n".join("  " + line for line in report.table().splitlines()) + "\n")
    return report.passed


def _teacher_student(net, compiled, epochs: int, out: Path, progress: bool) -> list[Path]:
    from ..datasets import teacher
    from ..params import save_params
    from ..plot import plot_losses
    from ..training import train

    data = teacher(net, n_samples=200, seed=0)
    click.echo(f"teacher: {data.description}")
    click.echo(f"student: {net.describe()}, plain full-batch gradient descent, lr 3")
    result = train(net, data.X, data.Y, epochs=epochs, lr=3.0, seed=0, compiled=compiled,
                   progress=progress)
    _report(result)
    title = "student 2-3-3-2 mimics a 2-4-2 teacher (full-batch gradient descent)"
    return [
        plot_losses(result, out / "teacher-student-loss.png", title=title, force=True),
        save_params(out / "student-params.json", result.params, force=True),
    ]


def _spirals(out: Path, progress: bool) -> list[Path]:
    from ..datasets import accuracy, spirals
    from ..network import Network
    from ..plot import plot_losses
    from ..training import train

    net = Network.from_layers([2, 16, 16, 3], "relu", "softmax", "cross_entropy")
    f = net.compile()
    train_set, test_set = spirals(300, seed=0), spirals(300, seed=1)
    click.echo(f"{net.describe()} on {train_set.description}; Adam, lr 0.02")
    result = train(net, train_set.X, train_set.Y, epochs=1500, lr=0.02, optimizer="adam",
                   validation=(test_set.X, test_set.Y), compiled=f, progress=progress)
    _report(result)
    click.echo(f"accuracy on 300 unseen points: "
               f"{accuracy(f.predict(result.params, test_set.X), test_set.Y):.1%}")
    title = "2-16-16-3 ReLU/softmax on spirals (Adam)"
    return [plot_losses(result, out / "spirals-loss.png", title=title, force=True)]


def _digits(out: Path, progress: bool) -> list[Path] | str:
    """The conv net of examples/digits_conv.py, a few epochs; why not, when scikit-learn is missing."""
    from ..datasets import accuracy, digits
    from ..network import Network
    from ..plot import plot_losses
    from ..training import train

    try:
        train_set, test_set = digits(seed=0)
    except SymbackpropError as exc:
        click.echo(str(exc))
        return str(exc)
    net = Network.from_spec({
        "input": [1, 8, 8], "loss": "cross_entropy",
        "layers": [{"type": "conv2d", "channels": 8, "kernel": 3, "activation": "relu"},
                   {"type": "maxpool2d", "size": 2}, {"type": "flatten"},
                   {"type": "dense", "units": 10, "activation": "softmax"}],
    })
    f = net.compile()
    click.echo(f"{net.describe()} on {train_set.description}; Adam, lr 0.01, batches of 32")
    result = train(net, train_set.X, train_set.Y, epochs=8, lr=0.01, optimizer="adam", batch_size=32,
                   validation=(test_set.X, test_set.Y), compiled=f, progress=progress)
    _report(result)
    click.echo(f"accuracy on {len(test_set.X)} unseen images: "
               f"{accuracy(f.predict(result.params, test_set.X), test_set.Y):.1%}")
    return [plot_losses(result, out / "digits-loss.png", title="conv net on the 8×8 digits (Adam)", force=True)]


def _report(result) -> None:
    click.echo(f"loss {result.initial_loss:.5g} -> {result.final_loss:.5g} "
               f"({100 * result.final_loss / result.initial_loss:.2g}% of the start) after "
               f"{result.epochs} epochs in {result.seconds:.2f} s")
    if result.stopped != "completed":
        click.echo(f"note: {result.message}")


def _worksheet(net, path: Path) -> str | None:
    """Write one worksheet; None when written, else why it could not be."""
    try:
        from ..worksheets import worksheet
    except ImportError:
        return "worksheets are not available in this installation"
    try:
        worksheet(net, path, force=True)
    except SymbackpropError as exc:
        reason = str(exc)
    except OSError as exc:  # a LaTeX toolchain that fails to run at all
        reason = f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc)
    else:
        click.echo(f"wrote {path}")
        return None
    click.echo(f"skipped {path.name}: {reason}")
    return reason
