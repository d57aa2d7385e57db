"""`torch.nn.utils.rnn.pad_sequence`: variable-length sequences padded into one tensor."""

from __future__ import annotations

from collections.abc import Sequence

from ...ops import pad, stack
from ...tensor import Tensor


def pad_sequence(
    sequences: Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Tensors (L_i, *) -> (max L, B, *), or (B, max L, *) with `batch_first`, each padded
    with `padding_value` on the `padding_side` of its first dim. Differentiable."""
    if padding_side not in ("right", "left"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}"
        )
    if not len(sequences):
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        # F.pad's widths run from the last dim backward: the first dim's pair comes last
        extra = longest - s.shape[0]
        widths = (0, 0) * (s.ndim - 1) + ((0, extra) if padding_side == "right" else (extra, 0))
        padded.append(pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


__all__ = ["pad_sequence"]
