"""`torch.autograd.functional`: vjp, jvp, jacobian, hessian, vhp and hvp of a function.

Everything here is built from reverse-mode `grad` (`minigrad/autograd.py`), as PyTorch's
module is:

- `vjp` is one backward pass with `v` as the output gradient.
- `jvp` uses the double-vjp trick: g(u) = J^T u is linear in u, so its vjp with v is
  (J^T)^T v = J v. The first backward runs with a zero `u` that requires grad and
  `create_graph=True`; the second differentiates the result with respect to `u`.
- `jacobian` gets row k of d out / d in as the vjp with the k-th basis vector of the
  output (a loop; `vectorize=True` hands all basis vectors at once to
  `grad(..., is_grads_batched=True)`, which loops too). `strategy="forward-mode"` gets
  column k as the jvp with the k-th basis vector of the input.
- `hessian` is the jacobian of the gradient, taken with `create_graph=True` so that it
  can be differentiated again; `vhp` and `hvp` are a vjp / jvp of that gradient.

The input and output conventions are PyTorch's: a Tensor in gives a Tensor out, a tuple
in gives a tuple out; a jacobian block has shape `out.shape + in.shape`. Where an output
does not depend on an input, `strict=True` raises and `strict=False` gives zeros.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import autograd as _ag

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _tensor_cls() -> Any:
    return _ag._tensor_module().Tensor


def _as_tuple(inp: Any, arg_name: str, fn_name: str) -> tuple[bool, tuple[Tensor, ...]]:
    """(whether inp was a tuple, inp as a tuple), refusing anything but Tensors."""
    tensor = _tensor_cls()
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not isinstance(el, tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el)}."
            )
    return is_tuple, items


def _tuple_postprocess(res: Any, to_unpack: bool | tuple[bool, bool]) -> Any:
    """Unwrap the one-element tuples that stand for a single Tensor; a pair of flags
    unwraps nested results (outer: outputs, inner: inputs)."""
    if isinstance(to_unpack, tuple):
        if not to_unpack[1]:
            res = tuple(el[0] for el in res)
        if not to_unpack[0]:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _grad_preprocess(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh leaves for func to run on, so the caller's graph is left alone; with
    create_graph, an input that requires grad is kept connected to the caller's graph
    (PyTorch's `view_as`; minigrad's same-shape view is the Tensor itself)."""
    return tuple(
        t.view_as(t) if create_graph and t.requires_grad else t.detach().requires_grad_(need_graph)
        for t in inputs
    )


def _grad_postprocess(inputs: tuple, create_graph: bool) -> tuple:
    """Results detached unless create_graph asked to keep their history; nested tuples
    (a jacobian's blocks) are handled the same way."""
    if not inputs or isinstance(inputs[0], _tensor_cls()):
        return inputs if create_graph else tuple(t.detach() for t in inputs)
    return tuple(_grad_postprocess(t, create_graph) for t in inputs)


def _validate_v(v: tuple, other: tuple, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other, strict=True)):
        if el_v.shape != el_other.shape:
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(
                f"{prepend}v has invalid size: should be {el_other.shape} but got {el_v.shape}."
            )


_NOT_DIFFERENTIABLE = {
    "outputs": "Output {i} of the user-provided function does not require gradients. The "
    "outputs must be computed in a differentiable manner from the input when running in "
    "strict mode.",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of "
    "the user-provided function. This is not allowed in strict mode.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided "
    "function with respect to input {i} is independent of the input. This is not allowed in "
    "strict mode. You should ensure that your function is twice differentiable and that the "
    "jacobian depends on the inputs (this would be violated by a linear function for "
    "example).",
    "hessian": "The hessian of the user-provided function with respect to input {i} is "
    "independent of the input. This is not allowed in strict mode. You should ensure that "
    "your function is thrice differentiable and that the hessian depends on the inputs.",
}


def _check_requires_grad(tensors: tuple, input_type: str, strict: bool) -> None:
    """In strict mode, refuse a None (unused input) or a result that does not require grad
    (it cannot depend on the inputs)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_NOT_DIFFERENTIABLE[input_type].format(i=i))


def _autograd_grad(
    outputs: tuple,
    inputs: tuple,
    grad_outputs: tuple | None = None,
    create_graph: bool = False,
    retain_graph: bool | None = None,
    is_grads_batched: bool = False,
) -> tuple:
    """`grad` over the outputs that require grad (None for every input when none does),
    with None for an unused input."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [
        (out, g)
        for out, g in zip(outputs, grad_outputs, strict=True)
        if out is not None and out.requires_grad
    ]
    if not kept:
        return (None,) * len(inputs)
    return _ag.grad(
        tuple(out for out, _ in kept),
        inputs,
        tuple(g for _, g in kept),
        retain_graph=retain_graph,
        create_graph=create_graph,
        allow_unused=True,
        is_grads_batched=is_grads_batched,
    )


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
    "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
    "grad_outputs when using the double backward trick to compute forward mode gradients. "
    "This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
    "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
    "{i} in the grad_jacobian. This is not allowed in strict mode as it prevents from using "
    "the double backward trick to replace forward mode AD.",
}


