"""Function transforms, as `torch.func`: grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian, vmap, functional_call and stack_module_state.

minigrad has reverse mode only and no batched tensors; the transforms are built on
`minigrad.grad` thus:

- grad, grad_and_value, vjp and jacrev give func tensors of their own in place of the
  differentiated inputs: a fresh leaf, or, where the input requires grad and grad mode is
  on, a new node on top of it (so the caller's graph, an outer transform's or plain
  autograd's, still reaches through it). The gradients are taken with respect to those, so
  a tensor func closes over (an outer transform's input among them) is a constant here,
  as in PyTorch.
- A backward pass records its own graph (`create_graph=True`) only when something outside
  the transform needs it: when func's outputs, or the cotangents, reach a tensor that
  requires grad and that this transform did not make (an outer transform's input, a
  parameter, a tensor of the caller's graph). Nesting (`grad(grad(f))`,
  `jacrev(jacrev(f))`, `jacfwd(jacrev(f))`, `vmap(grad(f))`) rests on that. A result that
  reaches nothing outside comes back detached: `grad(f)(x)` for a plain x does not
  require grad, as in PyTorch.
- jvp and jacfwd use the double-vjp trick (the numbers of forward mode): with u a zero
  output cotangent that requires grad, g(u) = J^T u is recorded, and its vjp with the
  tangent t is J t. jacfwd records g once and takes one such vjp per input element;
  jacrev takes one backward pass per output element.
- vmap calls func once per batch entry (each mapped input split along its in_dim) and
  stacks the results at out_dims; see its docstring for what that changes.

Inputs and outputs are pytrees of tuples, lists, dicts, OrderedDicts and namedtuples
with tensors at the leaves, flattened and matched as PyTorch's `torch.utils._pytree`.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import autograd as _ag
from . import random as _random
from .backend import get_array_module
from .nn.module import Module
from .nn.utils.stateless import _functional_call
from .ops import stack
from .ops.shape import Reshape
from .tensor import Tensor, ones_like, zeros, zeros_like

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "linearize",
    "replace_all_batch_norm_modules_",
    "stack_module_state",
    "vjp",
    "vmap",
]


# ---------------------------------------------------------------------------- pytrees
class _NamedTupleKind:
    """The kind of a namedtuple node (its class is the node's context)."""

    __name__ = "namedtuple"


_NAMEDTUPLE = _NamedTupleKind()


def _node(x: Any) -> tuple[Any, Any, list] | None:
    """(kind, context, children) of a container node, None for a leaf (None is a leaf)."""
    t = type(x)
    if t is tuple or t is list:
        return t, None, list(x)
    if t is dict or t is OrderedDict:
        return t, list(x.keys()), list(x.values())
    if isinstance(x, tuple) and hasattr(t, "_fields"):
        return _NAMEDTUPLE, t, list(x)
    return None


def _build(kind: Any, context: Any, children: list) -> Any:
    if kind is _NAMEDTUPLE:
        return context(*children)
    if kind is dict or kind is OrderedDict:
        return kind(zip(context, children, strict=True))
    return kind(children)


class _Spec:
    """The structure of a pytree, as PyTorch's TreeSpec: `kind` None for a leaf."""

    __slots__ = ("kind", "context", "children", "num_leaves")

    def __init__(self, kind: Any = None, context: Any = None, children: Sequence = ()) -> None:
        self.kind, self.context, self.children = kind, context, list(children)
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in self.children)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Spec):
            return NotImplemented
        return (
            self.kind is other.kind
            and self.context == other.context
            and self.children == other.children
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self, indent: int = 0) -> str:
        if self.kind is None:
            return "*"
        inner = ""
        if self.children:
            indent += 2
            inner = self.children[0].__repr__(indent)
            inner += "," if len(self.children) > 1 else ""
            inner += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return f"TreeSpec({self.kind.__name__}, {self.context}, [{inner}])"


_LEAF = _Spec()


def _flatten(tree: Any) -> tuple[list, _Spec]:
    leaves: list = []

    def spec_of(x: Any) -> _Spec:
        node = _node(x)
        if node is None:
            leaves.append(x)
            return _LEAF
        kind, context, children = node
        return _Spec(kind, context, [spec_of(c) for c in children])

    return leaves, spec_of(tree)


def _unflatten(leaves: Sequence, spec: _Spec) -> Any:
    it = iter(leaves)

    def build(s: _Spec) -> Any:
        if s.kind is None:
            return next(it)
        return _build(s.kind, s.context, [build(c) for c in s.children])

    return build(spec)


def _broadcast_to_and_flatten(prefix: Any, spec: _Spec) -> list | None:
    """The leaves of `prefix` (in_dims, out_dims), each repeated over the leaves of the
    subtree of `spec` it stands for, in spec's leaf order; None where prefix's containers
    do not match spec's."""

    def go(p: Any, s: _Spec) -> list | None:
        node = _node(p)
        if node is None:
            return [p] * s.num_leaves
        kind, context, children = node
        if kind is not s.kind or len(children) != len(s.children):
            return None
        if kind is dict or kind is OrderedDict:
            if set(context) != set(s.context):
                return None
            by_key = dict(zip(context, children, strict=True))
            children = [by_key[k] for k in s.context]
        elif context != s.context:
            return None
        out: list = []
        for c, cs in zip(children, s.children, strict=True):
            part = go(c, cs)
            if part is None:
                return None
            out.extend(part)
        return out

    return go(prefix, spec)


class _Star:
    def __repr__(self) -> str:
        return "*"


def _pprint(spec: _Spec) -> str:
    return repr(_unflatten([_Star()] * spec.num_leaves, spec))


