"""Graph recording and the reverse-mode walk.

A `Function` runs its `forward` on raw arrays and, when gradients are wanted, remembers an
edge per input (the input's creator and which of its outputs it is, or the input itself
for a leaf), a generation number (one more than the newest input's creator) and weak
references to its outputs. It keeps the input Tensors themselves only when its backward
reads their values (`uses_inputs`), and its output arrays only when it reads those
(`uses_outputs`): an activation that no backward reads is freed as soon as the forward
pass no longer needs it, as PyTorch frees it. `backward` receives the output gradients as
Tensors and returns the input gradients as Tensors, written with minigrad ops, so the walk
itself can be recorded: that is all `create_graph=True` (double backward) takes.

The walk (`run_backward`) pops functions from a heap, highest generation first, so every
consumer of a tensor has passed its gradient on before the tensor's creator runs. It is a
loop, not a recursion, and frees each function's saved state once used.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import inspect
import os
import sys
import threading
import traceback
import types
import warnings
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .backend import device_of, fp_ignored, get_array_module, loud_fp, quiet_fp

if TYPE_CHECKING:
    from .tensor import Tensor


class _State(threading.local):
    grad_enabled = True
    inference = False  # inside an enabled inference_mode block
    # inside a backward function whose gradients anomaly mode checks: the ops it is made of
    # are not checked (nor noted where they were created), only what it returns
    anomaly_paused = False
    profiler = None  # a minigrad.profiler.profile while one is active
    callbacks = None  # the running backward()'s queue_callback list
    targeted = False  # the running walk is grad() or backward(inputs=...): it has targets
    exposed = None  # the running walk's set of ids of gradient arrays user code has seen
    # how many APIs that differentiate the gradients they compute are running (minigrad.func's
    # transforms; autograd.functional's hessian, vhp and hvp): see `regrading`
    regrading = 0


_state = _State()


class _Anomaly:
    """Anomaly mode's flags: one set for the process, as PyTorch's (grad mode, in `_State`,
    is per thread in both), so a backward run in another thread is checked too."""

    __slots__ = ("on", "mode", "check_nan")

    def __init__(self) -> None:
        self.on = False  # check each backward function's gradients for NaN (mode and check_nan)
        self.mode = False  # is_anomaly_enabled(), PyTorch's flag
        self.check_nan = True  # is_anomaly_check_nan_enabled(), PyTorch's flag


_anomaly = _Anomaly()

# Process-wide switches for two rare features, so that the backward walk pays for them only
# once a program has used them: a non-leaf cut from its graph by `detach_()` (a node that
# saved it refuses to run, `Function._check_not_detached`), and a leaf given a `grad_dtype`
# (the gradients that flow into it are cast, `_in_grad_dtype`).
_detached_in_place = False
_grad_dtype_set = False


def note_in_place_detach() -> None:
    """Called by `Tensor.detach_()` on a tensor computed in a graph."""
    global _detached_in_place
    _detached_in_place = True


def note_grad_dtype() -> None:
    """Called when a leaf is given a `grad_dtype` that is a dtype."""
    global _grad_dtype_set
    _grad_dtype_set = True


def is_grad_enabled() -> bool:
    return _state.grad_enabled


class _ModeContext(contextlib.ContextDecorator):
    """A context manager that also decorates, as PyTorch's `_DecoratorContextManager`: a
    decorated function runs inside the context, and a decorated generator function runs
    each step of its body inside it (entered on each resume, left on each yield), so the
    caller's mode holds between the steps."""

    def __call__(self, func: Any) -> Any:
        if inspect.isclass(func):  # its construction runs in the mode, with PyTorch's warning
            from .errors import warn_user

            warn_user(
                "Decorating classes is deprecated and will be disabled in future versions. "
                "You should only decorate functions or methods. To preserve the current "
                "behavior of class decoration, you can directly decorate the `__init__` "
                "method and nothing else.",
                FutureWarning,
            )
        if not inspect.isgeneratorfunction(func):
            return super().__call__(func)
        make = self._recreate_cm

        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Any:
            gen = func(*args, **kwargs)
            with make():
                try:
                    item = gen.send(None)
                except StopIteration as stop:
                    return stop.value
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with make():
                        gen.close()
                    raise
                except BaseException as exc:
                    with make():
                        try:
                            item = gen.throw(exc)
                        except StopIteration as stop:
                            return stop.value
                else:
                    with make():
                        try:
                            item = gen.send(sent)
                        except StopIteration as stop:
                            return stop.value

        return generator


class _GradMode(_ModeContext):
    """A grad mode for a `with` block or a decorated function; nestable, re-entrant."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(_state.grad_enabled)
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._saved.pop()


class set_grad_enabled(_ModeContext):
    """Turn graph recording on or off, as PyTorch's: called alone,
    `mg.set_grad_enabled(False)` switches it from then on; as `with set_grad_enabled(m):`
    it holds for the block and the mode from before the call comes back after it; as a
    decorator, it holds inside each call of the function only."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool | np.bool_):  # not its truth value: 'no' would be True
            raise TypeError(
                "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                f"{type(mode).__name__}"
            )
        self.mode = bool(mode)
        self._prev = _state.grad_enabled
        _state.grad_enabled = self.mode

    def __enter__(self) -> None:
        _state.grad_enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        _state.grad_enabled = self._prev

    def __call__(self, func: Any) -> Any:
        _state.grad_enabled = self._prev  # decorating leaves the mode as it was
        return super().__call__(func)

    def _recreate_cm(self) -> set_grad_enabled:
        return type(self)(self.mode)  # each call of a decorated function: its own prev


class _ModeDecorator(_GradMode):
    """A fixed grad mode usable as `with cls():`, `@cls()` and, like PyTorch, bare `@cls`;
    making one changes nothing until it is entered."""

    _mode = False

    def __new__(cls, func: Any = None) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        self.__init__()
        return self(func)

    def __init__(self, func: Any = None) -> None:
        super().__init__(self._mode)


class no_grad(_ModeDecorator):
    """Record nothing: `with mg.no_grad():`, `@mg.no_grad()` or `@mg.no_grad`."""

    _mode = False


class enable_grad(_ModeDecorator):
    """Record again inside a no_grad region."""

    _mode = True


class inference_mode(_GradMode):
    """PyTorch's inference_mode: `with mg.inference_mode():`, `@mg.inference_mode()` or bare
    `@mg.inference_mode` record nothing, as no_grad. `inference_mode(False)` (as in
    `inference_mode(mode=not training)`) records, as PyTorch's: it turns grad mode on for
    its block, even inside no_grad or an enabled inference_mode. minigrad has no separate
    inference tensors: the results are ordinary tensors that do not require grad."""

    def __new__(cls, mode: Any = True) -> Any:
        self = super().__new__(cls)
        if callable(mode):  # bare @mg.inference_mode
            self.__init__()
            return self(mode)
        return self

    def __init__(self, mode: Any = True) -> None:
        super().__init__(False)
        self.enabled = bool(mode) if not callable(mode) else True
        self._inference: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(_state.grad_enabled)
        self._inference.append(_state.inference)
        _state.inference = self.enabled
        _state.grad_enabled = not self.enabled  # PyTorch's InferenceMode(false) enables grad

    def __exit__(self, *exc: object) -> None:
        _state.inference = self._inference.pop()
        super().__exit__(*exc)


def is_inference_mode_enabled() -> bool:
    """Whether an enabled inference_mode block is active (PyTorch's)."""
    return _state.inference


class detect_anomaly(_ModeContext):
    """Raise at the first backward function whose gradients hold NaN, naming the op
    and the line that created it, as PyTorch's anomaly mode. Forward values are not
    checked (a NaN that `where` later drops is fine, as in PyTorch). With
    `check_nan=False` nothing is checked."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self._saved: list[bool] = []
        warnings.warn(  # PyTorch's, on each detect_anomaly() (set_detect_anomaly has none)
            "Anomaly Detection has been enabled. This mode will increase the runtime and "
            "should only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._saved.append(_anomaly_flags())
        _set_anomaly(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        _set_anomaly(*self._saved.pop())


class set_detect_anomaly:
    """Anomaly mode on or off, as PyTorch's: called alone it switches from then on; as
    `with set_detect_anomaly(mode):` the mode from before comes back after the block."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = _anomaly_flags()
        _set_anomaly(bool(mode), bool(check_nan))

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set_anomaly(*self._prev)


def _anomaly_flags() -> tuple[bool, bool]:
    return _anomaly.mode, _anomaly.check_nan


def _set_anomaly(mode: bool, check_nan: bool) -> None:
    """PyTorch's two flags, and the one the walk reads: NaN checks in anomaly mode."""
    _anomaly.mode, _anomaly.check_nan = mode, check_nan
    _anomaly.on = mode and check_nan