def _fill_in_zeros(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str):
    """Zeros shaped like refs[i] where grads[i] is None; in strict mode an error instead,
    and with create_graph also where a gradient cannot depend on the inputs."""
    zeros_like = _ag._tensor_module().zeros_like
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode when create_graph=True."
            )
        res.append(g)
    return tuple(res)


def _prepare_v(v: Any, refs: tuple, is_refs_tuple: bool, create_graph: bool, name: str):
    _, v = _as_tuple(v, "v", name)
    v = _grad_preprocess(v, create_graph=create_graph, need_graph=False)
    _validate_v(v, refs, is_refs_tuple)
    return v


def _call(func: Callable, inputs: tuple, name: str) -> tuple[bool, tuple]:
    return _as_tuple(func(*inputs), "outputs of the user-provided function", name)


def vjp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass with v as
    the output gradient; v may be None only for a one-element output."""
    with _ag.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "vjp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if v is not None:
            v = _prepare_v(v, outputs, is_outputs_tuple, create_graph, "vjp")
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a "
                "single Tensor with a single element."
            )
    with _ag.set_grad_enabled(bool(create_graph) or _ag.is_grad_enabled()):
        grad_res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(result, is_inputs_tuple),
    )


def _jvp_tuples(
    func: Callable,
    inputs: tuple,
    v: tuple | None,
    create_graph: bool,
    strict: bool,
    integer_outputs: bool = False,
) -> tuple[bool, tuple, tuple]:
    """jvp on already-checked tuples: (is_outputs_tuple, outputs, J v). With
    `integer_outputs` (jacobian's forward mode, as PyTorch's forward AD) an integer or bool
    output is constant, its J v zeros; otherwise it is refused as autograd refuses it."""
    zeros_like = _ag._tensor_module().zeros_like
    with _ag.enable_grad():
        is_outputs_tuple, outputs = _call(func, inputs, "jvp")
        _check_requires_grad(outputs, "outputs", strict=strict)
        # u, a zero output gradient that requires grad: J^T u is recorded as a function of u
        diff = [not integer_outputs or out.dtype.kind in "fc" for out in outputs]
        grad_outputs = tuple(
            zeros_like(out, requires_grad=True) for out, d in zip(outputs, diff, strict=True) if d
        )
        grad_inputs = _autograd_grad(
            tuple(out for out, d in zip(outputs, diff, strict=True) if d),
            inputs,
            grad_outputs,
            create_graph=True,
        )
        _check_requires_grad(grad_inputs, "grad_inputs", strict=strict)
    with _ag.set_grad_enabled(bool(create_graph) or _ag.is_grad_enabled()):
        found = iter(_autograd_grad(grad_inputs, grad_outputs, v, create_graph=create_graph))
        grad_res = tuple(next(found) if d else None for d in diff)
        result = _fill_in_zeros(grad_res, outputs, strict, create_graph, "back_trick")
    return is_outputs_tuple, outputs, result


def jvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product by the double-vjp trick; v may be
    None only for a one-element input."""
    with _ag.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        if v is not None:
            v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, "jvp")
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise RuntimeError(
                "The vector v can only be None if the input to the user-provided function is "
                "a single Tensor with a single element."
            )
    is_outputs_tuple, outputs, result = _jvp_tuples(func, inputs, v, create_graph, strict)
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(result, is_outputs_tuple),
    )


def _unit(like: Tensor, k: int) -> Tensor:
    """A tensor shaped and typed like `like`, 1 at flat index k and 0 elsewhere: the input
    direction whose jvp is column k of the jacobian."""
    xp = _ag.get_array_module(like._data)
    arr = xp.zeros(like._data.size, dtype=like._data.dtype)
    arr[k] = 1
    return _tensor_cls()._make(arr.reshape(like._data.shape), False)


def _basis(like: Tensor, rows: int, cols: int, offset: int) -> Tensor:
    """A (rows, cols) block of the identity of size `rows`, starting at column `offset`
    of it: the output gradients that pick out one flattened output element each."""
    xp = _ag.get_array_module(like._data)
    return _tensor_cls()._make(xp.eye(rows, cols, k=-offset, dtype=like._data.dtype), False)


