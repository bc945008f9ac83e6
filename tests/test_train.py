"""Training: the update rules, the history, stopping early, and the loss plot."""

from __future__ import annotations

import signal

import numpy as np
import pytest

import symbackprop as sbp
from symbackprop import datasets, models
from symbackprop.errors import DataError, ShapeError
from symbackprop.optimizers import Adam, Momentum, optimizer
from symbackprop.params import init_params
from symbackprop.plot import plot_losses
from symbackprop.training import shuffles


@pytest.fixture(scope="module")
def small():
    net = sbp.Network.from_spec({"layers": [2, 3, 2], "activation": "tanh",
                                 "output_activation": "sigmoid"})
    data = datasets.teacher(net, n_samples=24, seed=3)
    return net, net.compile(), np.array(data.X), np.array(data.Y)


def test_full_batch_sgd_is_repeated_gradient_steps(small):
    # The numeric module's own update θ ← θ − α ∂L/∂θ is the oracle.
    net, f, X, Y = small
    result = sbp.train(net, X, Y, epochs=7, lr=0.8, progress=False, compiled=f)
    params = init_params(net, 0)
    expected_losses = []
    for _ in range(7):
        loss, params = f.step(params, X, Y, 0.8)
        expected_losses.append(loss)
    expected_losses.append(f.loss(params, X, Y))
    np.testing.assert_allclose(result.history, expected_losses, rtol=1e-12)
    for name in params:
        np.testing.assert_allclose(result.params[name], params[name], rtol=1e-12)
    assert result.epochs == 7 and result.stopped == "completed"
    assert result.initial_loss == result.history[0] and result.final_loss == result.history[-1]


def test_the_compiled_gradient_can_stand_for_the_network(small):
    net, f, X, Y = small
    by_network = sbp.train(net, X, Y, epochs=3, lr=0.5, progress=False)
    by_function = sbp.train(f, X, Y, epochs=3, lr=0.5, progress=False)
    assert by_network.history == by_function.history


def test_training_reduces_the_loss_with_every_optimizer(small):
    net, f, X, Y = small
    for name, lr in (("sgd", 2.0), ("momentum", 0.3), ("adam", 0.05)):
        result = sbp.train(net, X, Y, epochs=150, lr=lr, optimizer=name, progress=False,
                           compiled=f)
        assert result.final_loss < 0.2 * result.initial_loss, name
        assert result.optimizer == name


def test_inputs_are_never_changed_and_results_are_read_only(small):
    net, f, X, Y = small
    start = init_params(net, 5)
    copies = {k: v.copy() for k, v in start.items()}
    X0, Y0 = X.copy(), Y.copy()
    result = sbp.train(net, X, Y, epochs=5, lr=1.0, params=start, optimizer="adam",
                       batch_size=5, progress=False, compiled=f)
    for name in start:
        np.testing.assert_array_equal(start[name], copies[name])
        assert not np.array_equal(result.params[name], start[name])
        with pytest.raises(ValueError):
            result.params[name][...] = 0.0
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    with pytest.raises(AttributeError):
        result.epochs = 3  # frozen


def test_given_starting_parameters_are_used(small):
    net, f, X, Y = small
    start = init_params(net, 11)
    result = sbp.train(net, X, Y, epochs=1, lr=0.1, params=start, progress=False, compiled=f)
    assert result.initial_loss == pytest.approx(f.loss(start, X, Y), rel=1e-12)


def test_seeds_reproduce_and_differ(small):
    net, f, X, Y = small
    kw = dict(epochs=3, lr=0.5, batch_size=4, progress=False, compiled=f)
    one, again, other = (sbp.train(net, X, Y, seed=s, **kw) for s in (1, 1, 2))
    assert one.history == again.history
    assert one.history != other.history


def test_a_batch_as_large_as_the_data_is_full_batch(small):
    net, f, X, Y = small
    full = sbp.train(net, X, Y, epochs=4, lr=0.5, progress=False, compiled=f)
    big = sbp.train(net, X, Y, epochs=4, lr=0.5, batch_size=1000, progress=False, compiled=f)
    assert full.history == big.history


def test_minibatch_history_is_the_full_training_loss_on_request(small):
    net, f, X, Y = small
    result = sbp.train(net, X, Y, epochs=3, lr=0.5, batch_size=5, progress=False, compiled=f,
                       full_loss=True)
    assert len(result.history) == 4
    assert result.initial_loss == pytest.approx(f.loss(init_params(net, 0), X, Y), rel=1e-12)
    assert result.final_loss == pytest.approx(f.loss(result.params, X, Y), rel=1e-12)


