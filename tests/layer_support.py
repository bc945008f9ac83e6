"""Checks the tests of the list-form layer kinds share."""

from __future__ import annotations

import json

import numpy as np

from symbackprop import Network
from symbackprop.params import save_params

STEP = 1e-6


def assert_grad_json_equals_finite_differences(run_cli, tmp_path, spec, params, X, Y, seed=0, most=None):
    """``grad --json`` on ``spec`` at ``params`` and the batch (X, Y), with ``--seed`` for any dropout
    mask: each reported gradient entry (the first ``most`` of each parameter) is within 1e-6 of
    central differences of the compiled loss in float64."""
    (tmp_path / "net.json").write_text(json.dumps(spec))
    save_params(tmp_path / "p.json", params)
    np.savez(tmp_path / "d.npz", X=X, Y=Y)
    result = run_cli("grad", "--spec", str(tmp_path / "net.json"), "--params", str(tmp_path / "p.json"),
                     "--data", str(tmp_path / "d.npz"), "--seed", str(seed), "--json")
    assert result.status == 0, result.stderr
    grads = {name: np.array(value) for name, value in json.loads(result.stdout)["grads"].items()}
    net = Network.from_spec(spec)
    assert {name: g.shape for name, g in grads.items()} == net.parameter_shapes()
    f = net.compile()
    for name, value in params.items():
        for index in list(np.ndindex(value.shape))[:most]:
            plus, minus = {**params, name: value.copy()}, {**params, name: value.copy()}
            plus[name][index] += STEP
            minus[name][index] -= STEP
            numeric = (f.loss(plus, X, Y, seed=seed) - f.loss(minus, X, Y, seed=seed)) / (2 * STEP)
            assert abs(grads[name][index] - numeric) < 1e-6, (name, index)
