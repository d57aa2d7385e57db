"""Recurrent layers, as in `torch.nn`: RNNCell, LSTMCell, GRUCell and the multi-layer,
optionally bidirectional RNN, LSTM and GRU.

Everything is composed of existing ops (linear, sigmoid, tanh, relu, split, cat), so
autograd and double backward come free. Each layer and direction projects the inputs of
all time steps with one matmul; only the recurrence on the hidden state loops over time.
Parameter names, shapes, gate order and init are PyTorch's, so a torch state_dict loads
and gives the same numbers.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ..backend import as_numpy, default_float
from ..errors import IndexOutOfRange, warn_user
from ..ops import cat, index_select, linear, relu, reshape, sigmoid, split, stack, tanh, transpose
from ..tensor import Tensor, _type_name, zeros
from . import functional as F
from . import init
from .module import Module, Parameter
from .utils.rnn import PackedSequence

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _two_states(name: str, hx: Any) -> list[Tensor]:
    """An LSTM's (h, c): a tuple or list of two tensors, as PyTorch requires (a tensor
    stacked as (2, ...) would otherwise be split along its first dim without a word)."""
    if not isinstance(hx, (tuple, list)):
        raise TypeError(f"{name}: hx must be a tuple (h, c) of tensors, not {type(hx).__name__}")
    if len(hx) != 2:  # PyTorch's IndexError (a RuntimeError for a batched cell): both
        raise IndexOutOfRange(f"{name} expects two hidden states (h, c), got {len(hx)}")
    return list(hx)


def _check_same_dtype(a: Tensor, weight: Tensor) -> None:
    """PyTorch's refusal of a product between an input or state and weights of another dtype
    (no promotion inside a recurrent layer: a float64 state would make float64 outputs)."""
    if a.dtype != weight.dtype:
        got, want = _type_name(a.dtype), _type_name(weight.dtype)
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {got} and {want}")


def _dtype(dtype: Any) -> Any:
    return default_float() if dtype is None else np.dtype(dtype)


# ---------------------------------------------------------------------- one time step
# `gi` is the input projection x W_ih^T + b_ih of this step, computed for all steps at once.
def _rnn_step(mode: str, gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    pre = gi + linear(h, w_hh, b_hh)
    return tanh(pre) if mode == "RNN_TANH" else relu(pre)


def _lstm_step(
    gi: Tensor,
    h: Tensor,
    c: Tensor,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None,
) -> tuple[Tensor, Tensor]:
    """Gates in PyTorch's order i, f, g, o; with a projection, h = (o * tanh(c)) W_hr^T."""
    i, f, g, o = split(gi + linear(h, w_hh, b_hh), c.shape[-1], -1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    return (h if w_hr is None else linear(h, w_hr)), c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    """Gates r, z, n; n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h."""
    hidden = h.shape[-1]
    i_r, i_z, i_n = split(gi, hidden, -1)
    h_r, h_z, h_n = split(linear(h, w_hh, b_hh), hidden, -1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return (h - n) * z + n  # ATen's form of (1 - z) n + z h


# ---------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Weights of one step: weight_ih (G*H, H_in), weight_hh (G*H, H), bias_ih and bias_hh
    (G*H,), G gates stacked in PyTorch's order; all U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        dt, dev = _dtype(dtype), device or "cpu"
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(zeros(rows, input_size, dtype=dt, device=dev))
        self.weight_hh = Parameter(zeros(rows, hidden_size, dtype=dt, device=dev))
        if bias:
            self.bias_ih = Parameter(zeros(rows, dtype=dt, device=dev))
            self.bias_hh = Parameter(zeros(rows, dtype=dt, device=dev))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input: Tensor, hx: Any, n_states: int) -> tuple[Tensor, list[Tensor], bool]:
        """PyTorch's checks and unbatched handling: (input (N, H_in), states, batched)."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        states = None if hx is None else ([hx] if n_states == 1 else _two_states(name, hx))
        for i, s in enumerate(states or ()):
            if s.ndim not in (1, 2):
                which = "hidden" if n_states == 1 else f"hx[{i}]"
                raise ValueError(f"{name}: Expected {which} to be 1D or 2D, got {s.ndim}D instead")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if states is None:
            zero = zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
            states = [zero] * n_states
        elif not batched:
            states = [s.unsqueeze(0) for s in states]
        if x.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}"
            )
        for i, s in enumerate(states):
            if x.shape[0] != s.shape[0]:
                raise RuntimeError(
                    f"Input batch size {x.shape[0]} doesn't match hidden{i} batch size {s.shape[0]}"
                )
            if s.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, "
                    f"expected {self.hidden_size}"
                )
        for a in (x, states[0]):  # what goes through the products (an LSTM cell's c only
            _check_same_dtype(a, self.weight_ih)  # meets them element-wise, as PyTorch's)
        return x, states, batched

    def _input_projection(self, input: Tensor) -> Tensor:
        return linear(input, self.weight_ih, self.bias_ih)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu). x: (N, H_in) or (H_in);
    h: (N, H) or (H), zeros when not given."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, 1)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _rnn_step(mode, self._input_projection(x), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: (x, (h, c)) -> (h', c'); gates i, f, g, o as PyTorch's."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        x, (h, c), batched = self._prepare(input, hx, 2)
        gi = self._input_projection(x)
        h, c = _lstm_step(gi, h, c, self.weight_hh, self.bias_hh, None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: (x, h) -> h'; gates r, z, n as PyTorch's."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, (h,), batched = self._prepare(input, hx, 1)
        h = _gru_step(self._input_projection(x), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


# ---------------------------------------------------------------------- multi-layer
class RNNBase(Module):
    """The weights and the time loop shared by RNN, LSTM and GRU.

    Layer k, direction d holds weight_ih_l{k}[_reverse] (G*H, H_in or D*H_out),
    weight_hh_l{k} (G*H, H_out), bias_ih_l{k}, bias_hh_l{k} (G*H,) and, for an LSTM with
    proj_size, weight_hr_l{k} (proj_size, H); H_out is proj_size or H."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(dropout, numbers.Number)
            or isinstance(dropout, bool)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                "dropout expects num_layers greater than 1, but got "
                f"dropout={dropout} and num_layers={num_layers}",
                stacklevel=3,
            )
        for name, value, kind in (
            ("bias", bias, bool),
            ("batch_first", batch_first, bool),
            ("bidirectional", bidirectional, bool),  # PyTorch's forward refuses 1 (as lstm())
            ("input_size", input_size, int),
        ):
            if not isinstance(value, kind):
                raise TypeError(
                    f"{name} should be of type {kind.__name__}, got: {type(value).__name__}"
                )
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError(
                "proj_size should be a positive integer or zero to disable projections"
            )
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size

        gate_size = _GATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        dt, dev = _dtype(dtype), device or "cpu"
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(self._directions):
                layer_input = input_size if layer == 0 else out_size * self._directions
                shapes = [
                    ("weight_ih", (gate_size, layer_input)),
                    ("weight_hh", (gate_size, out_size)),
                ]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                suffix = "_reverse" if direction == 1 else ""
                names = []
                for kind, shape in shapes:
                    name = f"{kind}_l{layer}{suffix}"
                    setattr(self, name, Parameter(zeros(*shape, dtype=dt, device=dev)))
                    names.append(name)
                self._all_weights.append(names)
        self._flat_weights_names = [name for names in self._all_weights for name in names]
        self.reset_parameters()

    @property
    def _directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Any]:
        """PyTorch's list of the weights in `_flat_weights_names` order (None for a name
        deleted, as weight-drop wrappers do before assigning a tensor to it). PyTorch keeps
        the list in step with assignments to those names and runs forward on it; here it is
        read from those attributes on each access, as forward reads them."""
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @_flat_weights.setter
    def _flat_weights(self, weights: list[Any]) -> None:
        # Code written for PyTorch rebuilds the list from the attributes after replacing a
        # weight (weight drop): already true here. A tensor that is not its name's attribute
        # would run in PyTorch's forward but not in minigrad's, so say so.
        if any(
            w is not None and w is not c for w, c in zip(weights, self._flat_weights, strict=False)
        ):
            warn_user(
                f"{type(self).__name__}._flat_weights: minigrad's forward reads the weights "
                f"named in _flat_weights_names ({', '.join(self._flat_weights_names)}), not "
                "this list; assign the tensors to those attributes instead"
            )

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights for cuDNN here; minigrad keeps them apart: a no-op."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -------------------------------------------------------------- checks
    def _state_shape(self, batch: int, size: int) -> tuple[int, int, int]:
        return (self.num_layers * self._directions, batch, size)

    def _check_input(self, input: Tensor, packed: bool) -> None:
        want = self.weight_ih_l0.dtype
        if input.dtype != want:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({want}). "
                f"Convert input: input.to({want}), or convert model: model.to({input.dtype})"
            )
        expected_dim = 2 if packed else 3
        if input.ndim != expected_dim:
            raise RuntimeError(f"input must have {expected_dim} dimensions, got {input.ndim}")
        if self.input_size != input.shape[-1]:
            raise RuntimeError(
                "input.size(-1) must be equal to input_size. Expected "
                f"{self.input_size}, got {input.shape[-1]}"
            )

    @staticmethod
    def _check_state(state: Tensor, expected: tuple[int, ...], msg: str) -> None:
        if tuple(state.shape) != expected:
            raise RuntimeError(msg.format(expected, list(state.shape)))

    def _check_states(self, input: Tensor, states: list[Tensor], batch: int, packed: bool) -> None:
        self._check_input(input, packed)
        for s in states:  # PyTorch's products refuse a state of another dtype than the weights
            _check_same_dtype(s, self.weight_ih_l0)
        if self.mode == "LSTM":
            out_size = self.proj_size or self.hidden_size
            self._check_state(
                states[0], self._state_shape(batch, out_size), "Expected hidden[0] size {}, got {}"
            )
            self._check_state(
                states[1],
                self._state_shape(batch, self.hidden_size),
                "Expected hidden[1] size {}, got {}",
            )
        else:
            self._check_state(
                states[0],
                self._state_shape(batch, self.hidden_size),
                "Expected hidden size {}, got {}",
            )

    # -------------------------------------------------------------- forward
    def _prepare(self, input: Any, hx: Any) -> tuple:
        """PyTorch's argument checks and unbatched handling: (data, batch sizes per step,
        batch size, initial states or None, batched, packed). A PackedSequence gives its
        data (sum of lengths, H_in) and sizes; a tensor comes back 3-D, sizes and batch
        size None, the states moved to the sorted batch order or made 3-D."""
        lstm = self.mode == "LSTM"
        if isinstance(input, PackedSequence):
            data, batch_sizes, sorted_indices, _ = input
            sizes = [int(b) for b in as_numpy(batch_sizes._data).tolist()]
            batch = sizes[0]
            states = None
            if hx is not None:
                states = _two_states(self.mode, hx) if lstm else [hx]
                if sorted_indices is not None:
                    states = [index_select(s, 1, sorted_indices) for s in states]
            return data, sizes, batch, states, True, True
        prefix = "RNN" if self.mode.startswith("RNN") else self.mode
        if input.ndim not in (2, 3):
            tail = "D tensor instead" if prefix == "RNN" else "D instead"
            raise ValueError(f"{prefix}: Expected input to be 2D or 3D, got {input.ndim}{tail}")
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(0 if self.batch_first else 1)
        states = None
        if hx is not None:
            states = _two_states(self.mode, hx) if lstm else [hx]
            dims = [s.ndim for s in states]
            want = 3 if batched else 2
            if any(d != want for d in dims):
                kind = "batched 3-D" if batched else "unbatched 2-D"
                if lstm:
                    raise RuntimeError(
                        f"For {kind} input, hx and cx should also be {want}-D but got "
                        f"({dims[0]}-D, {dims[1]}-D) tensors"
                    )
                raise RuntimeError(
                    f"For {kind} input, hx should also be {want}-D but got {dims[0]}-D tensor"
                )
            if not batched:
                states = [s.unsqueeze(1) for s in states]
        return x, None, None, states, batched, False

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        """input (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
        PackedSequence; hx (D*num_layers, N, H_out) (an (h, c) pair for LSTM), zeros when
        None. Returns (output (L, N, D*H_out) or packed, h_n) or, for LSTM,
        (output, (h_n, c_n))."""
        data, sizes, batch, states, batched, packed = self._prepare(input, hx)
        if not packed:
            batch = data.shape[0 if self.batch_first else 1]
        if states is not None:
            self._check_states(data, states, batch, packed)
        else:
            self._check_input(data, packed)
        if not packed:
            time_major = transpose(data, 0, 1) if self.batch_first else data
            steps = time_major.shape[0]
            if steps == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            sizes = [batch] * steps
            data = reshape(time_major, (steps * batch, self.input_size))
        out, finals = self._run(data, sizes, batch, states)
        lstm = self.mode == "LSTM"
        if packed:
            _, batch_sizes, sorted_indices, unsorted_indices = input
            if unsorted_indices is not None:
                finals = [index_select(f, 1, unsorted_indices) for f in finals]
            hidden = tuple(finals) if lstm else finals[0]
            return PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices), hidden
        out = reshape(out, (len(sizes), batch, out.shape[-1]))
        if self.batch_first:
            out = transpose(out, 0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            finals = [f.squeeze(1) for f in finals]
        return out, (tuple(finals) if lstm else finals[0])

    def _run(
        self, data: Tensor, sizes: list[int], batch: int, states: list[Tensor] | None
    ) -> tuple[Tensor, list[Tensor]]:
        """All layers over packed-layout `data` (sum(sizes), H_in), whose time step t holds
        sizes[t] (non-increasing) rows. Returns the last layer's output in the same layout
        and the final states, each (D*num_layers, N, H_out)."""
        n_states = 2 if self.mode == "LSTM" else 1
        finals: list[list[Tensor]] = [[] for _ in range(n_states)]
        for layer in range(self.num_layers):
            outs = []
            for direction in range(self._directions):
                k = layer * self._directions + direction
                weights = self.all_weights[k]
                if states is None:
                    sizes_out = (self.proj_size or self.hidden_size, self.hidden_size)
                    init_states = [
                        zeros(batch, sizes_out[i], dtype=data.dtype, device=data.device)
                        for i in range(n_states)
                    ]
                else:
                    init_states = [s[k] for s in states]
                out, last = self._run_direction(data, sizes, weights, init_states, direction == 1)
                outs.append(out)
                for i in range(n_states):
                    finals[i].append(last[i])
            data = outs[0] if len(outs) == 1 else cat(outs, 1)
            if layer < self.num_layers - 1 and self.dropout > 0 and self.training:
                data = F.dropout(data, self.dropout, True)
        return data, [stack(f, 0) for f in finals]

    def _run_direction(
        self,
        data: Tensor,
        sizes: list[int],
        weights: list[Parameter],
        states: list[Tensor],
        reverse: bool,
    ) -> tuple[Tensor, list[Tensor]]:
        """One layer in one direction: (output (sum(sizes), H_out), final states). Rows past
        sizes[t] of the state are sequences already finished (forward) or not yet started
        (reverse) and pass through unchanged."""
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        w_hr = weights[-1] if self.proj_size > 0 else None
        gis = split(linear(data, w_ih, b_ih), sizes, 0)  # one matmul for all time steps
        batch = states[0].shape[0]
        outputs: list[Tensor | None] = [None] * len(sizes)
        for t in reversed(range(len(sizes))) if reverse else range(len(sizes)):
            active = sizes[t]
            if active < batch:
                parts = [split(s, [active, batch - active], 0) for s in states]
                current, rest = [p[0] for p in parts], [p[1] for p in parts]
            else:
                current, rest = states, None
            new = self._step(gis[t], current, w_hh, b_hh, w_hr)
            outputs[t] = new[0]
            states = (
                new if rest is None else [cat([n, r], 0) for n, r in zip(new, rest, strict=True)]
            )
        return cat(outputs, 0), states

    def _step(
        self,
        gi: Tensor,
        states: list[Tensor],
        w_hh: Tensor,
        b_hh: Tensor | None,
        w_hr: Tensor | None,
    ) -> list[Tensor]:
        if self.mode == "LSTM":
            return list(_lstm_step(gi, states[0], states[1], w_hh, b_hh, w_hr))
        if self.mode == "GRU":
            return [_gru_step(gi, states[0], w_hh, b_hh)]
        return [_rnn_step(self.mode, gi, states[0], w_hh, b_hh)]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), or relu with
    nonlinearity='relu'. Arguments as PyTorch's:
    RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Multi-layer LSTM, gates i, f, g, o; with proj_size > 0 the hidden state is projected
    by weight_hr_l{k} to proj_size. Arguments as PyTorch's:
    LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Multi-layer GRU, gates r, z, n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
    Arguments as PyTorch's: GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)
