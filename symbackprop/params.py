"""Network parameters: seeded initialisation, JSON reading and writing.

Parameters are a dict ``name -> ndarray`` with the shapes of
``Network.parameter_shapes()``: ``W<l>`` is (nₗ, nₗ₋₁) and ``b<l>`` is (nₗ,).
On disk they are JSON as DESIGN.md describes, ``{"W1": [[...], ...], "b1": [...]}``.

>>> from symbackprop import Network
>>> net = Network.from_spec({"layers": [2, 3, 1], "activation": "sigmoid"})
>>> params = init_params(net, seed=0)
>>> {name: value.shape for name, value in params.items()}
{'W1': (3, 2), 'b1': (3,), 'W2': (1, 3), 'b2': (1,)}
>>> check_params({"W1": [[1.0, 2.0]], "b1": [0.0], "W2": [[1.0]], "b2": [0.0]}, net)
Traceback (most recent call last):
...
symbackprop.errors.ShapeError: parameter W1 has shape (1, 2) but ... expects (3, 2)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .arrays import float_array
from .errors import DataError, ShapeError, UnknownParameterError
from .io import MEGABYTE, DuplicateKey, read_text, unique_keys, write_atomic
from .options import choose
from .options import seed as check_seed
from .symbols import MATRIX_PARAMETERS, Name

if TYPE_CHECKING:
    from .spec import Network

SCHEMES = ("auto", "xavier", "glorot", "he", "zeros")
# Rectifiers halve the variance that passes through a layer, so He et al. (2015)
# double it at initialisation; saturating and linear units use Glorot & Bengio (2010).
_RECTIFIERS = ("relu", "leaky_relu", "softplus")


def _scheme_for(activation_name: str) -> str:
    return "he" if activation_name.startswith(_RECTIFIERS) else "xavier"


def init_params(
    network: Network, seed: int | None = 0, scheme: str = "auto"
) -> dict[str, np.ndarray]:
    """Seeded random parameters: Glorot (Xavier) or He normal weights, zero biases and shifts (β),
    scales (γ) of one.

    ``scheme="auto"`` picks He for ReLU-family layers and Glorot for sigmoid,
    tanh, softmax, identity and custom ones; ``"xavier"``/``"glorot"``, ``"he"``
    or ``"zeros"`` force one rule for every layer (see :func:`weight_scales`).
    The same seed gives the same parameters on every machine (NumPy's PCG64
    generator).
    """
    scales = weight_scales(network, scheme)
    rng = np.random.default_rng(None if seed is None else check_seed(seed))
    params: dict[str, np.ndarray] = {}
    for index, layer in enumerate(network.layers, start=1):
        for name, shape in layer.parameter_shapes(index).items():
            # weights drawn, biases zero (the same draws, in the same order, as before for an MLP)
            if name in scales:
                params[name] = rng.standard_normal(shape) * scales[name]
            else:
                params[name] = np.ones(shape) if starts_at_one(name) else np.zeros(shape)
    return params


def starts_at_one(name: str) -> bool:
    """True for a parameter that starts at one, not zero, when it is not drawn: a normalisation's
    scale γ, so that the layer starts as the plain standardisation (as in PyTorch).

    >>> starts_at_one("gamma2"), starts_at_one("beta2"), starts_at_one("b1")
    (True, False, False)
    """
    return Name.parse(name).stem == "gamma"


def weight_scales(network: Network, scheme: str = "auto") -> dict[str, float]:
    """The standard deviation of each weight's normal draw (biases start at zero).

    He et al. (2015): √(2/fan_in); Glorot & Bengio (2010): √(2/(fan_in + fan_out)).
    The exported PyTorch and JAX modules draw with the same spreads.

    >>> from symbackprop import Network
    >>> weight_scales(Network.from_spec({"layers": [2, 8, 1], "activation": "relu"}))
    {'W1': 1.0, 'W2': 0.5}
    """
    choose(scheme, SCHEMES, "initialisation scheme")
    scales = {}
    for index, layer in enumerate(network.layers, start=1):
        weights = [name for name in layer.parameter_shapes(index) if Name.parse(name).stem in MATRIX_PARAMETERS]
        if not weights:
            continue
        act = layer.activation.name if layer.activation is not None else "identity"
        rule = _scheme_for(act) if scheme == "auto" else scheme
        fan_in, fan_out = layer.fans()
        if rule == "he":
            std = math.sqrt(2.0 / fan_in)
        elif rule == "zeros":
            std = 0.0
        else:
            std = math.sqrt(2.0 / (fan_in + fan_out))
        scales.update(dict.fromkeys(weights, std))
    return scales


def check_params(
    params: Mapping[str, Any], network: Network, source: str = "", dtype: Any = np.float64,
    copy: bool = True, finite: bool = True,
) -> dict[str, np.ndarray]:
    """Parameters as arrays of finite floats (new float64 copies by default), after checking
    names, shapes and values; ``finite=False`` accepts NaN and infinity.

    A problem raises one error naming the parameter, its shape and the shape
    the network expects; ``source`` (a file name) is added to the message.
    """
    where = f" in {source}" if source else ""
    if not isinstance(params, Mapping):
        raise DataError(
            f"parameters{where} must be a mapping of names such as W1, b1 to arrays, "
            f"got {type(params).__name__}"
        )
    expected = network.parameter_shapes()
    unknown = [name for name in params if name not in expected]
    if unknown:
        raise UnknownParameterError(
            f"unknown parameter {unknown[0]!r}{where}; this network has {', '.join(expected)}"
        )
    missing = [name for name in expected if name not in params]
    if missing:
        raise DataError(
            f"parameter {missing[0]} is missing{where}; this network needs {', '.join(expected)}"
        )
    out: dict[str, np.ndarray] = {}
    dtype = np.dtype(dtype)
    for name, shape in expected.items():
        value = params[name]
        if not copy and not finite and type(value) is np.ndarray and value.dtype == dtype and value.shape == shape:
            out[name] = value  # already what the compiled code reads: the per-call fast path
            continue
        array = float_array(
            params[name], f"parameter {name}{where}", dtype, copy, f"a {_describe(shape)}", finite
        )
        if array.shape != shape:
            raise ShapeError(
                f"parameter {name}{where} has shape {array.shape} but this network "
                f"({network.describe()}) expects {shape}"
            )
        out[name] = array
    return out


def load_params(path: str | Path, network: Network) -> dict[str, np.ndarray]:
    """Read parameters from a JSON file and check them against ``network``."""
    path = Path(path)
    # Room for every number written out in full, and then some: more is not a parameter file.
    limit = MEGABYTE + 64 * network.parameter_count()
    text = read_text(path, "parameter file", limit)
    try:
        raw = json.loads(text, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        raise DataError(f"parameter file {str(path)!r} is not valid JSON: {exc}") from None
    except DuplicateKey as exc:
        raise DataError(f"parameter file {str(path)!r} gives {exc} twice; keep one") from None
    except RecursionError:
        raise DataError(f"parameter file {str(path)!r} nests too deeply to hold parameters") from None
    except ValueError:  # an integer of thousands of digits
        raise DataError(f"parameter file {str(path)!r} holds a number too long to read") from None
    return check_params(raw, network, source=repr(str(path)))


def params_to_lists(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters (or gradients) as nested lists of floats, ready for ``json.dumps``."""
    return {name: np.asarray(value, dtype=np.float64).tolist() for name, value in params.items()}


def params_to_json(params: Mapping[str, Any]) -> str:
    """The JSON text of parameters in the DESIGN.md form, one parameter per line.

    >>> print(params_to_json({"W1": np.array([[0.15, 0.2]]), "b1": np.array([0.35])}))
    {
      "W1": [[0.15, 0.2]],
      "b1": [0.35]
    }
    """
    lines = [
        f"  {json.dumps(name)}: {json.dumps(value)}"
        for name, value in params_to_lists(params).items()
    ]
    return "{\n" + ",\n".join(lines) + "\n}"


def save_params(path: str | Path, params: Mapping[str, Any], force: bool = False) -> Path:
    """Write parameters as JSON, atomically; an existing file is replaced only with ``force``."""
    return write_atomic(path, params_to_json(params) + "\n", force=force)


def _describe(shape: tuple[int, ...]) -> str:
    if len(shape) == 1:
        return f"list of {shape[0]} numbers"
    if len(shape) == 2:
        return f"{shape[0]}×{shape[1]} list of rows of numbers"
    return "×".join(map(str, shape)) + " nested list of numbers"
