"""Compare analytic gradients with central finite differences in float64.

`gradcheck` compares the Jacobian from the graph with central finite differences
(y(x + eps) - y(x - eps)) / 2 eps, entry by entry, as PyTorch's: one backward per output
element (a unit `gy`) and two forwards per input element, so a backward that is wrong off
the diagonal or not proportional to its incoming gradient fails. Where the outputs hold
more than `JACOBIAN_OUTPUTS` elements, or in `fast_mode`, the outputs are contracted with
a random weight `gy` to a scalar L = sum(y * gy) and dL/dx is compared instead (one
backward), element by element for small inputs and along random directions for large
ones.
`gradgradcheck` is `gradcheck` applied to the gradient function itself, with `gy` as an
extra input, so it checks the second derivatives that `create_graph=True` records.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .autograd import enable_grad, grad
from .backend import as_numpy, get_array_module
from .tensor import Tensor

JACOBIAN_OUTPUTS = 512  # outputs up to which the whole Jacobian is checked


class GradcheckError(RuntimeError, AssertionError):
    """Analytic and numerical gradients disagree: a RuntimeError, as PyTorch's (and an
    AssertionError, as a failed check reads in a test)."""


def _float_outputs(out: Any) -> tuple[Tensor, ...]:
    outs = out if isinstance(out, tuple | list) else (out,)
    return tuple(y for y in outs if isinstance(y, Tensor) and y.dtype.kind == "f")


def numerical_grad(
    f: Callable[[], float], arrays: list[Any], eps: float = 1e-6
) -> list[np.ndarray]:
    """dL/da for each array by central differences; `f` recomputes L from the arrays,
    which are perturbed in place one element at a time and restored. Any memory layout
    works (transposed, strided): elements are addressed by index, not through a flat copy."""
    grads = []
    for a in arrays:
        g = np.zeros(a.shape, dtype=np.float64)
        for i in np.ndindex(*a.shape):
            orig = a[i].copy()
            a[i] = orig + eps
            fp = f()
            a[i] = orig - eps
            fm = f()
            a[i] = orig
            g[i] = (fp - fm) / (2 * eps)
        grads.append(g)
    return grads


def _output_vector(fn: Callable, inputs: tuple) -> np.ndarray:
    """fn's float outputs, flattened and joined, in float64."""
    ys = _float_outputs(fn(*inputs))
    return np.concatenate([as_numpy(y._data).astype(np.float64).ravel() for y in ys] or [[]])


def numerical_jacobian(fn: Callable, inputs: tuple, i: int, eps: float) -> np.ndarray:
    """d outputs / d inputs[i] by central differences: (inputs[i].numel(), outputs'
    numel) in float64, the input perturbed in place one element at a time and restored."""
    a = inputs[i]._data
    rows = []
    for k in np.ndindex(*a.shape):
        orig = a[k].copy()
        a[k] = orig + eps
        fp = _output_vector(fn, inputs)
        a[k] = orig - eps
        fm = _output_vector(fn, inputs)
        a[k] = orig
        rows.append((fp - fm) / (2 * eps))
    if not rows:  # an empty input
        return np.zeros((0, _output_vector(fn, inputs).size))
    return np.array(rows)


def _loss_value(fn: Callable, inputs: tuple, gys: tuple[Any, ...]) -> float:
    # Grad mode stays on: `fn` may itself call mg.grad (a gradient penalty does).
    ys = _float_outputs(fn(*inputs))
    return float(sum(float((as_numpy(y._data) * g).sum()) for y, g in zip(ys, gys, strict=True)))


def _report(
    i: int,
    x: Tensor,
    analytic: np.ndarray,
    numeric: np.ndarray,
    atol: float,
    rtol: float,
    what: str,
) -> None:
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if not np.all(excess <= 0) or not np.all(np.isfinite(analytic)):
        excess = np.where(np.isfinite(excess), excess, np.inf)
        k = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.ndim else ()
        at = tuple(int(j) for j in k)
        where = (
            f"at input element {at[0]} (of {x.numel()}, row-major), output element {at[1]}"
            if what.startswith("Jacobian")
            else f"at index {at}"
        )
        raise GradcheckError(
            f"gradcheck: {what} of input {i} (shape {x.shape}) disagrees {where}: analytic "
            f"{float(analytic[k])!r}, numeric {float(numeric[k])!r} (atol {atol}, rtol {rtol})"
        )


