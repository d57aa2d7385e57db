"""Round 18: minigrad.func, autograd.functional, autograd.grad's batched path and the AMP
API against PyTorch at the edges a differential run found: in-place writes into unbatched
tensors under vmap, None cotangents, integer outputs of a forward-mode jacobian, gradients
that are views of a flat buffer, and the autocast flags and helpers."""

import warnings

import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")
# torch's forward-mode jacobian warns about torch.jit.script on its own
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

BATCH = np.arange(1.0, 13.0, dtype=np.float32).reshape(4, 3)


# ------------------------------------------------------------ vmap: in-place writes
# func(w, x) -> result: an in-place write of a batched value into w, which is not batched
# (captured by func and returned, or passed with in_dims=None)
UNBATCHED_WRITES = {
    "add_": lambda lib, w, x: w.add_(x),
    "mul_": lambda lib, w, x: w.mul_(x),
    "copy_": lambda lib, w, x: w.copy_(x),
    "fill_": lambda lib, w, x: w.fill_(x[0]),
    "setitem": lambda lib, w, x: w.__setitem__(0, x[0]) or w,
    "out=": lambda lib, w, x: lib.add(x, 1, out=w),
}


@pytest.mark.parametrize("case", UNBATCHED_WRITES)
@pytest.mark.parametrize("passed", ["captured", "in_dims=None"])
def test_vmap_refuses_a_batched_write_into_an_unbatched_tensor(case, passed):
    write = UNBATCHED_WRITES[case]
    for lib in (torch, mg):
        w, x = lib.ones(3), lib.tensor(BATCH)
        if passed == "captured":
            run = lib.func.vmap(lambda x, w=w, lib=lib: write(lib, w, x))
            args = (x,)
        else:
            run = lib.func.vmap(lambda w, x, lib=lib: write(lib, w, x), in_dims=(None, 0))
            args = (w, x)
        with pytest.raises(RuntimeError) as info:
            run(*args)
    # (torch words add_ and out= otherwise: a broadcast error, a missing batching rule)
    assert str(info.value).startswith("vmap: inplace arithmetic(self, *extra_args) is not")


KEPT_WRITES = [
    lambda lib, w, x: w.zero_() + x,  # the same value written by every entry
    lambda lib, w, x: w.fill_(5.0),
    lambda lib, w, x: (x * 2, w),  # returned, not written
    lambda lib, w, x: x.add_(w),  # a write into the batched input
    lambda lib, w, x: x.clone().mul_(w),
]


def test_vmap_refuses_only_writes_that_differ_between_entries():
    """The write of a batched value is refused; writes that every entry makes alike, and
    writes into batched tensors, run as in PyTorch."""

    def run(lib, func):
        w, x = lib.full((3,), 2.0), lib.tensor(BATCH)
        try:
            out = lib.func.vmap(lambda w, x: func(lib, w, x), in_dims=(None, 0))(w, x)
        except RuntimeError:
            return "RuntimeError"
        outs = out if isinstance(out, tuple) else (out,)
        return [o.tolist() for o in outs], w.tolist(), x.tolist()

    for func in [UNBATCHED_WRITES["copy_"], *KEPT_WRITES]:
        assert run(mg, func) == run(torch, func)


# ------------------------------------------------------------ func.vjp: None cotangents
def test_vjp_fn_takes_none_as_the_cotangent_of_a_scalar_output():
    for f, cot in [
        (lambda x: (x * x).sum(), lambda lib: None),
        (lambda x: ((x * x).sum(), x * 2), lambda lib: (None, lib.ones(2))),
    ]:
        got, want = (lib.func.vjp(f, lib.tensor([1.0, 2.0]))[1](cot(lib)) for lib in (mg, torch))
        assert [g.tolist() for g in got] == [w.tolist() for w in want]


def test_vjp_fn_refuses_none_for_a_non_scalar_output():
    for lib in (torch, mg):
        _, vjp_fn = lib.func.vjp(lambda x: x * 2, lib.tensor([1.0, 2.0]))
        with pytest.raises(RuntimeError, match="implicitly"):
            vjp_fn(None)


