"""mg.accelerator (torch.accelerator) and get/set_default_device.

Without a GPU the answers are compared with PyTorch's CPU-only build, call by call. The CUDA
branch runs against a stand-in CuPy (two GPUs) put in `backend._cupy`, which is where
`cuda_available()` and `cupy_module()` look; a real GPU, when there is one, gets its own test.
"""

from __future__ import annotations

import types
import warnings

import pytest

import minigrad as mg
from minigrad import accelerator as acc
from minigrad import backend


@pytest.fixture
def no_gpu(monkeypatch):
    """CuPy as if not installed, whatever this machine has."""
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", "ModuleNotFoundError: No module named 'cupy'")


@pytest.fixture
def torch_cpu():
    """PyTorch, when it is a build with no accelerator (the pinned reference is)."""
    torch = pytest.importorskip("torch")
    if torch.accelerator.current_accelerator() is not None:
        pytest.skip("the reference PyTorch has an accelerator")
    return torch


class FakeCupy:
    """The part of CuPy that minigrad.accelerator and minigrad.cuda use: `count` GPUs,
    a current one per process, and a record of synchronize calls."""

    def __init__(self, count: int = 2) -> None:
        self.current = 0
        self.synced: list[int] = []
        fake = self

        class Device:
            def __init__(self, id: int | None = None) -> None:  # noqa: A002 - CuPy's name
                self.id = fake.current if id is None else id

            def use(self) -> None:
                fake.current = self.id

            def synchronize(self) -> None:
                fake.synced.append(self.id)

        runtime = types.SimpleNamespace(getDeviceCount=lambda: count)
        self.cuda = types.SimpleNamespace(
            runtime=runtime, Device=Device, get_current_device=lambda: Device()
        )


@pytest.fixture
def gpus(monkeypatch):
    fake = FakeCupy(2)
    monkeypatch.setattr(backend, "_cupy", fake)
    monkeypatch.setattr(backend, "_cupy_error", None)
    return fake


@pytest.fixture(autouse=True)
def _default_device_restored(monkeypatch):
    monkeypatch.setattr(acc, "_default_device", acc._default_device)