def _unsupported(who: str, **flags: bool) -> None:
    """Refuse PyTorch's checks that minigrad cannot run (it has no forward-mode AD)."""
    for name, on in flags.items():
        if on:
            raise NotImplementedError(f"{who}: {name}=True (minigrad has no forward-mode AD)")


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
    max_elements: int = 2048,
    directions: int = 3,
    seed: int = 0,
) -> bool:
    """Check first derivatives of `fn` at `inputs` (float64 tensors): the whole Jacobian,
    entry by entry, as PyTorch's, for inputs of at most `max_elements` elements and
    outputs of at most JACOBIAN_OUTPUTS; past that (or with `fast_mode`) the gradient of a
    random contraction of the outputs, element by element, and for a larger input along
    `directions` random directions. Raises GradcheckError naming the worst entry on
    failure, or returns False with `raise_exception=False`, as PyTorch's.

    The backward is run twice and the two results must agree within `nondet_tol`
    (PyTorch's reentrancy check). Gradient dtypes always match their inputs' here, so
    `check_grad_dtypes`, `check_batched_grad` and `masked` need nothing more;
    `check_undefined_grad` is accepted and checks nothing (a custom Function's backward
    that fails on a None gradient, after `set_materialize_grads(False)`, is not caught).
    `check_backward_ad=False` checks nothing."""
    _unsupported(
        "gradcheck",
        check_forward_ad=check_forward_ad,
        check_batched_forward_grad=check_batched_forward_grad,
    )
    if not check_backward_ad:
        return True
    try:
        return _gradcheck(
            fn, inputs, eps, atol, rtol, nondet_tol, max_elements, directions, seed, fast_mode
        )
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _analytic(fn: Callable, inputs: tuple, diff: list[int], gys: tuple) -> list[np.ndarray]:
    """d sum(y * gy) / dx for each input in `diff`, from the graph (zeros if unused)."""
    ys = _float_outputs(fn(*inputs))
    live = [(y, g) for y, g in zip(ys, gys, strict=True) if y.requires_grad]
    analytic: list[np.ndarray] = [np.zeros(inputs[i].shape) for i in diff]
    if not live:
        return analytic
    xp = get_array_module(inputs[diff[0]]._data)
    got = grad(
        [y for y, _ in live],
        [inputs[i] for i in diff],
        grad_outputs=[Tensor(xp.asarray(g), dtype=y.dtype) for y, g in live],
        allow_unused=True,
    )
    return [a if g is None else as_numpy(g._data) for a, g in zip(analytic, got, strict=True)]


def _analytic_jacobians(
    fn: Callable, inputs: tuple, diff: list[int], shapes: list[tuple[int, ...]]
) -> list[np.ndarray]:
    """d outputs / d input for each input in `diff` from the graph, one backward per
    element of the float outputs (of `shapes`): (input numel, outputs' numel) each, as
    `numerical_jacobian` gives."""
    sizes = [math.prod(shape) for shape in shapes]
    total = sum(sizes)
    rows = [np.zeros((inputs[i].numel(), total)) for i in diff]
    for j in range(total):
        unit = np.zeros(total)
        unit[j] = 1.0
        parts = np.split(unit, np.cumsum(sizes)[:-1])
        gys = tuple(p.reshape(shape) for p, shape in zip(parts, shapes, strict=True))
        for r, g in zip(rows, _analytic(fn, inputs, diff, gys), strict=True):
            r[:, j] = g.ravel()
    return rows