def _step_loop(f, params, X, Y, epochs, batch, lr, seed):
    """Minibatch SGD over f.step in the batches train draws: (params, first loss, epoch means)."""
    rng, losses, means = shuffles(seed), [], []
    for _ in range(epochs):
        order, total = rng.permutation(len(X)), 0.0
        for begin in range(0, len(X), batch):
            rows = order[begin : begin + batch]
            loss, params = f.step(params, X[rows], Y[rows], lr)
            losses.append(loss)
            total += loss * len(rows)
        means.append(total / len(X))
    return params, losses[0], means


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_minibatch_history_is_the_mean_of_the_minibatch_losses(small, dtype):
    # The oracle is a plain loop over the compiled f.step in the same batches
    # (24 samples in batches of 5: the last one has 4, so the mean is weighted).
    net, _, X, Y = small
    f = net.compile(dtype=dtype)
    result = sbp.train(f, X, Y, epochs=3, lr=0.5, batch_size=5, seed=4, progress=False)
    params, first, means = _step_loop(f, init_params(net, 4), X, Y, 3, 5, 0.5, seed=4)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(result.history, [first, *means], rtol=rtol)
    for name, value in params.items():
        np.testing.assert_allclose(result.params[name], value, rtol=rtol, atol=rtol)
    assert result.params["W1"].dtype == np.float64  # the record is float64 whatever the training


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_in_place_updates_follow_the_pure_update_rule(small, name):
    # train updates in place with opt.apply; opt.update (on copies) is the oracle.
    net, f, X, Y = small
    opt = optimizer(name)
    result = sbp.train(net, X, Y, epochs=4, lr=0.05, optimizer=name, batch_size=7, seed=2,
                       progress=False, compiled=f)
    params, state, rng = init_params(net, 2), opt.start(init_params(net, 2)), shuffles(2)
    for _ in range(4):
        order = rng.permutation(len(X))
        for begin in range(0, len(X), 7):
            rows = order[begin : begin + 7]
            _, grads = f(params, X[rows], Y[rows])
            params, state = opt.update(params, grads, state, 0.05)
    for key, value in params.items():
        np.testing.assert_allclose(result.params[key], value, rtol=1e-12, atol=1e-15)


def test_a_nan_minibatch_stops_the_epoch_and_keeps_the_last_one():
    net = sbp.Network.from_spec({"layers": [1, 1], "activation": "identity"})
    real, calls = net.compile(), []

    def flaky(params, X, Y):  # NaN from the 8th call on: batch 2 of epoch 2 (6 per epoch)
        calls.append(1)
        loss, grads = real(params, X, Y)
        return (float("nan") if len(calls) >= 8 else loss), grads

    X = np.linspace(0, 1, 12)[:, None]
    result = sbp.train(net, X, 2 * X, epochs=5, lr=0.1, batch_size=2, progress=False,
                       compiled=flaky)
    assert result.stopped == "diverged" and "became NaN in epoch 2" in result.message
    assert result.epochs == 1 and len(result.history) == 2
    full = sbp.train(net, X, 2 * X, epochs=1, lr=0.1, batch_size=2, progress=False)
    for name in full.params:
        np.testing.assert_array_equal(result.params[name], full.params[name])


def test_held_out_fraction_and_pair(small):
    net, f, X, Y = small
    result = sbp.train(net, X, Y, epochs=4, lr=0.5, validation=0.25, progress=False, compiled=f)
    assert (result.n_train, result.n_validation) == (18, 6)
    assert len(result.validation_history) == len(result.history) == 5
    X_val, Y_val = datasets.teacher(net, n_samples=10, seed=99)
    paired = sbp.train(net, X, Y, epochs=4, lr=0.5, validation=(X_val, Y_val), progress=False,
                       compiled=f)
    assert paired.final_validation_loss == pytest.approx(f.loss(paired.params, X_val, Y_val))
    assert paired.summary()["final_validation_loss"] == paired.final_validation_loss
    with pytest.raises(DataError, match="held-out fraction"):
        sbp.train(net, X, Y, epochs=1, validation=1.5, progress=False, compiled=f)


def test_exploding_loss_stops_with_advice_and_keeps_the_last_good_parameters():
    net = sbp.Network.from_spec({"layers": [2, 8, 1], "activation": "tanh",
                                 "output_activation": "identity"})
    X, Y = datasets.teacher(net, n_samples=50, seed=0)
    result = sbp.train(net, X, Y, epochs=200, lr=5.0, progress=False)
    assert result.stopped == "diverged"
    assert "smaller" in result.message and "learning rate 5" in result.message
    assert all(np.isfinite(result.history)) and result.epochs == len(result.history) - 1
    # The kept parameters are those after the last good epoch.
    assert result.final_loss == pytest.approx(net.compile().loss(result.params, X, Y))