def is_anomaly_enabled() -> bool:
    return _anomaly.mode


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly mode checks the gradients for NaN (PyTorch's: True outside it)."""
    return _anomaly.check_nan


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _creation_site(stack: traceback.StackSummary) -> str:
    """The innermost frame outside the minigrad package: where the user called the op."""
    for frame in reversed(stack):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f"{frame.filename}:{frame.lineno} in {frame.name}: {frame.line}"
    frame = stack[-1]
    return f"{frame.filename}:{frame.lineno}"


def _check_finite(fn: Function, arrays: Sequence[Any]) -> None:
    """Anomaly mode's check of the gradients fn's backward returned: NaN raises, as in
    PyTorch (an infinite gradient, such as sqrt's at 0, is a value and passes)."""
    for i, a in enumerate(arrays):
        if a is None or a.dtype.kind not in "fc":
            continue
        xp = get_array_module(a)
        if bool(xp.isnan(a).any()):
            site = getattr(fn, "_site", None)
            where = f"; the op was created at {site}" if site else ""
            raise RuntimeError(
                f"Function '{type(fn).__name__}' returned nan values in its {i}th output "
                f"(a gradient of shape {tuple(a.shape)}){where}"
            )


def _hook_result(node: Function, kind: str, out: Any, before: tuple) -> tuple:
    """A node hook's replacement gradients, checked as PyTorch checks them: a tuple of as
    many entries, each None where the gradient was None, else a tensor of the same shape
    and dtype."""
    name = type(node).__name__
    if not isinstance(out, tuple):
        raise TypeError(f"{name} {kind}: expected a tuple of gradients or None, got {out!r}")
    if len(out) != len(before):
        raise RuntimeError(
            f"{name} {kind} returned an incorrect number of values (got {len(out)}, but "
            f"expected {len(before)})"
        )
    for i, (new, old) in enumerate(zip(out, before, strict=True)):
        if new is None or old is None:
            if new is not None:
                raise RuntimeError(f"{name} {kind}: value {i} replaces an undefined gradient")
            continue
        if tuple(new.shape) != tuple(old.shape) or new.dtype != old.dtype:
            raise RuntimeError(
                f"{name} {kind} has changed the size or type of value {i}: expected "
                f"{tuple(old.shape)} {old.dtype}, got {tuple(new.shape)} {new.dtype}"
            )
    return out


class _Apply:
    """`Function.apply`, which serves both styles: bound to an instance for minigrad's
    primitives (`Exp()(x)` runs `forward` on arrays), and called on the class for
    PyTorch-style functions with a static `forward(ctx, ...)` (`MyReLU.apply(x)`)."""

    def __get__(self, obj: Function | None, cls: type[Function]) -> Any:
        if obj is not None and not cls._ctx_style:
            return obj._apply_arrays
        if cls._ctx_style:  # `MyFn.apply(x)`, and `MyFn().apply(x)` as PyTorch runs it too
            return lambda *args, **kwargs: cls()._apply_ctx(*_bound(cls, args, kwargs))
        return _class_apply_error(cls)


def _forward_signature(cls: type) -> inspect.Signature:
    """The parameters of a ctx-style Function's `forward`, its ctx left out; kept on the
    class itself (a cache beside it would keep classes made at run time alive)."""
    sig = cls.__dict__.get("_forward_sig")
    if sig is None:
        params = list(inspect.signature(cls.forward).parameters.values())
        sig = inspect.Signature(params if cls._setup_style else params[1:])
        cls._forward_sig = sig
    return sig


def _bound(cls: type, args: tuple, kwargs: dict) -> tuple:
    """`apply`'s arguments as positions of `forward` (its ctx left out), as PyTorch binds
    them: keywords take their parameters' places; with `setup_context`, defaults fill the
    rest, so `inputs` holds every argument; without, the keywords must follow the
    positions given with no gap (PyTorch's 'missing required argument' otherwise)."""
    if not kwargs and not cls._setup_style:
        return args
    sig = _forward_signature(cls)
    params = list(sig.parameters.values())
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{cls.__name__}.apply: {e}") from None
    if cls._setup_style:
        bound.apply_defaults()
    if bound.kwargs:  # keyword-only or **kwargs parameters: PyTorch passes positions only
        first = next(iter(bound.kwargs))
        gap = next((i for i, p in enumerate(params) if p.name not in bound.arguments), None)
        if (
            cls._setup_style
            or gap is None
            or params[gap].kind is not params[gap].POSITIONAL_OR_KEYWORD
        ):
            raise TypeError(
                f"{cls.__name__}.apply: forward() got an unexpected keyword argument "
                f"'{first}' (apply passes its arguments to forward by position)"
            )
        raise TypeError(
            f"{cls.__name__}.forward() missing required argument: '{params[gap].name}' "
            f"(position {gap}): keyword arguments must follow the positional ones in order"
        )
    return bound.args


def _first_parameter(fn: Any) -> str | None:
    code = getattr(fn, "__code__", None)
    return code.co_varnames[0] if code is not None and code.co_argcount else None


def _class_apply_error(cls: type) -> Any:
    def refuse(*args: Any) -> Any:
        raise TypeError(
            f"{cls.__name__}.apply: a minigrad primitive is applied through an instance, "
            f"{cls.__name__}(...)(x); class-level apply needs a static forward(ctx, ...)"
        )

    return refuse


def _check_transformable(cls: type) -> None:
    """Refuse, as torch.func does, a custom Function applied inside a func transform
    without `setup_context`, or inside a vmap with neither a `vmap` staticmethod nor
    `generate_vmap_rule = True`: minigrad would compute the right numbers (its transforms
    run the Function as autograd does), but the program would fail on PyTorch. (PyTorch's
    jacfwd and hessian run a vmap too; minigrad's differentiate twice and do not refuse.)"""
    from . import func

    if not func.inside_transform():
        return
    if not cls._setup_style:
        raise RuntimeError(
            f"{cls.__name__}: In order to use an autograd.Function with functorch transforms "
            "(vmap, grad, jvp, jacrev, ...), it must override the setup_context staticmethod. "
            "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"
        )
    if func.inside_vmap() and not (
        getattr(cls, "generate_vmap_rule", False) or callable(getattr(cls, "vmap", None))
    ):
        raise RuntimeError(
            f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
            "override and implement the vmap staticmethod or set generate_vmap_rule=True. For "
            "more details, please see https://pytorch.org/docs/main/notes/extending.func.html"
        )


class AccumulateGrad:
    """Where a leaf's gradient lands, as it appears in `next_functions` (PyTorch's node
    of that name): `variable` is the leaf; it has no inputs."""

    next_functions: tuple = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad of a leaf of shape {self.variable.shape}>"


class Function:
    """One differentiable node, in either of two styles.

    minigrad's primitives subclass it with instance methods `forward(*arrays)` (arrays
    in, arrays out) and `backward(*grad_output_tensors)`, and run as `Exp()(x)`.
    `uses_inputs` / `uses_outputs` say whether backward reads the input / output values;
    if so, an in-place change to them after the forward is caught at backward.

    PyTorch's style also works: static `forward(ctx, *args)` on Tensors (run without
    recording), static `backward(ctx, *grad_outputs)` returning one gradient (or None) per
    forward argument, `ctx.save_for_backward` / `ctx.saved_tensors`,
    `ctx.needs_input_grad`, `ctx.mark_non_differentiable`, and `MyFn.apply(*args)`. The
    ctx is the graph node itself; only the saved tensors' versions are checked.
    """

    uses_inputs = True
    uses_outputs = False
    # True while the engine runs this node's backward for the last time (no retain_graph):
    # the node is released right after, so its backward may write its gradient into an
    # array it saved (LeakyReLU's slope map), saving an allocation and a pass of memory
    last_use = False
    op_name = ""  # the name errors use; the lower-cased class name when empty
    _ctx_style = False  # set for subclasses whose forward is a staticmethod
    _materialize = True  # missing output gradients reach backward as zeros (else None)
    apply = _Apply()

    inputs: tuple[Tensor, ...]
    outputs: list[weakref.ref]
    generation: int
    needs_input_grad: tuple[bool, ...]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        forward = inspect.getattr_static(cls, "forward")
        # PyTorch's style: a static forward(ctx, ...), or one written without @staticmethod
        # whose first parameter is `ctx` (PyTorch runs it as cls.forward(ctx, ...) too);
        # minigrad's primitives have forward(self, *arrays)
        cls._ctx_style = isinstance(forward, staticmethod) or _first_parameter(forward) == "ctx"
        # PyTorch's other style: forward(*args) without ctx, then setup_context fills it
        cls._setup_style = cls._ctx_style and cls.setup_context is not Function.setup_context

    def __call__(self, *inputs: Any) -> Any:
        if self._ctx_style:  # a custom Function (static forward) called as an instance
            raise RuntimeError(
                f"{type(self).__name__}: a Function with a static forward is called as "
                f"{type(self).__name__}.apply(...), not through an instance, as in PyTorch"
            )
        return self._apply_arrays(*inputs)

    def forward(self, *xs: Any) -> Any:
        raise NotImplementedError

    def backward(self, *gys: Tensor) -> Any:
        raise NotImplementedError(f"{type(self).__name__} has no backward")

    # ------------------------------------------------------------------ PyTorch's ctx
    def save_for_backward(self, *tensors: Tensor | None) -> None:
        for i, t in enumerate(tensors):
            if t is not None and not hasattr(t, "_data"):  # PyTorch's TypeError, at once
                raise TypeError(
                    f"save_for_backward can only save tensors or None, but argument {i} is "
                    f"of type {type(t).__name__} (keep other values as ctx attributes)"
                )
        self._saved = tensors

    def save_for_forward(self, *tensors: Tensor | None) -> None:
        """PyTorch's store for a custom `jvp`. minigrad's forward-mode transforms
        differentiate `backward` instead of calling `jvp`, so these are only kept (a
        Function written for both modes runs unchanged)."""
        for i, t in enumerate(tensors):
            if t is not None and not hasattr(t, "_data"):
                raise TypeError(
                    f"save_for_forward can only save tensors or None, but argument {i} is of "
                    f"type {type(t).__name__}"
                )
        self._saved_for_forward = tensors

    @property
    def saved_tensors(self) -> tuple[Tensor | None, ...]:
        if hasattr(self, "_released"):
            raise _second_backward_error(self._released)
        return getattr(self, "_saved", ())

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """These outputs get no gradient and do not require grad (e.g. argmax indices)."""
        self._non_diff = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool) -> None:
        """PyTorch's switch for the gradients of outputs that got none (unused outputs):
        with True (the default) they reach backward as zeros, with False as None."""
        self._materialize = bool(value)

    def mark_dirty(self, *tensors: Tensor) -> None:
        """These inputs were changed in place by forward and are returned as outputs: the
        returned tensor is the input itself, now with this function as its creator."""
        self._dirty = {id(t) for t in tensors}

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        """PyTorch's second style: a static `forward(*args)` without ctx, and this fills
        ctx from the arguments and the output (`ctx.save_for_backward(*inputs)`)."""
        raise NotImplementedError("setup_context is overridden by a Function that uses it")

    def _apply_ctx(self, *args: Any) -> Any:
        from .tensor import Tensor

        if _state.regrading:  # perhaps inside a func transform: its conditions, as PyTorch's
            _check_transformable(type(self))
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        inputs = tuple(args[i] for i in positions)
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        self.needs_input_grad = needs
        with set_grad_enabled(False):
            if self._setup_style:
                out = type(self).forward(*args)
                type(self).setup_context(self, args, out)
            else:
                out = type(self).forward(self, *args)
        if not positions:  # nothing to differentiate: forward's result outside any graph
            if isinstance(out, Tensor):  # (as PyTorch's)
                return out.detach()
            if isinstance(out, tuple):
                return tuple(o.detach() if isinstance(o, Tensor) else o for o in out)
            return out
        single = not isinstance(out, tuple)
        outs = list((out,) if single else out)
        input_ids = {id(t) for t in inputs}
        dirty = self._dirty_outputs(outs)
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor) or k in dirty:
                continue
            # a view of an input (`return x.view_as(x)`, or x itself): not one a view op can
            # make again after an in-place change of the input, which is then refused, as
            # PyTorch refuses to use such an output (Tensor._aliases); a detach() is no view
            view = id(o) in input_ids or o.__dict__.pop("_view_of", None) is not None
            if id(o) in input_ids or o.creator is not None:
                # an input returned as is, or a tensor with a history: a new tensor on the
                # same storage, so no existing node's record is changed
                alias = Tensor._make(o._data, False)
                alias._vc = o._vc
                marked = getattr(self, "_non_diff", None)
                if marked is not None and id(o) in marked:  # mark_non_differentiable(x)
                    marked.add(id(alias))  # holds for the tensor returned in x's place
                outs[k] = o = alias
            if view:
                o.__dict__["_custom_view"] = True
        slots = tuple(k for k, o in enumerate(outs) if isinstance(o, Tensor))
        non_diff = getattr(self, "_non_diff", set())
        diff = [outs[k] for k in slots if id(outs[k]) not in non_diff]
        if _state.grad_enabled and any(t.requires_grad for t in inputs) and diff:
            self._record_inputs(inputs)  # the values it reads are the saved tensors
            # what backward sees as ctx.needs_input_grad: one per argument, fixed here, as
            # PyTorch's (a walk toward some inputs only still stores no other gradient)
            self._arg_needs = needs
            self._arg_positions, self._n_args = positions, len(args)
            self._out_slots, self._n_outs = slots, len(outs)
            self._record_outputs([outs[k] for k in slots], skip=non_diff)
            for o in diff:
                o.requires_grad = o.dtype.kind in "fc"
            for k, t in dirty.items():  # the changed input takes over its output's place
                before = Tensor._make(t._data, t.requires_grad)
                before.creator, before.generation = t.creator, t.generation
                before._out_index, before._vc = t._out_index, t._vc
                t._become(outs[k], before)
            saved = getattr(self, "_saved", ())
            self._saved_versions = tuple(None if t is None else t._version for t in saved)
        for k, t in dirty.items():
            outs[k] = t
        return outs[0] if single else tuple(outs)

    def _dirty_outputs(self, outs: list[Any]) -> dict[int, Tensor]:
        """{output slot: input} for the inputs `mark_dirty` named, which must be returned,
        and must not be leaves that require grad (as in PyTorch)."""
        marked = getattr(self, "_dirty", None)
        if not marked:
            return {}
        dirty = {k: o for k, o in enumerate(outs) if id(o) in marked}
        if len({id(o) for o in dirty.values()}) != len(marked):
            raise RuntimeError(
                f"{type(self).__name__}: some tensors marked dirty in forward were not returned "
                "as outputs; the inputs that are modified in place must all be outputs"
            )
        for t in dirty.values():
            if _state.grad_enabled and t.requires_grad and t.creator is None:
                raise RuntimeError(
                    "a leaf Variable that requires grad has been used in an in-place operation."
                )
        return dirty

    def _touches_complex(self) -> bool:
        """Whether a complex tensor passed through this node: a complex output, or a
        complex input that wants a gradient (minigrad's formulas are real ones)."""
        # (dtype.kind, not a set of dtypes: hashing a dtype cost 0.5 us of every node's walk)
        for _, dt in self._out_meta:
            if dt.kind == "c":
                return True
        for need, (_, dt) in zip(self.needs_input_grad, self._in_meta, strict=True):
            if need and dt.kind == "c":
                return True
        return False

    def register_prehook(self, hook: Callable[[tuple], Any]) -> Any:
        """`grad_fn.register_prehook(hook)`, as PyTorch's: hook(grad_outputs) runs before
        this node's backward and may return new grad_outputs."""
        return self._node_hook("_prehooks", hook)

    def register_hook(self, hook: Callable[[tuple, tuple], Any]) -> Any:
        """`grad_fn.register_hook(hook)`, as PyTorch's: hook(grad_inputs, grad_outputs)
        runs after this node's backward and may return new grad_inputs (one per input of
        the graph's edges, None where no gradient flows)."""
        return self._node_hook("_posthooks", hook)

    def _node_hook(self, store: str, hook: Callable) -> Any:
        from .tensor import RemovableHandle

        hooks = self.__dict__.setdefault(store, {})
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    @property
    def metadata(self) -> dict:
        """A dict kept on the node for the program's own use, as PyTorch's."""
        return self.__dict__.setdefault("_metadata", {})

    def _call_backward(self, gys: Sequence[Tensor]) -> tuple:
        """Input gradients from `backward`, one per recorded input Tensor, through the
        node's pre- and post-hooks when it has any."""
        pre, post = self.__dict__.get("_prehooks"), self.__dict__.get("_posthooks")
        for hook in list(pre.values()) if pre else ():
            _expose(gys)
            out = hook(tuple(gys))
            if out is not None:
                gys = list(_hook_result(self, "pre-hook", out, tuple(gys)))
                _expose(gys)
        gxs = self._backward_of(gys)
        if post:
            from .tensor import Tensor

            gxs = tuple(  # a gradient that is zero by construction, as the zeros it stands for
                Tensor._make(self._xp.zeros(meta[0], dtype=meta[1]), False) if g is ZERO else g
                for g, meta in zip(gxs, self._in_meta, strict=False)
            )
            for hook in list(post.values()):
                _expose(gxs)
                _expose(gys)
                out = hook(gxs, tuple(gys))
                if out is not None:
                    gxs = _hook_result(self, "hook", out, gxs)
                    _expose(gxs)
        return gxs

    def _backward_of(self, gys: Sequence[Tensor]) -> tuple:
        """Input gradients from `backward`, one per recorded input Tensor."""
        if not self._ctx_style:
            if self._touches_complex():
                raise NotImplementedError(
                    f"{self.op_name or type(self).__name__}: gradients through complex tensors "
                    "are not supported (minigrad's backward formulas are real ones and would "
                    "give wrong numbers); keep the real and imaginary parts as separate real "
                    "tensors, or compute the complex part under minigrad.no_grad()"
                )
            return _as_tuple(self.backward(*gys))
        name = type(self).__name__
        grad_outputs: list[Tensor | None] = [None] * self._n_outs
        for k, g in zip(self._out_slots, gys, strict=True):
            grad_outputs[k] = g
        per_tensor = self.needs_input_grad
        self.needs_input_grad = self._arg_needs
        _expose(grad_outputs)
        try:
            out = type(self).backward(self, *grad_outputs)
        finally:
            self.needs_input_grad = per_tensor
        gxs = out if isinstance(out, tuple) else (out,)  # a list is one gradient, as PyTorch's
        _expose(gxs)
        if len(gxs) > self._n_args and all(g is None for g in gxs[self._n_args :]):
            gxs = gxs[: self._n_args]  # Nones for optional arguments not passed: PyTorch's too
        if len(gxs) != self._n_args:
            hint = " (a list counts as one: return a tuple)" if isinstance(out, list) else ""
            raise RuntimeError(
                f"{name}.backward returned {len(gxs)} gradients for {self._n_args} "
                f"forward arguments{hint}; return None for those that need none"
            )
        for i, g in enumerate(gxs):
            if g is None:
                continue
            if i not in self._arg_positions:
                raise RuntimeError(
                    f"{name}.backward returned a gradient for argument {i}, which is not a "
                    "Tensor; return None for it"
                )
            if not hasattr(g, "_data"):  # PyTorch's RuntimeError "expected Variable or None"
                raise RuntimeError(
                    f"{name}.backward returned {type(g).__name__} for argument {i}; "
                    "expected a Tensor or None"
                )
        return tuple(gxs[i] for i in self._arg_positions)

    def _apply_arrays(self, *inputs: Any) -> Any:
        """Run `forward` on the inputs' arrays; record the node if a gradient is wanted.
        (Every primitive op runs through here: the common case, Tensors of one array type
        and one output, takes the fewest steps.)"""
        Tensor = _TENSOR_CLASS or _tensor_module().Tensor
        tensors = inputs
        for t in inputs:
            if not isinstance(t, Tensor):
                tensors = self._tensor_inputs(inputs, Tensor)
                break
        if len(tensors) > 1:
            ref = tensors[0]
            kind = type(ref._data)
            for i, t in enumerate(tensors):
                # one array type is one device; only a mixture needs the devices named
                if type(t._data) is not kind and t.device != ref.device:
                    raise RuntimeError(
                        f"{type(self).__name__}: expected all tensors on one device, "
                        f"got {ref.device} (input 0) and {t.device} (input {i})"
                    )
        elif not tensors:
            raise TypeError(f"{type(self).__name__}: expected at least one Tensor input")
        state = _state
        prof = state.profiler
        t0 = prof.start() if prof is not None else None
        fp = quiet_fp()
        try:
            ys = self.forward(*[t._data for t in tensors])
        except ValueError as exc:  # NumPy's shape errors do not say which op failed
            name = self.op_name or type(self).__name__.lower()
            if str(exc).startswith(f"{name}:"):
                raise
            shapes = " and ".join(str(t._data.shape) for t in tensors)
            from .errors import ShapeError

            raise ShapeError(f"{name} of shapes {shapes}: {str(exc).strip()}") from exc
        finally:
            loud_fp(fp)
            if prof is not None:
                prof.stop(t0, type(self).__name__, "forward")
        if _anomaly.on and not state.anomaly_paused:  # named if its backward yields NaN
            # (forward NaNs pass, as in PyTorch)
            self._site = _creation_site(traceback.extract_stack()[:-1])
        record = False
        if state.grad_enabled:
            for t in tensors:
                if t.requires_grad:
                    record = True
                    break
        make = Tensor._make
        single = not isinstance(ys, tuple)
        outputs = [make(ys, record)] if single else [make(y, record) for y in ys]
        views = share_version_counters(tensors, outputs)
        if record:
            if views:
                self._view_outputs = views  # which outputs are views (detach_ refuses them)
            self._record_inputs(tensors)
            if self.uses_inputs:  # backward reads them: keep them, and their versions
                read = self.inputs_read(self.needs_input_grad)
                # (list comprehensions: on every recorded op, cheaper than generators)
                self.inputs = tuple([t if r else None for t, r in zip(tensors, read, strict=True)])
                self._versions = tuple([t._vc.value for t in tensors])
            if self.uses_outputs:  # keep the arrays, not the Tensors (which point here)
                self._saved_outputs = (ys,) if single else ys
                self._out_versions = tuple([o._vc.value for o in outputs])
                self._out_counters = [weakref.ref(o._vc) for o in outputs]
            self._record_outputs(outputs)
        return outputs[0] if single else tuple(outputs)

    @staticmethod
    def _tensor_inputs(inputs: tuple, Tensor: Any) -> tuple:
        """The inputs with numbers and arrays made tensors like the first Tensor among them
        (its dtype rules and device); TypeError where there is no Tensor."""
        ref = next((t for t in inputs if isinstance(t, Tensor)), None)
        if ref is None:
            return ()
        T = _tensor_module()
        return tuple(t if isinstance(t, Tensor) else T.as_tensor_like(t, ref) for t in inputs)

    def _record_inputs(self, tensors: Sequence[Tensor]) -> None:
        """The graph's links to the inputs: an edge each (`edge`), their shapes and dtypes
        (a gradient must match them), which need a gradient, and the generation."""
        edges, meta, needs = [], [], []
        generation = 0
        for t in tensors:
            c = t.creator
            # a constant (no creator, no grad) gets no link: the graph does not keep it
            # alive (a data batch, or a view `z[:2]` that `z[:2] = z[:2] + w` writes into)
            edges.append((t if t.requires_grad else None) if c is None else (c, t._out_index))
            a = t._data
            meta.append((a.shape, a.dtype))
            needs.append(t.requires_grad)
            if t.generation > generation:
                generation = t.generation
        self.edges, self._in_meta = tuple(edges), tuple(meta)
        self.generation, self.needs_input_grad = generation, tuple(needs)

    def _record_outputs(self, outputs: Sequence[Tensor], skip: Any = ()) -> None:
        """Weak links to the outputs, their shapes and dtypes, and each output (but those
        whose ids are in `skip`, a custom Function's non-differentiable ones) made a
        tensor of this graph: its creator, generation and place among the outputs."""
        self.outputs = [weakref.ref(o) for o in outputs]
        self._out_meta = [(o._data.shape, o._data.dtype) for o in outputs]
        a = outputs[0]._data
        self._xp = np if type(a) is np.ndarray else get_array_module(a)
        generation = self.generation + 1
        for k, o in enumerate(outputs):
            if skip and id(o) in skip:
                continue
            o.creator = self
            o.generation = generation
            o._out_index = k

    def inputs_read(self, needs: tuple[bool, ...]) -> tuple[bool, ...]:
        """Which inputs a backward with these `needs_input_grad` reads (under
        `uses_inputs`); the others are kept as None in `inputs`, so that `h * 2.0` does
        not keep h alive. All of them unless a primitive says otherwise."""
        return (True,) * len(needs)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """PyTorch's view of the graph below this node: for each input, (the node that made
        it, its output index) for a computed tensor, (AccumulateGrad, 0) for a leaf that
        requires grad (its `.variable` is the leaf), (None, 0) for a constant. Follow it to
        walk the graph backward from `loss.grad_fn`."""
        nodes = []
        for edge in getattr(self, "edges", ()):
            if isinstance(edge, tuple):
                nodes.append(edge)
            elif edge is None:  # a constant, after release
                nodes.append((None, 0))
            else:
                nodes.append((AccumulateGrad(edge) if edge.requires_grad else None, 0))
        return tuple(nodes)

    def name(self) -> str:
        """The node's name (PyTorch's grad_fn.name(); minigrad's are the op's class names)."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def output(self, i: int = 0) -> Tensor:
        """Output `i` as a Tensor of this graph (for backwards that reuse it, like exp's):
        the output itself while it lives, else a new Tensor on its saved array with this
        function as creator, so a gradient through it (create_graph) still reaches here."""
        live = self.outputs[i]()
        saved = getattr(self, "_saved_outputs", None)
        if live is not None and (saved is None or live._data is saved[i]):
            return live
        if saved is None:
            raise RuntimeError(
                f"{type(self).__name__}: output {i} was freed before backward and the function "
                "does not save its outputs (set uses_outputs = True)"
            )
        from .tensor import Tensor, VersionCounter

        # freed, or given another array by `.data =` (the forward's value is what counts)
        y = Tensor._make(saved[i], True)
        y.creator, y.generation, y._out_index = self, self.generation + 1, i
        counter = self._out_counters[i]()  # a view of the output may still share it
        y._vc = counter if counter is not None else VersionCounter(self._out_versions[i])
        if live is None:
            self.outputs[i] = weakref.ref(y)
        return y

    def _check_versions(self) -> None:
        if self._ctx_style:
            for i, (t, v) in enumerate(
                zip(getattr(self, "_saved", ()), self._saved_versions, strict=True)
            ):
                if t is not None and t._version != v:
                    raise RuntimeError(
                        f"{type(self).__name__}: saved tensor {i} of shape {t.shape} was "
                        f"modified in place after the forward (version {v} -> {t._version})"
                    )
            return
        if self.uses_inputs:
            for i, (t, v) in enumerate(zip(self.inputs, self._versions, strict=True)):
                if t is not None and t._version != v:
                    raise RuntimeError(
                        f"{type(self).__name__}: input {i} of shape {t.shape} was modified "
                        f"in place (or given new values by `.data =`) after the forward "
                        f"(version {v} -> {t._version}); its saved value is needed for the "
                        "gradient"
                    )
            if _detached_in_place:  # (False until a program first calls detach_())
                self._check_not_detached()
        if self.uses_outputs:
            for i, (ref, v) in enumerate(zip(self._out_counters, self._out_versions, strict=True)):
                counter = ref()  # gone: no tensor on the output's storage is left to change it
                if counter is not None and counter.value != v:
                    raise RuntimeError(
                        f"{type(self).__name__}: output {i} of shape {self._out_meta[i][0]} was "
                        "modified in place after the forward; its value is needed for the "
                        "gradient"
                    )

    def _check_not_detached(self) -> None:
        """Refuse, as PyTorch's built-in nodes do, a saved input that was computed in the
        graph and has been cut from it by `detach_()` since the forward."""
        for i, (t, e) in enumerate(zip(self.inputs, self.edges, strict=True)):
            if t is not None and type(e) is tuple and t.creator is None:
                raise RuntimeError(
                    f"{type(self).__name__}: saved input {i} of shape {t.shape} has been "
                    "detached in place since the forward. Trying to use a saved tensor that "
                    "has been detached in-place, i.e. with .detach_(), is not supported: use "
                    "out-of-place .detach() instead"
                )

    def _keep_alive(self, t: Tensor) -> None:
        """Hold output t (one with hooks) until this function is released."""
        self.__dict__.setdefault("_kept", []).append(t)

    # PyTorch's view of what a node saved (`y.grad_fn._saved_self`): the inputs that its
    # backward reads, and the output where it reads that; after a backward without
    # retain_graph, PyTorch's error
    @property
    def _saved_self(self) -> Any:
        return self._saved_input(0, "_saved_self")

    @property
    def _saved_other(self) -> Any:
        return self._saved_input(1, "_saved_other")

    @property
    def _saved_result(self) -> Any:
        self._check_not_released()
        saved = self.__dict__.get("_saved_outputs")
        if not saved:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '_saved_result'")
        return _tensor_module().Tensor._make(saved[0], False)

    def _saved_input(self, i: int, name: str) -> Any:
        self._check_not_released()
        inputs = self.__dict__.get("inputs") or ()
        if i >= len(inputs) or inputs[i] is None:  # not saved: backward does not read it
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return inputs[i]

    def _check_not_released(self) -> None:
        if "_released" in self.__dict__:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward."
            )

    def release(self) -> None:
        """Drop inputs and saved arrays once backward has used them. The graph's shape
        stays (edges to creators and to leaves that require grad; None for constants, so
        no data batch is kept alive), as PyTorch keeps it: a later walk that would have to
        run this function again can then tell, and raise."""
        name = type(self).__name__
        edges = tuple(
            [
                e if type(e) is tuple or (e is not None and e.requires_grad) else None
                for e in self.__dict__.get("edges", ())
            ]
        )
        needs, generation = self.__dict__.get("needs_input_grad", ()), self.generation
        self.__dict__.clear()
        self._released = name
        self.edges, self.needs_input_grad, self.generation = edges, needs, generation


class _DelayedError(Function):
    """Identity whose backward refuses: put on the results of a `once_differentiable`
    backward run with create_graph=True, so only differentiating them again fails."""

    uses_inputs = False

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )

    def forward(self, x: Any, *connected: Any) -> Any:
        return x  # `connected`: tensors of the graph, so that a walk toward them meets this

    def backward(self, gy: Tensor) -> Any:
        raise RuntimeError(self.message)


def first_order_only(g: Tensor, name: str, *connected: Tensor) -> Tensor:
    """A gradient a primitive's backward computed as a constant (no graph of its own),
    from `connected` (its inputs and incoming gradient): while the walk records
    (create_graph=True) it is tied to them by a node whose backward raises PyTorch's "the
    derivative for 'name' is not implemented", instead of the zero (or "not used")
    a constant would silently give."""
    if not _state.grad_enabled:
        return g
    links = [t for t in connected if t is not None and t.requires_grad]
    if not links:
        return g
    marked = _tensor_module().Tensor._make(g._data, False)
    return _DelayedError(f"the derivative for '{name}' is not implemented")(marked, *links)


class _Zero:
    """The marker a backward returns for an input whose gradient is zero by construction
    (`ZeroLink`): the walk hands zeros to whatever only it reaches (`_fill_zero_reached`)
    instead of computing with them."""

    def __repr__(self) -> str:
        return "ZERO"


ZERO = _Zero()


class ZeroLink(Function):
    """The gradient g of a piecewise-linear op (relu, leaky_relu, hardtanh, abs, pooling),
    recorded (create_graph=True) as depending on the op's input x with derivative zero,
    as PyTorch records it: g requires grad even where no weight enters it, and
    differentiating it again gives zeros for x, not an error. Made by `zero_link`.

    With `every_order` (relu, whose PyTorch gradient reads the op's result, itself in the
    graph) the zeros that a recording walk gives x are linked to x in turn, so every
    higher derivative requires grad, as PyTorch's; without it they are a constant, and the
    third derivative does not require grad, as PyTorch's leaky_relu's."""

    uses_inputs = False

    def __init__(self, every_order: bool = False) -> None:
        self.every_order = every_order

    def forward(self, g: Any, x: Any) -> Any:
        return g

    def backward(self, gg: Tensor) -> Any:
        if not (self.every_order and _state.grad_enabled):
            return gg, ZERO
        shape, dtype = self._in_meta[1]
        xp = get_array_module(gg._data)
        zeros = _tensor_module().Tensor._make(xp.zeros(shape, dtype=dtype), False)
        return gg, _linked(zeros, self.edges[1], self._in_meta[1], True)


def zero_link(g: Tensor, f: Function, i: int = 0, *, every_order: bool = False) -> Tensor:
    """g, the gradient that f's backward computed for its input i, linked to that input by
    a `ZeroLink` while the walk records (create_graph=True); g itself otherwise.
    `every_order`: the link survives every differentiation (relu's, see ZeroLink)."""
    if not _state.grad_enabled:
        return g
    e = f.edges[i]
    if e is None or (type(e) is not tuple and not e.requires_grad):
        return g
    return _linked(g, e, f._in_meta[i], every_order)


def _linked(g: Tensor, e: Any, meta: tuple, every_order: bool) -> Tensor:
    """g on a new `ZeroLink` node whose inputs are g and the graph edge e (an input of
    shape and dtype `meta`)."""
    link = ZeroLink(every_order)
    link.edges = (edge(g), e)
    link._in_meta = ((g._data.shape, g._data.dtype), meta)
    link.needs_input_grad = (g.requires_grad, True)
    link.generation = max(g.generation, e[0].generation + 1 if type(e) is tuple else 0)
    out = _tensor_module().Tensor._make(g._data, True)
    link._record_outputs([out])
    return out


class NoDerivative(Function):
    """The output of an op that has no derivative (unique, heaviside, histogram): it
    requires grad where an input does, as PyTorch's, so that a backward through it raises
    instead of leaving that path out of the gradient without a word."""

    uses_inputs = False

    def __init__(self, op: str, out: Any) -> None:
        self.op, self.out = op, out

    def forward(self, *inputs):
        out, self.out = self.out, None  # (no reference kept: the graph holds no array)
        return out

    def backward(self, gy):
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented")


def no_derivative(op: str, out: Any, *inputs: Any) -> Any:
    """`out`, an array `op` computed from `inputs` (tensors, or None), as a tensor: one
    whose backward raises (NoDerivative) where grad is on and an input requires grad."""
    tensors = [t for t in inputs if t is not None]
    if _state.grad_enabled and any(t.requires_grad for t in tensors):
        return NoDerivative(op, out)(*tensors)
    return _tensor_module().Tensor._make(out, False)


@contextlib.contextmanager
def regrading() -> Iterator[None]:
    """Mark an API that differentiates the gradients it computes as running (func's
    transforms, autograd.functional.hessian): there a `once_differentiable` gradient is
    tied to the tensors its backward saved, so that differentiating it raises, and a custom
    Function is checked as torch.func checks it (`_check_transformable`)."""
    _state.regrading += 1
    try:
        yield
    finally:
        _state.regrading -= 1


def once_differentiable(backward: Any) -> Any:
    """Decorate a custom Function's static backward that is not itself differentiable (it
    may compute on arrays): it runs without recording, and with create_graph=True its
    gradients raise if something differentiates through them, as PyTorch's."""

    @functools.wraps(backward)
    def wrapper(ctx: Any, *args: Any) -> Any:
        with no_grad():
            outputs = backward(ctx, *args)
        Tensor = _tensor_module().Tensor
        if not _state.grad_enabled:
            return outputs
        # tied to the incoming gradients, as PyTorch's: a gradient whose incoming gradients
        # are constants is a constant (a gradient penalty on it adds nothing, and runs).
        # Inside `regrading` (func's transforms, autograd.functional.hessian) also to the
        # saved tensors, so that differentiating toward them raises: as a constant,
        # func.jvp's walk toward its cotangent never met it and gave zeros, and hessian's
        # toward the input (PyTorch's forward mode refuses such a Function)
        saved = (ctx.__dict__.get("_saved") or ()) if _state.regrading else ()
        links = [t for t in (*args, *saved) if isinstance(t, Tensor) and t.requires_grad]
        if not links:
            return outputs
        message = (
            "trying to differentiate twice a function that was marked with "
            f"@once_differentiable ({type(ctx).__name__}.backward)"
        )
        if _state.regrading:
            message += (
                "; minigrad's forward-mode transforms (func.jvp, jacfwd, hessian) "
                "differentiate backward, so they need one that is differentiable"
            )
        single = not isinstance(outputs, tuple)
        wrapped = []
        for g in (outputs,) if single else outputs:
            if isinstance(g, Tensor):
                g = Tensor._make(g._data, False)
                g = _DelayedError(message)(g, *links)
            wrapped.append(g)
        return wrapped[0] if single else tuple(wrapped)

    return wrapper


class _VariableMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _tensor_module().Tensor)


class Variable(metaclass=_VariableMeta):
    """PyTorch's legacy `Variable(t, requires_grad=False)`: a new leaf Tensor on t's
    memory (t itself is unchanged); every Tensor is an instance, as in PyTorch."""

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: Any = None) -> Any:
        if volatile is not None:  # PyTorch 0.3's inference flag: warned about and ignored
            from .errors import warn_user

            warn_user("volatile was removed and now has no effect: use `with mg.no_grad():`")
        if not isinstance(data, _tensor_module().Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)