# ---------------------------------------------------------------------------- argnums
def _wrap_argnum(argnum: Any, num_args: int) -> int:
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if 0 <= argnum < num_args:
        return argnum
    if -num_args <= argnum < 0:
        return argnum + num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _normalize_argnums(argnums: Any, num_args: int) -> int | tuple[int, ...]:
    """argnums with negative entries wrapped, after PyTorch's checks (type, range,
    non-empty, unique)."""
    if not isinstance(argnums, int | tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    if isinstance(argnums, int):
        return _wrap_argnum(argnums, num_args)
    wrapped = tuple(_wrap_argnum(a, num_args) for a in argnums)
    if not wrapped:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return wrapped


def _slice_argnums(args: tuple, argnums: Any, as_tuple: bool = True) -> Any:
    argnums = _normalize_argnums(argnums, len(args))
    if isinstance(argnums, int):
        return (args[argnums],) if as_tuple else args[argnums]
    return tuple(args[i] for i in argnums)


def _replace_args(args: tuple, new_args: tuple, argnums: int | tuple[int, ...]) -> tuple:
    """args with args[argnums[k]] replaced by new_args[k] (an int argnums: new_args[0])."""
    nums = (argnums,) if isinstance(argnums, int) else argnums
    where = dict(zip(nums, new_args, strict=True))
    return tuple(where.get(i, a) for i, a in enumerate(args))


# ------------------------------------------------------------------ transform levels
# how many transforms are running func in this thread: `backward()` refuses to run inside
# one, as PyTorch's does (it would fill the .grad of tensors func closes over)
_running = threading.local()


def inside_transform() -> bool:
    """Whether a grad / vjp / jvp / vmap transform is running its function in this thread."""
    return getattr(_running, "depth", 0) > 0


@contextlib.contextmanager
def _transforming() -> Iterator[None]:
    """Count a transform running its function in this thread (inside_transform)."""
    _running.depth = getattr(_running, "depth", 0) + 1
    try:
        with _ag.regrading():
            yield
    finally:
        _running.depth -= 1


class _Transform:
    """One grad / vjp / jvp call: owner of the leaves it gives func, active while func
    runs. Its own leaves, and those of transforms that have finished, are inside it; the
    leaves of the transforms around it (still active) and every other tensor that requires
    grad are outside."""

    __slots__ = ("active",)

    def __init__(self) -> None:
        self.active = True

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        try:
            with _transforming():
                yield
        finally:
            self.active = False


# id of a leaf a transform made -> (weak reference to it, the transform); a dict by id,
# since a Tensor's == is elementwise (a WeakKeyDictionary would compare with it)
_LEAF_OWNER: dict[int, tuple[weakref.ref, _Transform]] = {}


def _own(leaf: Tensor, owner: _Transform) -> None:
    key = id(leaf)
    gone = functools.partial(_LEAF_OWNER.pop, key, None)
    _LEAF_OWNER[key] = (weakref.ref(leaf, lambda _: gone()), owner)


def _track(t: Any, outer: bool, owner: _Transform) -> Tensor:
    """The tensor func sees for a differentiated input t: a new node on top of t when the
    caller's graph needs to reach t through the result, else a fresh leaf of its own."""
    if not isinstance(t, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    if t.dtype.kind not in "fc":
        raise RuntimeError("only Tensors of floating point dtype can require gradients")
    if outer and t.requires_grad:
        # a reshape to its own shape: a distinct graph node viewing t's memory, whose
        # gradient is then not mixed with that of t's other uses (closures over t)
        return Reshape(tuple(t.shape))(t)
    leaf = t.detach().requires_grad_(True)
    _own(leaf, owner)
    return leaf


def _is_outside(leaf: Any, owner: _Transform) -> bool:
    if leaf is None or not leaf.requires_grad:
        return False
    entry = _LEAF_OWNER.get(id(leaf))
    if entry is None or entry[0]() is not leaf:
        return True
    o = entry[1]
    return o.active and o is not owner


def _reaches_outside(tensors: Sequence[Tensor], owner: _Transform) -> list[bool]:
    """Per tensor: whether its graph reaches a leaf that requires grad from outside
    `owner`. The functions reachable are settled in ascending generation order, so each
    after the creators of its inputs."""
    funcs: dict[int, Any] = {}
    todo = [t.creator for t in tensors if t.creator is not None]
    while todo:
        f = todo.pop()
        if id(f) in funcs:
            continue
        funcs[id(f)] = f
        todo.extend(e[0] for e in getattr(f, "edges", ()) if type(e) is tuple)
    reach: dict[int, bool] = {}
    for f in sorted(funcs.values(), key=lambda f: f.generation):
        reach[id(f)] = any(
            reach.get(id(e[0]), False) if type(e) is tuple else _is_outside(e, owner)
            for e in getattr(f, "edges", ())
        )
    return [
        t.requires_grad
        and (reach[id(t.creator)] if t.creator is not None else _is_outside(t, owner))
        for t in tensors
    ]


def _release(values: Sequence, attach: bool, owner: _Transform) -> list:
    """Results handed back: detached, unless `attach` and they reach outside `owner`."""
    live = [v for v in values if isinstance(v, Tensor) and v.requires_grad]
    keep: set[int] = set()
    if attach and live:
        outside = _reaches_outside(live, owner)
        keep = {id(v) for v, out in zip(live, outside, strict=True) if out}
    return [
        v.detach() if isinstance(v, Tensor) and v.requires_grad and id(v) not in keep else v
        for v in values
    ]


def _release_aux(aux: Any, attach: bool, owner: _Transform) -> Any:
    flat, spec = _flatten(aux)
    for v in flat:
        if not isinstance(v, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(v)}")
    return _unflatten(_release(flat, attach, owner), spec)


def _pullback(
    outputs: Sequence[Tensor],
    inputs: Sequence[Tensor],
    cotangents: Sequence[Tensor | None],
    create_graph: bool,
    retain_graph: bool | None,
) -> list[Tensor]:
    """Cotangents pulled back to the inputs (zeros for an input the outputs that
    require grad do not reach), cast to the dtype of their output as autograd does."""
    pairs = [(o, c) for o, c in zip(outputs, cotangents, strict=True) if o.requires_grad]
    found: tuple = (None,) * len(inputs)
    if pairs:
        found = _ag.grad(
            [o for o, _ in pairs],
            list(inputs),
            [c if c is None or c.dtype == o.dtype else c.to(dtype=o.dtype) for o, c in pairs],
            retain_graph=retain_graph,
            create_graph=create_graph,
            allow_unused=True,
        )
    return [zeros_like(t) if g is None else g for g, t in zip(found, inputs, strict=True)]


def _error_if_complex(name: str, args: Any, is_input: bool) -> None:
    flat, _ = _flatten(args)
    for idx, a in enumerate(flat):
        if isinstance(a, Tensor) and a.dtype.kind == "c":
            what = "inputs" if is_input else "outputs"
            raise RuntimeError(
                f"{name}: Expected all {what} to be real but received complex tensor at "
                f"flattened input idx: {idx}"
            )


def _check_tensor_outputs(flat: list, api: str) -> None:
    if not flat or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(
            f"{api}: Expected f to be a function that has non-empty output (got output = {flat})"
        )
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(
                f"{api}: expected f(*primals) to return only tensors, got unsupported type "
                f"{type(o)}"
            )


def _split_aux(out: Any, api: str) -> tuple[Any, Any]:
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True"
        )
    return out


# ---------------------------------------------------------------------------- grad
def _grad_and_value(
    func: Callable, argnums: Any, has_aux: bool, args: tuple, kwargs: dict
) -> tuple[Any, Any]:
    api = "grad_and_value(f)(*args)"
    outer = _ag.is_grad_enabled()
    owner = _Transform()
    with owner.running(), _ag.enable_grad():
        nums = _normalize_argnums(argnums, len(args))
        diff = args[nums] if isinstance(nums, int) else tuple(args[i] for i in nums)
        flat_diff, diff_spec = _flatten(diff)
        tracked = [_track(t, outer, owner) for t in flat_diff]
        new = _unflatten(tracked, diff_spec)
        output = func(
            *_replace_args(args, (new,) if isinstance(nums, int) else new, nums), **kwargs
        )
        aux = None
        if has_aux:
            output, aux = _split_aux(output, api)
        if not isinstance(output, Tensor):
            raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
        if output.dim() != 0:
            raise RuntimeError(
                f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with "
                f"{output.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?"
            )
        create_graph = outer and _reaches_outside([output], owner)[0]
        grads = _pullback([output], tracked, [None], create_graph, retain_graph=None)
        grad_input = _unflatten(_release(grads, create_graph, owner), diff_spec)
        output = _release([output], outer, owner)[0]
        if has_aux:
            return grad_input, (output, _release_aux(aux, outer, owner))
        return grad_input, output


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning (gradient of func at argnums, func's value); with has_aux,
    func returns (scalar, aux) and the result is (gradient, (value, aux)). The gradient
    has the structure of the argument(s) picked: a tensor, a pytree, or a tuple of those
    for a tuple argnums."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return wrapper


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of the scalar func with respect to the
    argument(s) at argnums (with has_aux: (gradient, aux)). Nests: `grad(grad(f))(x)` is
    f'' for a scalar x, and `vmap(grad(f))` gives per-sample gradients."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


# ---------------------------------------------------------------------------- vjp
class _VJP:
    """func run on tracked copies of the differentiated primals, its graph kept for as
    many pullbacks as asked."""

    def __init__(self, func: Callable, primals: tuple, argnums: Any, has_aux: bool) -> None:
        api = "vjp(f, *primals)"
        self.outer = outer = _ag.is_grad_enabled()
        self.owner = owner = _Transform()
        with owner.running(), _ag.enable_grad():
            if argnums is None:
                flat_diff, self.diff_spec = _flatten(primals)
                self.tracked = [_track(t, outer, owner) for t in flat_diff]
                call = _unflatten(self.tracked, self.diff_spec)
            else:
                nums = _normalize_argnums(argnums, len(primals))
                diff = primals[nums] if isinstance(nums, int) else _slice_argnums(primals, nums)
                flat_diff, self.diff_spec = _flatten(diff)
                self.tracked = [_track(t, outer, owner) for t in flat_diff]
                new = _unflatten(self.tracked, self.diff_spec)
                call = _replace_args(primals, (new,) if isinstance(nums, int) else new, nums)
            out = func(*call)
            self.aux = None
            if has_aux:
                out, aux = _split_aux(out, api)
                self.aux = _release_aux(aux, outer, owner)
            self.flat_out, self.out_spec = _flatten(out)
            _check_tensor_outputs(self.flat_out, api)
            self.results = _unflatten(_release(self.flat_out, outer, owner), self.out_spec)
            for o in self.flat_out:
                if o.dtype.kind not in "fc":
                    raise RuntimeError(
                        "vjp(f, ...): All outputs of f must be floating-point or complex "
                        f"Tensors, got Tensor with dtype {o.dtype}"
                    )
            self.outside = outer and any(_reaches_outside(self.flat_out, owner))

    def pull(
        self,
        flat_cot: Sequence[Tensor | None],
        outputs: Sequence[int],
        retain_graph: bool,
        graph: bool,
    ) -> list[Tensor]:
        """The cotangents of the outputs at indices `outputs`, pulled back to the tracked
        primals; recorded when `graph` and something outside needs it."""
        create_graph = graph and (
            self.outside or any(c is not None and c.requires_grad for c in flat_cot)
        )
        grads = _pullback(
            [self.flat_out[k] for k in outputs], self.tracked, flat_cot, create_graph, retain_graph
        )
        return _release(grads, create_graph, self.owner)

    def vjp_fn(self, cotangents: Any, retain_graph: bool = True, create_graph: Any = None) -> Any:
        flat_cot, cot_spec = _flatten(cotangents)
        if cot_spec != self.out_spec:
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure of "
                f"outputs to the function. cotangents: {_pprint(cot_spec)}, primal output: "
                f"{_pprint(self.out_spec)}"
            )
        for c in flat_cot:  # None: autograd's implicit 1 for a scalar output (else refused)
            if c is not None and not isinstance(c, Tensor):
                raise TypeError(
                    f"gradients can be either Tensors or None, but got {type(c).__name__}"
                )
        graph = _ag.is_grad_enabled() if create_graph is None else bool(create_graph)
        grads = self.pull(flat_cot, range(len(flat_cot)), retain_graph, graph)
        return _unflatten(grads, self.diff_spec)


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents), cotangents shaped as func's
    output, returns the vector-Jacobian products with respect to each primal, as a tuple
    like primals. vjp_fn may be called many times (`retain_graph=True` by default)."""
    v = _VJP(func, primals, None, has_aux)
    return (v.results, v.vjp_fn, v.aux) if has_aux else (v.results, v.vjp_fn)


# ---------------------------------------------------------------------------- jvp
_JVP = "jvp(f, primals, tangents)"


def _check_list_of_tensors(flat: list, argname: str) -> None:
    if not flat:
        raise RuntimeError(f"{_JVP}: Expected {argname} to contain at least one Tensor.")
    for t in flat:
        if not isinstance(t, Tensor):
            raise RuntimeError(f"{_JVP}: Expected {argname} to only contain Tensors, got {type(t)}")


def _check_primal(p: Tensor) -> None:
    if p.dtype.kind not in "fc":
        raise ValueError(f"Expected primal to be floating point or complex, but got: {p.dtype}")


def _check_dual(p: Tensor, t: Tensor) -> None:
    _check_primal(p)
    if t.dtype.kind not in "fc":
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {t.dtype}")
    if t.shape != p.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the "
            f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} while "
            f"the given forward gradient is of size {list(t.shape)}."
        )


class _Linearization:
    """func run once on tracked copies of the primals, with g(u) = J^T u recorded for a
    cotangent u of ones that requires grad: J t is then the vjp of g with t, for as many
    tangents t as asked (the double-vjp trick)."""

    def __init__(
        self,
        func: Callable,
        primals: tuple,
        argnums: Any,
        flat_primals: list,
        primals_spec: _Spec,
        has_aux: bool,
    ) -> None:
        self.outer = outer = _ag.is_grad_enabled()
        self.owner = owner = _Transform()
        with owner.running(), _ag.enable_grad():
            tracked = [_track(p, outer, owner) for p in flat_primals]
            duals = _unflatten(tracked, primals_spec)
            call = duals if argnums is None else _replace_args(primals, duals, argnums)
            out = func(*call)
            self.aux = None
            if has_aux:
                out, aux = _split_aux(out, _JVP)
                self.aux = _release_aux(aux, outer, owner)
            self.flat_out, self.out_spec = _flatten(out)
            _check_tensor_outputs(self.flat_out, _JVP)
            self.diff = [k for k, o in enumerate(self.flat_out) if o.requires_grad]
            # any u gives the same J (g is linear in u); ones, not zeros, keep a backward
            # that reads log|u| (logcumsumexp's) finite: with zeros every tangent was NaN
            self.u = [ones_like(self.flat_out[k], requires_grad=True) for k in self.diff]
            self.g: tuple = (None,) * len(tracked)
            if self.diff:
                self.g = _ag.grad(
                    [self.flat_out[k] for k in self.diff],
                    tracked,
                    self.u,
                    retain_graph=True,
                    create_graph=True,
                    allow_unused=True,
                )
            self.outside = outer and any(_reaches_outside(self.flat_out, owner))
        self.results = _unflatten(_release(self.flat_out, outer, owner), self.out_spec)

    def push(self, tangents: Sequence[tuple[int, Tensor]], strict: bool = False) -> list[Tensor]:
        """J t for t given as (primal index, tangent) pairs (primals left out: zero
        tangents), one result per output of func."""
        use = [
            (self.g[i], t) for i, t in tangents if self.g[i] is not None and self.g[i].requires_grad
        ]
        create_graph = self.outer and (self.outside or any(t.requires_grad for _, t in tangents))
        found: tuple = (None,) * len(self.u)
        if use:
            found = _ag.grad(
                [g for g, _ in use],
                self.u,
                [t if t.dtype == g.dtype else t.to(dtype=g.dtype) for g, t in use],
                retain_graph=True,
                create_graph=create_graph,
                allow_unused=True,
            )
        by_output = dict(zip(self.diff, found, strict=True))
        result = []
        for k, o in enumerate(self.flat_out):
            jv = by_output.get(k)
            if jv is None:
                if strict:
                    raise RuntimeError(
                        "jvp(f, primals, tangents, strict=True): The output of f is independent "
                        "of the inputs. This is not allowed with strict=True."
                    )
                jv = zeros_like(o)
            result.append(jv)
        return _release(result, create_graph, self.owner)


def _jvp_with_argnums(
    func: Callable, primals: Any, tangents: Any, argnums: Any, *, strict: bool, has_aux: bool
) -> tuple:
    if not isinstance(primals, tuple):
        raise RuntimeError(
            f"{_JVP}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals)."
        )
    diff_args = primals if argnums is None else _slice_argnums(primals, argnums)
    flat_primals, primals_spec = _flatten(diff_args)
    flat_tangents, tangents_spec = _flatten(tangents)
    if primals_spec != tangents_spec:
        raise RuntimeError(
            f"{_JVP}: Expected primals and tangents to have the same python structure. For "
            "example, if primals is a tuple of 3 tensors, tangents also must be. Got primals "
            f"with structure {primals_spec} and tangents with structure {tangents_spec}"
        )
    _check_list_of_tensors(flat_primals, "primals")
    _check_list_of_tensors(flat_tangents, "tangents")
    for p, t in zip(flat_primals, flat_tangents, strict=True):
        _check_dual(p, t)
    nums = None if argnums is None else _normalize_argnums(argnums, len(primals))
    lin = _Linearization(func, primals, nums, flat_primals, primals_spec, has_aux)
    tangents_out = lin.push(list(enumerate(flat_tangents)), strict=strict)
    tangents_out = _unflatten(tangents_out, lin.out_spec)
    if has_aux:
        return lin.results, tangents_out, lin.aux
    return lin.results, tangents_out


def jvp(
    func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False
) -> tuple:
    """(func(*primals), J tangents[, aux]): the Jacobian-vector product, primals a tuple
    and tangents of the same structure. Computed by the double-vjp trick; the tangents are
    cast to their primals' dtypes."""
    return _jvp_with_argnums(func, primals, tangents, None, strict=strict, has_aux=has_aux)


