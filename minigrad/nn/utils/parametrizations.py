"""Parametrization-based `spectral_norm`, `weight_norm` and `orthogonal`, as
`torch.nn.utils.parametrizations`.

Each registers a small module with `parametrize.register_parametrization`, so the weight
is recomputed on every access and the state_dict holds `parametrizations.weight.original`
(`original0`/`original1` for weight_norm; `parametrizations.weight.0._u`/`_v` for
spectral_norm's power-iteration vectors; `parametrizations.weight.0.base` for orthogonal's
trivialization). The maps are written with minigrad ops, so they are differentiable twice.
"""

from __future__ import annotations

import math
from enum import Enum, auto

import numpy as np

from ... import ops
from ...autograd import no_grad
from ...tensor import Tensor, randn
from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..functional import normalize
from ..module import Module
from . import parametrize
from .weight_norm import norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


# ---------------------------------------------------------------------- orthogonal
def _matrix_exp(a: Tensor) -> Tensor:
    """exp(A) for a batch of square matrices `(*, n, n)`: a degree-18 Taylor polynomial of
    A / 2^s (Horner's rule), squared s times, s chosen from the 1-norm so that
    ||A / 2^s|| <= 1/2. Built from matmuls, so its gradients of any order come free."""
    n = a.shape[-1]
    norm1 = float(np.abs(a.detach()._data).sum(-2).max()) if a._data.size else 0.0
    s = max(0, math.ceil(math.log2(norm1 / 0.5))) if norm1 > 0.5 else 0
    x = a / (2.0**s) if s else a
    eye = Tensor(np.eye(n, dtype=a.dtype))
    p = eye + x / 18.0
    for k in range(17, 0, -1):
        p = eye + (x @ p) / float(k)
    for _ in range(s):
        p = p @ p
    return p


def _householder_product(v: Tensor, tau: Tensor) -> Tensor:
    """PyTorch's `linalg.householder_product`: the first k columns of H_1 ... H_k,
    H_i = I - tau_i v_i v_i^T, v_i column i of `v` `(*, n, k)` below the diagonal with an
    implicit 1 on it. Applied right to left to the first k columns of the identity."""
    n, k = v.shape[-2], v.shape[-1]
    eye = np.eye(n, k, dtype=v.dtype)
    vs = ops.tril(v, -1) + Tensor(eye)
    q = Tensor(np.broadcast_to(eye, (*v.shape[:-2], n, k)).copy())
    for i in range(k - 1, -1, -1):
        vi = vs[..., :, i : i + 1]  # (*, n, 1)
        ti = tau[..., i : i + 1].unsqueeze(-1)  # (*, 1, 1)
        q = q - (ti * vi) @ (vi.mT @ q)
    return q


def _make_orthogonal(a: Tensor) -> Tensor:
    """The Q of A = QR (A tall) with diag(R) >= 0, as PyTorch's (no graph)."""
    q, r = np.linalg.qr(a._data)
    sign = np.sign(np.diagonal(r, axis1=-2, axis2=-1))
    return Tensor((q * sign[..., None, :]).astype(a.dtype))


def _is_orthogonal(q: Tensor) -> bool:
    n, k = q.shape[-2], q.shape[-1]
    eps = 10.0 * n * float(np.finfo(q.dtype).eps)
    qq = q._data
    return bool(np.allclose(np.swapaxes(qq, -1, -2) @ qq, np.eye(k, dtype=q.dtype), atol=eps))