# ------------------------------------------------------------ gradients that are views
def _flat_grads(lib):
    """Two parameters whose gradients are views of one flat buffer."""
    w, b = lib.nn.Parameter(lib.ones(3)), lib.nn.Parameter(lib.ones(2))
    flat = lib.tensor([4.0, -8.0, 12.0, 16.0, 2.0, 7.0])
    w.grad, b.grad = flat[:3], flat[3:5]
    return w, b, flat


def _unscale(lib, params):
    scaler = lib.amp.GradScaler("cpu", init_scale=4.0)
    scaler.scale(params[0].sum())
    scaler.unscale_(lib.optim.SGD(params, lr=0.1))


@pytest.mark.parametrize(
    "write",
    [
        _unscale,
        lambda lib, params: lib.nn.utils.clip_grad_norm_(params, 1.0),
        lambda lib, params: lib.nn.utils.clip_grad_value_(params, 5.0),
    ],
    ids=["GradScaler.unscale_", "clip_grad_norm_", "clip_grad_value_"],
)
def test_gradient_views_are_written_in_place(write):
    def run(lib):
        w, b, flat = _flat_grads(lib)
        grad, version = w.grad, flat._version
        write(lib, [w, b])
        assert w.grad is grad
        # (PyTorch's unscale_ kernel leaves the version alone; minigrad counts every write)
        assert lib is torch or flat._version > version
        w.grad.mul_(0.5)  # later in-place work on the gradient reaches the buffer too
        return flat.tolist(), w.grad.tolist(), b.grad.tolist()

    np.testing.assert_allclose(np.hstack(run(mg)), np.hstack(run(torch)), rtol=1e-6)


# ------------------------------------------------------------ autograd.functional
@pytest.mark.parametrize(
    "func",
    [
        lambda x: (x * 2, x.argmax()),
        lambda x: x > 0,
        lambda x: (x * 2).int(),
    ],
    ids=["(float, int64)", "bool", "int32"],
)
def test_forward_mode_jacobian_of_an_integer_output_is_zeros(func):
    """As PyTorch's forward AD; autograd.functional.jvp (the double-backward trick in both)
    still refuses the integer output."""

    def run(lib):
        x = lib.tensor([0.3, -1.2, 2.0], dtype=lib.float64)
        jac = lib.autograd.functional.jacobian(func, x, vectorize=True, strategy="forward-mode")
        jac = jac if isinstance(jac, tuple) else (jac,)
        with pytest.raises(RuntimeError, match="(?i)floating"):
            lib.autograd.functional.jvp(func, x, lib.ones(3, dtype=lib.float64))
        return [(j.tolist(), str(j.dtype).replace("torch.", "")) for j in jac]

    assert run(mg) == run(torch)


# ------------------------------------------------------------ autograd.grad, batched
def test_batched_grad_refuses_a_none_grad_output_of_a_non_scalar():
    for lib in (torch, mg):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        for grad_outputs in [(None,), None]:
            with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
                lib.autograd.grad((x.exp(),), x, grad_outputs=grad_outputs, is_grads_batched=True)
        with pytest.raises(ValueError):  # a scalar's implicit gradient has no batch dim
            lib.autograd.grad((x.sum(),), x, grad_outputs=(None,), is_grads_batched=True)


# ------------------------------------------------------------ AMP
def _dtype_name(d):
    """torch.float16 / numpy.float16 / minigrad.bfloat16 -> 'float16' / 'bfloat16'."""
    if isinstance(d, torch.dtype) or d is mg.bfloat16:
        return str(d).split(".")[-1]
    return np.dtype(d).name