def linearize(func: Callable, *primals: Any) -> tuple[Any, Callable[..., Any]]:
    """(func(*primals), jvp_fn), as torch.func.linearize: jvp_fn(*tangents) is the
    Jacobian-vector product at `primals`, J tangents, with tangents shaped as the primals.
    Each call runs `jvp` at the primals again (PyTorch's keeps a traced graph instead;
    the values are the same)."""
    _check_list_of_tensors(list(primals), "primals")
    output = func(*primals)

    def jvp_fn(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise RuntimeError(
                f"linearize: jvp_fn expected {len(primals)} tangents, one per primal, got "
                f"{len(tangents)}"
            )
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


# ---------------------------------------------------------------------------- jacobians
def _one_hot(like: Tensor, k: int) -> Tensor:
    xp = get_array_module(like._data)
    arr = xp.zeros(like._data.size, dtype=like._data.dtype)
    arr[k] = 1
    return Tensor._make(arr.reshape(like._data.shape), False)


def _stack_or_zeros(parts: list, axis: int, shape: tuple, like: Tensor, dtype: Any) -> Tensor:
    """The parts stacked at `axis` and reshaped to `shape`; zeros of `shape` when empty."""
    if not parts:
        return zeros(shape, dtype=dtype, device=like.device)
    return stack(parts, axis).reshape(shape)


def jacrev(
    func: Callable,
    argnums: Any = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
    _preallocate_and_copy: bool = False,
) -> Callable:
    """A function returning the Jacobian of func with respect to the argument(s) at
    argnums, by reverse mode: one backward pass per output element. Each block has shape
    `out.shape + in.shape`, nested as func's outputs, then as the argument(s). chunk_size
    is checked as PyTorch's; the rows are always taken one at a time."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper_fn(*args: Any) -> Any:
        _error_if_complex("jacrev", args, is_input=True)
        v = _VJP(func, args, argnums, has_aux)
        flat_out = v.flat_out
        _error_if_complex("jacrev", flat_out, is_input=False)
        flat_primals, primals_spec = _flatten(_slice_argnums(args, argnums))
        graph = _ag.is_grad_enabled()
        per_output = []
        for j, o in enumerate(flat_out):
            rows = [v.pull([_one_hot(o, k)], [j], True, graph) for k in range(o.numel())]
            blocks = [
                _stack_or_zeros([r[i] for r in rows], 0, (*o.shape, *p.shape), p, p.dtype)
                for i, p in enumerate(flat_primals)
            ]
            jac_in = _unflatten(blocks, primals_spec)
            per_output.append(jac_in[0] if isinstance(argnums, int) else jac_in)
        result = _unflatten(per_output, v.out_spec)
        return (result, v.aux) if has_aux else result

    return wrapper_fn


def _check_randomness_arg(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(
            "Only allowed values for randomness are 'error', 'different', or 'same'. Got "
            f"{randomness}"
        )


def jacfwd(
    func: Callable, argnums: Any = 0, has_aux: bool = False, *, randomness: str = "error"
) -> Callable:
    """A function returning the Jacobian of func with respect to the argument(s) at
    argnums, column by column: the jvp with each basis vector of the inputs, as PyTorch's
    vmap over jvp (blocks `out.shape + in.shape`). `randomness` is that vmap's: 'error'
    refuses random ops in func, 'same' draws once for all columns, 'different' runs func
    afresh for each column. Except with 'different', func runs once and each column is
    one more backward pass of the recorded J^T u."""

    @functools.wraps(func)
    def wrapper_fn(*args: Any) -> Any:
        _error_if_complex("jacfwd", args, is_input=True)
        primals = args if argnums is None else _slice_argnums(args, argnums)
        flat_primals, primals_spec = _flatten(primals)
        numels = [p.numel() for p in flat_primals]
        _check_randomness_arg(randomness)
        for p in flat_primals:
            _check_primal(p)
        starts = [sum(numels[:i]) for i in range(len(numels))]
        basis = [(i, k) for i, n in enumerate(numels) for k in range(n)]
        nums = None if argnums is None else _normalize_argnums(argnums, len(args))
        if randomness == "different" and basis:
            # each column a jvp of its own, func (and its draws) run afresh, as in a vmap
            columns = []
            aux = None
            with _random_level("different"):
                for i, k in basis:
                    tangents = [zeros_like(p) for p in flat_primals]
                    tangents[i] = _one_hot(flat_primals[i], k)
                    res = _jvp_with_argnums(
                        func,
                        args,
                        _unflatten(tangents, primals_spec),
                        argnums,
                        strict=False,
                        has_aux=has_aux,
                    )
                    flat_t, out_spec = _flatten(res[1])
                    columns.append(flat_t)
                    if aux is None and has_aux:
                        aux = res[2]
                    flat_out = _flatten(res[0])[0]
        else:
            with _random_level(randomness):
                lin = _Linearization(func, args, nums, flat_primals, primals_spec, has_aux)
            columns = [lin.push([(i, _one_hot(flat_primals[i], k))]) for i, k in basis]
            flat_out, out_spec, aux = lin.flat_out, lin.out_spec, lin.aux
        per_output = []
        for j, o in enumerate(flat_out):
            blocks = [
                _stack_or_zeros(
                    [col[j] for col in columns[starts[i] : starts[i] + n]],
                    o.dim(),
                    (*o.shape, *p.shape),
                    o,
                    o.dtype,
                )
                for i, (p, n) in enumerate(zip(flat_primals, numels, strict=True))
            ]
            jac_in = _unflatten(blocks, primals_spec)
            per_output.append(jac_in[0] if isinstance(argnums, int) else jac_in)
        result = _unflatten(per_output, out_spec)
        return (result, aux) if has_aux else result

    return wrapper_fn


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """The Hessian of a scalar func, as PyTorch's: `jacfwd(jacrev(func, argnums), argnums)`
    (blocks `in_i.shape + in_j.shape`)."""
    return jacfwd(jacrev(func, argnums), argnums)


# ---------------------------------------------------------------------------- randomness
class _Level:
    """One running vmap (or jacfwd) as random ops see it: its randomness mode and, for
    'same', the state of each generator before its first draw, restored at each entry."""

    __slots__ = ("randomness", "saved", "vmap")

    def __init__(self, randomness: str, vmap: bool = False) -> None:
        self.randomness = randomness
        self.vmap = vmap  # a vmap's level, not jacfwd's
        self.saved: dict[int, tuple[Any, Any]] = {}

    def start_entry(self) -> None:
        for rng, state in self.saved.values():
            rng.bit_generator.state = state


class _Levels(threading.local):
    def __init__(self) -> None:
        self.stack: list[_Level] = []


_levels = _Levels()

_RANDOM_IN_ERROR_MODE = (
    "vmap: called random operation while in randomness error mode. Please either use the "
    "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
    "of vmap"
)


def _check_draw(rng: Any) -> None:
    """In `minigrad.random.draw_hooks` while this thread runs a vmap: every random op
    draws through it, so it refuses ('error') or notes the state before the first draw
    ('same'). Threads without a running vmap pass."""
    stack = _levels.stack
    if not stack:
        return
    if any(level.randomness == "error" for level in stack):
        raise RuntimeError(_RANDOM_IN_ERROR_MODE)
    for level in stack:
        if level.randomness == "same" and id(rng) not in level.saved:
            with contextlib.suppress(AttributeError, NotImplementedError):
                level.saved[id(rng)] = (rng, rng.bit_generator.state)


def inside_vmap() -> bool:
    """Whether a vmap is running in this thread (jacfwd's levels aside: PyTorch's jacfwd
    runs a vmap, minigrad's differentiates twice, see `autograd._check_transformable`)."""
    return any(level.vmap for level in _levels.stack)


@contextlib.contextmanager
def _random_level(randomness: str, vmap: bool = False) -> Iterator[_Level]:
    """A vmap (or jacfwd) level for random ops: its mode, seen by `_check_draw` (registered
    in `minigrad.random.draw_hooks` once, at import)."""
    level = _Level(randomness, vmap)
    _levels.stack.append(level)
    try:
        yield level
    finally:
        _levels.stack.pop()


_random.draw_hooks.append(_check_draw)


# ---------------------------------------------------------------------------- vmap
def _get_name(func: Any) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _check_out_dims(out_dims: Any, func: Callable) -> None:
    if isinstance(out_dims, int):
        return
    for d in _flatten(out_dims)[0]:
        if d is not None and not isinstance(d, int):
            raise ValueError(
                f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, "
                "None or a python collection of ints representing where in the outputs the "
                "vmapped dimension should appear."
            )


def _process_batched_inputs(
    in_dims: Any, args: tuple, func: Callable
) -> tuple[int, list, list, _Spec]:
    name = _get_name(func)
    if not isinstance(in_dims, int | tuple):
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
            "(potentially nested) tuple matching the structure of inputs, got: "
            f"{type(in_dims)}."
        )
    if not args:
        raise ValueError(
            f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
            "trying to vmap over a function with no inputs. The latter is unsupported."
        )
    flat_args, args_spec = _flatten(args)
    flat_in_dims = _broadcast_to_and_flatten(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(
            f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with "
            f"the structure of `inputs`. in_dims has structure {_flatten(in_dims)[1]} but "
            f"inputs has structure {args_spec}."
        )
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims, strict=True)):
        if not isinstance(in_dim, int) and in_dim is not None:
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an "
                "input but in_dim must be either an integer dimension or None."
            )
        if isinstance(in_dim, int) and not isinstance(arg, Tensor):
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an "
                f"input but the input is of type {type(arg)}. We cannot vmap over non-Tensor "
                "arguments, please use None as the respective in_dim"
            )
        if in_dim is not None and not -arg.dim() <= in_dim < arg.dim():
            raise ValueError(
                f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for some "
                f"input, but that input is a Tensor of dimensionality {arg.dim()} so expected "
                f"in_dim to satisfy -{arg.dim()} <= in_dim < {arg.dim()}."
            )
        if in_dim is not None and in_dim < 0:
            flat_in_dims[i] = in_dim % arg.dim()
    sizes = [a.shape[d] for a, d in zip(flat_args, flat_in_dims, strict=True) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {sizes} for the mapped dimension"
        )
    return sizes[0], flat_in_dims, flat_args, args_spec