class _ExecutionEngine:
    """`Variable._execution_engine`, where PyTorch programs reach queue_callback."""

    @staticmethod
    def queue_callback(fn: Any) -> None:
        queue_callback(fn)


Variable._execution_engine = _ExecutionEngine()


# `torch.autograd.function`, which programs import from (`from torch.autograd.function
# import once_differentiable`); minigrad.autograd is one file, so it is registered by name
function = types.ModuleType(f"{__name__}.function", "PyTorch's torch.autograd.function names.")
function.Function = Function
function.FunctionCtx = Function
function.once_differentiable = once_differentiable
sys.modules[function.__name__] = function


_TENSOR: Any = None
_TENSOR_CLASS: Any = None  # minigrad.tensor.Tensor once that module is loaded


def _tensor_module() -> Any:
    """The module minigrad.tensor, imported on first use (it imports this module) and
    kept. (`minigrad.tensor` the attribute is the factory function.)"""
    global _TENSOR, _TENSOR_CLASS
    if _TENSOR is None:
        from . import tensor  # noqa: F401  (the import puts the module in sys.modules)

        _TENSOR = sys.modules[__package__ + ".tensor"]
        _TENSOR_CLASS = _TENSOR.Tensor
    return _TENSOR


def share_version_counters(inputs: Sequence[Tensor], outputs: Sequence[Tensor]) -> tuple:
    """An output whose array aliases an input's memory (a view: reshape, basic indexing,
    transpose, expand, split, ...) shares that input's version counter, so an in-place
    change through either is seen by a backward that saved the other. A copy does not.
    Returns the indices of the outputs that are views."""
    views: tuple = ()
    for k, o in enumerate(outputs):
        y = o._data
        base = getattr(y, "base", None)
        for t in inputs:
            x = t._data
            if y is x or (base is not None and get_array_module(y).may_share_memory(y, x)):
                o._vc = t._vc
                views += (k,)
                break
    return views


