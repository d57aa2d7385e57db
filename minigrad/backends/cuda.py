"""`torch.backends.cuda` for PyTorch programs: nanoGPT's `torch.backends.cuda.matmul.allow_tf32
= True`, the attention-kernel switches (`enable_flash_sdp(False)`, `sdp_kernel(...)`).
minigrad's GPU products are CuPy's in the tensors' own precision, and its attention has
one path, the math one, so these flags can be set and read but select nothing, and results
are the same either way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class _MatmulFlags:
    """`torch.backends.cuda.matmul`: PyTorch's defaults, recorded only."""

    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _MatmulFlags()

# which scaled-dot-product-attention kernels a program allowed (PyTorch's four)
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def is_built() -> bool:
    """False: minigrad is not built against CUDA (its GPU path is CuPy)."""
    return False


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]


@contextlib.contextmanager
def sdp_kernel(
    enable_flash: bool = True,
    enable_math: bool = True,
    enable_mem_efficient: bool = True,
    enable_cudnn: bool = True,
) -> Iterator[None]:
    """Set the four switches for the block and restore them after (PyTorch's older form of
    `minigrad.nn.attention.sdpa_kernel`), with PyTorch's deprecation warning."""
    from ..errors import warn_user

    warn_user(
        "`minigrad.backends.cuda.sdp_kernel()` is deprecated, as in PyTorch: use "
        "`minigrad.nn.attention.sdpa_kernel()`, the newer context manager with an updated "
        "signature.",
        FutureWarning,
    )
    saved = dict(_sdp)
    _sdp.update(
        flash=bool(enable_flash),
        math=bool(enable_math),
        mem_efficient=bool(enable_mem_efficient),
        cudnn=bool(enable_cudnn),
    )
    try:
        yield
    finally:
        _sdp.update(saved)