def _same_value(a: Any, b: Any) -> bool:
    """Whether two entries' results for an out_dim=None output agree (the same tensor, or
    equal shape, dtype and values, NaNs equal)."""
    if a is b:
        return True
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return False
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    xp = get_array_module(a._data)
    return bool(xp.array_equal(a._data, b._data, equal_nan=a.dtype.kind in "fc"))


def _stack_outputs(outputs: list, out_dims: Any, batch_size: int, func: Callable) -> Any:
    name = _get_name(func)
    flats = []
    spec = None
    for out in outputs:
        flat, s = _flatten(out)
        if spec is None:
            spec = s
        elif s != spec:
            raise ValueError(
                f"vmap({name}, ...): `{name}` returned outputs of different structures for "
                f"different batch entries ({spec} and {s})"
            )
        flats.append(flat)

    def incompatible() -> ValueError:
        return ValueError(
            f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
            f"the structure of `outputs`. out_dims has structure {_flatten(out_dims)[1]} but "
            f"outputs has structure {spec}."
        )

    if isinstance(outputs[0], Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            flat_out_dims = [out_dims]
        elif isinstance(out_dims, tuple) and len(out_dims) == 1:
            flat_out_dims = list(out_dims)
        else:
            raise incompatible()
    else:
        flat_out_dims = _broadcast_to_and_flatten(out_dims, spec)
        if flat_out_dims is None:
            raise incompatible()
    result = []
    for j, out_dim in enumerate(flat_out_dims):
        values = [flat[j] for flat in flats]
        first = values[0]
        if out_dim is None:
            if isinstance(first, Tensor) and not all(_same_value(first, v) for v in values):
                raise ValueError(
                    f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim "
                    "is None"
                )
            result.append(first)
            continue
        if not isinstance(first, Tensor):
            raise ValueError(
                f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(first)}. "
                "Did you mean to set out_dims= to None for output?"
            )
        nd = first.dim()
        if not -(nd + 1) <= out_dim <= nd:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-(nd + 1)}, {nd}], but "
                f"got {out_dim})"
            )
        if batch_size == 0:
            d = out_dim % (nd + 1)
            shape = (*first.shape[:d], 0, *first.shape[d:])
            result.append(zeros(shape, dtype=first.dtype, device=first.device))
        else:
            result.append(stack(values, out_dim))
    return _unflatten(result, spec)


