"""The kinds of layer of the list form, one module each (see :mod:`symbackprop.layers.base`).

``KINDS`` maps the ``type`` a spec names to the layer's class.  A new kind of
layer is a new module here with its spec, plan entry and operations, and one
line in ``KINDS``; docs/architecture.md tells the rest.
"""

from __future__ import annotations

from .base import IndexRule, Layer, Rules, count, shape_text
from .batchnorm import BatchNorm
from .conv2d import Conv2d
from .dense import Dense
from .dropout import Dropout
from .flatten import Flatten
from .layernorm import LayerNorm
from .pool import AvgPool2d, MaxPool2d
from .rnn import Rnn

KINDS: dict[str, type[Layer]] = {
    "dense": Dense,
    "conv2d": Conv2d,
    "maxpool2d": MaxPool2d,
    "avgpool2d": AvgPool2d,
    "flatten": Flatten,
    "batchnorm": BatchNorm,
    "layernorm": LayerNorm,
    "dropout": Dropout,
    "rnn": Rnn,
}

__all__ = ["KINDS", "AvgPool2d", "BatchNorm", "Conv2d", "Dense", "Dropout", "Flatten", "IndexRule", "Layer", "LayerNorm", "MaxPool2d", "Rnn", "Rules", "count", "shape_text"]
