"""Bad numbers and options: each checked once (symbackprop.options), the same from the API and the CLI.

NaN passes click's FloatRange (every comparison with it is false), so the
learning rate, the tolerance and the held-out fraction go through checks that
refuse it; seeds are whole numbers of at least 0; an unknown choice is an
UnknownOptionError (a DataError, and a TypeError as for an unknown keyword).
"""

from __future__ import annotations

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop import datasets, models, options, worksheets
from symbackprop.errors import DataError, UnknownOptionError
from symbackprop.params import init_params

from .bad_input import assert_refused, unchanged

NET = ("--layers", "2,2,1")
SAMPLE = ("--x", "0.5,1", "--y", "0.5")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("check", *NET, "--tolerance", "nan"), "the tolerance must be a finite, positive number, got nan"),
        (("check", *NET, "--tolerance", "inf"), "got inf"),
        (("check", *NET, "--tolerance", "0"), "got 0.0"),
        (("train", *NET, "--data", "xor", "--validation", "nan"), "the held-out fraction must be a fraction between 0 and 1"),
        (("train", *NET, "--data", "xor", "--validation", "1"), "got 1.0"),
        # refused before the "training …" heading, which once came first on stderr
        (("train", *NET, "--data", "teacher", "--samples", "2", "--validation", "0.01"),
         "the held-out fraction must leave at least one sample on each side, got 0.01 of 2 samples"),
        (("grad", *NET, *SAMPLE, "--lr", "nan"), "the learning rate must be a finite, positive number, got nan"),
        (("train", *NET, "--data", "xor", "--lr", "-1"), "got -1.0"),
        (("worksheet", *NET, "-o", "s.md", "--lr", "1e999"), "got inf"),
        (("grad", *NET, *SAMPLE, "--seed", "-1"), "the seed must be a whole number of at least 0, got -1"),
        (("check", *NET, "--seed", "-1"), "got -1"),
        (("train", *NET, "--data", "xor", "--seed", "-1"), "got -1"),
        (("worksheet", *NET, "-o", "s.md", "--seed", "-1"), "got -1"),
        (("grad", *NET, *SAMPLE, "--seed", "1.5"), "'1.5' is not a whole number"),
        (("grad", *NET, "--x", "0.5,nan", "--y", "0.5"), "X contains a value that is not a finite number"),
        (("grad", *NET, "--x", "0.5,1e999", "--y", "0.5"), "not a finite number"),
        (("grad", *NET, "--x", "0.5,,1", "--y", "0.5"), "--x takes numbers separated by commas, got ''"),
        (("train", *NET, "--data", "teacher", "--samples", "1000000000000"), "1,000,000,000,000 samples through 2-2-1 need about"),
        (("check", *NET, "--batch", "1000000000000"), "GB of working memory, more than the 8 GB accepted"),
        (("train", *NET, "--data", "moons"), "neither a built-in data set"),
        (("train", *NET, "--data", "xor", "--epochs", "99999999999999999999999999"), "is not in the range 1<=x<=1000000000"),
        (("derive", "--layers", "2,,1"), "'layers' has an empty entry in '2,,1'"),
        (("derive", "--layers", "9" * 5000 + ",1"), "layer 0 has about 10^4999 units"),
        (("worksheet", *NET, "-o", "s.md", "--x", "1e300,1"), "x holds 1e+300, but a worked example's numbers must lie within ±1000"),
        (("verify", *NET, "--wrt", "W1", "--formula", "delta1 @ x.T", "--seed", "-1"), "the seed must be a whole number of at least 0"),
    ],
)
def test_bad_numbers_are_refused_in_one_sentence(run_cli, tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    with unchanged(tmp_path):
        result = run_cli(*args)
    assert_refused(result, words)


def test_the_api_gives_the_same_sentences():
    net, f = models.two_two_two(), models.two_two_two().compile()
    X, Y = datasets.teacher(net, n_samples=8, seed=0).X, datasets.teacher(net, n_samples=8, seed=0).Y
    cases = [
        (lambda: sbp.gradcheck(net, tolerance=float("nan")), "the tolerance must be a finite, positive number, got nan"),
        (lambda: sbp.train(f, X, Y, lr=float("nan")), "the learning rate must be a finite, positive number, got nan"),
        (lambda: sbp.train(f, X, Y, validation=float("nan")), "the held-out fraction must be a fraction between 0 and 1 (both excluded), got nan"),
        (lambda: sbp.train(f, X, Y, seed=-1), "the seed must be a whole number of at least 0, got -1"),
        (lambda: init_params(net, seed=-1), "the seed must be a whole number of at least 0, got -1"),
        (lambda: sbp.gradcheck(net, seed=-1), "the seed must be a whole number of at least 0, got -1"),
        (lambda: worksheets.build(net, lr=float("nan")), "the learning rate must be a finite, positive number, got nan"),
        (lambda: sbp.train(f, X, Y, lr=True), "the learning rate must be a finite, positive number, got True"),
        (lambda: sbp.verify(net, "W2", "delta2 @ a1.T", seed=-1), "the seed must be a whole number of at least 0, got -1"),
        # once a ValueError and an OverflowError from the proof's timer
        (lambda: sbp.verify(net, "W2", "delta2 @ a1.T", budget=float("nan")),
         "the proof's time budget must be a number of seconds from 0 to 600, got nan"),
        (lambda: sbp.verify(net, "W2", "delta2 @ a1.T", budget=float("inf")),
         "the proof's time budget must be a number of seconds from 0 to 600, got inf"),
    ]
    for call, message in cases:
        with pytest.raises(DataError) as caught:
            call()
        assert str(caught.value) == message


def test_one_learning_rate_check_everywhere(run_cli, tmp_path, monkeypatch):
    """grad, train and worksheet, CLI and API, say the same sentence for the same rate."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as caught:
        options.learning_rate(0.0)
    for args in (("grad", *NET, *SAMPLE), ("train", *NET, "--data", "xor"), ("worksheet", *NET, "-o", "s.md")):
        result = run_cli(*args, "--lr", "0")
        assert_refused(result, str(caught.value))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: sbp.train(models.two_two_two(), np.zeros((2, 2)), np.zeros((2, 2)), optimizer="adm"), "unknown optimizer 'adm' (did you mean 'adam'?)"),
        (lambda: sbp.gradcheck(models.two_two_two(), method="forward"), "unknown check method 'forward'"),
        (lambda: models.two_two_two().compile(path="vector"), "unknown compile path 'vector'"),
        (lambda: init_params(models.two_two_two(), scheme="xavir"), "unknown initialisation scheme 'xavir' (did you mean 'xavier'?)"),
        (lambda: datasets.by_name("moons", models.two_two_two()), "unknown data set 'moons'"),
        (lambda: worksheets.render(None, "docx"), "unknown worksheet format 'docx'"),
    ],
)
def test_an_unknown_option_is_one_error_class(call, words):
    with pytest.raises(UnknownOptionError) as caught:
        call()
    assert words in str(caught.value)
    assert isinstance(caught.value, DataError) and isinstance(caught.value, TypeError)


def test_options_refuse_what_numpy_or_python_would_coerce():
    for value in (True, "0.5", None, [0.1], complex(1, 0)):
        with pytest.raises(DataError):
            options.learning_rate(value)
    assert options.learning_rate(np.float32(0.25)) == 0.25
    assert options.seed(np.int64(3)) == 3
    with pytest.raises(DataError, match="got 2.0"):
        options.seed(2.0)