def _as_tuple(x: Any) -> tuple:
    """A tensor (or None, or a number) as a tuple of one; a tuple, list or other iterable
    (`model.parameters()`, `params.values()`) as a tuple of its items, as PyTorch's grad
    takes them."""
    if isinstance(x, tuple | list):
        return tuple(x)
    if x is None or hasattr(x, "_data") or isinstance(x, str | np.ndarray):
        return (x,)
    try:
        return tuple(x)
    except TypeError:  # not iterable
        return (x,)


def _second_backward_error(name: str) -> RuntimeError:
    return RuntimeError(
        f"{name}: trying to backward through the graph a second time; its saved values "
        "were freed by the first backward (use retain_graph=True)"
    )


def edge(t: Tensor) -> Any:
    """The graph's link to an input: a leaf itself (its gradient is accumulated into it),
    or (creator, output index) for a computed tensor, which the link does not keep alive."""
    c = t.creator
    return t if c is None else (c, t._out_index)


def _edge_key(e: Any) -> Any:
    """The key a gradient waits under: id of a leaf, (id of creator, index) otherwise."""
    return (id(e[0]), e[1]) if type(e) is tuple else id(e)


def grad_key(t: Tensor) -> Any:
    """The key t's gradient waits under: that of its edge."""
    return _edge_key(edge(t))