def test_nan_loss_stops_the_run():
    net = sbp.Network.from_spec({"layers": [1, 1], "activation": "identity"})
    real = net.compile()
    calls = []

    def flaky(params, X, Y):  # a gradient function whose loss turns NaN on the 4th call
        calls.append(1)
        loss, grads = real(params, X, Y)
        return (float("nan") if len(calls) >= 4 else loss), grads

    result = sbp.train(net, [[1.0], [2.0]], [[1.0], [3.0]], epochs=10, lr=0.01,
                       progress=False, compiled=flaky)
    assert result.stopped == "diverged" and "became NaN in epoch 3" in result.message
    assert result.epochs == 2


def test_ctrl_c_keeps_the_parameters_so_far(small):
    net, f, X, Y = small

    def interrupt_at_five(epoch):
        if epoch.epoch == 5:
            raise KeyboardInterrupt

    stopped = sbp.train(net, X, Y, epochs=100, lr=0.5, progress=interrupt_at_five, compiled=f)
    five = sbp.train(net, X, Y, epochs=5, lr=0.5, progress=False, compiled=f)
    assert stopped.stopped == "interrupted" and "after epoch 5" in stopped.message
    assert stopped.history == five.history
    for name in five.params:
        np.testing.assert_array_equal(stopped.params[name], five.params[name])


def test_ctrl_c_in_the_middle_of_an_epoch_keeps_the_last_finished_one(small):
    # The parameters change in place batch by batch; an interrupt half way
    # through epoch 3 must give back those after epoch 2, not a mixture.
    net, f, X, Y = small
    calls = []

    def interrupted(params, X, Y):
        calls.append(1)
        if len(calls) == 13:  # batch 3 of epoch 3 (5 batches of 5 rows per epoch)
            raise KeyboardInterrupt
        return f(params, X, Y)

    stopped = sbp.train(net, X, Y, epochs=10, lr=0.5, batch_size=5, optimizer="adam",
                        progress=False, compiled=interrupted)
    two = sbp.train(net, X, Y, epochs=2, lr=0.5, batch_size=5, optimizer="adam",
                    progress=False, compiled=f)
    assert stopped.stopped == "interrupted" and stopped.epochs == 2
    assert stopped.history == pytest.approx(two.history, rel=1e-12)
    for name in two.params:
        np.testing.assert_allclose(stopped.params[name], two.params[name], rtol=1e-12)


def test_a_real_sigint_stops_between_steps_and_the_handler_is_restored(small):
    # SIGINT sets a flag that the loop reads after each step, so a KeyboardInterrupt
    # that Python would raise inside a gc or weakref callback (and drop) cannot be lost.
    net, f, X, Y = small
    before = signal.getsignal(signal.SIGINT)

    class PressedWhileCollected:  # Python prints and drops an exception raised in __del__
        def __del__(self):
            signal.raise_signal(signal.SIGINT)

    def press_at_four(epoch):
        if epoch.epoch == 4:
            PressedWhileCollected()  # collected at once, so SIGINT arrives inside __del__

    stopped = sbp.train(net, X, Y, epochs=100, lr=0.5, batch_size=5, progress=press_at_four,
                        compiled=f)
    assert stopped.stopped == "interrupted" and stopped.epochs == 4
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_sigint_interrupts_at_once(small):
    net, f, X, Y = small
    calls = []

    def pressed_twice(params, X, Y):
        calls.append(1)
        if len(calls) == 7:  # in the middle of epoch 2: the first press only sets the flag
            signal.raise_signal(signal.SIGINT)
            signal.raise_signal(signal.SIGINT)
            pytest.fail("the second Ctrl-C did not interrupt")
        return f(params, X, Y)

    stopped = sbp.train(net, X, Y, epochs=10, lr=0.5, batch_size=5, progress=False,
                        compiled=pressed_twice)
    assert stopped.stopped == "interrupted" and stopped.epochs == 1


def test_ctrl_c_before_the_first_minibatch_reports_the_starting_loss(small):
    net, f, X, Y = small

    class AtOnce:  # a gradient function interrupted at its first call; its loss works
        loss = staticmethod(f.loss)

        def __call__(self, params, X, Y):
            raise KeyboardInterrupt

    result = sbp.train(net, X, Y, epochs=3, lr=0.5, batch_size=5, progress=False,
                       compiled=AtOnce())
    assert result.stopped == "interrupted" and result.epochs == 0
    assert result.history == pytest.approx((f.loss(init_params(net, 0), X, Y),), rel=1e-12)


