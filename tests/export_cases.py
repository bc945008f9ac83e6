"""The networks every export is checked on (tests/test_export_torch.py, test_export_jax.py)."""

# Every built-in activation (hidden and output), custom ones with a sigmoid and an erf
# inside, every built-in loss and a custom one; softmax both with its cross-entropy
# shortcut and through its Jacobian.
CASES = [
    ([3, 4, 3, 2], "sigmoid", "sigmoid", "half_sse", True),
    ([3, 4, 3, 2], "tanh", "identity", "sse", True),
    ([3, 4, 3, 3], "relu", "softmax", "cross_entropy", True),
    ([3, 4, 3, 2], "leaky_relu", "tanh", "mse", False),
    ([3, 4, 3, 1], "softplus", "sigmoid", "binary_cross_entropy", True),
    ([3, 4, 3, 3], "identity", "softmax", "half_sse", True),
    ([3, 4, 3, 2], "x*sigmoid(x)", "softplus", "(a - y)**4/4", True),
    ([3, 4, 3, 2], "x*(1 + erf(x/sqrt(2)))/2", "leaky_relu(0.2)", "mse", True),
]
IDS = [f"{c[1]}-{c[2]}-{c[3]}" for c in CASES]