def _collect(roots: Sequence[Tensor], strict: bool) -> tuple[list[Function], bool]:
    """Every recorded function reachable from `roots`, found without recursion, and whether
    a function freed by an earlier backward was met. `strict` raises at such a function;
    otherwise it is a dead end, as PyTorch only fails if it would have to run it."""
    seen: dict[int, bool] = {}  # id -> reached by ZERO gradients only (so far)
    order: list[Function] = []
    released = False
    # (function, whether only ZERO gradients lead there: if it was freed, a dead end and
    # no error, since nothing has to run it; PyTorch's walk runs it with zeros, and fails)
    stack = [(t.creator, False) for t in roots if t.creator is not None]
    while stack:
        f, zero_only = stack.pop()
        before = seen.get(id(f))
        if before is not None and (zero_only or not before):
            continue
        seen[id(f)] = zero_only
        if hasattr(f, "_released"):
            if zero_only:
                continue
            if strict:
                raise _second_backward_error(f._released)
            # kept: the walk raises if it has to run it (a target lies beyond it)
            released = True
        if before is None:
            order.append(f)
        zero_edge = f.edges[1] if type(f) is ZeroLink else None
        stack.extend((e[0], zero_only or e is zero_edge) for e in f.edges if type(e) is tuple)
    return order, released