def test_progress_bar_works_when_stderr_is_not_a_terminal(small, capsys):
    net, f, X, Y = small
    sbp.train(net, X, Y, epochs=3, lr=0.5, progress=True, compiled=f)
    err = capsys.readouterr().err
    assert "epoch 3/3" in err and "loss" in err


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        (dict(X=np.zeros((4, 3))), ShapeError, "2 columns"),
        (dict(Y=np.zeros((5, 2))), ShapeError, "24 samples but Y has 5"),
        (dict(lr=-1.0), DataError, "positive number, got -1.0"),
        (dict(epochs=0), DataError, "epochs must be a whole number of at least 1"),
        (dict(optimizer="adm"), DataError, "did you mean 'adam'"),
        (dict(batch_size=0), DataError, "batch_size"),
        (dict(params={"W1": np.zeros((3, 2))}), DataError, "missing"),
    ],
)
def test_mistakes_are_named(small, kwargs, error, words):
    net, f, X, Y = small
    args = {"X": X, "Y": Y, "epochs": 2, "lr": 0.1, **kwargs}
    with pytest.raises(error, match=words):
        sbp.train(net, args.pop("X"), args.pop("Y"), progress=False, compiled=f, **args)


def test_momentum_and_adam_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    start = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal(3)}
    grads = [{k: rng.standard_normal(v.shape) for k, v in start.items()} for _ in range(6)]
    for ours, theirs in (
        (Momentum(0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
        (Adam(), lambda p: torch.optim.Adam(p, lr=0.05)),
    ):
        tensors = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        torch_opt = theirs(list(tensors.values()))
        params, state = dict(start), ours.start(start)
        for g in grads:
            params, state = ours.update(params, g, state, 0.05)
            for k, t in tensors.items():
                t.grad = torch.tensor(g[k])
            torch_opt.step()
        for k in start:
            np.testing.assert_allclose(params[k], tensors[k].detach().numpy(), rtol=1e-10)


def test_optimizer_lookup():
    assert optimizer("SGD").name == "sgd"
    assert optimizer(Adam(beta1=0.5)).beta1 == 0.5
    with pytest.raises(DataError, match="momentum must be in"):
        Momentum(1.5)


def test_loss_plot_is_a_png_refusing_to_overwrite(tmp_path):
    matplotlib_image = pytest.importorskip("matplotlib.image")
    net = models.two_two_two()
    X, Y = datasets.teacher(net, n_samples=8)
    result = sbp.train(net, X, Y, epochs=5, lr=0.5, validation=0.25, progress=False)
    path = plot_losses(result, tmp_path / "loss.png", title="test")
    image = matplotlib_image.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100
    with pytest.raises(DataError, match="already exists"):
        plot_losses(result, path)
    before = path.read_bytes()
    plot_losses([1.0, 0.1, 0.01], path, force=True)
    assert path.read_bytes() != before
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write left no temporary file
    with pytest.raises(DataError, match="plot format"):
        plot_losses(result, tmp_path / "loss.gif")


ACTIVATIONS = ("sigmoid", "tanh", "relu", "softplus", "identity")


def test_a_small_enough_step_always_descends():
    # The descent lemma: for a small enough α, L(θ − α∇L) < L(θ) unless ∇L = 0.
    # A sign error or a missing factor anywhere in the compiled gradient breaks it.
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies

    @hypothesis.settings(max_examples=15, deadline=None, derandomize=True)
    @hypothesis.given(
        sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
        hidden=st.sampled_from(ACTIVATIONS),
        output=st.sampled_from(("sigmoid", "identity", "softmax")),
        bias=st.booleans(),
        seed=st.integers(0, 1000),
    )
    def check(sizes, hidden, output, bias, seed):
        if output == "softmax":
            sizes[-1] = max(sizes[-1], 2)
        loss = "cross_entropy" if output == "softmax" else "half_sse"
        net = sbp.Network.from_layers(sizes, hidden, output, loss, bias=bias)
        data = datasets.teacher(net, n_samples=6, seed=seed)
        f = net.compile()
        _, grads = f(init_params(net, seed), data.X, data.Y)
        norm = sum(float(np.sum(g**2)) for g in grads.values())
        hypothesis.assume(norm > 1e-12)
        result = sbp.train(net, data.X, data.Y, epochs=1, lr=1e-3 / max(1.0, norm**0.5),
                           seed=seed, progress=False, compiled=f)
        assert result.final_loss < result.initial_loss

    check()
