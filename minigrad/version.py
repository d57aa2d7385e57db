"""`torch.version`'s names, as environment printouts read them (`torch.version.cuda`)."""

from __future__ import annotations

__version__ = "0.1.0"
git_version = None
cuda: str | None = None  # minigrad's CPU build; the CuPy backend reports its own in cuda.py
hip: str | None = None
debug = False