class _walking:
    """Sets `_state.targeted` for one walk (a plain class: cheaper than a generator's
    context manager on every backward)."""

    __slots__ = ("targeted", "outer")

    def __init__(self, targeted: bool) -> None:
        self.targeted = targeted

    def __enter__(self) -> None:
        self.outer, _state.targeted = _state.targeted, self.targeted

    def __exit__(self, *exc: Any) -> None:
        _state.targeted = self.outer


def walk_has_targets() -> bool:
    """Whether the backward walk running in this thread is `grad()` or
    `backward(inputs=...)` (one with targets); False outside a walk."""
    return _state.targeted


def run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    targets: Sequence[Tensor] | None,
    retain_graph: bool,
    create_graph: bool,
    on_leaf: Any = None,
) -> dict[Any, tuple[Tensor, Tensor]]:
    """Propagate `root_grads` from `roots` back through the graph.

    Gradients wait under their tensor's `grad_key`. With `targets`, only the paths that
    reach them are walked and their gradients are returned as {key: (tensor, gradient)};
    without, every leaf that requires grad is returned so (the caller accumulates them
    into `.grad`). Without targets, a leaf with post-accumulate hooks goes to
    `on_leaf(leaf, gradient)` as soon as its last consumer has run, instead of being
    returned.
    """
    functions, released = _collect(roots, strict=targets is None)
    # consumers still to run, per leaf with post-accumulate hooks
    pending: dict[int, int] = {}
    if on_leaf is not None and targets is None:
        for f in functions:
            for e in f.edges:
                if type(e) is not tuple and e is not None and e._post_hooks:
                    pending[id(e)] = pending.get(id(e), 0) + 1
    wanted: dict[Any, Tensor] = {} if targets is None else {grad_key(t): t for t in targets}
    # Which functions lead to a target: inputs are older than outputs, so ascending
    # generation order settles each function after all of its inputs' creators.
    # Without targets every recorded function has an input that requires grad: all needed.
    if targets is None:
        needed = {id(f) for f in functions}
    else:
        needed = set()
        for f in sorted(functions, key=lambda f: f.generation):
            if any(_leads_to(e, need, wanted, needed) for e, need in _grad_edges(f)):
                needed.add(id(f))

    grads: dict[Any, Tensor] = {}
    leaves: dict[int, Tensor] = {}  # the leaves whose gradients wait, by id
    cast_leaves = _grad_dtype_set  # some leaf may have a grad_dtype: cast what flows into it
    for t, g in zip(roots, root_grads, strict=True):
        if cast_leaves and t.creator is None:
            g = _in_grad_dtype(t, g)
        _accumulate(grads, leaves, edge(t), g)

    heap: list[tuple[int, int, Function]] = []
    pushed: set[int] = set()
    zero_edges: list[Any] = []  # where a ZERO gradient arrived
    hooked: set[Any] = set()  # keys whose tensor's hooks have run
    counter = 0
    for t in roots:
        f = t.creator
        if f is not None and id(f) in needed and id(f) not in pushed:
            pushed.add(id(f))
            heapq.heappush(heap, (-f.generation, counter, f))
            counter += 1

    Tensor = _tensor_module().Tensor
    heappush, heappop, anomaly = heapq.heappush, heapq.heappop, _anomaly
    # fp_ignored: the walk also computes on arrays outside ops (first-order backwards)
    with set_grad_enabled(bool(create_graph)), fp_ignored(), _walking(targets is not None):
        while heap:
            f = heappop(heap)[2]
            if hasattr(f, "_released"):
                raise _second_backward_error(f._released)
            gys = []
            fid = id(f)
            for k, ref in enumerate(f.outputs):
                key = (fid, k)
                is_target = key in wanted
                g = grads.get(key) if is_target else grads.pop(key, None)
                y = ref()  # alive while held by the caller (or by a hook it registered)
                # y's gradient is complete: every consumer has run. An output that got none
                # runs no hook (PyTorch calls it with None, or zeros where a node made them)
                if g is not None and y is not None and (y._hooks or y._retains_grad):
                    g = _run_hooks(y, g, create_graph)
                    hooked.add(key)
                    if is_target:
                        grads[key] = g
                if g is None and f._materialize:
                    shape, dtype = f._out_meta[k]
                    g = Tensor._make(f._xp.zeros(shape, dtype=dtype), False)
                gys.append(g)
            f._check_versions()
            f.last_use = not retain_graph
            # apply recorded requires_grad per input; targets prune the paths that miss them
            recorded = f.needs_input_grad
            if targets is not None:
                f.needs_input_grad = tuple(
                    _leads_to(e, need, wanted, needed) for e, need in _grad_edges(f)
                )
            if anomaly.on and not _state.anomaly_paused:
                # check this function's gradients, not the ops its backward is made of
                _state.anomaly_paused = True
                try:
                    gxs = f._call_backward(gys)
                finally:
                    _state.anomaly_paused = False
                _check_finite(f, [None if g is None or g is ZERO else g._data for g in gxs])
            elif _state.profiler is not None:
                t0 = _state.profiler.start()
                try:
                    gxs = f._call_backward(gys)
                finally:
                    _state.profiler.stop(t0, type(f).__name__, "backward")
            else:
                gxs = f._call_backward(gys)
            need_grads = f.needs_input_grad
            f.needs_input_grad = recorded  # a retained graph may be walked again in full
            edges = f.edges
            if len(gxs) != len(edges):
                raise RuntimeError(
                    f"{type(f).__name__}.backward returned {len(gxs)} gradients "
                    f"for {len(edges)} inputs"
                )
            for e, (shape, dt), gx, need in zip(edges, f._in_meta, gxs, need_grads, strict=True):
                if gx is None or not need:
                    continue
                if gx is ZERO:  # kept aside, not walked through the graph
                    zero_edges.append(e)
                    continue
                ga = gx._data
                if ga.shape != shape:
                    gx = _reduce_to_input(f, gx, shape)
                    ga = gx._data
                if ga.dtype is not dt and ga.dtype != dt:
                    # a gradient has its input's dtype, as in PyTorch
                    from .ops.shape import cast

                    gx = cast(gx, dt)
                if cast_leaves and type(e) is not tuple:
                    gx = _in_grad_dtype(e, gx)
                _accumulate(grads, leaves, e, gx)
                if type(e) is tuple:
                    c = e[0]
                    if id(c) in needed and id(c) not in pushed:
                        pushed.add(id(c))
                        heappush(heap, (-c.generation, counter, c))
                        counter += 1
            if pending:
                _deliver_finished(edges, pending, grads, leaves, on_leaf, create_graph)
            if not retain_graph:
                f.release()
        if zero_edges:
            _fill_zero_reached(zero_edges, grads, leaves, wanted, targets is None, needed, pushed)
        # leaves (or, for grad(), the inputs asked for) are complete only now
        finished = leaves if targets is None else wanted
        for key, t in finished.items():
            if key in grads and key not in hooked and (t._hooks or t._retains_grad):
                grads[key] = _run_hooks(t, grads[key], create_graph)

    if targets is None:
        return {k: (t, grads[k]) for k, t in leaves.items() if k in grads}
    if released and any(k not in grads for k in wanted):
        raise _second_backward_error("grad")
    return {k: (t, grads[k]) for k, t in wanted.items() if k in grads}


def _fill_zero_reached(
    edges: list[Any],
    grads: dict[Any, Tensor],
    leaves: dict[int, Tensor],
    wanted: dict[Any, Tensor],
    all_leaves: bool,
    needed: set[int],
    pushed: set[int],
) -> None:
    """Give a zero gradient to what only ZERO gradients reached (through `zero_link`) and
    no real one did: the leaves that require grad (or, for grad(), the inputs asked for)
    below `edges`, through the functions that never ran. PyTorch gets the same zeros by
    walking them through the graph, which costs a backward pass."""
    zeros_like = _tensor_module().zeros_like
    seen: set[Any] = set()
    stack = list(edges)
    while stack:
        e = stack.pop()
        key = _edge_key(e)
        if key in seen:
            continue
        seen.add(key)
        if key in wanted or (all_leaves and type(e) is not tuple):
            if key not in grads:
                grads[key] = zeros_like(wanted.get(key, e))
                if type(e) is not tuple:
                    grads[key] = _in_grad_dtype(e, grads[key])
                    leaves[key] = e
        if type(e) is tuple:
            f = e[0]
            if id(f) in needed and id(f) not in pushed:  # it ran: its inputs were served
                stack.extend(x for x, need in _grad_edges(f) if need)


