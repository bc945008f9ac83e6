"""The PyTorch module of a network: ``LossFunction`` with the derived backward, and ``Model``.

``LossFunction`` is a ``torch.autograd.Function`` in the style that
``torch.func`` transforms accept: ``forward`` and ``setup_context`` apart,
only inputs saved, ``generate_vmap_rule``.  Its backward runs the generated
``gradient`` (forward pass again, then the four equations) instead of keeping
intermediate arrays from the forward pass, as activation checkpointing does:
the Function then saves nothing but its inputs, which is what the transforms
require.  ``Model`` holds the parameters as ``torch.nn.Parameter`` in the
shapes of DESIGN.md and returns the mean batch loss, so optimizers,
``DistributedDataParallel`` and devices work as with any module.  Dropout
works as ``torch.nn.Dropout`` does: in training mode ``Model`` draws fresh
masks with torch's random numbers and hands them to ``LossFunction`` after
the parameters, so backward uses the same masks; ``model.eval()`` turns it off.
"""

from __future__ import annotations

from ..numeric.dialects import TORCH
from ..spec import Network
from .layout import module_source

USAGE = [
    "model = Model()                       # parameters drawn as symbackprop draws them",
    "model = Model.load_params(params)     # or given: a dict of arrays or nested lists",
    "loss = model(X, Y)                    # X (batch, {n0}), Y (batch, {nL}): the mean batch loss",
    "loss.backward()                       # the derived gradient lands in model.W1.grad, ...",
    "LossFunction.apply(X, Y, *model.parameters())   # the same loss as a function",
    "model.predict(X)                      # the network's output for every row of X",
]
DROPOUT_USAGE = [
    "model.eval()                          # no dropout; model.train(): fresh masks every call",
    "LossFunction.apply(X, Y, *model.parameters(), *dropout_masks(len(X)).values())",
    "                                      # with given masks, fixed through backward",
]
CHECK = (
    "`python FILE` checks the derived backward against finite differences\n"
    "(torch.autograd.gradcheck in float64) and exits 0 when it agrees."
)

