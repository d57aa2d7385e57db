"""Activation checkpointing, as `torch.utils.checkpoint`: `checkpoint(function, *args)` runs
`function` without keeping its intermediate values for backward, and backward runs it
again (with the random state of the forward, so dropout draws the same masks) to get
them. Memory for compute.

Two variants, as in PyTorch:

- `use_reentrant=True` (the default when the argument is left out, with PyTorch's
  warning): a custom `Function` whose forward runs `function` under `no_grad` and whose
  backward runs it again on detached inputs and calls `backward()` inside the walk.
  Gradients reach the tensor arguments and, through that inner `backward()`, the
  `.grad` of the parameters it uses. PyTorch's limits apply: `minigrad.grad()` and
  `backward(inputs=...)` raise, keyword arguments are refused, outputs get no gradient
  when no tensor argument requires grad, and the gradients are not differentiable.
- `use_reentrant=False`: `function` runs and is recorded as usual, and then the values
  its graph saved for backward (saved inputs and outputs, masks, a custom Function's
  saved tensors) are dropped. The graph itself stays, so gradients reach everything the
  function used (closures and parameters included), `minigrad.grad()` works, and so do
  double backward and nested checkpoints. When the backward walk reaches the first of
  these nodes, `function` runs again under `enable_grad` and the values of the new
  graph are put back into the old one, node by node (the two graphs are matched from
  the outputs down). The recomputed graph is connected to the same inputs, so gradients
  taken with `create_graph=True` differentiate further through it.

Which nodes are dropped: those of the function's graph whose output tensors are no longer
alive once the function has returned (only the graph refers to them), found from the
outputs down; a node whose output is still referenced elsewhere (an argument, a tensor a
module keeps, a tensor with hooks) keeps its values, and so does everything below it.
"""

from __future__ import annotations

import contextlib
import heapq
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import amp, autograd, random
from ..autograd import Function, enable_grad, is_grad_enabled, no_grad
from ..backend import is_cupy_array

__all__ = ["CheckpointError", "checkpoint", "checkpoint_sequential", "detach_variable"]


class CheckpointError(RuntimeError):
    """The recomputation in backward did not run the same operations, on tensors of the
    same shapes and dtypes, as the forward did."""


def noop_context_fn() -> tuple[contextlib.nullcontext, contextlib.nullcontext]:
    """The default `context_fn`: no context around the forward or the recomputation."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def detach_variable(inputs: tuple) -> tuple:
    """Each tensor of the tuple detached, with its own requires_grad; others as they are."""
    from ..tensor import Tensor

    if not isinstance(inputs, tuple):
        raise RuntimeError(
            "Only tuple of tensors is supported. Got Unsupported input type: "
            f"{type(inputs).__name__}"
        )
    out = []
    for inp in inputs:
        if isinstance(inp, Tensor):
            x = inp.detach()
            x.requires_grad = inp.requires_grad
            inp = x
        out.append(inp)
    return tuple(out)


def _warn_no_input_grad(args: tuple) -> None:
    from ..tensor import Tensor

    if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        warnings.warn(
            "None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2
        )


class _ForwardState:
    """What the recomputation must see as the forward saw it: the random generators'
    states (with `preserve_rng_state`) and the autocast flags."""

    def __init__(self, preserve_rng_state: bool) -> None:
        self.preserve = preserve_rng_state
        if preserve_rng_state:
            gpu = random._gpu
            self.cpu_rng = random.get_state()
            self.gpu_rng = None if gpu is None else gpu.bit_generator.state
        # autocast's flags and dtypes, per device
        self.autocast = [dict(amp._autocast_enabled), dict(amp._autocast_dtype)]

    @contextlib.contextmanager
    def restored(self) -> Iterator[None]:
        """Inside: the forward's states; after: the states from before, as they were."""
        states = [amp._autocast_enabled, amp._autocast_dtype]
        outer = [dict(s) for s in states]
        with random.fork_rng(enabled=self.preserve):
            if self.preserve:
                random.set_state(self.cpu_rng)
                if self.gpu_rng is not None and random._gpu is not None:
                    random._gpu.bit_generator.state = self.gpu_rng
            for state, inside in zip(states, self.autocast, strict=True):
                state.clear()
                state.update(inside)
            try:
                yield
            finally:
                for state, before in zip(states, outer, strict=True):
                    state.clear()
                    state.update(before)