_INPLACE_UNBATCHED = (
    "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
    "Tensor `other` in extra_args that has more elements than `self`. This happened due to "
    "`other` being vmapped over but `self` not being vmapped over in a vmap. Please try to "
    "use out-of-place operators instead of inplace arithmetic."
)


class _UnbatchedWrites:
    """Watches, across a vmap's entries, the tensors that are the same for every entry:
    the in_dims=None arguments and a tensor that more than one entry returns. PyTorch runs
    func once, so an in-place write into such a tensor must write a value that is the same
    for every entry (PyTorch refuses a batched one); here func runs once per entry, so a
    write that depends on the entry leaves a different value after each entry (and every
    row of a returned tensor the last one). Such a write is refused with PyTorch's error.

    Cheap where nothing is written: a version read per watched tensor and entry; a copy of
    a tensor's values only once it has been written (or, for entry 0's outputs, when their
    version is not 0). A write into a captured tensor that func does not return is not
    seen."""

    def __init__(self, flat_args: list, flat_in_dims: list) -> None:
        pairs = list(zip(flat_args, flat_in_dims, strict=True))
        self.batched = {id(a._vc) for a, d in pairs if d is not None}
        # id -> [tensor, version last seen, its values after entry 0 (a copy) or None]
        self.watched = {
            id(a): [a, a._version, None]
            for a, d in pairs
            if d is None and isinstance(a, Tensor) and id(a._vc) not in self.batched
        }
        self.first: dict[int, list] = {}  # entry 0's outputs, watched once returned again

    @staticmethod
    def _copy(t: Tensor) -> Any:
        return get_array_module(t._data).array(t._data, copy=True)

    def check(self, b: int, out: Any) -> None:
        """After entry b, whose func returned `out`."""
        outs = [t for t in _flatten(out)[0] if isinstance(t, Tensor)]
        if b == 0:
            for rec in self.watched.values():
                if rec[0]._version != rec[1]:  # written by entry 0: its value is the reference
                    rec[1], rec[2] = rec[0]._version, self._copy(rec[0])
            self.first = {
                id(t): [t, t._version, self._copy(t) if t._version else None]
                for t in outs
                if id(t) not in self.watched
            }
            return
        for t in outs:
            rec = self.first.pop(id(t), None)
            if rec is not None and id(t._vc) not in self.batched:
                self.watched[id(t)] = rec
        for rec in self.watched.values():
            t, version, reference = rec
            if t._version == version:
                continue
            rec[1] = t._version
            if reference is None or not _same_array(t._data, reference):
                raise RuntimeError(
                    f"{_INPLACE_UNBATCHED} (minigrad calls func once per entry: a tensor of "
                    f"shape {tuple(t.shape)} that is not batched was changed in place by "
                    f"entry {b} to other values than entry 0 gave it)"
                )