def _gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float,
    atol: float,
    rtol: float,
    nondet_tol: float,
    max_elements: int,
    directions: int,
    seed: int,
    fast_mode: bool = False,
) -> bool:
    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: no input requires grad")
    for i in diff:
        if inputs[i].dtype != np.float64:  # PyTorch warns and checks on
            warnings.warn(
                f"gradcheck: input {i} requires grad and is {inputs[i].dtype}, not float64: "
                "finite differences in it will likely fail the check (a larger eps, atol and "
                "rtol may pass it)",
                UserWarning,
                stacklevel=3,
            )
    rng = np.random.default_rng(seed)
    gys = tuple(rng.standard_normal(y.shape) for y in _float_outputs(fn(*inputs)))
    analytic = _analytic(fn, inputs, diff, gys)
    for i, a, again in zip(diff, analytic, _analytic(fn, inputs, diff, gys), strict=True):
        if not np.all(np.abs(a - again) <= nondet_tol):
            raise GradcheckError(
                f"gradcheck: backward is not reentrant for input {i}: two runs differ by "
                f"more than nondet_tol={nondet_tol}"
            )

    def loss() -> float:
        return _loss_value(fn, inputs, gys)

    shapes = [g.shape for g in gys]  # the float outputs', as drawn above
    whole = not fast_mode and sum(g.size for g in gys) <= JACOBIAN_OUTPUTS
    jacobians = _analytic_jacobians(fn, inputs, diff, shapes) if whole else None
    for k, i in enumerate(diff):
        x = inputs[i]
        if x.numel() <= max_elements and jacobians is not None:
            numeric = numerical_jacobian(fn, inputs, i, eps)
            _report(i, x, jacobians[k], numeric, atol, rtol, "Jacobian")
            continue
        if x.numel() <= max_elements:
            (numeric,) = numerical_grad(loss, [x._data], eps)
            _report(i, x, analytic[k], numeric, atol, rtol, "gradient")
            continue
        orig = x._data.copy()
        for d in range(directions):
            v = rng.standard_normal(x.shape)
            v /= np.linalg.norm(v)
            vx = get_array_module(orig).asarray(v)
            x._data[...] = orig + eps * vx
            fp = loss()
            x._data[...] = orig - eps * vx
            fm = loss()
            x._data[...] = orig
            numeric = np.array((fp - fm) / (2 * eps))
            _report(
                i,
                x,
                np.array(float((analytic[k] * v).sum())),
                numeric,
                atol,
                rtol,
                f"directional derivative {d}",
            )
    return True


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    grad_outputs: Any = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
    max_elements: int = 2048,
    seed: int = 1,
) -> bool:
    """Check second derivatives: gradcheck of (x, gy) -> d<fn(x), gy>/dx. The keywords
    are PyTorch's, as in `gradcheck` (`gen_non_contig_grad_outputs` is accepted: any
    layout works here); `check_rev_over_rev=False` checks nothing."""
    _unsupported("gradgradcheck", check_fwd_over_rev=check_fwd_over_rev)
    if not check_rev_over_rev:
        return True
    inputs = tuple(inputs) if isinstance(inputs, tuple | list) else (inputs,)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    ys = _float_outputs(fn(*inputs))
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        xp = get_array_module(ys[0]._data)
        grad_outputs = tuple(
            Tensor(xp.asarray(rng.standard_normal(y.shape)), dtype=y.dtype, requires_grad=True)
            for y in ys
        )
    grad_outputs = tuple(grad_outputs)
    n = len(inputs)

    def first_grad(*args: Any) -> tuple[Tensor, ...]:
        xs, gs = args[:n], args[n:]
        with enable_grad():  # this level needs a graph even if the caller is in no_grad
            outs = _float_outputs(fn(*xs))
            live = [(y, g) for y, g in zip(outs, gs, strict=True) if y.requires_grad]
            if not live:
                return tuple(Tensor(xs[i]._data * 0) for i in diff)
            got = grad(
                [y for y, _ in live],
                [xs[i] for i in diff],
                [g for _, g in live],
                create_graph=True,
                allow_unused=True,
            )
        return tuple(
            Tensor(xs[i]._data * 0) if g is None else g for i, g in zip(diff, got, strict=True)
        )

    return gradcheck(
        first_grad,
        inputs + grad_outputs,
        eps,
        atol,
        rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        max_elements=max_elements,
    )