def _outcome(fn, *args):
    """('ok', result) or (exception type, message) of fn(*args); warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(*args)
        except Exception as exc:
            return type(exc), str(exc)


# ---------------------------------------------------------------- no GPU, against PyTorch
def test_no_gpu_queries_match_torch(no_gpu, torch_cpu):
    ta = torch_cpu.accelerator
    assert acc.is_available() is ta.is_available() is False
    assert acc.current_accelerator() is None and ta.current_accelerator() is None
    assert acc.current_accelerator(check_available=True) is None
    assert acc.current_accelerator(True) is ta.current_accelerator(True) is None
    assert acc.device_count() == ta.device_count() == 0
    assert isinstance(acc.device_count(), int)


# the tutorials' first line
def test_tutorial_device_line_without_gpu(no_gpu, torch_cpu):
    def pick(a):
        return a.current_accelerator().type if a.is_available() else "cpu"

    assert pick(acc) == pick(torch_cpu.accelerator) == "cpu"
    x = mg.zeros(2, device=pick(acc))
    assert x.device == "cpu"


CPU_CALLS = [
    ("current_device_index", ()),
    ("current_device_idx", ()),
    ("set_device_index", (0,)),
    ("set_device_index", (3,)),
    ("set_device_index", (-1,)),
    ("set_device_index", (-5,)),
    ("set_device_index", (True,)),
    ("set_device_index", (None,)),
    ("set_device_index", (1.5,)),
    ("set_device_index", ("cpu",)),
    ("set_device_index", ("cuda",)),
    ("set_device_index", ("cuda:0",)),
    ("set_device_idx", (0,)),
    ("set_device_idx", (-1,)),
    ("synchronize", ()),
    ("synchronize", (None,)),
    ("synchronize", (0,)),
    ("synchronize", (-1,)),
    ("synchronize", (2.0,)),
    ("synchronize", ("cpu",)),
    ("synchronize", ("cuda",)),
    ("synchronize", ("cuda:1",)),
]


@pytest.mark.parametrize("name, args", CPU_CALLS, ids=[f"{n}{a}" for n, a in CPU_CALLS])
def test_no_gpu_calls_match_torch(no_gpu, torch_cpu, name, args):
    got = _outcome(getattr(acc, name), *args)
    want = _outcome(getattr(torch_cpu.accelerator, name), *args)
    assert got[0] == want[0], (got, want)
    if want[0] == "ok":
        assert got[1] is want[1] is None
    else:  # minigrad's message is PyTorch's, after the function's name
        assert got[1].startswith(f"{name.replace('_idx', '_index')}: ")
        assert want[1].replace("torch.device", "device") in got[1], (got, want)


@pytest.mark.parametrize("name, args", [("set_device_index", ("cpu",)), ("synchronize", ("cpu",))])
def test_no_gpu_device_objects_match_torch(no_gpu, torch_cpu, name, args):
    got = _outcome(getattr(acc, name), mg.device(*args))
    want = _outcome(getattr(torch_cpu.accelerator, name), torch_cpu.device(*args))
    assert got[0] is want[0] is RuntimeError
    assert "Accelerator expected" in got[1] and "Accelerator expected" in want[1]


@pytest.mark.parametrize("fn", ["current_device_idx", "set_device_idx"])
def test_deprecated_names_warn_as_torch(no_gpu, torch_cpu, fn):
    args = () if fn == "current_device_idx" else (-1,)
    with pytest.warns(FutureWarning, match="instead") as ours:
        _ = _outcome_warned(getattr(acc, fn), *args)
    with pytest.warns(FutureWarning, match="instead") as theirs:
        _ = _outcome_warned(getattr(torch_cpu.accelerator, fn), *args)
    assert str(ours[0].message) == str(theirs[0].message)


def _outcome_warned(fn, *args):
    try:
        return fn(*args)
    except RuntimeError:
        return None


def test_device_index_without_gpu_matches_torch(no_gpu, torch_cpu):
    for mod in (acc, torch_cpu.accelerator):
        with mod.device_index(None):  # changes nothing, needs no device
            pass
        for idx in (0, -1, 2):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
                with mod.device_index(idx):
                    pass
        with pytest.raises(TypeError):
            with mod.device_index("cuda"):
                pass
        with pytest.raises(TypeError):
            mod.device_index()


def test_no_gpu_errors_name_function(no_gpu):
    with pytest.raises(RuntimeError, match=r"^current_device_index: Cannot access"):
        acc.current_device_index()
    with pytest.raises(ValueError, match=r"^set_device_index: Expected .* got:None"):
        acc.set_device_index(None)
    with pytest.raises(RuntimeError, match=r"^synchronize: Accelerator expected.*'cuda:1'"):
        acc.synchronize("cuda:1")
    with pytest.raises(TypeError, match=r"device_index: expected an int .* got 1.5"):
        with acc.device_index(1.5):
            pass


def test_unknown_device_string_is_refused(no_gpu):
    # as mg.device('foo'): ValueError (PyTorch's torch.device raises RuntimeError)
    with pytest.raises(ValueError, match="unknown device 'foo'"):
        acc.set_device_index("foo")


# ---------------------------------------------------------------- CUDA through a stand-in CuPy
def test_gpu_queries(gpus):
    assert acc.is_available() is True
    a = acc.current_accelerator()
    assert isinstance(a, mg.device) and a == mg.device("cuda") and a == "cuda"
    assert a.type == "cuda" and a.index is None and str(a) == "cuda"
    assert acc.current_accelerator(check_available=True) == mg.device("cuda")
    assert acc.device_count() == 2
    assert acc.current_device_index() == 0
    with pytest.warns(FutureWarning):
        assert acc.current_device_idx() == 0


def test_tutorial_device_line_with_gpu(gpus):
    device = acc.current_accelerator().type if acc.is_available() else "cpu"
    assert device == "cuda"
    assert mg.device(device) == acc.current_accelerator()


@pytest.mark.parametrize("spec", [1, "cuda:1", mg.device("cuda", 1), mg.device("cuda:1")])
def test_set_device_index_forms(gpus, spec):
    acc.set_device_index(spec)
    assert gpus.current == 1 and acc.current_device_index() == 1
    acc.set_device_index(0)
    assert acc.current_device_index() == 0


def test_set_device_index_errors_with_gpu(gpus):
    with pytest.raises(ValueError, match="Expected a device with a specified index .* got:cuda"):
        acc.set_device_index("cuda")
    with pytest.raises(ValueError, match="cpu doesn't match the current accelerator cuda"):
        acc.set_device_index("cpu")
    with pytest.raises(ValueError, match="cpu doesn't match"):
        acc.set_device_index(mg.device("cpu"))
    with pytest.raises(RuntimeError, match="set_device_index: invalid device ordinal 2: 2 GPU"):
        acc.set_device_index(2)
    with pytest.raises(RuntimeError, match="invalid device ordinal 5"):
        acc.set_device_index("cuda:5")
    acc.set_device_index(-1)  # negative: nothing, as PyTorch
    assert gpus.current == 0
    with pytest.warns(FutureWarning):
        acc.set_device_idx(1)
    assert gpus.current == 1


@pytest.mark.parametrize(
    "spec, synced",
    [((), 1), ((None,), 1), ((0,), 0), (("cuda",), 1), (("cuda:0",), 0), ((mg.device("cuda"),), 1)],
)
def test_synchronize_with_gpu(gpus, spec, synced):
    gpus.current = 1
    acc.synchronize(*spec)
    assert gpus.synced == [synced]
    assert gpus.current == 1  # synchronizing does not change the current GPU


def test_synchronize_errors_with_gpu(gpus):
    with pytest.raises(RuntimeError, match="synchronize: invalid device ordinal 2"):
        acc.synchronize(2)
    with pytest.raises(RuntimeError, match="invalid device ordinal -1"):
        acc.synchronize(-1)
    with pytest.raises(ValueError, match="cpu doesn't match the current accelerator cuda"):
        acc.synchronize("cpu")
    assert gpus.synced == []


def test_device_index_context_with_gpu(gpus):
    with acc.device_index(1):
        assert acc.current_device_index() == 1
        with acc.device_index(0):
            assert acc.current_device_index() == 0
        assert acc.current_device_index() == 1
        with acc.device_index(None):
            assert acc.current_device_index() == 1
    assert acc.current_device_index() == 0
    with pytest.raises(KeyError), acc.device_index(1):  # restored on an exception too
        raise KeyError("inside")
    assert gpus.current == 0
    with pytest.raises(RuntimeError, match="device_index: invalid device ordinal 7"):
        with acc.device_index(7):
            pass
    assert gpus.current == 0
    with pytest.raises(TypeError, match="device_index: expected an int"):
        with acc.device_index("cuda:1"):
            pass


def test_mg_cuda_agrees(gpus):
    acc.set_device_index(1)
    assert mg.cuda.current_device() == acc.current_device_index() == 1
    assert mg.cuda.device_count() == acc.device_count()
    assert mg.cuda.is_available() is acc.is_available()


@pytest.mark.gpu
def test_real_gpu():
    if not mg.cuda.is_available():
        pytest.skip("no CuPy GPU available")
    assert acc.current_accelerator().type == "cuda"
    n = acc.device_count()
    assert n >= 1
    start = acc.current_device_index()
    with acc.device_index(n - 1):
        assert acc.current_device_index() == n - 1
        x = mg.ones(3, device="cuda") * 2
        acc.synchronize()
        acc.synchronize(f"cuda:{n - 1}")
    assert acc.current_device_index() == start
    assert x.device == "cuda" and x.sum().item() == 6.0


# ---------------------------------------------------------------- default device
def test_default_device_is_cpu_as_torch(torch_cpu):
    d = acc.get_default_device()
    assert isinstance(d, mg.device) and d == mg.device("cpu")
    assert repr(d) == repr(torch_cpu.get_default_device()) == "device(type='cpu')"


@pytest.mark.parametrize("spec", ["cpu", "cpu:0", "cpu:1", None])
def test_set_default_device_cpu_as_torch(torch_cpu, spec):
    try:
        torch_cpu.set_default_device(spec)
        want = repr(torch_cpu.get_default_device())
    finally:
        torch_cpu.set_default_device(None)
    acc.set_default_device(spec)
    assert repr(acc.get_default_device()) == want
    acc.set_default_device(None)
    assert acc.get_default_device() == mg.device("cpu")


def test_set_default_device_object():
    acc.set_default_device(mg.device("cpu", 0))
    assert acc.get_default_device() == mg.device("cpu", 0)
    assert mg.zeros(2).device == "cpu"  # factories stay on the CPU


def test_set_default_device_cuda_without_gpu(no_gpu):
    for spec in ("cuda", "cuda:0", mg.device("cuda"), 0):
        with pytest.raises(RuntimeError, match=r"set_default_device\('cuda.*CuPy is not installed"):
            acc.set_default_device(spec)
    assert acc.get_default_device() == mg.device("cpu")


def test_set_default_device_cuda_with_gpu(gpus):
    for spec in ("cuda", "cuda:1", 1):
        with pytest.raises(NotImplementedError, match=r"set_default_device.*pass device="):
            acc.set_default_device(spec)
    assert acc.get_default_device() == mg.device("cpu")


def test_set_default_device_bad_values(torch_cpu):
    with pytest.raises(NotImplementedError, match="no 'meta' device"):
        acc.set_default_device("meta")
    with pytest.raises(NotImplementedError, match="no 'meta' device"):
        acc.set_default_device("meta:0")
    with pytest.raises(ValueError, match="unknown device 'foo'"):
        acc.set_default_device("foo")
    for bad in (True, 1.5, [0]):  # PyTorch: TypeError
        with pytest.raises(TypeError):
            torch_cpu.set_default_device(bad)
        with pytest.raises(TypeError, match="set_default_device: device must be"):
            acc.set_default_device(bad)
    with pytest.raises(RuntimeError, match="Device index must not be negative"):
        torch_cpu.set_default_device(-1)
    with pytest.raises(RuntimeError, match="set_default_device: Device index must not be negative"):
        acc.set_default_device(-1)
    assert acc.get_default_device() == mg.device("cpu")