def _custom_square(lib, cast_inputs=None):
    """A custom Function decorated as PyTorch's AMP docs show; it records what its forward
    and backward see."""
    seen = {}

    class Square(lib.autograd.Function):
        @staticmethod
        @lib.amp.custom_fwd(device_type="cpu", cast_inputs=cast_inputs)
        def forward(ctx, x):
            seen["forward"] = (_dtype_name(x.dtype), lib.is_autocast_enabled("cpu"))
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @lib.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["backward"] = lib.is_autocast_enabled("cpu")
            (x,) = ctx.saved_tensors
            return 2 * x * g

    return Square, seen


@pytest.mark.filterwarnings("ignore:minigrad.autocast")
@pytest.mark.parametrize("cast_inputs", [None, "float16"])
@pytest.mark.parametrize("in_autocast", [False, True])
def test_custom_fwd_and_custom_bwd(cast_inputs, in_autocast):
    def run(lib):
        square, seen = _custom_square(lib, cast_inputs and getattr(lib, cast_inputs))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autocast("cpu", enabled=in_autocast):
            y = square.apply(x)
        y.sum().backward()
        return seen, x.grad.tolist()

    assert run(mg) == run(torch)


def test_deprecated_cuda_amp_decorators_warn_and_decorate():
    for lib in (torch, mg):
        with pytest.warns(FutureWarning, match="torch.cuda.amp.custom_fwd"):
            fwd = lib.cuda.amp.custom_fwd(cast_inputs=lib.float32)
        assert fwd.keywords == {"device_type": "cuda", "cast_inputs": lib.float32}
        with pytest.warns(FutureWarning, match="torch.cuda.amp.custom_bwd"):
            lib.cuda.amp.custom_bwd(lambda ctx, g: g)
        with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
            lib.amp.custom_fwd(device_type=1)


def test_autocast_state_functions():
    def run(lib):
        got = [
            _dtype_name(lib.get_autocast_dtype("cpu")),
            _dtype_name(lib.get_autocast_dtype("cuda:0")),
            lib.amp.is_autocast_available("cpu"),
            lib.amp.is_autocast_available("meta"),
        ]
        lib.set_autocast_dtype("cpu", lib.float16)
        got.append(_dtype_name(lib.autocast("cpu").fast_dtype))
        lib.set_autocast_dtype("cpu", lib.bfloat16)
        lib.set_autocast_enabled("cpu", True)
        with pytest.warns(DeprecationWarning, match="is_autocast_cpu_enabled"):
            got.append(lib.is_autocast_cpu_enabled())
        lib.set_autocast_enabled("cpu", False)
        got.append(lib.is_autocast_enabled("cpu"))
        assert lib.clear_autocast_cache() is None
        for bad in [lambda: lib.get_autocast_dtype(1), lambda: lib.set_autocast_enabled("cpu", 1)]:
            with pytest.raises(TypeError):
                bad()
        with pytest.raises(RuntimeError):
            lib.set_autocast_enabled("meta", True)
        with pytest.warns(FutureWarning, match="torch.cpu.amp.autocast"):
            got.append(_dtype_name(lib.cpu.amp.autocast().fast_dtype))
        return got

    assert (
        run(mg)
        == run(torch)
        == ["bfloat16", "float16", True, False, "float16"]
        + [
            True,
            False,
            "bfloat16",
        ]
    )