class CheckpointFunction(Function):
    """The reentrant checkpoint: forward without a graph, backward by recomputation and an
    inner `backward()` (PyTorch's `CheckpointFunction`)."""

    @staticmethod
    def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool, *args: Any) -> Any:
        from ..tensor import Tensor

        _warn_no_input_grad(args)
        ctx.run_function = run_function
        ctx.state = _ForwardState(preserve_rng_state)
        # tensors are saved (their versions are checked); the other arguments kept as is
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.other_args = [None if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[args[i] for i in ctx.tensor_indices])
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> tuple:
        from ..tensor import Tensor

        if autograd.walk_has_targets():
            raise RuntimeError(
                "When use_reentrant=True, minigrad.utils.checkpoint is incompatible with "
                ".grad() or passing an `inputs` parameter to .backward(). To resolve this "
                "error, you can either set use_reentrant=False, or call .backward() without "
                "passing the `inputs` argument."
            )
        inputs = list(ctx.other_args)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors, strict=True):
            inputs[i] = t
        with ctx.state.restored():
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        roots, grads = [], []
        for out, g in zip(outputs, grad_outputs, strict=False):
            if isinstance(out, Tensor) and out.requires_grad:
                roots.append(out)
                grads.append(g)
        if not roots:
            raise RuntimeError(
                "none of output has requires_grad=True, this checkpoint() is not necessary"
            )
        autograd.backward(roots, grads)
        gxs = tuple(t.grad if isinstance(t, Tensor) else None for t in detached)
        return (None, None, *gxs)


# The graph's own links, which the walk reads before it reaches a node's backward: a
# dropped node keeps them
_STRUCTURE = frozenset(
    {
        "edges",
        "_in_meta",
        "generation",
        "needs_input_grad",
        "outputs",
        "_out_meta",
        "_xp",
        "_materialize",
        "_view_outputs",
        "_kept",
        "_site",
        "_released",
        "last_use",
        "_check_versions",
    }
)


