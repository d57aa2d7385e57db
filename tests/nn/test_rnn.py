"""Recurrent layers (minigrad.nn.rnn) and sequence packing (minigrad.nn.utils.rnn) against
PyTorch: a torch state_dict copied across must give the same outputs, final states and
gradients of every parameter and input."""

import itertools
import math

import numpy as np
import pytest

import minigrad as mg
from minigrad.nn import rnn as R
from minigrad.nn.utils import rnn as U

torch = pytest.importorskip("torch")

CLASSES = {"RNN": R.RNN, "LSTM": R.LSTM, "GRU": R.GRU}
CELLS = {"RNNCell": R.RNNCell, "LSTMCell": R.LSTMCell, "GRUCell": R.GRUCell}
TOL = {"float64": dict(rtol=1e-9, atol=1e-10), "float32": dict(rtol=2e-4, atol=2e-5)}


def pair(name, *args, dtype="float64", **kwargs):
    """A minigrad layer and the torch layer of the same name, sharing torch's weights."""
    t = getattr(torch.nn, name)(*args, **kwargs).to(getattr(torch, dtype))
    m = {**CLASSES, **CELLS}[name](*args, **kwargs, dtype=dtype)
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return m, t


def leaves(arrays, dtype):
    """Each array as a minigrad and a torch leaf requiring grad (None stays None)."""
    out = []
    for a in arrays:
        if a is None:
            out.append((None, None))
            continue
        a = np.asarray(a, dtype=dtype)
        out.append((mg.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)))
    return out


def flat(result):
    """The tensors of a layer's result, in order: output, h_n (and c_n)."""
    if isinstance(result, U.PackedSequence | torch.nn.utils.rnn.PackedSequence):
        return [result.data]
    if isinstance(result, tuple | list):
        return [t for r in result for t in flat(r)]
    return [result]


def close(got, want, dtype):
    want = want.detach().numpy()
    got = got.detach().numpy()
    assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, **TOL[dtype])


def check_against_torch(m, t, inputs, dtype, call=None, pack=None):
    """Run both layers, compare every result, then backprop a random weighting of all
    results and compare the gradients of every parameter and input."""
    call = call or (lambda layer, args: layer(*args))
    ins = leaves(inputs, dtype)
    mg_args = [a for a, _ in ins]
    th_args = [b for _, b in ins]
    if pack is not None:
        mg_args, th_args = pack(mg_args, th_args)
    got, want = flat(call(m, mg_args)), flat(call(t, th_args))
    assert len(got) == len(want)
    loss_m, loss_t = 0, 0
    for g, w in zip(got, want, strict=True):
        close(g, w, dtype)
        weight = np.random.randn(*w.shape).astype(dtype)
        loss_m = loss_m + (g * mg.tensor(weight)).sum()
        loss_t = loss_t + (w * torch.tensor(weight)).sum()
    loss_m.backward()
    loss_t.backward()
    named_t = dict(t.named_parameters())
    assert [n for n, _ in m.named_parameters()] == list(named_t)
    for name, p in m.named_parameters():
        close(p.grad, named_t[name].grad, dtype)
    for a, b in ins:
        if a is not None:
            close(a.grad, b.grad, dtype)


def states(name, layers, dirs, batch, hidden, proj=0):
    shape = (layers * dirs,) + ((batch,) if batch else ()) + (proj or hidden,)
    h = np.random.randn(*shape)
    if name != "LSTM":
        return h
    return h, np.random.randn(*shape[:-1], hidden)


def sequence_call(name, with_h0):
    """Calls layer(x) or layer(x, h0) / layer(x, (h0, c0)) from the flat argument list."""
    if not with_h0:
        return lambda layer, args: layer(args[0])
    if name == "LSTM":
        return lambda layer, args: layer(args[0], (args[1], args[2]))
    return lambda layer, args: layer(args[0], args[1])


def sequence_inputs(name, x, with_h0, layers, dirs, batch, hidden, proj=0):
    if not with_h0:
        return [x]
    h = states(name, layers, dirs, batch, hidden, proj)
    return [x, *h] if name == "LSTM" else [x, h]


MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


@pytest.mark.parametrize("mode", MODES, ids=["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize(
    "layers, bidirectional, batch_first, with_h0, bias",
    list(itertools.product([1, 2], [False, True], [False, True], [False, True], [True, False])),
)
def test_sequence_layers_match_torch_float64(
    mode, layers, bidirectional, batch_first, with_h0, bias
):
    name, extra = mode
    L, N, H_in, H = 4, 3, 5, 6
    m, t = pair(
        name,
        H_in,
        H,
        num_layers=layers,
        bias=bias,
        batch_first=batch_first,
        bidirectional=bidirectional,
        **extra,
    )
    x = np.random.randn(*((N, L, H_in) if batch_first else (L, N, H_in)))
    dirs = 2 if bidirectional else 1
    ins = sequence_inputs(name, x, with_h0, layers, dirs, N, H)
    check_against_torch(m, t, ins, "float64", sequence_call(name, with_h0))


@pytest.mark.parametrize("mode", MODES, ids=["tanh", "relu", "lstm", "gru"])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_sequence_layers_match_torch_float32(mode, layers, bidirectional):
    name, extra = mode
    m, t = pair(name, 5, 6, layers, bidirectional=bidirectional, dtype="float32", **extra)
    dirs = 2 if bidirectional else 1
    ins = sequence_inputs(name, np.random.randn(4, 3, 5), True, layers, dirs, 3, 6)
    check_against_torch(m, t, ins, "float32", sequence_call(name, True))
    assert all(p.dtype == np.float32 for p in m.parameters())


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_unbatched_input_matches_torch(name, with_h0, batch_first, bidirectional):
    m, t = pair(name, 3, 4, 2, batch_first=batch_first, bidirectional=bidirectional)
    dirs = 2 if bidirectional else 1
    ins = sequence_inputs(name, np.random.randn(5, 3), with_h0, 2, dirs, 0, 4)
    check_against_torch(m, t, ins, "float64", sequence_call(name, with_h0))
    out = m(mg.randn(5, 3, dtype=np.float64))
    assert out[0].shape == (5, dirs * 4)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("L, N", [(1, 3), (4, 1), (1, 1)])
def test_sequence_length_one_and_batch_one(name, L, N):
    m, t = pair(name, 3, 4, 2, bidirectional=True)
    ins = sequence_inputs(name, np.random.randn(L, N, 3), True, 2, 2, N, 4)
    check_against_torch(m, t, ins, "float64", sequence_call(name, True))


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lstm_projection_matches_torch(with_h0, bidirectional, dtype):
    m, t = pair("LSTM", 5, 6, 2, bidirectional=bidirectional, proj_size=3, dtype=dtype)
    dirs = 2 if bidirectional else 1
    ins = sequence_inputs("LSTM", np.random.randn(4, 2, 5), with_h0, 2, dirs, 2, 6, proj=3)
    check_against_torch(m, t, ins, dtype, sequence_call("LSTM", with_h0))
    out, (h, c) = m(mg.randn(4, 2, 5, dtype=dtype))
    assert out.shape == (4, 2, dirs * 3) and h.shape == (2 * dirs, 2, 3)
    assert c.shape == (2 * dirs, 2, 6)
    assert m.weight_hr_l0.shape == (3, 6)


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_in_eval_mode_is_the_identity(name):
    m, t = pair(name, 3, 4, 3, dropout=0.5, bidirectional=True)
    m.eval()
    t.eval()
    ins = sequence_inputs(name, np.random.randn(4, 2, 3), True, 3, 2, 2, 4)
    check_against_torch(m, t, ins, "float64", sequence_call(name, True))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_one_in_training_zeroes_the_inputs_of_upper_layers(name):
    """p=1 drops everything, which both libraries do deterministically."""
    m, t = pair(name, 3, 4, 2, dropout=1.0)
    ins = sequence_inputs(name, np.random.randn(4, 2, 3), True, 2, 1, 2, 4)
    check_against_torch(m, t, ins, "float64", sequence_call(name, True))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_dropout_in_training_masks_between_layers_only(name, monkeypatch):
    seen = []
    real = R.F.dropout

    def spy(x, p, training):
        y = real(x, p, training)
        seen.append((x.detach().numpy(), y.detach().numpy(), p, training))
        return y

    monkeypatch.setattr(R.F, "dropout", spy)
    L, N, H, p = 50, 40, 8, 0.3
    m = CLASSES[name](3, H, 3, dropout=p, bidirectional=True, dtype=np.float64)
    out = m(mg.randn(L, N, 3, dtype=np.float64))[0]
    assert len(seen) == 2  # after layers 0 and 1, not after the last
    for x, y, prob, training in seen:
        assert x.shape == (L * N, 2 * H) and prob == p and training
        kept = y != 0
        assert abs(1 - kept.mean() - p) < 0.03
        np.testing.assert_allclose(y[kept], x[kept] / (1 - p), rtol=1e-12)
    seen.clear()
    m.eval()
    assert not np.allclose(m(mg.randn(L, N, 3, dtype=np.float64))[0].detach().numpy(), 0)
    assert not seen
    # training runs differ from one another, eval runs do not
    x = mg.randn(L, N, 3, dtype=np.float64)
    m.train()
    assert not np.allclose(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    m.eval()
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), m(x)[0].detach().numpy())
    assert out.shape == (L, N, 2 * H)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1, but got dropout=0.5 and"):
        R.LSTM(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        R.GRU(3, 4, 2, dropout=1.5)


# ---------------------------------------------------------------------- cells
CELL_CASES = [
    ("RNNCell", {}),
    ("RNNCell", {"nonlinearity": "relu"}),
    ("RNNCell", {"bias": False}),
    ("LSTMCell", {}),
    ("LSTMCell", {"bias": False}),
    ("GRUCell", {}),
    ("GRUCell", {"bias": False}),
]


@pytest.mark.parametrize("case", CELL_CASES, ids=lambda c: c[0] + str(c[1]))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("with_h0", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_cells_match_torch(case, batched, with_h0, dtype):
    name, kwargs = case
    m, t = pair(name, 5, 4, dtype=dtype, **kwargs)
    lead = (3,) if batched else ()
    x = np.random.randn(*lead, 5)
    if not with_h0:
        check_against_torch(m, t, [x], dtype, lambda layer, a: layer(a[0]))
    elif name == "LSTMCell":
        hc = [np.random.randn(*lead, 4), np.random.randn(*lead, 4)]
        check_against_torch(m, t, [x, *hc], dtype, lambda layer, a: layer(a[0], (a[1], a[2])))
    else:
        check_against_torch(
            m, t, [x, np.random.randn(*lead, 4)], dtype, lambda layer, a: layer(a[0], a[1])
        )


def test_cell_unrolled_equals_sequence_layer():
    """An LSTM layer is its cell applied step by step with the same weights."""
    seq = R.LSTM(3, 4, dtype=np.float64)
    cell = R.LSTMCell(3, 4, dtype=np.float64)
    cell.load_state_dict({k[:-3]: v for k, v in seq.state_dict().items()})
    x = mg.randn(6, 2, 3, dtype=np.float64)
    out, (h, c) = seq(x)
    state = None
    for step in range(6):
        state = cell(x[step], state)
        np.testing.assert_allclose(state[0].detach().numpy(), out[step].detach().numpy())
    np.testing.assert_allclose(state[1].detach().numpy(), c[0].detach().numpy())


# ---------------------------------------------------------------------- packing
def packed_pair(lengths, enforce_sorted, batch_first=False, dims=3):
    def pack(mg_args, th_args):
        x_m, x_t = mg_args[0], th_args[0]
        p_m = U.pack_padded_sequence(x_m, lengths, batch_first, enforce_sorted)
        p_t = torch.nn.utils.rnn.pack_padded_sequence(x_t, lengths, batch_first, enforce_sorted)
        return [p_m, *mg_args[1:]], [p_t, *th_args[1:]]

    return pack


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("lengths, enforce_sorted", [([5, 3, 3, 1], True), ([2, 5, 1, 4], False)])
@pytest.mark.parametrize("with_h0", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed_sequences_match_torch(name, lengths, enforce_sorted, with_h0, bidirectional):
    m, t = pair(name, 3, 4, 2, bidirectional=bidirectional)
    dirs = 2 if bidirectional else 1
    ins = sequence_inputs(name, np.random.randn(5, 4, 3), with_h0, 2, dirs, 4, 4)
    check_against_torch(
        m,
        t,
        ins,
        "float64",
        sequence_call(name, with_h0),
        packed_pair(lengths, enforce_sorted),
    )


def test_packed_output_round_trips_and_ignores_padding():
    """Each sequence's result is what it gives alone, whatever the padding holds."""
    m = R.GRU(3, 4, bidirectional=True, batch_first=True, dtype=np.float64)
    seqs = [mg.randn(n, 3, dtype=np.float64) for n in (2, 5, 3)]
    packed = U.pack_sequence(seqs, enforce_sorted=False)
    out, h = m(packed)
    padded, lengths = U.pad_packed_sequence(out, batch_first=True, padding_value=-7.0)
    assert lengths.tolist() == [2, 5, 3] and padded.shape == (3, 5, 8)
    for b, s in enumerate(seqs):
        alone, h_alone = m(s)
        n = s.shape[0]
        np.testing.assert_allclose(padded[b, :n].detach().numpy(), alone.detach().numpy())
        np.testing.assert_allclose(h[:, b].detach().numpy(), h_alone.detach().numpy())
        assert np.all(padded[b, n:].detach().numpy() == -7.0)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths, enforce_sorted", [([4, 2, 1], True), ([2, 4, 4], False)])
@pytest.mark.parametrize("total_length", [None, 6])
def test_pack_and_pad_match_torch(batch_first, lengths, enforce_sorted, total_length):
    shape = (3, 5, 2) if batch_first else (5, 3, 2)
    x = np.random.randn(*shape)
    x_m = mg.tensor(x, requires_grad=True)
    x_t = torch.tensor(x, requires_grad=True)
    p_m = U.pack_padded_sequence(x_m, lengths, batch_first, enforce_sorted)
    p_t = torch.nn.utils.rnn.pack_padded_sequence(x_t, lengths, batch_first, enforce_sorted)
    close(p_m.data, p_t.data, "float64")
    assert p_m.batch_sizes.tolist() == p_t.batch_sizes.tolist()
    assert p_m.batch_sizes.dtype == np.int64
    for a, b in [
        (p_m.sorted_indices, p_t.sorted_indices),
        (p_m.unsorted_indices, p_t.unsorted_indices),
    ]:
        assert (a is None and b is None) or a.tolist() == b.tolist()
    y_m, len_m = U.pad_packed_sequence(p_m, batch_first, 0.5, total_length)
    y_t, len_t = torch.nn.utils.rnn.pad_packed_sequence(p_t, batch_first, 0.5, total_length)
    close(y_m, y_t, "float64")
    assert len_m.tolist() == len_t.tolist()
    w = np.random.randn(*y_t.shape)
    (y_m * mg.tensor(w)).sum().backward()
    (y_t * torch.tensor(w)).sum().backward()
    close(x_m.grad, x_t.grad, "float64")


def test_pack_sequence_and_unpack_match_torch():
    seqs = [np.random.randn(n, 2) for n in (3, 1, 4)]
    p_m = U.pack_sequence([mg.tensor(s) for s in seqs], enforce_sorted=False)
    p_t = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    close(p_m.data, p_t.data, "float64")
    for got, s in zip(U.unpack_sequence(p_m), seqs, strict=True):
        np.testing.assert_array_equal(got.numpy(), s)
    padded = U.pad_sequence([mg.tensor(s) for s in seqs])
    for got, s in zip(U.unpad_sequence(padded, [3, 1, 4]), seqs, strict=True):
        np.testing.assert_array_equal(got.numpy(), s)


def test_packing_errors_match_torch():
    x = np.random.randn(5, 3, 2)
    for lengths, kwargs in [([3, 4, 2], {}), ([3, 2, 0], {}), ([3, 2], {})]:
        with pytest.raises(RuntimeError) as want:
            torch.nn.utils.rnn.pack_padded_sequence(torch.tensor(x), lengths, **kwargs)
        with pytest.raises(RuntimeError) as got:
            U.pack_padded_sequence(mg.tensor(x), lengths, **kwargs)
        assert str(got.value) == str(want.value)
    p = U.pack_padded_sequence(mg.tensor(x), [4, 2, 1])
    with pytest.raises(ValueError, match="total_length=3 and max sequence length being 4"):
        U.pad_packed_sequence(p, total_length=3)
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length 5"):
        U.pack_padded_sequence(mg.tensor(x), [6, 2, 1])


def test_packed_sequence_is_torchs_namedtuple():
    p = U.PackedSequence(mg.zeros(3, 2), mg.tensor([2, 1]), mg.tensor([1, 0]))
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert unsorted_indices.tolist() == [1, 0] and p._fields == (
        "data",
        "batch_sizes",
        "sorted_indices",
        "unsorted_indices",
    )
    q = p.double()
    assert q.data.dtype == np.float64 and q.batch_sizes is p.batch_sizes and not q.is_cuda


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_gradcheck_and_gradgradcheck_through_layers(name):
    m = CLASSES[name](2, 3, 2, bidirectional=True, dtype=np.float64)
    x = mg.randn(3, 2, 2, dtype=np.float64, requires_grad=True)
    h = mg.randn(4, 2, 3, dtype=np.float64, requires_grad=True)
    c = mg.randn(4, 2, 3, dtype=np.float64, requires_grad=True)

    def fn(x, h, c):
        out, hn = m(x, (h, c) if name == "LSTM" else h)
        return (out, *hn) if name == "LSTM" else (out, hn)

    assert mg.gradcheck(fn, (x, h, c))
    assert mg.gradgradcheck(fn, (x, h, c))


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_gradcheck_with_respect_to_weights(name):
    m = CLASSES[name](2, 3, bias=True, dtype=np.float64)
    names = [n for n, _ in m.named_parameters()]
    x = mg.randn(3, 2, 2, dtype=np.float64)

    def fn(*weights):
        # the weights as inputs: put each in its parameter slot for this call
        saved = dict(m._parameters)
        m._parameters.update(zip(names, weights, strict=True))
        try:
            out, hn = m(x)
        finally:
            m._parameters.update(saved)
        return out

    weights = [mg.tensor(p.detach().numpy(), requires_grad=True) for p in m.parameters()]
    assert mg.gradcheck(fn, weights)
    assert mg.gradgradcheck(fn, weights)


def test_packed_gradcheck():
    m = R.LSTM(2, 3, bidirectional=True, dtype=np.float64)
    x = mg.randn(4, 3, 2, dtype=np.float64, requires_grad=True)

    def fn(x):
        out, (h, c) = m(U.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False))
        return U.pad_packed_sequence(out)[0], h, c

    assert mg.gradcheck(fn, (x,))


def test_double_backward_matches_torch():
    """A gradient penalty through an LSTM: d/dW |d out / d x|^2, as in WGAN-GP."""
    m, t = pair("LSTM", 3, 4, 2)
    x = np.random.randn(4, 2, 3)
    x_m = mg.tensor(x, requires_grad=True)
    x_t = torch.tensor(x, requires_grad=True)
    (g_m,) = mg.grad(m(x_m)[0].sum(), [x_m], create_graph=True)
    (g_t,) = torch.autograd.grad(t(x_t)[0].sum(), [x_t], create_graph=True)
    close(g_m, g_t, "float64")
    (g_m * g_m).sum().backward()
    (g_t * g_t).sum().backward()
    named_t = dict(t.named_parameters())
    for name, p in m.named_parameters():
        close(p.grad, named_t[name].grad, "float64")


# ---------------------------------------------------------------------- structure
STRUCTURE_CASES = [
    ("RNN", (4, 5), {}),
    ("RNN", (4, 5, 2), {"nonlinearity": "relu", "bias": False}),
    ("RNN", (4, 5), {"batch_first": True, "bidirectional": True}),
    ("LSTM", (4, 5, 3), {"bidirectional": True, "dropout": 0.25}),
    ("LSTM", (4, 5, 2), {"proj_size": 2, "bias": False, "bidirectional": True}),
    ("GRU", (4, 5, 2), {"batch_first": True, "bias": False}),
    ("RNNCell", (4, 5), {}),
    ("RNNCell", (4, 5), {"bias": False, "nonlinearity": "relu"}),
    ("LSTMCell", (4, 5), {"bias": False}),
    ("GRUCell", (4, 5), {}),
]


@pytest.mark.parametrize("name, args, kwargs", STRUCTURE_CASES)
def test_state_dict_shapes_repr_and_init_as_torch(name, args, kwargs):
    m = {**CLASSES, **CELLS}[name](*args, **kwargs)
    t = getattr(torch.nn, name)(*args, **kwargs)
    sd_m, sd_t = m.state_dict(), t.state_dict()
    assert list(sd_m) == list(sd_t)
    assert [tuple(v.shape) for v in sd_m.values()] == [tuple(v.shape) for v in sd_t.values()]
    assert repr(m) == repr(t)
    bound = 1 / math.sqrt(args[1])
    for p in m.parameters():
        assert p.dtype == np.float32 and np.abs(p.detach().numpy()).max() <= bound
    if name in CLASSES:
        assert [[n for n, _ in zip(w, w, strict=True)] for w in m._all_weights] == t._all_weights
        assert [[p.shape for p in w] for w in m.all_weights] == [
            [tuple(p.shape) for p in w] for w in t.all_weights
        ]


def test_init_is_uniform_from_the_global_generator():
    mg.manual_seed(3)
    a = R.LSTM(8, 100, 2)
    mg.manual_seed(3)
    b = R.LSTM(8, 100, 2)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    w = a.weight_hh_l1.detach().numpy()
    bound = 0.1
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert not np.array_equal(
        a.weight_ih_l0.detach().numpy(), a.weight_ih_l1.detach().numpy()[:, :8]
    )


def test_input_projection_is_one_matmul_per_layer_and_direction(monkeypatch):
    calls = []
    real = R.linear

    def spy(x, w, b=None):
        calls.append(x.shape)
        return real(x, w, b)

    monkeypatch.setattr(R, "linear", spy)
    m = R.GRU(3, 4, 2, bidirectional=True)
    m(mg.randn(7, 2, 3))
    # 4 projections of all 14 rows at once, then one small matmul per step and direction
    assert [s for s in calls if s[0] == 14] == [(14, 3), (14, 3), (14, 8), (14, 8)]
    assert len(calls) == 4 + 2 * 2 * 7


def test_module_to_dtype_and_state_dict_round_trip():
    m = R.LSTM(3, 4, 2, bidirectional=True).double()
    assert all(p.dtype == np.float64 for p in m.parameters())
    out, _ = m(mg.randn(2, 1, 3, dtype=np.float64))
    assert out.dtype == np.float64
    other = R.LSTM(3, 4, 2, bidirectional=True, dtype=np.float64)
    other.load_state_dict(m.state_dict())
    x = mg.randn(5, 2, 3, dtype=np.float64)
    np.testing.assert_array_equal(m(x)[0].detach().numpy(), other(x)[0].detach().numpy())


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_runs_on_device_as_on_cpu(name, device):
    m = CLASSES[name](3, 4, 2, bidirectional=True, dtype=np.float64)
    x = mg.randn(5, 3, 3, dtype=np.float64)
    want = flat(m(U.pack_padded_sequence(x, [5, 2, 4], enforce_sorted=False)))
    m.to(device)
    x_dev = x.to(device).requires_grad_()
    got = flat(m(U.pack_padded_sequence(x_dev, [5, 2, 4], enforce_sorted=False)))
    for g, w in zip(got, want, strict=True):
        assert g.device == device
        np.testing.assert_allclose(g.detach().cpu().numpy(), w.detach().numpy(), rtol=1e-9)
    sum(g.sum() for g in got).backward()
    assert x_dev.grad.device == device and m.weight_hh_l1_reverse.grad.device == device


# ---------------------------------------------------------------------- errors
def same_error(call_m, call_t):
    """minigrad raises what torch raises, same type and text (or neither raises)."""
    try:
        call_t()
    except Exception as want:
        with pytest.raises(type(want)) as got:
            call_m()
        assert str(got.value) == str(want)
    else:
        call_m()


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_wrong_inputs_raise_torchs_errors(name):
    m, t = pair(name, 4, 3, 1)
    lstm = name == "LSTM"

    def hidden(*shape, other=None):
        h = (np.random.randn(*shape),)
        if lstm:
            h += (np.random.randn(*(other or shape)),)
        return h

    cases = [
        (np.random.randn(2, 5, 3, 4), None),  # 4-D input
        (np.random.randn(5, 2, 5), None),  # wrong input_size
        (np.random.randn(5, 2, 4), hidden(1, 3, 3)),  # wrong batch in h0
        (np.random.randn(5, 2, 4), hidden(1, 2, 5)),  # wrong hidden size in h0
        (np.random.randn(5, 2, 4), hidden(1, 2, 3, other=(1, 2, 4))),  # c0 wrong
        (np.random.randn(5, 2, 4), hidden(2, 3)),  # 2-D h0 with batched input
        (np.random.randn(5, 4), hidden(1, 1, 3)),  # 3-D h0 with unbatched input
        (np.random.randn(0, 2, 4), None),  # empty sequence
    ]
    for x, h in cases:
        if h is None:
            same_error(lambda x=x: m(mg.tensor(x)), lambda x=x: t(torch.tensor(x)))
            continue
        hm = tuple(mg.tensor(a) for a in h)
        ht = tuple(torch.tensor(a) for a in h)
        same_error(
            lambda x=x, hm=hm: m(mg.tensor(x), hm if lstm else hm[0]),
            lambda x=x, ht=ht: t(torch.tensor(x), ht if lstm else ht[0]),
        )
    with pytest.raises(ValueError, match=r"RNN input dtype \(float32\) does not match weight"):
        m(mg.randn(5, 2, 4, dtype=np.float32))


@pytest.mark.parametrize("name", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cells_wrong_inputs_raise_torchs_errors(name):
    m, t = pair(name, 4, 3)
    lstm = name == "LSTMCell"

    def run(layer, lib, x, *h):
        hx = tuple(lib.tensor(a) for a in h)
        return layer(lib.tensor(x), (hx if lstm else hx[0]) if h else None)

    rand = np.random.randn
    cases = [
        (rand(2, 3, 4),),
        (rand(2, 5),),
        (rand(2, 4), rand(3, 3), rand(3, 3)),
        (rand(2, 4), rand(2, 5), rand(2, 3)),
        (rand(2, 4), rand(2, 3), rand(2, 5)),
        (rand(2, 4), rand(1, 2, 3), rand(1, 2, 3)),
        (rand(2, 4).astype(np.float32),),
    ]
    for args in cases:
        args = args if lstm or len(args) == 1 else args[:2]
        same_error(lambda a=args: run(m, mg, *a), lambda a=args: run(t, torch, *a))


def test_constructor_errors_match_torch():
    for name, args, kwargs in [
        ("RNN", (4, 3), {"nonlinearity": "gelu"}),
        ("RNN", (4, 3), {"proj_size": 1}),
        ("GRU", (4, 3), {"proj_size": 1}),
        ("LSTM", (4, 3), {"proj_size": 3}),
        ("LSTM", (4, 3), {"proj_size": -1}),
        ("LSTM", (0, 3), {}),
        ("LSTM", (4, 0), {}),
        ("GRU", (4, 3, 0), {}),
        ("GRU", (4, 3), {"bias": 1}),
        ("GRU", (4.0, 3), {}),
    ]:
        same_error(
            lambda n=name, a=args, k=kwargs: CLASSES[n](*a, **k),
            lambda n=name, a=args, k=kwargs: getattr(torch.nn, n)(*a, **k),
        )