def _same_array(a: Any, b: Any) -> bool:
    xp = get_array_module(a)
    return a.shape == b.shape and bool(xp.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _vmap_impl(
    func: Callable,
    in_dims: Any,
    out_dims: Any,
    randomness: str,
    args: tuple,
    kwargs: dict,
) -> Any:
    _check_out_dims(out_dims, func)
    batch_size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(in_dims, args, func)
    with _random_level(randomness, vmap=True) as level:
        if batch_size == 0:
            # no entry to run: func runs once on zeros shaped like an entry, for the shapes
            entry = [
                a
                if d is None
                else zeros(a.shape[:d] + a.shape[d + 1 :], dtype=a.dtype, device=a.device)
                for a, d in zip(flat_args, flat_in_dims, strict=True)
            ]
            outputs = [func(*_unflatten(entry, args_spec), **kwargs)]
        else:
            pieces = [
                None if d is None else a.unbind(d)
                for a, d in zip(flat_args, flat_in_dims, strict=True)
            ]
            outputs = []
            writes = _UnbatchedWrites(flat_args, flat_in_dims)
            for b in range(batch_size):
                if b:
                    level.start_entry()
                entry = [a if p is None else p[b] for a, p in zip(flat_args, pieces, strict=True)]
                outputs.append(func(*_unflatten(entry, args_spec), **kwargs))
                writes.check(b, outputs[-1])
    return _stack_outputs(outputs, out_dims, batch_size, func)


def vmap(
    func: Callable,
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    """func mapped over a batch dimension of its inputs, as PyTorch's `torch.vmap`.

    in_dims (an int, or a tuple matching the positional arguments, nested as pytree
    prefixes, None for an argument not mapped; keyword arguments are never mapped) says
    where each input's batch dimension is; out_dims says where the outputs get theirs
    (None: an output that is the same for every entry, returned once).

    minigrad has no batching rules: func is called once per batch entry, on that entry's
    slices (views of the inputs), and the results are stacked. Results, shapes, out_dims
    placement, pytrees, nesting (`vmap(vmap(f))`, `vmap(grad(f))`, gradients through a
    vmap) and errors are PyTorch's; what differs:
    - the cost: one call of func per entry, not one batched call; chunk_size (checked as
      PyTorch's) therefore changes nothing;
    - func may do what a batched call cannot (`.item()`, control flow on values); a
      module in training mode (batch norm) sees batches of one;
    - an out_dims=None output is accepted when every entry gives the same tensor or equal
      values (PyTorch asks whether it depends on a mapped input);
    - randomness: 'error' refuses any random op inside func, 'different' gives each entry
      its own draws, 'same' gives every entry the draws of the first (the generators are
      reset to their state before the first draw at each entry). The numbers are
      minigrad's, not PyTorch's.
    """
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with _transforming():  # backward() refused inside
            return _vmap_impl(func, in_dims, out_dims, randomness, args, kwargs)

    return wrapped


# ---------------------------------------------------------------------------- modules
def functional_call(
    module: Module,
    parameter_and_buffer_dicts: dict[str, Tensor] | Sequence[dict[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """`module(*args, **kwargs)` with parameters and buffers replaced, for this call, by
    the tensors of a dict (or of several dicts with disjoint keys). With `tie_weights`, a
    value given for one name of a tied tensor serves all its names; with `strict`, the
    dict must name every parameter and buffer and nothing else."""
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries"
            )
        counts: dict[str, int] = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(
                f"{repeated} appeared in multiple dictionaries; behavior of functional call "
                "is ambiguous"
            )
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(
            "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but "
            f"got {type(parameter_and_buffer_dicts)}"
        )
    return _functional_call(
        module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict
    )


def _stacked_leaf(tensors: Sequence[Tensor], name: str) -> Tensor:
    all_grad = all(t.requires_grad for t in tensors)
    if not all_grad and any(t.requires_grad for t in tensors):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    with _ag.no_grad():
        result = stack(list(tensors))
    return result.requires_grad_() if all_grad else result


def stack_module_state(models: Sequence[Module]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(params, buffers): each model's parameters and buffers stacked along a new first
    dim, name by name, for `vmap(functional_call...)` over an ensemble. A stacked
    parameter is a new leaf that requires grad when the models' do."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode."
        )
    model0_typ = type(models[0])
    if not all(type(m) is model0_typ for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    all_buffers = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


def replace_all_batch_norm_modules_(root: Module) -> Module:
    """Every batch norm in `root` (itself included) without running statistics, in place,
    as PyTorch's: `running_mean`, `running_var` and `num_batches_tracked` become None and
    `track_running_stats` False, so that the layer normalises with the batch's own
    statistics in training and evaluation alike (what functional transforms over a
    module need: no buffer is written during `grad` or `vmap`). Returns `root`."""
    from .nn.norm import _BatchNorm

    for m in root.modules():
        if isinstance(m, _BatchNorm) and m.track_running_stats:
            m.running_mean = None
            m.running_var = None
            m.num_batches_tracked = None
            m.track_running_stats = False
    return root