def _reduce_to_input(f: Function, gx: Tensor, shape: tuple) -> Tensor:
    """A gradient of another shape than its input's from a custom Function, as PyTorch's
    engine takes it: summed down to the input's shape when that shape broadcasts to the
    gradient's (a backward that returns `g * x` for a broadcast operand), refused
    otherwise. minigrad's own ops must give their input's shape: theirs is refused, so
    that a wrong backward formula is found, not summed away."""
    have = tuple(gx._data.shape)
    extra = len(have) - len(shape)
    custom = not type(f).__module__.startswith("minigrad.")
    if custom and extra >= 0 and all(n in (1, m) for n, m in zip(shape, have[extra:], strict=True)):
        from .ops.reduce import sum_to

        return sum_to(gx, tuple(shape))
    raise RuntimeError(
        f"{type(f).__name__}.backward: gradient of shape {have} for an input of shape "
        f"{tuple(shape)} (it must have the input's shape, or one the input broadcasts to)"
    )


def _in_grad_dtype(leaf: Tensor, g: Tensor) -> Tensor:
    """g cast to the leaf's `grad_dtype` where one was set, as PyTorch casts each gradient
    that flows into the leaf (two of them are then summed in that dtype)."""
    dt = leaf.__dict__.get("_grad_dtype")  # None: not set, or any dtype allowed
    if dt is None or g._data.dtype == dt:
        return g
    from .ops.shape import cast

    return cast(g, dt)


def _grad_edges(f: Function) -> Any:
    """(edge, recorded requires-grad) per input of f."""
    return zip(f.edges, f.needs_input_grad, strict=True)


def _leads_to(e: Any, need: bool, wanted: dict[Any, Tensor], needed: set[int]) -> bool:
    """Whether a gradient along edge e reaches a target: e is one, or its creator leads
    to one."""
    if not need:
        return False
    if _edge_key(e) in wanted:
        return True
    return type(e) is tuple and id(e[0]) in needed


def _deliver_finished(
    edges: Sequence[Any],
    pending: dict[int, int],
    grads: dict[Any, Tensor],
    leaves: dict[int, Tensor],
    on_leaf: Any,
    create_graph: bool,
) -> None:
    """Count down the consumers of these inputs; hand each leaf whose gradient is now
    complete to `on_leaf` and drop it from the walk's results."""
    for e in edges:
        if type(e) is tuple:
            continue
        key = id(e)
        if key not in pending:
            continue
        pending[key] -= 1
        if pending[key] == 0 and key in grads:
            g = grads.pop(key)
            leaves.pop(key)
            if e._hooks:
                g = _run_hooks(e, g, create_graph)
            on_leaf(e, g)


def queue_callback(fn: Any) -> None:
    """Run `fn()` once the running `backward()` has stored every gradient (PyTorch's
    `Variable._execution_engine.queue_callback`); called from a hook during the walk."""
    if _state.callbacks is None:
        raise RuntimeError("queue_callback: no backward() is running")
    _state.callbacks.append(fn)


def _run_hooks(t: Tensor, g: Tensor, create_graph: bool) -> Tensor:
    """Pass t's finished gradient through its hooks (a returned Tensor replaces it), then
    keep it in `t.grad` if t retains grad."""
    for hook in list((t._hooks or {}).values()):
        _expose((g,))
        out = hook(g)
        if out is None:
            continue
        _expose((out,))
        name = getattr(hook, "__name__", hook)
        if not hasattr(out, "_data"):
            raise TypeError(
                f"hook {name!r} returned {type(out).__name__}; expected a Tensor or None"
            )
        if out.shape != t.shape or out.dtype != g.dtype:
            raise RuntimeError(
                f"hook {name!r} on a tensor of shape {t.shape} changed its gradient's shape "
                f"or dtype: got {out.dtype} {tuple(out.shape)} for {g.dtype} {tuple(g.shape)}"
            )
        g = out
    if t._retains_grad:
        kept = g if create_graph else type(g)._make(_copy(g._data), False)
        t.grad = kept if t._grad is None else t._grad + kept
    return g


def _accumulate(grads: dict[Any, Tensor], leaves: dict[int, Tensor], e: Any, g: Tensor) -> None:
    """Add g to the gradient waiting along edge e; a leaf is kept for the caller."""
    key = _edge_key(e)
    if key in grads:
        grads[key] = _sum_grads(grads[key], g)
    else:
        grads[key] = g
        if type(e) is not tuple:
            leaves[key] = e


def _sum_grads(a: Tensor, b: Tensor) -> Tensor:
    """a + b, two gradients of one input. With grad mode off (inside the walk: no
    create_graph) nothing would record the sum, so two arrays of one dtype are added as
    arrays, no node (the profiler's AccumulateGrad); the Add op otherwise: recorded, or
    promoting a caller's grad_output as PyTorch does. Anomaly mode does not check the sum
    (PyTorch's checks what each backward function returns, not their accumulation)."""
    if _state.grad_enabled or a._data.dtype != b._data.dtype:
        return a + b
    prof = _state.profiler
    t0 = prof.start() if prof is not None else None
    out = _tensor_module().Tensor._make(a._data + b._data, False)
    if prof is not None:
        prof.stop(t0, "AccumulateGrad", "backward")
    return out


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, returned without touching `.grad`.

    With `create_graph=True` the returned gradients are part of the graph and can be
    differentiated again (a gradient penalty needs this). An input the outputs do not
    depend on is an error, or None with `allow_unused=True`, or zeros with
    `materialize_grads=True` (which implies `allow_unused`), as in PyTorch.
    `only_inputs` is PyTorch's deprecated argument, in its place: ignored (False warns).
    """
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "minigrad.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)  # once: generators too
    if is_grads_batched:
        return _grad_batched(
            outputs,
            inputs,
            grad_outputs,
            retain_graph,
            create_graph,
            allow_unused,
            materialize_grads,
        )
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True needs allow_unused to be True or None")
    allow_unused = bool(allow_unused) or materialize_grads
    if not inputs:
        raise RuntimeError("grad: the `inputs` argument cannot be empty (as in PyTorch)")
    if retain_graph is None:
        retain_graph = create_graph
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} of shape {t.shape} does not require grad")
    root_grads = _root_grads(outputs, grad_outputs, "grad")
    seen = {id(g._data) for g in root_grads}
    found = _with_callbacks(
        lambda: run_backward(outputs, root_grads, inputs, retain_graph, create_graph), seen
    )
    result = []
    for i, t in enumerate(inputs):
        g = found.get(grad_key(t), (None, None))[1]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} of shape {t.shape} was not used in the graph of the outputs "
                "(pass allow_unused=True to get None for it)"
            )
        if g is None and materialize_grads:  # in the graph with create_graph, as PyTorch's
            g = _tensor_module().zeros_like(t, requires_grad=create_graph)
        elif g is not None and not create_graph:
            g = _owned(g, seen)
        result.append(g)
    return tuple(result)


def _grad_batched(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any,
    retain_graph: bool | None,
    create_graph: bool,
    allow_unused: bool | None,
    materialize_grads: bool,
) -> tuple[Tensor | None, ...]:
    """`grad` with `is_grads_batched=True`: the first dim of every grad_output is a batch,
    and each input's result stacks the gradients of the batch's entries. PyTorch vmaps
    one backward over the batch; here the graph is walked once per entry (same numbers)."""
    from .ops import stack

    outs = _as_tuple(outputs)
    grad_outputs = (None,) * len(outs) if grad_outputs is None else _as_tuple(grad_outputs)
    for i, (y, g) in enumerate(zip(outs, grad_outputs)):  # noqa: B905 - counted by grad()
        if g is None:  # autograd's implicit grad, made before PyTorch batches them
            if y.requires_grad and y.ndim != 0:  # one element of 1-d is not a scalar either
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            raise ValueError(
                "grad: is_grads_batched=True needs every grad_output batched in its first "
                f"dim, got None for output {i} of shape {tuple(y.shape)}"
            )
    sizes = {g.shape[0] if g.ndim else None for g in grad_outputs}
    if len(sizes) != 1 or None in sizes:
        shapes = [g.shape for g in grad_outputs]
        raise RuntimeError(
            f"grad: is_grads_batched=True needs grad_outputs of one batch size in their "
            f"first dim, got shapes {shapes}"
        )
    (n,) = sizes
    if retain_graph is None:
        retain_graph = create_graph
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True needs allow_unused to be True or None")
    materialize, zeros_like = materialize_grads, _tensor_module().zeros_like
    per_entry = [
        grad(
            outputs,
            inputs,
            [g[i] for g in grad_outputs],
            retain_graph=retain_graph or i < n - 1,
            create_graph=create_graph,
            allow_unused=allow_unused or materialize,
        )
        for i in range(n)
    ]
    result = []
    for k, t in enumerate(_as_tuple(inputs)):
        gs = [entry[k] for entry in per_entry]
        if n == 0:
            result.append(_tensor_module().zeros((0, *t.shape), dtype=t.dtype, device=t.device))
        elif gs[0] is None:  # unused: None for the whole batch, or zeros shaped like the
            # input, unbatched (PyTorch's materialize_grads)
            result.append(zeros_like(t, requires_grad=create_graph) if materialize else None)
        else:
            result.append(stack(gs, 0))
    return tuple(result)


def _root_grads(outputs: Sequence[Tensor], grad_outputs: Any, who: str) -> list[Tensor]:
    Tensor = _tensor_module().Tensor  # (not an import here: on every backward)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    grad_outputs = _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        from .errors import ShapeError

        raise ShapeError(f"{who}: {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    result = []
    for i, (y, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not y.requires_grad:
            raise RuntimeError(
                f"{who}: output {i} of shape {y.shape} does not require grad and has no "
                "creator (was it computed under no_grad or from detached tensors?)"
            )
        if g is None:
            a = y._data
            if a.size != 1:
                raise RuntimeError(
                    f"{who}: gradient can be created implicitly only for scalar outputs; "
                    f"output {i} has shape {y.shape}: pass `gradient`/`grad_outputs`"
                )
            # a one of y's shape, dtype and device (ones_like's, without its checks and
            # the checks below, which it passes by construction: a loss's every backward)
            result.append(Tensor._make(get_array_module(a).ones(a.shape, dtype=a.dtype), False))
            continue
        if not isinstance(g, Tensor):
            raise TypeError(
                f"{who}: gradients can be Tensors or None, got {type(g).__name__} for output {i}"
            )
        if g.shape != y.shape:
            raise RuntimeError(
                f"{who}: grad_output of shape {g.shape} does not match output {i} of shape "
                f"{y.shape}"
            )
        if device_of(g._data) != y.device:
            raise RuntimeError(f"{who}: grad_output on {g.device} for an output on {y.device}")
        if g.dtype != y.dtype:  # in the output's dtype, as PyTorch's validate_outputs
            g = g.to(dtype=y.dtype)
        result.append(g)
    return result


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Any = None,
    *,
    grad_variables: Any = None,
) -> None:
    """Accumulate d tensors / d leaf into every leaf's `.grad` (only into `inputs`' when
    given), as `torch.autograd.backward`; `tensors` is one Tensor or a sequence.
    `grad_variables` is PyTorch's deprecated name of `grad_tensors` (warned about); it is
    keyword-only here, where PyTorch's fifth positional argument is it, not `inputs`."""
    Tensor = _tensor_module().Tensor  # (not an import here: on every backward)
    if grad_variables is not None:
        grad_tensors = _grad_variables(grad_tensors, grad_variables)
    if create_graph:
        _warn_create_graph_cycle()
    func = sys.modules.get(__package__ + ".func")
    if func is not None and func.inside_transform():
        raise RuntimeError(
            "backward() called inside a functorch transform. This is not supported, please "
            "use functorch.grad or functorch.vjp instead or call backward() outside of "
            "functorch transforms. (minigrad.func.grad / vjp compute the gradients of the "
            "function they transform.)"
        )
    if retain_graph is None:
        retain_graph = create_graph
    single = isinstance(tensors, Tensor)
    roots = (tensors,) if single else tuple(tensors)
    if single and grad_tensors is not None:
        grad_tensors = (grad_tensors,)
    root_grads = _root_grads(roots, grad_tensors, "backward")
    targets = None
    if inputs is not None:
        targets = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
        if not targets:
            raise RuntimeError(
                "backward: the `inputs` argument cannot be empty (as in PyTorch; leave it out "
                "to accumulate into every leaf)"
            )
        for i, t in enumerate(targets):
            if not t.requires_grad:
                raise RuntimeError(f"backward: input {i} of shape {t.shape} does not require grad")
    seen = {id(g._data) for g in root_grads}

    def store(leaf: Tensor, g: Tensor) -> None:
        # a leaf frozen (requires_grad = False) since the forward gets no gradient, as
        # PyTorch's AccumulateGrad skips it; its hooks still run, as there
        if leaf.requires_grad:
            accumulate(leaf, g)
        for hook in list((leaf._post_hooks or {}).values()):
            if hook(leaf) is not None:
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")

    def accumulate(leaf: Tensor, g: Tensor) -> None:
        if not create_graph:
            g = _owned(g, seen)
        else:
            if g._data.base is not None or id(g._data) in seen:
                # keep the history, but give each leaf a `.grad` of its own, as `_owned` does
                from .ops.shape import clone

                g = clone(g)
            seen.add(id(g._data))
        old = leaf._grad  # not .grad: a non-leaf in `inputs=` would warn
        if old is None:
            leaf.grad = g
        elif create_graph or not _add_into(old, g):
            total = old + g
            if not create_graph and total.dtype != old.dtype:  # (a grad_dtype=None leaf's)
                raise RuntimeError(
                    f"backward: can't accumulate a gradient of dtype {g.dtype} into the .grad "
                    f"of dtype {old.dtype} of a leaf of shape {leaf.shape}: result type "
                    f"{total.dtype} can't be cast to the desired output type {old.dtype}"
                )
            leaf.grad = total

    def walk() -> None:
        found = run_backward(roots, root_grads, targets, retain_graph, create_graph, store)
        for leaf, g in found.values():
            store(leaf, g)

    _with_callbacks(walk, seen)


