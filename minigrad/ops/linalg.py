"""Matrix products. The backward of a product is two more products, so it is itself
differentiable."""

from __future__ import annotations

import math
import string
from collections import Counter
from typing import Any

from ..autograd import Function, is_grad_enabled
from ..backend import get_array_module
from ..errors import ShapeError
from ..tensor import Tensor
from . import cpu_kernels
from .elementwise import _same, promote, result_dtype
from .reduce import array_sum, broadcast_to, reduce_sum, sum_to
from .shape import cast, reshape, transpose, unsqueeze


class MatMul(Function):
    """a @ b; leading (batch) dims broadcast. A 1-d a is a row (1, n) and a 1-d b a
    column (n, 1), as NumPy and PyTorch read them; the node keeps the operands themselves
    (not reshaped views), so its version checks see them."""

    def forward(self, a, b):
        return a @ b

    def inputs_read(self, needs):
        na, nb = needs
        return nb, na  # a's gradient reads b, b's reads a (a weight changed in place
        # after the forward is no error when the input needs no gradient, as in PyTorch)

    def backward(self, gy):
        a, b = self.inputs  # None where no gradient reads it
        na, nb = self.needs_input_grad
        (sa, _), (sb, _) = self._in_meta
        row, col = len(sa) == 1, len(sb) == 1
        if row or col:  # the product as formed: gy with the vector's dims put back
            gy = reshape(gy, gy.shape + (1,)) if col else gy
            gy = unsqueeze(gy, -2) if row else gy
            a = reshape(a, (1,) + sa) if row and a is not None else a
            b = reshape(b, sb + (1,)) if col and b is not None else b
        ga = gb = None
        if na:
            ga = matmul(gy, transpose(b, -1, -2))
            ga = reshape(sum_to(ga, (1,) + sa), sa) if row else sum_to(ga, sa)
        if nb:
            gb = matmul(transpose(a, -1, -2), gy)
            gb = reshape(sum_to(gb, sb + (1,)), sb) if col else sum_to(gb, sb)
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """NumPy/PyTorch matmul semantics: 1-d operands (a vector dot gives a 0-d tensor) and
    broadcast batch dims. Mixed dtypes promote as the element-wise ops do."""
    if not _same(a, b):
        a, b = promote(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(
            f"matmul: both operands need at least 1 dim, got {a.shape} @ {b.shape} (both "
            f"arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D)"
        )
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} do not align "
            f"({a.shape[-1]} != {b.shape[0 if b.ndim == 1 else -2]})"
        )
    return MatMul()(a, b)


class Linear(Function):
    """y = x W^T + b in one node: x (N, in), W (out, in), b (out,).

    A first-order input gradient comes back in x's memory order where x is F-ordered: a
    batch-minor conv output, flattened for the Linear, is. Its gradient, reshaped back to
    (N, C, H, W), is then batch-minor like the activation's saved mask before it, which a
    C-ordered one is not (DCGAN's discriminator, the triplet net)."""

    def forward(self, x, W, b=None):
        self.x_f_order = x.ndim == 2 and x.flags.f_contiguous and not x.flags.c_contiguous
        if cpu_kernels.linear_transposed_pays(x, W, b):
            return cpu_kernels.linear_transposed(x, W, b)
        if b is None:
            return x @ W.T
        if x.dtype.char == "e" and W.dtype.char == "e":  # float16: one rounding, as PyTorch
            return _half_with_bias(x, W, b)
        y = x @ W.T
        y += b
        return y

    def inputs_read(self, needs):
        return (needs[1], needs[0], False)[: len(needs)]  # x for W's gradient, W for x's

    def backward(self, gy):
        x, W = self.inputs[:2]  # None where no gradient reads it
        nx, nW = self.needs_input_grad[:2]
        g = gy._data
        (sx, dx), (_, dW) = self._in_meta[:2]
        if not is_grad_enabled() and len(sx) == 2 and g.dtype == dx == dW:
            # first order, one dtype: no graph to record, so the same products of arrays
            # (mixed dtypes take the ops, which promote as PyTorch does, not as NumPy)
            return self._backward_arrays(g, x, W)
        gx = matmul(gy, W) if nx else None
        gW = matmul(transpose(gy, 0, 1), x) if nW else None
        if len(self.inputs) == 2:
            return gx, gW
        gb = reduce_sum(gy, 0) if self.needs_input_grad[2] else None
        return gx, gW, gb

    def _backward_arrays(self, gy, x, W):
        """The same three gradients as `backward`'s ops compute, without a node each: the
        hottest backward of an MLP, where the nodes cost more than the products."""
        needs = self.needs_input_grad
        if needs[0]:  # (W^T gy^T)^T: the same product, F-ordered
            w = W._data
            gx = _product(w.T, gy.T).T if self.x_f_order else _product(gy, w)
            gx = Tensor._make(gx, False)
        else:
            gx = None
        gW = Tensor._make(gy.T @ x._data, False) if needs[1] else None
        if len(self.inputs) == 2:
            return gx, gW
        gb = Tensor._make(array_sum(gy, 0), False) if needs[2] else None
        return gx, gW, gb