CLASSES = '''
class LossFunction(torch.autograd.Function):
    """The mean batch loss L(X, Y, *params, *masks), whose backward is the symbolically derived gradient.

    params are the tensors of PARAMETERS, in that order; masks, where the
    network has dropout, the masks of DROPOUT in order (none: no dropout), which
    backward uses as they were.  The backward gives ∂L/∂θ for every parameter
    and ∂L/∂X (the first layer's (W1)ᵀδ1) when X requires it; the targets Y and
    the masks are data and are not differentiated.
    """

    generate_vmap_rule = True  # every operation below is a torch operation, so vmap applies

    @staticmethod
    def forward(X, Y, *tensors):
        params, dropout = _split(tensors)
        return loss(params, X, Y, **dropout)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    @staticmethod
    def backward(ctx, grad_loss):
        X, Y, *tensors = ctx.saved_tensors
        if ctx.needs_input_grad[1] or any(ctx.needs_input_grad[2 + len(PARAMETERS):]):
            raise RuntimeError(
                "LossFunction differentiates with respect to X and the parameters, "
                "not the targets Y or the dropout masks"
            )
        params, dropout = _split(tensors)
        _, grads, grad_X = gradient(params, X, Y, input_gradient=ctx.needs_input_grad[0], **dropout)
        grad_X = None if grad_X is None else grad_loss * grad_X
        masks = [None] * (len(tensors) - len(PARAMETERS))
        return (grad_X, None, *(grad_loss * grads[name] for name in PARAMETERS), *masks)


def _split(tensors):
    """LossFunction's tensors after X and Y: the parameters (PARAMETERS, in order), then the
    masks of DROPOUT (in order) or none, for no dropout.

    Returns the parameters as a dict, and the keyword arguments that give loss and
    gradient the masks (none when the network has no dropout layer).
    """
    params, masks = tensors[: len(PARAMETERS)], tensors[len(PARAMETERS) :]
    if masks and len(masks) != len(DROPOUT):
        raise ValueError(
            f"LossFunction takes X, Y, the {len(PARAMETERS)} parameters and then no masks or "
            f"one for each of the {len(DROPOUT)} dropout layers, not {len(masks)}"
        )
    dropout = {"masks": dict(zip(DROPOUT, masks)) if masks else None} if DROPOUT else {}
    return dict(zip(PARAMETERS, params)), dropout


def dropout_masks(rows, dtype=None, device=None, generator=None):
    """Fresh masks for a batch of ``rows`` samples, by name (DROPOUT): inverted dropout.

    Each entry is 0 where a uniform draw falls below p, else 1/(1 − p); drawn with
    torch's random numbers, or with ``generator``.
    """
    masks = {}
    for name, (p, shape) in DROPOUT.items():
        kept = torch.rand((rows, *shape), dtype=dtype, device=device, generator=generator) >= p
        masks[name] = kept.to(dtype or torch.get_default_dtype()) * (1 / (1 - p))
    return masks


class Model(torch.nn.Module):
    """The network's parameters as torch.nn.Parameter; model(X, Y) is the mean batch loss."""

    def __init__(self, dtype=None, device=None, generator=None):
        super().__init__()
        self.generator = generator  # draws the start and, in training mode, the dropout masks
        for name, shape in PARAMETERS.items():
            start = torch.ones if name in INIT_ONES else torch.zeros
            value = start(shape, dtype=dtype, device=device)
            if name in INIT_STD:
                value.normal_(0.0, INIT_STD[name], generator=generator)
            self.register_parameter(name, torch.nn.Parameter(value))

    @classmethod
    def load_params(cls, params, dtype=None, device=None):
        """A Model holding ``params``: a mapping of every name in PARAMETERS to an array."""
        _check_names(params)
        model = cls(dtype=dtype, device=device)
        with torch.no_grad():
            for name, parameter in model.named_parameters():
                value = torch.as_tensor(params[name], dtype=parameter.dtype, device=parameter.device)
                if tuple(value.shape) != PARAMETERS[name]:
                    raise ValueError(
                        f"parameter {name} has shape {tuple(value.shape)}, expected {PARAMETERS[name]}"
                    )
                parameter.copy_(value)
        return model

    def forward(self, X, Y):
        """The mean batch loss; in training mode (the default) with fresh dropout masks."""
        masks = dropout_masks(len(X), X.dtype, X.device, self.generator) if self.training else {}
        return LossFunction.apply(X, Y, *self.parameters(), *masks.values())

    def predict(self, X):
        """The network's output a_L for every row of X (PyTorch's autograd, if anything, sees it)."""
        return forward(dict(self.named_parameters()), X)[1][-1]


def example_batch(rows=4, dtype=torch.float64, generator=None):
    """Random inputs and targets of the kind this loss takes (TARGETS), for checks."""
    X = torch.randn(rows, *INPUT_SHAPE, dtype=dtype, generator=generator)
    Y = torch.randn(rows, OUTPUTS, dtype=dtype, generator=generator)
    if TARGETS == "probability":
        Y = torch.softmax(Y, dim=1)
    elif TARGETS == "unit_interval":
        Y = torch.sigmoid(Y)
    return X, Y


def self_check():
    """The derived backward against finite differences (gradcheck, float64): True when they agree."""
    generator = torch.Generator().manual_seed(0)
    model = Model(dtype=torch.float64, generator=generator)
    X, Y = example_batch(generator=generator)
    X.requires_grad_(True)
    masks = dropout_masks(len(X), torch.float64, generator=generator)  # fixed while checked
    return torch.autograd.gradcheck(
        LossFunction.apply, (X, Y, *model.parameters(), *masks.values()), raise_exception=False
    )
'''


def torch_source(network: Network) -> str:
    """The source of the PyTorch module of ``network``."""
    usage = USAGE + (DROPOUT_USAGE if network.stochastic else [])
    return module_source(network, "torch", TORCH, ["import torch"], usage, CHECK, CLASSES)