def _holds_data(value: Any) -> bool:
    """Whether an attribute of a node holds tensors or arrays (what dropping frees);
    static settings (an axis, a stride, an index of slices) stay on the node."""
    from ..tensor import Tensor

    if isinstance(value, Tensor | np.ndarray) or is_cupy_array(value):
        return True
    if isinstance(value, tuple | list):
        return any(_holds_data(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_data(v) for v in value.values())
    return False


def _flatten(value: Any) -> list[Any]:
    """The leaves of nested tuples, lists and dicts, in order."""
    if isinstance(value, tuple | list):
        return [leaf for v in value for leaf in _flatten(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _flatten(v)]
    return [value]


def _meta(node: Function) -> list[dict[str, Any]]:
    from .._tensor_str import dtype_name
    from ..tensor import Size

    device = "cuda" if node._xp.__name__ == "cupy" else "cpu"
    return [
        {"shape": Size(shape), "dtype": dtype_name(dtype), "device": device}
        for shape, dtype in node._out_meta
    ]


class _Unpack:
    """Put in place of a dropped node's `_check_versions`, which the walk calls first
    when it reaches the node: recompute, then check as the node's own method does."""

    __slots__ = ("frame", "node")

    def __init__(self, frame: _Frame, node: Function) -> None:
        self.frame, self.node = frame, weakref.ref(node)

    def __call__(self) -> None:
        node = self.node()
        self.frame.recompute()
        if node.__dict__.get("_check_versions") is self:
            raise CheckpointError(
                f"minigrad.utils.checkpoint: the node {type(node).__name__} of the checkpointed "
                "function's graph was not found again in its recomputation"
            )
        node._check_versions()


class _Frame:
    """One non-reentrant checkpoint: the function and its arguments for the recomputation,
    the state it must run in, and weak links to the nodes whose values were dropped."""

    def __init__(
        self,
        function: Callable,
        args: tuple,
        kwargs: dict,
        preserve_rng_state: bool,
        recompute_context: Any,
        determinism_check: str,
        debug: bool,
    ) -> None:
        from ..tensor import Tensor

        self.function, self.args, self.kwargs = function, args, kwargs
        self.state = _ForwardState(preserve_rng_state)
        self.recompute_context = recompute_context
        self.check_meta, self.debug = determinism_check == "default", debug
        self.arg_tensors = [t for t in _flatten((args, kwargs)) if isinstance(t, Tensor)]
        self.versions = [t._version for t in self.arg_tensors]
        self.nodes: dict[int, weakref.ref] = {}  # id -> the dropped node
        self.forward_ops: list[str] = []
        self.roots: list[tuple[weakref.ref, int] | None] = []  # per output leaf
        self.done = False

    def owns(self, node: Any) -> bool:
        ref = self.nodes.get(id(node))
        return ref is not None and ref() is node

    def drop(self, outputs: Any) -> None:
        """Drop the saved values of the function's graph, from its outputs down (highest
        generation first, so a node is judged after all its consumers were dropped)."""
        from ..tensor import Tensor

        arg_ids = {id(t) for t in self.arg_tensors}
        heap: list[tuple[int, int, Function, bool]] = []
        seen: set[int] = set()
        for leaf in _flatten(outputs):
            c = None
            if isinstance(leaf, Tensor) and id(leaf) not in arg_ids:
                c = leaf.creator
            self.roots.append(None if c is None else (weakref.ref(c), leaf._out_index))
            if c is not None and id(c) not in seen:
                seen.add(id(c))
                heapq.heappush(heap, (-c.generation, len(seen), c, True))
        while heap:
            _, _, node, is_root = heapq.heappop(heap)
            if "_released" in node.__dict__:
                continue
            if not is_root and any(ref() is not None for ref in node.outputs):
                continue  # an output is alive outside the graph: keep this node as it is
            self._empty(node)
            self.nodes[id(node)] = weakref.ref(node)
            if self.debug:
                self.forward_ops.append(type(node).__name__)
            for e in node.edges:
                if type(e) is tuple and id(e[0]) not in seen:
                    seen.add(id(e[0]))
                    heapq.heappush(heap, (-e[0].generation, len(seen), e[0], False))

    def _empty(self, node: Function) -> None:
        """Drop the values a node saved for backward; its backward recomputes them first."""
        state = node.__dict__
        for key in [k for k, v in state.items() if k not in _STRUCTURE and _holds_data(v)]:
            del state[key]
        state["_check_versions"] = _Unpack(self, node)

    def forget(self) -> None:
        """After the backward that recomputed the values (without create_graph): drop them
        again, so that another backward through a retained graph recomputes, as PyTorch's
        does (a BatchNorm in the function then updates its running statistics once per
        backward, as there). Once the graph is released, only the arguments are let go."""
        alive = [n for n in (ref() for ref in self.nodes.values()) if n is not None]
        alive = [n for n in alive if "_released" not in n.__dict__]
        for node in alive:
            self._empty(node)
        if alive:
            self.done = False
        else:
            self.args = self.kwargs = None

    def recompute(self) -> None:
        """Run the function again and give each dropped node the values of its match in
        the new graph. Once per backward: a later call (another dropped node) finds them in
        place; the backward's end drops them again (`forget`)."""
        from ..tensor import Tensor

        if self.done:
            return
        self.done = True
        # a backward with create_graph (the walk runs in grad mode) keeps them: the graph it
        # builds may lead back into these nodes, from outputs no longer alive
        if autograd._state.callbacks is not None and not is_grad_enabled():
            autograd.queue_callback(self.forget)
        for i, (t, v) in enumerate(zip(self.arg_tensors, self.versions, strict=True)):
            if t._version != v:
                raise RuntimeError(
                    f"minigrad.utils.checkpoint: input tensor {i} of shape {t.shape} was "
                    f"modified in place since it was passed to checkpoint (version {v} -> "
                    f"{t._version}); the recomputation in backward needs its value"
                )
        with self.state.restored(), enable_grad(), self.recompute_context:
            outputs = self.function(*self.args, **self.kwargs)
        leaves = _flatten(outputs)
        if len(leaves) != len(self.roots):
            self._fail(
                f"the recomputation returned {len(leaves)} values, the forward {len(self.roots)}",
                [],
            )
        stack = []
        for root, leaf in zip(self.roots, leaves, strict=True):
            node = None if root is None else root[0]()
            if node is None:
                continue
            if not isinstance(leaf, Tensor) or leaf.creator is None:
                self._fail("an output of the recomputation has no graph", [])
            stack.append((node, leaf.creator))
        done: set[int] = set()
        recompute_ops: list[str] = []
        while stack:
            node, new = stack.pop()
            if id(node) in done:
                continue
            done.add(id(node))
            recompute_ops.append(type(new).__name__)
            self._match(node, new, recompute_ops)
            for e, f in zip(node.edges, new.edges, strict=True):
                if type(e) is tuple and self.owns(e[0]):
                    if type(f) is not tuple or f[1] != e[1]:
                        self._fail("an input of " + type(node).__name__ + " differs", recompute_ops)
                    stack.append((e[0], f[0]))

    def _match(self, node: Function, new: Function, recompute_ops: list[str]) -> None:
        """Copy the values of `new` (the recomputed node) into the dropped `node`."""
        if new is node:
            raise CheckpointError(
                "minigrad.utils.checkpoint: the function returned a tensor it did not compute "
                f"(made by {type(node).__name__} before the call, not an argument), whose "
                "graph it then dropped; return a copy of it (.clone()) or pass it as an "
                "argument"
            )
        if type(node) is not type(new) or len(node.edges) != len(new.edges):
            self._fail(
                f"the forward ran {type(node).__name__} where the recomputation ran "
                f"{type(new).__name__}",
                recompute_ops,
            )
        hook = new.__dict__.get("_check_versions")
        if isinstance(hook, _Unpack):  # a checkpoint nested in the function: recompute it
            hook.frame.recompute()
        if self.check_meta and node._out_meta != new._out_meta:
            self._fail_meta(node, new)
        state = node.__dict__
        for key, value in new.__dict__.items():
            if key not in _STRUCTURE:
                state[key] = value
        hook = state.get("_check_versions")
        if isinstance(hook, _Unpack) and hook.frame is self:
            del state["_check_versions"]

    def _fail(self, what: str, recompute_ops: list[str]) -> None:
        msg = (
            "minigrad.utils.checkpoint: the recomputation in backward did not run the same "
            f"operations as the forward: {what}."
        )
        if self.debug:
            msg += (
                "\n\nOperations whose values were dropped in the original forward:\n"
                + "\n".join(self.forward_ops)
                + "\n\nOperations matched in the recomputation:\n"
                + "\n".join(recompute_ops)
            )
        raise CheckpointError(msg)

    def _fail_meta(self, node: Function, new: Function) -> None:
        saved, recomputed = _meta(node), _meta(new)
        lines = "".join(
            f"tensor at position {i}:\nsaved metadata: {a}\nrecomputed metadata: {b}\n"
            for i, (a, b) in enumerate(zip(saved, recomputed, strict=False))
            if a != b
        )
        raise CheckpointError(
            "minigrad.utils.checkpoint: Recomputed values for the following tensors have "
            f"different metadata than during the forward pass (outputs of "
            f"{type(node).__name__}).\n{lines}."
        )


def _checkpoint_without_reentrant(
    function: Callable,
    preserve_rng_state: bool,
    context_fn: Callable,
    determinism_check: str,
    debug: bool,
    args: tuple,
    kwargs: dict,
) -> Any:
    if debug and context_fn is not noop_context_fn:
        raise ValueError("debug=True is incompatible with non-default context_fn")
    if determinism_check not in ("default", "none"):
        raise ValueError(
            f"determinism_check should be one of ['default', 'none'], but got {determinism_check}"
        )
    forward_context, recompute_context = context_fn()
    if not is_grad_enabled():
        return function(*args, **kwargs)
    frame = _Frame(
        function, args, kwargs, preserve_rng_state, recompute_context, determinism_check, debug
    )
    suppressed = True
    with forward_context:
        outputs = function(*args, **kwargs)
        suppressed = False
    if suppressed:
        raise RuntimeError(
            "minigrad.utils.checkpoint: the forward context provided by context_fn "
            "suppressed an exception raised during the checkpointed forward. This is not "
            "supported because checkpoint cannot return a value for a failed forward."
        )
    frame.drop(outputs)
    return outputs


def checkpoint(
    function: Callable,
    *args: Any,
    use_reentrant: bool | None = None,
    context_fn: Callable[[], tuple[Any, Any]] = noop_context_fn,
    determinism_check: str = "default",
    debug: bool = False,
    early_stop: bool = True,
    preserve_rng_state: bool = True,
    **kwargs: Any,
) -> Any:
    """`function(*args, **kwargs)` without keeping its intermediate values; backward runs it
    again for them, as PyTorch's `torch.utils.checkpoint.checkpoint`.

    `use_reentrant` should be given: left out, it warns (as PyTorch 2.13) and means True.
    `use_reentrant=False` is the variant to use: keyword arguments, parameters used inside,
    `minigrad.grad()` and double backward all work (see the module's docstring for the
    differences). `preserve_rng_state` replays the forward's random draws in the
    recomputation. With `use_reentrant=False` only: `context_fn` returns two context
    managers, one around the forward and one around the recomputation;
    `determinism_check='none'` skips the check of the recomputed shapes and dtypes;
    `debug=True` lists the operations in a recomputation error. `early_stop` is accepted
    and has no effect: the recomputation always runs the whole function."""
    from ..tensor import Tensor

    if use_reentrant is None:
        warnings.warn(
            "minigrad.utils.checkpoint: the use_reentrant parameter should be passed "
            "explicitly. Starting in PyTorch 2.9, calling checkpoint without use_reentrant "
            "will raise an exception. use_reentrant=False is recommended, but if you need to "
            "preserve the current default behavior, you can pass use_reentrant=True. Refer "
            "to docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    if not use_reentrant:
        return _checkpoint_without_reentrant(
            function, preserve_rng_state, context_fn, determinism_check, debug, args, kwargs
        )
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if context_fn is not noop_context_fn or debug is not False:
        raise ValueError(
            "Passing `context_fn` or `debug` is only supported when use_reentrant=False."
        )
    if not any(isinstance(a, Tensor) for a in args):
        # nothing to record a node on: the forward alone, as PyTorch's Function gives
        _warn_no_input_grad(args)
        with no_grad():
            return function(*args)
    return CheckpointFunction.apply(function, preserve_rng_state, *args)


def checkpoint_sequential(
    functions: Any,
    segments: int,
    input: Any,  # noqa: A002 - PyTorch's argument name
    use_reentrant: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Run `functions` (an `nn.Sequential` or a list of modules or functions) in order on
    `input`, in `segments` chunks of which all but the last are checkpointed, as PyTorch's
    `checkpoint_sequential`. `preserve_rng_state` is the one keyword argument taken."""
    from ..nn import Sequential

    if use_reentrant is None:
        warnings.warn(
            "minigrad.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter "
            "should be passed explicitly. In version 2.9 we will raise an exception if "
            "use_reentrant is not passed. use_reentrant=False is recommended, but if you "
            "need to preserve the current default behavior, you can pass use_reentrant=True. "
            "Refer to docs for more details on the differences between the two variants.",
            stacklevel=2,
        )
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start: int, end: int, functions: list) -> Callable:
        def forward(x: Any) -> Any:
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    x, end = input, -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        x = checkpoint(
            run_function(start, end, functions),
            x,
            use_reentrant=use_reentrant,
            preserve_rng_state=preserve,
        )
    return run_function(end + 1, len(functions) - 1, functions)(x)