def _half_with_bias(x: Any, W: Any, b: Any) -> Any:
    """x @ W.T + b of float16 arrays as PyTorch's CPU addmm computes it: the product and the
    bias added in float32, rounded to float16 once. Rounding the product before adding
    the bias lost what a bias of the opposite sign cancels (x.w = 1 + 2^-12 and b = -1 gave
    0, not 2^-12)."""
    y = x.astype("float32") @ W.T.astype("float32")
    y += b
    return y.astype(x.dtype)


def _product(a: Any, b: Any) -> Any:
    """a @ b of 2-D arrays of one dtype. An outer product (inner size 1, a Linear layer
    with one output: a discriminator's last) is a broadcast multiply: OpenBLAS took 444 us
    for (64, 1) @ (1, 6272), the multiply 39. Then + 0, as the product's sum from zero
    does: -0.0 comes out +0.0, the other values as they are. On the compiled loops both in
    one pass (cpu_kernels.outer, split over the threads only from MIN_PARALLEL_OUTER
    values): (6272, 1) @ (1, 64), the discriminator's input gradient in DCGAN's step, took
    0.08 ms there split over two threads where NumPy's two passes took 0.50 (NumPy's
    broadcast loop runs 64 values at a time), and takes 0.03 on one thread, as it now
    runs."""
    if a.shape[1] != 1:
        return a @ b
    if cpu_kernels.handles(a, b):
        return cpu_kernels.outer(a, b)
    out = a * b
    out += 0
    return out


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x (..., in) @ weight.T (in, out) + bias (out,)."""
    x = input
    xs, ws = x._data.shape, weight._data.shape  # (the arrays' tuples: no Size per read)
    if not xs or not ws or xs[-1] != ws[-1]:
        raise ShapeError(
            f"linear: input of shape {x.shape} has {x.shape[-1] if xs else 0} features but "
            f"the weight {weight.shape} expects {weight.shape[-1] if ws else 0}"
        )
    if len(xs) == 2:
        return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)
    lead = xs[:-1]
    x2 = reshape(x, (math.prod(lead), xs[-1]))  # (no -1: 0 features)
    args = (x2, weight) if bias is None else (x2, weight, bias)
    return reshape(Linear()(*args), lead + (ws[0],))


class Einsum(Function):
    """einsum with explicit subscripts, each operand's letters distinct and every letter's
    size equal across operands (`einsum` arranges both). The gradient of operand k is the
    einsum of gy with the other operands into k's letters; letters summed over in k alone
    come back by broadcasting."""

    def __init__(self, ins: tuple[str, ...], out: str) -> None:
        self.ins, self.out = ins, out

    def forward(self, *arrays):
        xp = get_array_module(*arrays)
        if len(arrays) == 1 and len(self.out) < len(self.ins[0]):
            y = self._summed(arrays[0])  # a plain sum, maybe transposed
        else:
            y = xp.einsum(f"{','.join(self.ins)}->{self.out}", *arrays, optimize=True)
        if not y.flags.c_contiguous and not any(xp.may_share_memory(y, a) for a in arrays):
            y = xp.ascontiguousarray(y)  # a new result is row-major, as PyTorch's
        return y

    def _summed(self, a):
        """A one-operand einsum that sums letters away ('ij->i', 'bij->jb'): the engine's
        sum (pairwise, or cascaded over long strided axes, float16 added in float32) and a
        transpose, as PyTorch's einsum sums; np.einsum adds such a float32 sum one value
        after another (3e-5 of the value off over 10^5 values ~1e4). Bool and integers sum
        to int64, as PyTorch's."""
        (s,) = self.ins
        summed = tuple(i for i, c in enumerate(s) if c not in self.out)
        kept = [c for c in s if c in self.out]
        y = array_sum(a, summed, dtype="int64" if a.dtype.kind in "biu" else None)
        return y.transpose([kept.index(c) for c in self.out])

    def inputs_read(self, needs):
        # input i's value is read by the gradients of the other inputs only
        return tuple(any(n for k, n in enumerate(needs) if k != i) for i in range(len(needs)))

    def backward(self, gy):
        grads = []
        for k, need in enumerate(self.needs_input_grad):
            if not need:
                grads.append(None)
                continue
            x_shape = self._in_meta[k][0]
            others = [s for i, s in enumerate(self.ins) if i != k]
            seen = self.out + "".join(others)
            kept = "".join(c for c in self.ins[k] if c in seen)
            ops = [gy] + [t for i, t in enumerate(self.inputs) if i != k]
            g = Einsum((self.out, *others), kept)(*ops)
            if kept != self.ins[k]:
                kept_shape = [
                    n if c in kept else 1 for c, n in zip(self.ins[k], x_shape, strict=True)
                ]
                g = reshape(g, tuple(kept_shape))
                g = broadcast_to(g, x_shape)
            grads.append(g)
        return tuple(grads)