def _geqrf(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's geqrf (Householder QR, dlarfg's conventions) on `(*, n, k)`, n >= k: R on
    and above the diagonal, the reflectors' tails below it, and their taus."""
    a = a.copy()
    n, k = a.shape[-2], a.shape[-1]
    tau = np.zeros((*a.shape[:-2], k), dtype=a.dtype)
    for i in range(min(n, k)):
        alpha = a[..., i, i].copy()
        x = a[..., i + 1 :, i]
        xnorm = np.sqrt((x * x).sum(-1))
        nonzero = xnorm != 0
        beta = -np.copysign(np.sqrt(alpha * alpha + xnorm * xnorm), alpha)
        safe = np.where(nonzero, alpha - beta, 1)
        t = np.where(nonzero, (beta - alpha) / np.where(nonzero, beta, 1), 0)
        v = np.where(nonzero[..., None], x / safe[..., None], x)
        a[..., i + 1 :, i] = v
        a[..., i, i] = np.where(nonzero, beta, alpha)
        tau[..., i] = t
        if i + 1 < k:
            full = np.concatenate([np.ones((*v.shape[:-1], 1), a.dtype), v], -1)  # (*, n-i)
            rest = a[..., i:, i + 1 :]
            w = np.einsum("...n,...nk->...k", full, rest)
            a[..., i:, i + 1 :] = rest - t[..., None, None] * full[..., :, None] * w[..., None, :]
    return a, tau


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    """Maps an unconstrained matrix (or batch) to one with orthonormal columns (rows when
    wide); with the trivialization, Q = base @ map(X), `base` a buffer."""

    def __init__(
        self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True
    ) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 (PyTorch's name)
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X = X.mT  # noqa: N806
            n, k = k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = ops.tril(X)  # noqa: N806
            if n != k:
                pad = Tensor(np.zeros((*X.shape[:-2], n, n - k), dtype=X.dtype))
                X = ops.cat([X, pad], -1)  # noqa: N806
            a = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                q = _matrix_exp(a)
            else:  # the Cayley retraction (I + A/2)(I - A/2)^-1, as PyTorch solves it
                from ... import linalg

                eye = Tensor(np.eye(n, dtype=a.dtype))
                q = linalg.solve(eye - a * 0.5, eye + a * 0.5)
            if n != k:
                q = q[..., :k]
        else:
            a = ops.tril(X, -1)
            tau = 2.0 / (1.0 + (a * a).sum(-2))
            q = _householder_product(a, tau)
            diag = np.trunc(np.diagonal(X._data, axis1=-2, axis2=-1))
            q = q * Tensor(diag[..., None, :].astype(q.dtype))
        if hasattr(self, "base"):
            q = self.base @ q
        if transposed:
            q = q.mT
        return q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(
                    f"Expected a matrix or batch of matrices of shape "
                    f"torch.Size({list(self.shape)}). Got a tensor of shape "
                    f"torch.Size({list(Q.shape)})."
                )
            q_init = Q
            n, k = Q.shape[-2], Q.shape[-1]
            transpose = n < k
            if transpose:
                Q = Q.mT  # noqa: N806
                n, k = k, n
            if not hasattr(self, "base"):
                if self.orthogonal_map != _OrthMaps.householder:
                    raise NotImplementedError(
                        "It is not possible to assign to the matrix exponential "
                        "or the Cayley parametrizations when use_trivialization=False."
                    )
                a, tau = _geqrf(Q._data)
                d = np.diagonal(a, axis1=-2, axis2=-1)
                sign = np.sign(d) * np.where(tau == 0.0, -1, 1)
                idx = np.arange(min(n, k))
                a[..., idx, idx] = sign
                out = Tensor(a)
                return out.mT if transpose else out
            if n == k:
                Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()  # noqa: N806
            else:
                noise = randn(*Q.shape[:-2], n, n - k, dtype=Q.dtype)
                Q = _make_orthogonal(ops.cat([Q, noise], -1))  # noqa: N806
            self.base = Q
            neg_id = np.zeros(q_init.shape, dtype=q_init.dtype)
            idx = np.arange(min(q_init.shape[-2], q_init.shape[-1]))
            neg_id[..., idx, idx] = -1.0
            return Tensor(neg_id)


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str | None = None,
    *,
    use_trivialization: bool = True,
) -> Module:
    """Constrain `module.<name>` (a matrix or a batch `(*, m, n)`) to orthonormal columns
    (rows when m < n). The default map is PyTorch's: "matrix_exp" for square matrices,
    "householder" otherwise. Returns the module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(
            f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions."
        )
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, str(orthogonal_map), None)
    if orth_enum is None:
        raise ValueError(
            'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
            f"Got: {orthogonal_map}"
        )
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


# ---------------------------------------------------------------------- weight_norm
class _WeightNorm(Module):
    """weight = g * v / ||v||, the norm over every dim but `dim` (all dims when None)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return weight_v * (weight_g / norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Reparametrise `module.<name>` as g * v / ||v||, with g in
    `parametrizations.<name>.original0` and v in `original1`. Returns the module."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(
        state_dict: dict,
        prefix: str,
        local_metadata: dict,
        strict: bool,
        missing_keys: list,
        unexpected_keys: list,
        error_msgs: list,
    ) -> None:
        """Load an old-style checkpoint (`<name>_g`, `<name>_v`, from the hook-based
        `nn.utils.weight_norm`) into original0/original1, as PyTorch's."""
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


# ---------------------------------------------------------------------- spectral_norm
class _SpectralNorm(Module):
    """weight / sigma, sigma = u^T W v the largest singular value of the weight viewed as
    `(W.shape[dim], -1)`, u and v (buffers `_u`, `_v`) refined by `n_power_iterations`
    steps of power iteration at each access in training mode. A 1-d weight is normalised."""

    def __init__(
        self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            # from minigrad's generator: the values differ from PyTorch's
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """Update u and v in place, outside the graph (so references to them see it)."""
        with no_grad():
            w = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(normalize(w.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(w.t().mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: a later training access updates the buffers in place, and this graph must
        # keep the values it was built with
        u, v = self._u.clone(), self._v.clone()
        sigma = u.dot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Reparametrise `module.<name>` as W / sigma(W) (see `_SpectralNorm`). `dim` defaults
    to 1 for transposed convolutions (weight `(C, OC, ...)`), else 0. Returns the module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
