"""Round 9 of the hostile comparisons with PyTorch 2.13: weight_norm's dim check,
Bilinear's feature and dtype checks, deep copies of weight/spectral-normalised modules,
SWALR's state_dict, the norm layers' reprs, unfold/fold and Bernoulli on integer input,
Normal.icdf, the Normal/Uniform KL rules, is_autocast_enabled and torch.cuda.amp."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import amp as mg_amp

torch = pytest.importorskip("torch")


def _both(fn):
    """fn(lib) under torch and minigrad: ('ok', value) or (exception type, message)."""
    out = []
    for lib in (torch, mg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out.append(("ok", fn(lib)))
            except Exception as e:  # noqa: BLE001 - the point is to compare them
                out.append((type(e), str(e)))
    return out


def _same_error(fn, message=True):
    """Both libraries raise; minigrad's type is PyTorch's or a subclass of it, and (with
    `message`) the texts are equal."""
    (tt, tm), (mt, mm) = _both(fn)
    assert tt != "ok" and mt != "ok", (tt, tm, mt, mm)
    assert issubclass(mt, tt), (tt, mt, mm)
    if message:
        assert mm == tm
    return mm


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _t(lib, a, dtype="float32", requires_grad=False):
    return lib.tensor(np.array(a, dtype=dtype), requires_grad=requires_grad)


# ---------------------------------------------------------------- weight_norm dim
@pytest.mark.parametrize("dim", [2, 3, -3, -4])
def test_weight_norm_dim_out_of_range_is_index_error(dim):
    msg = _same_error(lambda L: L.nn.utils.weight_norm(L.nn.Linear(3, 4), dim=dim))
    assert f"but got {dim}" in msg and "[-2, 1]" in msg


def test_weight_norm_bad_dim_leaves_module_whole():
    m = mg.nn.Linear(3, 4)
    with warnings.catch_warnings(), pytest.raises(IndexError):
        warnings.simplefilter("ignore")
        mg.nn.utils.weight_norm(m, dim=2)
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    assert m._forward_pre_hooks == {}


def test_weight_norm_dims_and_zero_sizes_match_torch():
    for shape in [(4, 3), (3,), (2, 3, 4), (0, 3), (4, 0), (0,), (2, 0, 3), (0, 2, 3)]:
        for dim in [0, 1, 2, -1, -2, -3, None]:
            _check_weight_norm(shape, dim)


def _check_weight_norm(shape, dim):
    def fn(L):
        m = L.nn.Linear(1, 1)
        del m._parameters["weight"]
        w = np.arange(int(np.prod(shape)), dtype="float64").reshape(shape) - 1.5
        m.weight = L.nn.Parameter(_t(L, w, "float64"))
        L.nn.utils.weight_norm(m, dim=dim)
        return _np(m.weight_g), _np(m.weight)

    (ts, tv), (ms, mv) = _both(fn)
    if ts == "ok":
        assert ms == "ok", mv
        for a, b in zip(tv, mv, strict=True):
            assert a.shape == b.shape
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)
    else:
        assert ms != "ok" and issubclass(ms, ts) and mv == tv, (shape, dim, ts, tv, ms, mv)


def test_weight_norm_1d_weight_grad_matches_torch():
    def fn(L):
        m = L.nn.Linear(1, 1)
        del m._parameters["weight"]
        m.weight = L.nn.Parameter(_t(L, [-2.0, 0.0, 3.0], "float64"))
        L.nn.utils.weight_norm(m, dim=0)
        y = (m.weight * _t(L, [1.0, 2.0, 3.0], "float64")).sum()
        return [_np(g) for g in L.autograd.grad(y, [m.weight_g, m.weight_v])]

    (_, tv), (_, mv) = _both(fn)
    for a, b in zip(tv, mv, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12)


# ---------------------------------------------------------------- Bilinear
@pytest.mark.parametrize("args", [(0, 5, 4), (0, 0, 0), (0, 3, 2, False)])
def test_bilinear_zero_in1_features_value_error(args):
    msg = _same_error(lambda L: L.nn.Bilinear(*args))
    assert msg == "in1_features must be > 0, but got (in1_features=0)"


@pytest.mark.parametrize("args", [(-1, 5, 4), (5, -2, 4), (5, 4, -3), (-1, -2, 4)])
def test_bilinear_negative_features_runtime_error(args):
    msg = _same_error(lambda L: L.nn.Bilinear(*args))
    assert msg.startswith("Trying to create tensor with negative dimension")


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_zero_sizes_match_torch(bias):
    cases = [
        ((2,), 3, 5, 0),
        ((2, 3), 3, 5, 0),
        ((0,), 3, 5, 0),
        ((0,), 3, 5, 4),
        ((2,), 0, 5, 4),
        ((2,), 3, 0, 4),
        ((), 3, 0, 4),
        ((0,), 3, 0, 4),
    ]
    for lead, i, j, o in cases:

        def fn(L, lead=lead, i=i, j=j, o=o):
            def a(*s):
                return _t(L, np.arange(int(np.prod(s))).reshape(s) / 7, "float64")

            b = a(o) if bias else None
            return _np(L.nn.functional.bilinear(a(*lead, i), a(*lead, j), a(o, i, j), b))

        (ts, tv), (ms, mv) = _both(fn)
        if ts == "ok":
            assert ms == "ok", (lead, i, j, o, mv)
            assert mv.shape == tv.shape
            np.testing.assert_allclose(mv, tv)
        else:
            assert issubclass(ms, ts) and mv == tv, (lead, i, j, o, ts, tv, ms, mv)


def test_bilinear_module_out_features_zero_forward():
    def fn(L):
        m = L.nn.Bilinear(3, 4, 0)
        return tuple(m.weight.shape), tuple(m(L.ones(2, 3), L.ones(2, 4)).shape)

    (_, tv), (_, mv) = _both(fn)
    assert mv == tv == ((0, 3, 4), (2, 0))


@pytest.mark.parametrize(
    "dt1,dt2,dtw,dtb",
    [
        ("float64", "float64", "float32", "float32"),
        ("float64", "float32", "float32", "float32"),
        ("float32", "float32", "float64", None),
        ("float32", "float32", "float32", "float64"),
        ("int64", "float32", "float32", "float32"),
        ("float16", "float32", "float32", None),
        ("int32", "float32", "float32", None),
        ("uint8", "float32", "float32", None),
        ("bool", "float32", "float32", None),
        ("int8", "float32", "float32", None),
        ("int16", "float32", "float32", None),
    ],
)
def test_bilinear_mixed_dtypes_runtime_error(dt1, dt2, dtw, dtb):
    def fn(L):
        b = None if dtb is None else _t(L, np.ones(4), dtb)
        return L.nn.functional.bilinear(
            _t(L, np.ones((2, 3)), dt1),
            _t(L, np.ones((2, 5)), dt2),
            _t(L, np.ones((4, 3, 5)), dtw),
            b,
        )

    msg = _same_error(fn)
    assert msg.startswith("All tensors must have the same dtype, got input1: ")


def test_bilinear_float64_input_to_float32_module_errors():
    def fn(L):
        m = L.nn.Bilinear(3, 5, 4)
        return m(_t(L, np.ones((2, 3)), "float64"), _t(L, np.ones((2, 5)), "float64"))

    _same_error(fn)
    # one dtype throughout still works, integers included
    for dt in ("float64", "int64"):

        def ok(L, dt=dt):
            a = np.arange(6).reshape(2, 3)
            w = np.arange(60).reshape(4, 3, 5) % 7
            x2 = _t(L, np.ones((2, 5)), dt)
            return _np(
                L.nn.functional.bilinear(_t(L, a, dt), x2, _t(L, w, dt), _t(L, [1, 2, 3, 4], dt))
            )

        (_, tv), (_, mv) = _both(ok)
        assert mv.dtype == tv.dtype
        np.testing.assert_array_equal(mv, tv)


# ---------------------------------------------------------------- deepcopy, reparametrised
def _x(L):
    return L.ones(2, 3)


@pytest.mark.parametrize("seq", [False, True])
def test_spectral_norm_deepcopy_before_and_after_forward(seq):
    def make(L):
        m = L.nn.utils.spectral_norm(L.nn.Linear(3, 4))
        return L.nn.Sequential(m) if seq else m

    def before(L):
        m = make(L)
        c = copy.deepcopy(m)
        return tuple(c(_x(L)).shape), _np(c.state_dict()["weight_u" if not seq else "0.weight_u"])

    (_, tv), (_, mv) = _both(before)
    assert mv[0] == tv[0] == (2, 4)

    def after(L):
        m = make(L)
        m(_x(L))
        return copy.deepcopy(m)

    msg = _same_error(after)
    assert msg.startswith("Only Tensors created explicitly by the user (graph leaves)")

    def after_no_grad(L):
        m = make(L)
        m(_x(L))
        with L.no_grad():
            m(_x(L))
        return tuple(copy.deepcopy(m)(_x(L)).shape)

    (_, tv), (_, mv) = _both(after_no_grad)
    assert mv == tv == (2, 4)


def test_weight_norm_deepcopy_runtime_error_and_no_grad_copy_works():
    _same_error(lambda L: copy.deepcopy(L.nn.utils.weight_norm(L.nn.Linear(3, 4))))

    def fn(L):
        with L.no_grad():
            m = L.nn.utils.weight_norm(L.nn.Linear(3, 4))
        c = copy.deepcopy(m)
        with L.no_grad():
            c.weight_g.mul_(2)
        return bool((c(_x(L)) - m(_x(L))).abs().sum() > 0), c.weight_g is m.weight_g

    (_, tv), (_, mv) = _both(fn)
    assert mv == tv == (True, False)


def test_reparam_hooks_pickle_and_guard_after_unpickle():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with mg.no_grad():
            w = mg.nn.utils.weight_norm(mg.nn.Linear(3, 4))
    s = mg.nn.utils.spectral_norm(mg.nn.Linear(3, 4))
    for m in (w, s):
        b = pickle.loads(pickle.dumps(m))
        assert tuple(b(mg.ones(1, 3)).shape) == (1, 4)
        with pytest.raises(RuntimeError, match="graph leaves"):
            copy.deepcopy(b)


# ---------------------------------------------------------------- SWALR
@pytest.mark.parametrize("anneal_epochs,strategy", [(10, "cos"), (3, "linear"), (0, "cos")])
def test_swalr_state_dict_keys_and_order(anneal_epochs, strategy):
    def fn(L):
        p = L.nn.Parameter(L.tensor([1.0]))
        o = L.optim.SGD([p], lr=0.1)
        s = L.optim.swa_utils.SWALR(
            o, swa_lr=0.05, anneal_epochs=anneal_epochs, anneal_strategy=strategy
        )
        out = [list(s.state_dict().items())]
        for _ in range(4):
            o.step()
            s.step()
            out.append(list(s.state_dict().items()))
        return out

    (_, tv), (_, mv) = _both(fn)
    assert [[k for k, _ in d] for d in mv] == [[k for k, _ in d] for d in tv]
    for dm, dt in zip(mv, tv, strict=True):
        for (k, a), (_, b) in zip(dm, dt, strict=True):
            assert a == pytest.approx(b), k


def test_swalr_get_lr_outside_step_warns():
    def fn(L):
        p = L.nn.Parameter(L.tensor([1.0]))
        s = L.optim.swa_utils.SWALR(L.optim.SGD([p], lr=0.1), swa_lr=0.05)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            s.get_lr()
        return [(x.category, str(x.message)) for x in w], s.state_dict()[
            "_get_lr_called_within_step"
        ]

    (_, tv), (_, mv) = _both(fn)
    assert mv == tv


def test_swalr_load_state_dict_round_trip():
    p = mg.nn.Parameter(mg.tensor([1.0]))
    o = mg.optim.SGD([p], lr=0.1)
    s = mg.optim.swa_utils.SWALR(o, swa_lr=0.05)
    o.step()
    s.step()
    s2 = mg.optim.swa_utils.SWALR(mg.optim.SGD([p], lr=0.1), swa_lr=0.05)
    s2.load_state_dict(s.state_dict())
    assert s2.state_dict() == s.state_dict()
    assert "_get_lr_called_within_step" in s2.state_dict()


# ---------------------------------------------------------------- norm reprs
def test_norm_reprs_match_torch():
    cases = [
        ("BatchNorm1d", (5,), {}),
        ("BatchNorm1d", (5,), {"eps": 1e-3, "momentum": 0.5}),
        ("BatchNorm1d", (3,), {"dtype": "float64"}),
        ("BatchNorm2d", (5,), {"affine": False}),
        ("BatchNorm2d", (0,), {"momentum": None, "track_running_stats": False}),
        ("InstanceNorm1d", (5,), {}),
        ("InstanceNorm2d", (5,), {"affine": True}),
        ("InstanceNorm3d", (5,), {"track_running_stats": True}),
        ("GroupNorm", (2, 4), {}),
        ("GroupNorm", (2, 4), {"affine": False, "eps": 1e-3}),
        ("LayerNorm", (4,), {}),
        ("LayerNorm", ([3, 4],), {"bias": False}),
        ("LayerNorm", (4,), {"elementwise_affine": False}),
        ("SyncBatchNorm", (5,), {}),
    ]
    for name, args, kwargs in cases:
        tk = dict(kwargs)
        mk = dict(kwargs)
        if "dtype" in kwargs:
            tk["dtype"] = getattr(torch, kwargs["dtype"])
            mk["dtype"] = getattr(mg, kwargs["dtype"])
        got = repr(getattr(mg.nn, name)(*args, **mk))
        assert got == repr(getattr(torch.nn, name)(*args, **tk)), (name, kwargs)


# ---------------------------------------------------------------- unfold / fold dtypes and ranks
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8"])
def test_unfold_fold_integer_not_implemented(dtype):
    msg = _same_error(lambda L: L.nn.functional.unfold(_t(L, np.ones((1, 2, 3, 3)), dtype), 2))
    assert msg.startswith('"im2col_out_cpu" not implemented for')
    msg = _same_error(lambda L: L.nn.functional.fold(_t(L, np.ones((1, 8, 4)), dtype), (3, 3), 2))
    assert msg.startswith('"col2im_out_cpu" not implemented for')
    _same_error(lambda L: L.nn.Unfold(2)(_t(L, np.ones((2, 3, 3)), dtype)))
    _same_error(lambda L: L.nn.Fold((3, 3), 2)(_t(L, np.ones((8, 4)), dtype)))
    _same_error(lambda L: L.nn.functional.unfold(_t(L, np.ones((0, 2, 3, 3)), dtype), 2))
    # a shape error is reported before the dtype one, as PyTorch checks them
    _same_error(lambda L: L.nn.functional.fold(_t(L, np.ones((1, 7, 4)), dtype), (3, 3), 2))
    _same_error(lambda L: L.nn.functional.unfold(_t(L, np.ones((1, 2, 3, 3)), dtype), 7))
    # bool, half, double and complex tensors still fold and unfold
    for other in ("bool", "float16", "float64", "complex64"):
        a = (np.arange(16).reshape(1, 4, 4) % 3 == 0).astype(other)

        def fn(L, a=a, other=other):
            f = L.nn.functional.fold(_t(L, a, other), (3, 3), 2)
            u = L.nn.functional.unfold(_t(L, np.ones((1, 2, 3, 3)), other), 2)
            return _np(f), _np(u)

        (_, tv), (_, mv) = _both(fn)
        for x, y in zip(tv, mv, strict=True):
            assert x.dtype == y.dtype
            np.testing.assert_array_equal(y, x)


@pytest.mark.parametrize(
    "shape",
    [
        (),
        (4,),
        (2, 2),
        (2, 0),
        (0, 2),
        (0, 2, 2),
        (2, 0, 2),
        (0, 0, 2, 2),
        (1, 2, 0, 2),
        (1, 1, 1, 2, 2),
    ],
)
def test_unfold_bad_ranks_match_torch(shape):
    _same_error(lambda L: L.nn.functional.unfold(_t(L, np.ones(shape)), 1))


def test_fold_bad_ranks_match_torch():
    for shape in [(), (4,), (0, 4), (4, 0), (1, 0, 4), (1, 4, 0), (1, 1, 1, 4)]:
        _same_error(lambda L, shape=shape: L.nn.functional.fold(_t(L, np.ones(shape)), (2, 2), 1))


# ---------------------------------------------------------------- Bernoulli.log_prob value dtypes
@pytest.mark.parametrize("pdt", ["float32", "float64"])
@pytest.mark.parametrize("vdt", ["int64", "int32", "uint8", "int8", "bool"])
@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_bernoulli_log_prob_int_and_bool_values_error(pdt, vdt, validate, kind):
    def fn(L):
        d = L.distributions.Bernoulli(**{kind: _t(L, [0.3, 0.6], pdt)}, validate_args=validate)
        return d.log_prob(_t(L, [1, 0], vdt))

    _same_error(fn)


def test_bernoulli_log_prob_float_value_dtype_wins():
    for pdt in ("float32", "float64"):
        for vdt in ("float16", "float32", "float64"):

            def fn(L, pdt=pdt, vdt=vdt):
                d = L.distributions.Bernoulli(probs=_t(L, [0.3, 0.6], pdt))
                return _np(d.log_prob(_t(L, [1.0, 0.0], vdt)))

            (_, tv), (_, mv) = _both(fn)
            assert mv.dtype == tv.dtype, (pdt, vdt)
            np.testing.assert_allclose(mv, tv, rtol=1e-3 if vdt == "float16" else 1e-6)


def test_bernoulli_log_prob_scalar_and_empty_int_value():
    _same_error(lambda L: L.distributions.Bernoulli(probs=0.3).log_prob(L.tensor(1)))
    _same_error(
        lambda L: L.distributions.Bernoulli(probs=_t(L, [0.3, 0.6])).log_prob(
            _t(L, np.zeros((0, 2)), "int64")
        )
    )


# ---------------------------------------------------------------- Normal.icdf and KL rules
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_icdf_matches_torch(dtype):
    def fn(L):
        d = L.distributions.Normal(
            _t(L, [0.0, 1.0, 0.0, 0.0], dtype), _t(L, [1.0, 2.0, 1.0, 3.0], dtype)
        )
        return (
            _np(d.icdf(_t(L, [0.5, 0.1, 0.0, 1.0], dtype))),
            _np(d.icdf(_t(L, [[0.3], [0.975]], dtype))),
            _np(L.distributions.Normal(0.0, 1.0).icdf(_t(L, [0.025], dtype))),
            _np(L.distributions.Normal(_t(L, [], dtype), _t(L, [], dtype)).icdf(_t(L, [], dtype))),
        )

    (_, tv), (_, mv) = _both(fn)
    for a, b in zip(tv, mv, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-5 if dtype == "float32" else 1e-10)


def test_normal_icdf_grad_matches_torch():
    def fn(L):
        loc = _t(L, [0.5], "float64", True)
        scale = _t(L, [2.0], "float64", True)
        v = _t(L, [0.2], "float64", True)
        y = L.distributions.Normal(loc, scale).icdf(v).sum()
        return [_np(g) for g in L.autograd.grad(y, [loc, scale, v])]

    (_, tv), (_, mv) = _both(fn)
    for a, b in zip(tv, mv, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-10)


def test_kl_normal_uniform_is_infinite():
    def fn(L):
        D = L.distributions
        return (
            _np(D.kl_divergence(D.Normal(0.0, 1.0), D.Uniform(0.0, 1.0))),
            _np(
                D.kl_divergence(
                    D.Normal(_t(L, [0.0, 1.0], "float64"), _t(L, [1.0, 2.0], "float64")),
                    D.Uniform(_t(L, [0.0, 1.0], "float64"), _t(L, [1.0, 3.0], "float64")),
                )
            ),
        )

    (_, tv), (_, mv) = _both(fn)
    for a, b in zip(tv, mv, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(b, a)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kl_uniform_normal_matches_torch(dtype):
    def fn(L):
        D = L.distributions
        lo = _t(L, [0.0, -1.0], dtype, True)
        hi = _t(L, [1.0, 2.0], dtype, True)
        m = _t(L, [0.3], dtype, True)
        s = _t(L, [1.5], dtype, True)
        kl = D.kl_divergence(D.Uniform(lo, hi), D.Normal(m, s))
        grads = L.autograd.grad(kl.sum(), [lo, hi, m, s])
        empty = D.kl_divergence(
            D.Uniform(_t(L, [], dtype), _t(L, [], dtype) + 1),
            D.Normal(_t(L, [], dtype), _t(L, [], dtype) + 1),
        )
        return [_np(kl)] + [_np(g) for g in grads] + [_np(empty)]

    (_, tv), (_, mv) = _both(fn)
    for a, b in zip(tv, mv, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(b, a, rtol=1e-5 if dtype == "float32" else 1e-12)


def test_kl_independent_uniform_normal():
    def fn(L):
        D = L.distributions
        p = D.Independent(D.Uniform(_t(L, [[0.0, -1.0]]), _t(L, [[1.0, 2.0]])), 1)
        q = D.Independent(D.Normal(_t(L, [[0.0, 0.5]]), _t(L, [[1.0, 3.0]])), 1)
        return _np(D.kl_divergence(p, q))

    (_, tv), (_, mv) = _both(fn)
    np.testing.assert_allclose(mv, tv, rtol=1e-6)


# ---------------------------------------------------------------- autocast state and torch.cuda.amp
def _quiet_enter(ctx):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ctx.__enter__()


def test_is_autocast_enabled_follows_autocast_regions():
    def fn(L, is_enabled):
        r = [is_enabled(), is_enabled("cpu"), is_enabled(device_type="cpu")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with L.autocast("cpu") as a:
                r.append((type(a).__name__, is_enabled("cpu"), is_enabled(), is_enabled("cuda")))
                with L.autocast("cpu", enabled=False):
                    r.append(is_enabled("cpu"))
                r.append(is_enabled("cpu"))
            r.append(is_enabled("cpu"))
            try:
                with L.autocast("cpu"):
                    raise KeyError
            except KeyError:
                r.append(is_enabled("cpu"))
            r.append(L.autocast("cpu")(lambda: is_enabled("cpu"))())
            r.append(is_enabled("cpu"))
            a = L.amp.autocast("cpu")
            r.append((a.__enter__() is a, a.__exit__(None, None, None), is_enabled("cpu")))
        return r

    assert fn(mg, mg_amp.is_autocast_enabled) == fn(torch, torch.is_autocast_enabled)


@pytest.mark.parametrize("arg", ["xpu", "cuda:0", "CPU", "", "cpu0", "hip", "meta", 1, None])
def test_is_autocast_enabled_device_argument(arg):
    def fn(L):
        f = L.is_autocast_enabled if L is torch else mg_amp.is_autocast_enabled
        return f(arg)

    (ts, tv), (ms, mv) = _both(fn)
    if ts == "ok":
        assert (ms, mv) == (ts, tv)
    else:
        assert issubclass(ms, ts) and mv == tv, (ts, tv, ms, mv)


@pytest.mark.parametrize("device", ["foo", "hip", "cuda:x", "cpu0"])
def test_autocast_bad_device_errors(device):
    _same_error(lambda L: L.autocast(device))


def test_autocast_non_callable_type_error():
    _same_error(lambda L: L.autocast("cpu")(3))


def _record(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [
        (x.category, str(x.message).replace("torch.", "T.").replace("minigrad.", "T."))
        for x in w
        if "mixed precision is not applied" not in str(x.message)
    ]


@pytest.mark.skipif(mg.cuda.is_available(), reason="the CPU-only behaviour")
def test_cuda_autocast_and_scaler_disable_without_gpu():
    def fn(L):
        a = L.autocast("cuda")
        s = L.amp.GradScaler("cuda")
        return a._enabled, s.is_enabled(), s.state_dict(), s.get_scale()

    assert _record(lambda: fn(mg)) == _record(lambda: fn(torch))


@pytest.mark.skipif(mg.cuda.is_available(), reason="the CPU-only behaviour")
def test_cuda_amp_namespace_matches_torch():
    def fn(cuda_amp, L):
        s = cuda_amp.GradScaler()
        s2 = cuda_amp.GradScaler(init_scale=4.0, growth_factor=3.0, enabled=False)
        a = cuda_amp.autocast()
        entered = _quiet_enter(a) is a
        on = L.is_autocast_enabled() if L is torch else mg_amp.is_autocast_enabled()
        a.__exit__(None, None, None)
        return (
            type(s).__name__,
            isinstance(s, L.amp.GradScaler),
            s.is_enabled(),
            s2.is_enabled(),
            type(a).__name__,
            isinstance(a, L.autocast),
            a.device,
            a._enabled,
            entered,
            on,
            cuda_amp.autocast(enabled=False)._enabled,
            cuda_amp.autocast()(lambda x: x + 1)(1),
        )

    assert _record(lambda: fn(mg_amp.cuda_amp, mg)) == _record(lambda: fn(torch.cuda.amp, torch))


def test_cuda_amp_deprecation_warnings_point_at_caller():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        mg_amp.cuda_amp.GradScaler(enabled=False)
        mg_amp.cuda_amp.autocast(enabled=False)
    future = [x for x in w if x.category is FutureWarning]
    assert [str(x.message) for x in future] == [
        "`torch.cuda.amp.GradScaler(args...)` is deprecated. "
        "Please use `torch.amp.GradScaler('cuda', args...)` instead.",
        "`torch.cuda.amp.autocast(args...)` is deprecated. "
        "Please use `torch.amp.autocast('cuda', args...)` instead.",
    ]
    assert all(x.filename == __file__ for x in future)


def test_cuda_amp_grad_scaler_pickles_as_itself():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = mg_amp.cuda_amp.GradScaler(init_scale=8.0)
        back = pickle.loads(pickle.dumps(s))
    assert type(back) is type(s) and back.get_scale() == s.get_scale()


def test_cuda_amp_importable_as_module():
    import importlib

    assert importlib.import_module("minigrad.cuda.amp") is mg_amp.cuda_amp


def test_cuda_amp_and_is_autocast_enabled_exposed():
    # needs minigrad/cuda.py: `from .amp import cuda_amp as amp`, and minigrad/__init__.py:
    # `from .amp import autocast, is_autocast_enabled` (see the round-9 report)
    assert mg.cuda.amp is mg_amp.cuda_amp
    assert mg.is_autocast_enabled is mg_amp.is_autocast_enabled


def test_grad_scaler_update_new_scale_errors():
    for value in ("int", "bool", "t", "t1", "t11", "tf64", "tint", "t2", "grad"):

        def fn(L, value=value):
            v = {
                "int": 7,
                "bool": True,
                "t": L.tensor(7.0),
                "t1": L.tensor([7.0]),
                "t11": L.tensor([[7.0]]),
                "tf64": L.tensor(7.0, dtype=L.float64),
                "tint": L.tensor(7),
                "t2": L.tensor([7.0, 8.0]),
                "grad": L.tensor(7.0, requires_grad=True),
            }[value]
            s = L.amp.GradScaler("cpu")
            s.scale(L.tensor(1.0))
            s.update(v)
            return s.get_scale()

        (ts, tv), (ms, mv) = _both(fn)
        if ts == "ok":
            assert (ms, mv) == (ts, tv), value
        else:
            assert issubclass(ms, ts) and mv == tv, (value, ts, tv, ms, mv)
