"""`torch.nn.utils.rnn`: padding variable-length sequences, and packing them into a
`PackedSequence` that RNN, LSTM and GRU run without computing on the padding."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ...backend import as_numpy
from ...errors import IndexOutOfRange, ShapeError, ValueRangeError
from ...ops import cast, cat, index_select, pad, reshape, stack, transpose
from ...ops.shape import check_pad_value
from ...tensor import Tensor, full, tensor


def pad_sequence(
    sequences: Sequence[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Tensors (L_i, *) -> (max L, B, *), or (B, max L, *) with `batch_first`, each padded
    with `padding_value` on the `padding_side` of its first dim. Differentiable.

    As PyTorch's, the result has the first sequence's dtype: the others are cast into it
    (floats truncated into an integer result), not promoted; a padding value that dtype
    cannot hold is refused. Any iterable of tensors (a generator too) is taken.

    The sequences must share their trailing dims (*), as PyTorch's documentation assumes.
    PyTorch's kernel copies each into a block shaped by the first with broadcasting, so it
    takes some that differ, depending on their order, and can spread a 1-d sequence's steps
    across the features ([ones(2, 2), tensor([7., 8.])] gives [[7, 8], [7, 8]]): minigrad
    refuses them and names the sequence."""
    sequences = list(sequences)
    if not len(sequences):
        raise RuntimeError("pad_sequence: received an empty list of sequences")
    if padding_side not in ("right", "left"):
        raise ValueRangeError(
            f"pad_sequence: expected padding_side to be one of left or right, but got "
            f"{padding_side!r}"
        )
    for i, s in enumerate(sequences):
        if s.ndim == 0:  # PyTorch: a RuntimeError for the first, an IndexError after
            raise IndexOutOfRange(
                f"pad_sequence: sequence {i} is a 0-d tensor; each needs a first (time) dim"
            )
    _check_trailing(sequences)
    dtype = sequences[0].dtype
    check_pad_value("pad_sequence", padding_value, dtype)  # 1e6 in float16, -1 in uint8
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        s = cast(s, dtype)
        # F.pad's widths run from the last dim backward: the first dim's pair comes last
        extra = longest - s.shape[0]
        widths = (0, 0) * (s.ndim - 1) + ((0, extra) if padding_side == "right" else (extra, 0))
        padded.append(pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def _check_trailing(sequences: list[Tensor]) -> None:
    """pad_sequence's sequences share their dims after the first (time) one."""
    trailing = tuple(sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        if tuple(s.shape[1:]) != trailing:
            raise ShapeError(
                f"pad_sequence: sequence {i} of shape {list(s.shape)} has trailing dims "
                f"{list(s.shape[1:])}, where sequence 0 of shape {list(sequences[0].shape)} "
                f"has {list(trailing)}; all sequences must share the dims after the first"
            )


def _int64(values: Any, device: Any = "cpu") -> Tensor:
    return tensor(np.asarray(values, dtype=np.int64), dtype=np.int64, device=device)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The permutation that undoes `permutation` (1-D int64), or None for None."""
    if permutation is None:
        return None
    perm = as_numpy(permutation._data)
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size, dtype=perm.dtype)
    return _int64(inverse, permutation.device)


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedFields):
    """Sequences of different lengths packed time step by time step, as PyTorch's.

    `data` (sum of lengths, *) holds step 0 of every sequence, then step 1 of those longer
    than 1, and so on, the sequences sorted by decreasing length; `batch_sizes` (int64, on
    the CPU) says how many sequences each step has; `sorted_indices` maps the sorted order
    to the original batch order (None when the batch came sorted) and `unsorted_indices`
    is its inverse, computed when not given. Build one with `pack_padded_sequence` or
    `pack_sequence`."""

    __slots__ = ()

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """`data.to(...)`; the indices follow data's device, batch_sizes stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: t) if data.device == self.data.device else (lambda t: t.to(data.device))
        return type(self)(
            data,
            self.batch_sizes,
            None if self.sorted_indices is None else move(self.sorted_indices),
            None if self.unsorted_indices is None else move(self.unsorted_indices),
        )

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self) -> PackedSequence:
        return self.to("cuda")

    def double(self) -> PackedSequence:
        return self.to(dtype=np.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=np.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=np.float16)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def is_pinned(self) -> bool:
        return self.data.is_pinned()


def _lengths_values(lengths: Any) -> np.ndarray:
    """`lengths` (a tensor, list or array) as a 1-D NumPy array of its own dtype."""
    arr = as_numpy(lengths._data) if isinstance(lengths, Tensor) else np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError(
            "'lengths' argument should be a 1D CPU int64 tensor, but got "
            f"{arr.ndim}D cpu Long tensor"
        )
    return arr


def _lengths_array(lengths: Any) -> np.ndarray:
    return _lengths_values(lengths).astype(np.int64)


def pack_padded_sequence(
    input: Tensor, lengths: Any, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch (T, B, *), or (B, T, *) with `batch_first`, whose sequence b is
    `lengths[b]` long. With `enforce_sorted`, lengths must decrease; otherwise the batch is
    sorted here and the permutation kept. Differentiable with respect to `input`."""
    lengths = _lengths_array(lengths)
    if input.numel() == 0:  # PyTorch checks this before the lengths
        raise RuntimeError("Cannot pack empty tensors.")
    batch_dim = 0 if batch_first else 1
    x, sorted_indices = input, None
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = np.argsort(-lengths, kind="stable")  # torch.sort(descending=True) on the CPU
        lengths = lengths[order]
        sorted_indices = _int64(order, input.device)
        x = index_select(x, batch_dim, sorted_indices)
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    batch = x.shape[batch_dim]
    if lengths.size != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
            f"(batch_size={batch})"
        )
    if batch_first:
        x = transpose(x, 0, 1)
    steps = x.shape[0]
    if lengths.size and lengths[0] > steps:
        # PyTorch reads past the end here; refusing is the only safe answer
        raise RuntimeError(
            f"pack_padded_sequence: a length of {lengths[0]} exceeds the padded sequence "
            f"length {steps}"
        )
    longest = int(lengths[0]) if lengths.size else 0
    # (t, b) for every real step, t-major, so rows of step t come before those of t + 1
    t_idx, b_idx = np.nonzero(np.arange(longest)[:, None] < lengths[None, :])
    flat = reshape(x, (steps * batch,) + x.shape[2:])
    data = index_select(flat, 0, _int64(t_idx * batch + b_idx, x.device))
    batch_sizes = _int64((lengths[None, :] > np.arange(longest)[:, None]).sum(1))
    return PackedSequence(data, batch_sizes, sorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: (padded (T, B, *) or (B, T, *), lengths int64 (B,)),
    in the original batch order; T is the longest length, or `total_length`."""
    data, batch_sizes = sequence.data, as_numpy(sequence.batch_sizes._data).astype(np.int64)
    longest = batch_sizes.size
    if total_length is not None:
        if total_length < longest:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{longest}"
            )
        steps = total_length
    else:
        steps = longest
    batch = int(batch_sizes[0]) if longest else 0
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    # each padded slot (t, b) reads its row of data, or the extra row of padding at the end
    offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(np.int64)
    source = np.full((steps, batch), data.shape[0], dtype=np.int64)
    t_idx, b_idx = np.nonzero(np.arange(batch)[None, :] < batch_sizes[:, None])
    source[t_idx, b_idx] = offsets[t_idx] + b_idx
    filler = full((1,) + data.shape[1:], padding_value, dtype=data.dtype, device=data.device)
    rows = index_select(cat([data, filler], 0), 0, _int64(source.reshape(-1), data.device))
    padded = reshape(rows, (steps, batch) + data.shape[1:])
    if batch_first:
        padded = transpose(padded, 0, 1)
    if sequence.unsorted_indices is not None:
        padded = index_select(padded, 0 if batch_first else 1, sequence.unsorted_indices)
        lengths = lengths[as_numpy(sequence.unsorted_indices._data)]
    return padded, _int64(lengths)


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack tensors (L_i, *) (decreasing L_i unless `enforce_sorted` is False)."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(
    padded_sequences: Tensor, lengths: Any, batch_first: bool = False
) -> list[Tensor]:
    """The tensors (L_i, *) of a padded batch (T, B, *), or (B, T, *) with `batch_first`:
    the steps t < lengths[i] of sequence i (all T for a longer length, none for a negative
    one), as PyTorch's mask picks them. One length per sequence.

    Each is a copy, as PyTorch's masked indexing makes, so writing into one leaves the
    padded batch as it was. PyTorch 2.13 turns a (T, B, *) batch into (B, T, *) in place
    (`transpose_`) on the way, which reshapes the caller's tensor and raises for a leaf
    that requires grad; minigrad leaves that tensor as it was and runs."""
    if not batch_first:
        padded_sequences = transpose(padded_sequences, 0, 1)
    values = _lengths_values(lengths)
    batch, steps = padded_sequences.shape[0], padded_sequences.shape[1]
    if values.size != batch:  # PyTorch's zip(..., strict=True) raises a ValueError
        raise ValueRangeError(
            f"unpad_sequence: got {values.size} lengths for a batch of {batch} sequences"
        )
    counts = (np.arange(steps)[None, :] < values[:, None]).sum(1).tolist()
    device = padded_sequences.device
    return [padded_sequences[i, _int64(np.arange(n), device)] for i, n in enumerate(counts)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The tensors (L_i, *) packed in `packed_sequences`, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pack_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpack_sequence",
    "unpad_sequence",
]
