"""L2-regularised softmax regression with soft targets, fitted by L-BFGS in numpy.

Written out (rather than ``torch.optim.LBFGS``) because the problem is tiny (a few
thousand rows, a few hundred columns): analytic gradients make each step a pair of
matrix products, and torch's optimiser costs about 2 s of one-off imports per process,
which is more than the whole fit.
"""

from __future__ import annotations

from collections import deque

import numpy as np

HISTORY = 10
ARMIJO = 1e-4


def _loss_and_gradient(
    params: np.ndarray, x: np.ndarray, y: np.ndarray, weight_decay: float
) -> tuple[float, np.ndarray]:
    dim, classes = x.shape[1], y.shape[1]
    # Products in the data's precision (float32 in training: half the memory traffic).
    weights = params[: dim * classes].reshape(dim, classes).astype(x.dtype)
    bias = params[dim * classes :].astype(x.dtype)
    logits = x @ weights + bias
    logits -= logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(logits).sum(axis=1, keepdims=True))
    log_p = logits - log_norm
    n = len(x)
    loss = -float((y * log_p).sum(dtype=np.float64)) / n + weight_decay * float((weights * weights).sum())
    residual = (np.exp(log_p) - y) / n
    grad_w = x.T @ residual + 2.0 * weight_decay * weights
    grad_b = residual.sum(axis=0)
    return loss, np.concatenate([grad_w.ravel(), grad_b]).astype(np.float64)


def fit_softmax(
    x: np.ndarray,
    y: np.ndarray,
    weight_decay: float,
    max_iterations: int = 100,
    tolerance: float = 1e-5,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise mean soft cross-entropy + weight_decay * |W|^2; returns (W (D, C), b (C,)).

    ``x`` is (N, D) and should be standardised; ``y`` is (N, C) with rows summing to 1.
    Deterministic: starts from zero, or from ``start`` (W, b), and uses no randomness.
    The problem is convex, so a start near the optimum (the solution of a similar
    problem) only saves iterations; it does not change where the fit ends.
    """
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    y32 = np.ascontiguousarray(y, dtype=np.float32)
    dim, classes = x32.shape[1], y32.shape[1]
    params = np.zeros(dim * classes + classes)
    if start is not None:
        weights0, bias0 = start
        # Softmax ignores a common shift of the biases; centring keeps the fit where a
        # start from zero stays (gradients of the biases sum to zero).
        params = np.concatenate([weights0.astype(np.float64).ravel(), bias0 - bias0.mean()])
    loss, grad = _loss_and_gradient(params, x32, y32, weight_decay)
    steps: deque[tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=HISTORY)
    for _ in range(max_iterations):
        if np.abs(grad).max() < tolerance:
            break
        direction = _two_loop(grad, steps)
        slope = float(grad @ direction)
        if slope >= 0:  # not a descent direction: restart from steepest descent
            steps.clear()
            direction, slope = -grad, -float(grad @ grad)
        step = 1.0
        while True:
            candidate = params + step * direction
            new_loss, new_grad = _loss_and_gradient(candidate, x32, y32, weight_decay)
            if new_loss <= loss + ARMIJO * step * slope or step < 1e-10:
                break
            step *= 0.5
        s, g_change = candidate - params, new_grad - grad
        curvature = float(s @ g_change)
        if curvature > 1e-12:
            steps.append((s, g_change, 1.0 / curvature))
        converged = abs(loss - new_loss) <= tolerance * max(1.0, abs(loss))
        params, loss, grad = candidate, new_loss, new_grad
        if converged:
            break
    weights = params[: dim * classes].reshape(dim, classes)
    return weights.astype(np.float32), params[dim * classes :].astype(np.float32)


def _two_loop(grad: np.ndarray, steps: deque[tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    """L-BFGS direction -H grad from the stored (s, y, 1/s.y) pairs."""
    q = grad.copy()
    alphas = []
    for s, y, rho in reversed(steps):
        alpha = rho * float(s @ q)
        q -= alpha * y
        alphas.append(alpha)
    if steps:
        s, y, _ = steps[-1]
        q *= float(s @ y) / float(y @ y)
    for (s, y, rho), alpha in zip(steps, reversed(alphas), strict=True):
        beta = rho * float(y @ q)
        q += (alpha - beta) * s
    return -q