def _jacobian_rows(
    outputs: tuple, inputs: tuple, create_graph: bool, strict: bool
) -> tuple[tuple, ...]:
    """d outputs[i] / d inputs[j], one vjp with a basis vector per output element."""
    from .ops import stack

    zeros = _ag._tensor_module().zeros
    jacobian = []
    for i, out in enumerate(outputs):
        rows: tuple[list, ...] = tuple([] for _ in inputs)
        flat = out.reshape(-1)
        for k in range(out.numel()):
            vj = _autograd_grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
            for j, (row, g, inp) in enumerate(zip(rows, vj, inputs, strict=True)):
                if g is None:
                    if strict:
                        raise RuntimeError(
                            f"Output {i} of the user-provided function is independent of "
                            f"input {j}. This is not allowed in strict mode."
                        )
                    g = _ag._tensor_module().zeros_like(inp)
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(
                        "The jacobian of the user-provided function is independent of "
                        f"input {j}. This is not allowed in strict mode when create_graph=True."
                    )
                row.append(g)
        jacobian.append(
            tuple(
                stack(row, 0).reshape(*out.shape, *inp.shape)
                if row
                else zeros((*out.shape, *inp.shape), dtype=inp.dtype, device=inp.device)
                for row, inp in zip(rows, inputs, strict=True)
            )
        )
    return tuple(jacobian)


def _jacobian_batched(outputs: tuple, inputs: tuple, create_graph: bool) -> tuple[tuple, ...]:
    """The same rows, every basis vector handed to one `grad(is_grads_batched=True)`."""
    zeros = _ag._tensor_module().zeros
    numels = [out.numel() for out in outputs]
    total = sum(numels)
    starts = [sum(numels[:i]) for i in range(len(numels))]
    basis = tuple(
        _basis(out, total, n, start) for out, n, start in zip(outputs, numels, starts, strict=True)
    )
    flat = tuple(out.reshape(-1) for out in outputs)
    vj = _autograd_grad(flat, inputs, basis, create_graph=create_graph, is_grads_batched=True)
    jacobian = []
    for out, n, start in zip(outputs, numels, starts, strict=True):
        blocks = []
        for g, inp in zip(vj, inputs, strict=True):
            if g is None:
                blocks.append(zeros((*out.shape, *inp.shape), dtype=inp.dtype, device=inp.device))
            else:
                blocks.append(g[start : start + n].reshape(*out.shape, *inp.shape))
        jacobian.append(tuple(blocks))
    return tuple(jacobian)


def _jacobian_forward(func: Callable, inputs: Any, strict: bool, vectorize: bool) -> Any:
    """`strategy="forward-mode"`: column k of d out / d in is the jvp with the k-th basis
    vector of the inputs (PyTorch uses forward-mode AD there; minigrad the double-vjp
    trick, so each column costs a forward and two backward passes)."""
    from .ops import stack

    if strict:
        raise RuntimeError(
            'torch.autograd.functional.jacobian: `strict=True` and `strategy="forward-mode"` '
            "are not supported together (yet). Please either set `strict=False` or "
            '`strategy="reverse-mode"`.'
        )
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError(
            "Computing Jacobian using forward-AD or forward-over-reverse Hessian is only "
            "implemented for `vectorize=True`."
        )
    mod = _ag._tensor_module()
    inputs = _grad_preprocess(inputs, create_graph=False, need_graph=True)
    numels = [t.numel() for t in inputs]
    columns: list[list[list]] = []  # [output][input][column]
    outputs: tuple = ()
    is_outputs_tuple = False
    for j, inp in enumerate(inputs):
        for k in range(numels[j]):
            tangent = [mod.zeros_like(t) for t in inputs]
            tangent[j] = _unit(inp, k)
            is_outputs_tuple, outputs, jv = _jvp_tuples(
                func, inputs, tuple(tangent), False, False, integer_outputs=True
            )
            if not columns:
                columns = [[[] for _ in inputs] for _ in outputs]
            for i, col in enumerate(jv):
                columns[i][j].append(col.detach())
    if not columns:  # no input element at all: the outputs still give the shapes
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian")
        columns = [[[] for _ in inputs] for _ in outputs]
    # lists, not tuples, where func takes / returns a tuple: PyTorch's forward mode gives those
    jacobian = [
        [
            stack(cols, -1).reshape(*out.shape, *inp.shape)
            if cols
            else mod.zeros((*out.shape, *inp.shape), dtype=out.dtype, device=out.device)
            for cols, inp in zip(columns[i], inputs, strict=True)
        ]
        for i, out in enumerate(outputs)
    ]
    return _tuple_postprocess(jacobian, (is_outputs_tuple, is_inputs_tuple))


