"""Spectral normalisation (Miyato et al. 2018), as torch.nn.utils.spectral_norm: the hook
API with a `weight_orig` parameter and `weight_u`/`weight_v` buffers.

Before each forward a pre-hook sets `module.weight = weight_orig / sigma`, sigma the
largest singular value of `weight_orig` viewed as a matrix `(W.shape[dim], -1)`, estimated
as u^T W v. In training mode it first runs `n_power_iterations` steps of power iteration
outside the graph, updating u and v in place (so replicas sharing the buffers see it);
in eval mode it reuses them. The gradient flows through sigma's dependence on W only.
"""

from __future__ import annotations

from typing import Any, TypeVar

from ...autograd import no_grad
from ...tensor import Tensor, zeros
from ..conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ..functional import normalize
from ..module import Module, Parameter
from .weight_norm import _ReparamHook

T_module = TypeVar("T_module", bound=Module)


class SpectralNorm(_ReparamHook):
    """The forward pre-hook; also holds the settings remove_spectral_norm needs."""

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """`weight` as `(weight.shape[dim], -1)`, dim moved to the front first."""
        if self.dim != 0:
            rest = [d for d in range(weight.ndim) if d != self.dim % weight.ndim]
            weight = weight.permute(self.dim % weight.ndim, *rest)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                w = weight_mat.detach()
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(w.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(normalize(w.mv(v), dim=0, eps=self.eps))
        # copies: the next training forward updates the buffers in place, and this graph
        # must keep the values it was built with
        sigma = u.clone().dot(weight_mat.mv(v.clone()))
        return weight / sigma

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        self._rebind(module)
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(
        module: Module, name: str, n_power_iterations: int, dim: int, eps: float
    ) -> SpectralNorm:
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            # from minigrad's generator: the values differ from PyTorch's
            u = normalize(
                zeros(h, dtype=weight.dtype, device=weight.device).normal_(), dim=0, eps=eps
            )
            v = normalize(
                zeros(w, dtype=weight.dtype, device=weight.device).normal_(), dim=0, eps=eps
            )
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # as PyTorch: `weight` stays readable (a plain attribute) until the first forward
        setattr(module, fn.name, weight.data)
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        fn._bind(module)
        return fn


def spectral_norm(
    module: T_module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> T_module:
    """Reparametrise `module.<name>` as `<name>_orig / sigma`; see the module docstring.
    `dim` defaults to 1 for transposed convolutions (whose weight is `(C, OC, ...)`), else
    0. Returns the module."""
    if dim is None:
        transposed = (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
        dim = 1 if isinstance(module, transposed) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: T_module, name: str = "weight") -> T_module:
    """Undo spectral_norm: `<name>` becomes a parameter again, holding the normalised weight
    (u and v as they are, no power iteration)."""
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")


__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]