def _grad_variables(grad_tensors: Any, grad_variables: Any) -> Any:
    """`backward`'s deprecated `grad_variables`, taken for `grad_tensors` with PyTorch's
    warning; both at once is PyTorch's error."""
    warnings.warn(
        "`grad_variables` is deprecated. Use `grad_tensors` instead.", FutureWarning, stacklevel=3
    )
    if grad_tensors is not None:
        raise RuntimeError(
            "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
            "`backward()`. Please only use `grad_tensors`."
        )
    return grad_variables


_create_graph_warned = False  # PyTorch warns once per process


def _warn_create_graph_cycle() -> None:
    """PyTorch's warning on the first `backward(create_graph=True)` of the process: each
    `.grad` it stores holds a graph that reaches the parameter itself."""
    global _create_graph_warned
    if _create_graph_warned:
        return
    _create_graph_warned = True
    from .errors import warn_user

    warn_user(
        "Using backward() with create_graph=True will create a reference cycle between the "
        "parameter and its gradient which can cause a memory leak. We recommend using "
        "autograd.grad when creating the graph to avoid this. If you have to use this "
        "function, make sure to reset the .grad fields of your parameters to None after use "
        "to break the cycle and avoid the leak."
    )


def _with_callbacks(walk: Callable[[], Any], seen: set[int]) -> Any:
    """walk(), then the callbacks queued during it (queue_callback), in order. The ids of
    the gradient arrays that user code sees during the walk (hooks, custom Functions'
    backwards: `_expose`) join `seen`, so that `_owned` copies them rather than making
    them a `.grad` that a later backward would add into while the user still holds them."""
    outer, _state.callbacks = _state.callbacks, []
    outer_exposed, _state.exposed = _state.exposed, seen
    try:
        result = walk()
        callbacks = _state.callbacks
        while callbacks:
            callbacks.pop(0)()
        return result
    finally:
        _state.callbacks = outer
        _state.exposed = outer_exposed


def _expose(grads: Any) -> None:
    """Mark gradients handed to or received from user code during a walk (a hook's argument
    or result, a custom Function's grad_outputs and results): the user may keep them, so
    none may become a leaf's `.grad` without a copy (PyTorch's AccumulateGrad steals a
    gradient only when nothing else refers to it)."""
    seen = _state.exposed
    if seen is None:
        return
    for g in grads:
        if g is not None and hasattr(g, "_data"):
            seen.add(id(g._data))


def _add_into(grad: Tensor, g: Tensor) -> bool:
    """`grad += g` in grad's memory, as PyTorch accumulates a second backward into a leaf's
    `.grad` (a reference to it taken before sees the sum); False where that is not
    possible (a read-only or 0-d NumPy scalar `.grad`, or a dtype it can't hold)."""
    arr = grad._data
    if not getattr(getattr(arr, "flags", None), "writeable", False):
        return False
    xp = get_array_module(arr)
    if not xp.can_cast(g._data.dtype, arr.dtype, "same_kind"):
        return False
    xp.add(arr, g._data, out=arr)
    grad._version += 1
    return True


def zero_grad_in_place(p: Tensor) -> None:
    """`p.grad` zeroed in its own memory and cut from any graph, so that references to it
    see the zeros, as PyTorch's `zero_grad(set_to_none=False)` (Module's and optimizers').
    A grad whose memory refuses writes (an expanded view a program assigned) is replaced
    by zeros of its own instead. A fill, not grad * 0, which would keep NaN and inf."""
    g = p.grad
    if g.creator is not None:
        g.detach_()
    else:
        g.requires_grad_(False)
    if g._read_only():
        p.grad = type(g)._make(get_array_module(g._data).zeros(g.shape, g.dtype), False)
        return
    with no_grad():
        g.zero_()


def _owned(g: Tensor, seen: set[int]) -> Tensor:
    """`g` detached, on an array of its own: the walk passes gradients on without copying, so
    one array may reach several inputs, be a read-only broadcast view, or be the caller's
    `gradient`; a `.grad` that optimizers edit in place must not be any of those."""
    arr = g._data
    if arr.base is not None or id(arr) in seen:
        arr = _copy(arr)
    seen.add(id(arr))
    return type(g)._make(arr, False)


def _copy(arr: Any) -> Any:
    """A C-ordered copy: for a NumPy array in another order (a convolution's input gradient
    is batch-minor) a blocked copy, several times faster than `arr.copy()` there; for a
    batch-minor 4-D one the compiled per-channel copy, split over the threads (on two
    threads, (64, 64, 14, 14) 0.31 ms against the blocked copy's 0.62, (192, 32, 28, 28)
    3.1 against 6.1; on one, 0.51 against 0.61 and 5.4 against 5.7)."""
    if isinstance(arr, np.ndarray) and not arr.flags.c_contiguous:
        from .ops import cpu_kernels, layout

        if cpu_kernels.c_order_handles(arr):
            return cpu_kernels.c_order(arr)
        return layout.c_order_copy(arr)
    return arr.copy()


def __getattr__(name: str) -> Any:
    """`torch.autograd.gradcheck` / `gradgradcheck`, which live in `minigrad.gradcheck`
    (imported on first use: that module imports this one)."""
    if name in ("gradcheck", "gradgradcheck"):
        import importlib

        return getattr(importlib.import_module(f"{__package__}.gradcheck"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
