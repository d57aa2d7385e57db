"""`minigrad.backends`, as `torch.backends`: switches PyTorch programs set, kept so that
they run unchanged. minigrad's CPU work is NumPy and its GPU work CuPy, which pick their
own kernels, so these switches record a value and change nothing (`minigrad.backend`,
singular, is the NumPy/CuPy switch itself)."""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
