"""L-BFGS (Nocedal and Wright, *Numerical Optimization*, algorithms 7.4 and 7.5) with
PyTorch's stopping rules and its strong-Wolfe line search (algorithms 3.5 and 3.6, with
cubic interpolation), so that iterates agree with PyTorch's `LBFGS`.

All parameters are seen as one flat vector: the gradient is their gradients concatenated
(zeros for a parameter without one), and a step moves every parameter along its slice of
the direction. The run's memory (the last direction and step, the curvature pairs) lives
in the state of the first parameter, so that consecutive `step` calls continue one run
and `state_dict` saves it. Scalars derived from the vectors (dot products, step sizes) stay
0-d values of the vectors' dtype, as PyTorch's 0-d tensors do, so float32 runs round as
PyTorch's do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import numpy as np

from ..autograd import enable_grad
from ..backend import Array, get_array_module, to_device
from ..tensor import Tensor
from .optimizer import Optimizer, _as_real

__all__ = ["LBFGS"]

# the curvature pair (y, s) of a step enters the memory only if y.s exceeds this
_MIN_CURVATURE = 1e-10


class LBFGS(Optimizer):
    """Limited-memory BFGS. One `step(closure)` runs up to `max_iter` iterations and
    `max_eval` evaluations of `closure` (default max_iter * 5 // 4), which must clear the
    gradients, compute the loss, call `backward` and return the loss. The direction comes
    from the two-loop recursion over the last `history_size` curvature pairs; the step is
    `lr` (the first iteration of a run: min(1, 1 / |g|_1) * lr), or with
    `line_search_fn="strong_wolfe"` the one a strong-Wolfe line search finds starting from
    it. A step stops early when the largest gradient entry falls to `tolerance_grad`, or when
    the change of the loss, the largest step entry or the descent rate -g.d falls below
    `tolerance_change`.
    As PyTorch's, it takes one parameter group only."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        # PyTorch's private names, which programs read (`opt.state[opt._params[0]]`)
        self._params = self.param_groups[0]["params"]

    def _numel(self) -> int:
        """The number of real values in all the parameters, as PyTorch's (two for each
        complex element)."""
        return sum(int(p.numel()) * (2 if p.dtype.kind == "c" else 1) for p in self._params)

    def step(self, closure: Callable[[], Any]) -> Any:
        """Up to `max_iter` L-BFGS iterations; returns the loss of the first evaluation of
        `closure`, at the parameters as they were on entry."""
        if len(self.param_groups) != 1:
            raise AssertionError(
                f"Expected exactly one param_group, but got {len(self.param_groups)}"
            )
        group = next(self._groups())
        params = group["params"]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search_fn = group["history_size"], group["line_search_fn"]
        xp = get_array_module(params[0]._data)

        state = self.state[params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = _flat_grad(params, xp)
        opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
        if opt_cond:
            return orig_loss  # already optimal: the memory is left as it was

        # the run so far: last direction d and step size t, the curvature pairs
        # y = g_new - g_old, s = t d with ro = 1 / y.s, and the initial Hessian scale
        d, t = _unwrap(state.get("d")), _unwrap(state.get("t"))
        old_dirs, old_stps = _unwrap(state.get("old_dirs")), _unwrap(state.get("old_stps"))
        ro, h_diag = _unwrap(state.get("ro")), _unwrap(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unwrap(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction: steepest descent on a run's first iteration, else L-BFGS's
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = xp.dot(y, s)
                if ys > _MIN_CURVATURE:
                    if len(old_dirs) == history_size:  # forget the oldest pair
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / xp.dot(y, y)
                al = _unwrap(state["al"]) if "al" in state else [None] * history_size
                d = _two_loop(xp, flat_grad, old_dirs, old_stps, ro, h_diag, al)
                state["al"] = _wrap(al)

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # the step size to try first
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = xp.dot(flat_grad, d)  # directional derivative
            if gtd > -tolerance_change:
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = [p._data.copy() for p in params]
                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    partial(_evaluate_at, closure, params, x_init, d, xp),
                    t,
                    d,
                    loss,
                    flat_grad,
                    gtd,
                    # PyTorch passes no tolerance_change: its line search keeps 1e-9
                    max_ls=max_eval - current_evals,
                )
                _add_step(params, t, d)
                opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
            else:
                _add_step(params, t, d)
                # a fixed step skips the evaluation after the last iteration, as PyTorch's:
                # the next step() starts with one anyway
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    flat_grad = _flat_grad(params, xp)
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if xp.abs(d * t).max() <= tolerance_change:  # the step is too small
                break
            if abs(loss - prev_loss) < tolerance_change:  # the loss no longer changes
                break

        state["d"] = _wrap(d)
        state["t"] = _wrap(t)
        state["old_dirs"] = _wrap(old_dirs)
        state["old_stps"] = _wrap(old_stps)
        state["ro"] = _wrap(ro)
        state["H_diag"] = _wrap(h_diag)
        state["prev_flat_grad"] = _wrap(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss

    def _load_entry(self, p: Tensor, j: Any, key: str, v: Any) -> Any:
        """The run's memory is flat vectors, lists of them and 0-d values, not buffers
        shaped like `p`: copies in p's dtype on p's device; numbers stay as they are."""
        if isinstance(v, list | tuple):
            return [self._load_entry(p, j, key, x) for x in v]
        if isinstance(v, Tensor):
            a = to_device(v._data, p.device)
            if a.dtype.kind == "f" and p.dtype.kind == "f":
                a = a.astype(p.dtype, copy=False)
            return Tensor._make(a.copy(), False)
        return v


def _flat_grad(params: list[Tensor], xp: Any) -> Array:
    """The parameters' gradients as one real vector; zeros for a parameter without one.
    A complex gradient enters as its (real, imaginary) pairs, as PyTorch's view_as_real
    gives them, so that dot products and norms are those of real vectors."""
    views = []
    for p in params:
        g = xp.zeros_like(p._data) if p.grad is None else p.grad._data
        views.append(xp.ravel(_as_real(g) if g.dtype.kind == "c" else g))
    return xp.concatenate(views)


def _add_step(params: list[Tensor], t: Any, d: Array) -> None:
    """Move the parameters by t * d, each along its slice of the flat vector d (a complex
    parameter along its real view, two values per element)."""
    offset = 0
    for p in params:
        x = _as_real(p._data) if p._data.dtype.kind == "c" else p._data
        x += t * d[offset : offset + x.size].reshape(x.shape)
        p._version += 1
        offset += x.size


def _evaluate_at(
    closure: Callable[[], Any], params: list[Tensor], x: list[Array], d: Array, xp: Any, t: Any
) -> tuple[float, Array]:
    """The loss and flat gradient at x + t * d; the parameters get x back afterwards."""
    _add_step(params, t, d)
    with enable_grad():
        loss = float(closure())
    flat_grad = _flat_grad(params, xp)
    for p, x0 in zip(params, x, strict=True):
        p._data[...] = x0
        p._version += 1
    return loss, flat_grad


def _two_loop(
    xp: Any,
    g: Array,
    old_dirs: list[Array],
    old_stps: list[Array],
    ro: list[Any],
    h_diag: Any,
    al: list[Any],
) -> Array:
    """-H g for L-BFGS's inverse-Hessian estimate H: the curvature pairs applied
    newest-first, the scale h_diag, then oldest-first (Nocedal and Wright, algorithm 7.4).
    `al` receives the first loop's coefficients."""
    q = -g
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = xp.dot(old_stps[i], q) * ro[i]
        q -= al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = xp.dot(old_dirs[i], r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def _cubic_interpolate(
    x1: Any,
    f1: Any,
    g1: Any,
    x2: Any,
    f2: Any,
    g2: Any,
    bounds: tuple[Any, Any] | None = None,
) -> Any:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clipped to `bounds` (default: between x1 and x2); their midpoint if the cubic has no
    minimum (Nocedal and Wright, equation 3.59)."""
    lo, hi = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


def _strong_wolfe(
    evaluate_at: Callable[[Any], tuple[float, Array]],
    t: Any,
    d: Array,
    f: float,
    g: Array,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Array, Any, int]:
    """A step size t along d satisfying the strong Wolfe conditions
    f(t) <= f + c1 t gtd and |f'(t)| <= c2 |gtd|, as PyTorch's (Nocedal and Wright,
    algorithms 3.5 and 3.6, with cubic interpolation): first grow t until an interval
    brackets such a point, then shrink the interval. At most `max_ls` evaluations
    after the first. Returns (loss, flat gradient, t, number of evaluations)."""
    d_norm = abs(d).max()
    f_new, g_new = evaluate_at(t)
    evals = 1
    gtd_new = g_new.dot(d)

    # bracketing: an interval [t_prev, t] holding a point that satisfies the conditions
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate: the cubic's minimizer, between 1.01 t - 0.01 t_prev and 10 t
        bounds = (t + 0.01 * (t - t_prev), t * 10)
        t_prev, t = t, _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds)
        f_prev, g_prev, gtd_prev = f_new, g_new, gtd_new
        f_new, g_new = evaluate_at(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter >= max_ls:  # out of evaluations: between the start and the last point
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket around a point satisfying the conditions; `low` is the end
    # with the lower loss
    insuf_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # a point near an end makes little progress: if the previous one did too, or t is
        # at or past an end, move it to 0.1 of the bracket's length from the nearer end
        lo, hi = min(bracket), max(bracket)
        eps = 0.1 * (hi - lo)
        if min(hi - t, t - lo) < eps:
            if insuf_progress or t >= hi or t <= lo:
                t = hi - eps if abs(t - hi) < abs(t - lo) else lo + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = evaluate_at(t)
        evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > f + c1 * t * gtd or f_new >= bracket_f[low]:
            # not a sufficient decrease, or no lower than the low end: the new high end
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                # the slope points away from the high end: the old low end becomes it
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new, gtd_new

    return bracket_f[low], bracket_g[low], bracket[low], evals


def _wrap(v: Any) -> Any:
    """A state value as PyTorch keeps it: arrays and 0-d values as Tensors, lists of
    them as lists of Tensors, Python numbers and None as they are."""
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    if hasattr(v, "dtype"):
        return Tensor._make(get_array_module(v).asarray(v), False)
    return v


def _unwrap(v: Any) -> Any:
    """`_wrap` undone: the arrays of Tensors, in fresh lists."""
    if isinstance(v, list):
        return [_unwrap(x) for x in v]
    return v._data if isinstance(v, Tensor) else v