def jacobian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
) -> Any:
    """d func(inputs) / d inputs: a Tensor of shape `out.shape + in.shape` for one output
    and one input, else a tuple (over outputs) of tuples (over inputs) of such blocks, each
    level a plain Tensor where func returns / takes a single Tensor."""
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either '
                'set `create_graph=False` or `strategy="reverse-mode"`.'
            )
        return _jacobian_forward(func, inputs, strict, vectorize)
    with _ag.enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
        is_outputs_tuple, outputs = _call(func, inputs, "jacobian")
        _check_requires_grad(outputs, "outputs", strict=strict)
        if vectorize:
            if strict:
                raise RuntimeError(
                    "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`."
                )
            result = _jacobian_batched(outputs, inputs, create_graph)
        else:
            result = _jacobian_rows(outputs, inputs, create_graph, strict)
        result = _grad_postprocess(result, create_graph)
        return _tuple_postprocess(result, (is_outputs_tuple, is_inputs_tuple))


def _single_output(outputs: tuple, is_outputs_tuple: bool, name: str) -> None:
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single element"
        )


def hessian(
    func: Callable,
    inputs: Any,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
) -> Any:
    """d^2 func / d inputs^2 for a scalar func: the jacobian of the gradient, which is
    taken with create_graph=True so that it can be differentiated again. Blocks of shape
    `in_i.shape + in_j.shape`, nested as jacobian's (inputs twice)."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def ensure_single_output_function(*inp: Tensor) -> Tensor:
        is_out_tuple, outs = _call(func, inp, "hessian")
        _check_requires_grad(outs, "outputs", strict=strict)
        _single_output(outs, is_out_tuple, "hessian")
        return outs[0].squeeze()

    def jac_func(*inp: Tensor) -> tuple:
        if outer_jacobian_strategy == "forward-mode":
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(ensure_single_output_function, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict=strict)
        return jac

    with _ag.regrading():  # the gradient is differentiated: once_differentiable refuses
        res = jacobian(
            jac_func,
            inputs,
            create_graph=create_graph,
            strict=strict,
            vectorize=vectorize,
            strategy=outer_jacobian_strategy,
        )
    return _tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))


def _gradient_of_scalar(
    func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool, name: str
) -> tuple:
    """The shared start of vhp and hvp: checked inputs and v, func's one-element output and
    its gradient recorded for a second differentiation."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _grad_preprocess(inputs, create_graph=create_graph, need_graph=True)
    if v is not None:
        v = _prepare_v(v, inputs, is_inputs_tuple, create_graph, name)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a "
            "single Tensor with a single element."
        )
    is_outputs_tuple, outputs = _call(func, inputs, name)
    _check_requires_grad(outputs, "outputs", strict=strict)
    _single_output(outputs, is_outputs_tuple, name)
    with _ag.regrading():  # differentiated again: a once_differentiable backward refuses
        jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict=strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def vhp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a scalar func: the vjp of its gradient."""
    with _ag.enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with _ag.set_grad_enabled(bool(create_graph) or _ag.is_grad_enabled()):
        grad_res = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(result, is_inputs_tuple),
    )


def hvp(
    func: Callable, inputs: Any, v: Any = None, create_graph: bool = False, strict: bool = False
) -> tuple[Any, Any]:
    """(func(inputs), H v) for a scalar func: the jvp of its gradient, by the double-vjp
    trick (for a twice-differentiable func H is symmetric and this equals vhp)."""
    zeros_like = _ag._tensor_module().zeros_like
    with _ag.enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _gradient_of_scalar(
            func, inputs, v, create_graph, strict, "hvp"
        )
        grad_jac = tuple(zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _autograd_grad(jac, inputs, grad_jac, create_graph=True)
        _check_requires_grad(jac, "hessian", strict=strict)
    with _ag.set_grad_enabled(bool(create_graph) or _ag.is_grad_enabled()):
        grad_res = _autograd_grad(double_back, grad_jac, v, create_graph=create_graph)
        result = _fill_in_zeros(grad_res, inputs, strict, create_graph, "double_back_trick")
    outputs = _grad_postprocess(outputs, create_graph)
    result = _grad_postprocess(result, create_graph)
    return (
        _tuple_postprocess(outputs, is_outputs_tuple),
        _tuple_postprocess(result, is_inputs_tuple),
    )