_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _einsum_subscripts(equation: str, shapes: list) -> tuple[list[str], str]:
    """Operand and output letters with '...' spelled out in letters the equation does not
    use (right-aligned across operands, as broadcasting aligns dims)."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ShapeError(
            f"einsum: equation {equation!r} names {len(ins)} operands, got {len(shapes)}"
        )
    for part in (*ins, rhs):
        bad = set(part.replace("...", "")) - set(_LETTERS)
        if bad or part.count("...") > 1:
            raise ShapeError(
                f"einsum: invalid subscripts {part!r} in {equation!r} (letters a-z, A-Z and "
                "at most one '...' per operand)"
            )
    free = [c for c in _LETTERS if c not in eq]
    n_ell = 0
    for s, shape in zip(ins, shapes, strict=True):
        named = len(s.replace("...", ""))
        if ("..." in s and named > len(shape)) or ("..." not in s and named != len(shape)):
            raise ShapeError(
                f"einsum: subscripts {s!r} in {equation!r} do not fit an operand of shape "
                f"{tuple(shape)}"
            )
        if "..." in s:
            n_ell = max(n_ell, len(shape) - named)
    ell = "".join(free[:n_ell])
    ins = [
        s.replace("...", ell[n_ell - (len(shape) - len(s) + 3) :] if "..." in s else "")
        for s, shape in zip(ins, shapes, strict=True)
    ]
    if arrow:
        out = rhs.replace("...", ell)
    else:  # implicit output: the ellipsis dims, then letters used once, sorted
        counts = Counter("".join(ins))
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return ins, out


def einsum(equation: str, *operands: Any) -> Tensor:
    """PyTorch's einsum (`torch.einsum("ij,jk->ik", a, b)` or with a list of operands),
    differentiable to any order. Size-1 dims broadcast against a letter's size. Repeated
    letters within one operand (diagonals, traces) are not supported."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if not operands or not all(isinstance(t, Tensor) for t in operands):
        raise TypeError(f"einsum: operands must be tensors, got {[type(t) for t in operands]}")
    ins, out = _einsum_subscripts(equation, [t.shape for t in operands])
    for s in ins:
        twice = sorted(c for c, n in Counter(s).items() if n > 1)
        if twice:
            raise ShapeError(
                f"einsum: {equation!r} repeats index {twice[0]!r} within one operand "
                "(a diagonal or trace); minigrad's einsum does not support that, take the "
                "diagonal first"
            )
    sizes: dict[str, int] = {}
    for s, t in zip(ins, operands, strict=True):
        for c, n in zip(s, t.shape, strict=True):
            have = sizes.get(c)
            if have is None or have == 1:
                sizes[c] = n
            elif n not in (1, have):
                raise ShapeError(
                    f"einsum: index {c!r} in {equation!r} has sizes {have} and {n}, which "
                    "do not broadcast"
                )
    bad = sorted(set(out) - set("".join(ins))) or sorted(
        c for c, n in Counter(out).items() if n > 1
    )
    if bad:
        raise ShapeError(
            f"einsum: output index {bad[0]!r} in {equation!r} must appear once in the output "
            "and in some operand"
        )
    dt = result_dtype(*operands)
    operands = [
        broadcast_to(cast(t, dt), tuple(sizes[c] for c in s))
        for s, t in zip(ins, operands, strict=True)
    ]
    return Einsum(tuple(ins), out)(*operands)