@pytest.mark.filterwarnings("ignore:minigrad.autocast")
def test_autocast_off_cuda_serves_float16_and_bfloat16_only():
    def run(lib):
        got = [_dtype_name(lib.autocast("cpu").fast_dtype)]
        for name in ("float32", "float64", "int32", "float16", "bfloat16"):
            dtype = getattr(lib, name)
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                region = lib.autocast("cpu", dtype=dtype)
            disabled = [str(w.message) for w in record if "Disabling autocast" in str(w.message)]
            with region:
                got.append((name, lib.is_autocast_enabled("cpu"), len(disabled)))
                got.append(_dtype_name(lib.get_autocast_dtype("cpu")))
        got.append(_dtype_name(lib.get_autocast_dtype("cpu")))
        return got

    assert run(mg) == run(torch)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_recomputes_under_the_forwards_autocast_dtype(use_reentrant):
    """The recomputation in backward sees the autocast dtype the forward saw (it saw the
    one outside the region, bfloat16, which minigrad refuses to make)."""

    def run(lib):
        seen = []

        def block(x):
            dtype = lib.get_autocast_dtype("cpu") if lib.is_autocast_enabled("cpu") else None
            seen.append(str(dtype))
            h = (x.to(dtype) if dtype is not None else x).float()
            return h * h  # saves h: the backward recomputes the block

        x = lib.tensor([0.2, -1.1, 1.5], requires_grad=True)
        with lib.autocast("cpu", dtype=lib.float16):
            y = lib.utils.checkpoint.checkpoint(block, x, use_reentrant=use_reentrant)
        (y * y).sum().backward()
        return seen, x.grad.numpy()

    (seen, grad), (want_seen, want_grad) = run(mg), run(torch)
    assert [s.split(".")[-1].strip("'>") for s in seen] == ["float16", "float16"]
    assert [s.split(".")[-1] for s in want_seen] == ["float16", "float16"]
    np.testing.assert_allclose(grad, want_grad, rtol=1e-3)


def test_batched_grad_of_a_one_element_output_with_none_is_a_runtime_error():
    for lib in (mg, torch):
        a = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError):
            lib.autograd.grad((a * 2)[:1], a, grad_outputs=(None,), is_grads_batched=True)


def test_clipping_many_flat_buffer_views_out_of_layout_order_is_linear():
    """Grads that are views of one flat buffer, walked out of its layout order (decay and
    no-decay groups): each is written in place, and the overlap check is a sort and a
    sweep, not a test of every pair (it was quadratic in the views)."""
    n = 4000
    flat = mg.zeros(n * 4)
    params = []
    for i in range(n):
        p = mg.nn.Parameter(mg.zeros(4))
        p.grad = flat[i * 4 : (i + 1) * 4]
        params.append(p)
    order = params[0::2] + params[1::2]
    flat._data[:] = 1.0
    asked = []
    real = np.shares_memory
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(np, "shares_memory", lambda a, b: asked.append(1) or real(a, b))
        mg.nn.utils.clip_grad_norm_(order, 1.0)
    assert asked == []  # disjoint byte ranges: no pair is asked
    np.testing.assert_allclose(flat.numpy(), np.full(n * 4, 1 / np.sqrt(n * 4)), rtol=1e-5)
    half = [flat[0:8], flat[4:12]]  # overlapping views: the later one gets its own copy
    ps = [mg.nn.Parameter(mg.zeros(8)) for _ in half]
    for p, g in zip(ps, half, strict=True):
        p.grad = g
    mg.nn.utils.clip_grad_value_(ps, 0.001)
    assert ps[1].grad._data.base is None or not np.shares_memory(ps[1].grad._data, flat._data)


def test_deprecated_cpu_autocast_with_dtype_none_takes_the_devices_dtype():
    for lib in (mg, torch):
        lib.set_autocast_dtype("cpu", lib.float16)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                with lib.cpu.amp.autocast(dtype=None) as region:
                    assert region.fast_dtype == lib.float16
                    assert lib.get_autocast_dtype("cpu") == lib.float16
        finally:
            lib.set_autocast_dtype("cpu", lib.bfloat16)


def test_clipping_keeps_a_view_in_place_that_overlaps_only_a_copied_one():
    """Views A=[0:6], B=[4:10], C=[8:14] of one buffer: B shares with A and gets a copy;
    C shares only with B, so it stays a view and its part of the buffer is clipped."""
    for lib in (mg, torch):
        flat = lib.ones(14)
        ps = [lib.nn.Parameter(lib.zeros(6)) for _ in range(3)]
        for p, lo in zip(ps, (0, 4, 8), strict=True):
            p.grad = flat[lo : lo + 6]
        lib.nn.utils.clip_grad_value_(ps, 0.5)
        assert flat[10:14].tolist() == [0.5] * 4, lib.__name__
