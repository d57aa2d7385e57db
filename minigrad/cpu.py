"""`mg.cpu`, as `torch.cpu`: its `amp` module (the deprecated CPU spellings of
`minigrad.amp`, FutureWarning as in PyTorch)."""

from .amp import cpu_amp as amp  # noqa: F401  (torch.cpu.amp, deprecated there too)
