"""Module backward hooks (`register_full_backward_hook`, `register_full_backward_pre_hook`),
as PyTorch runs them: the module's tensor arguments and its tensor outputs each pass
through an identity node. The outputs' node sees the gradients of the outputs first: it
runs the pre-hooks, which may replace them, and keeps them. The inputs' node sees the
gradients of the inputs: it runs the hooks with both, and they may replace the inputs'.
If no input requires grad, the hooks run at the outputs' node with None for every input.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor, zeros_like


class _Identity(Function):
    """Its inputs, unchanged (each output shares its input's memory and version counter);
    its backward hands the output gradients to `on_grads`, which returns the input ones."""

    uses_inputs = False
    op_name = "BackwardHookFunction"

    def __init__(self, on_grads: Callable[[tuple], tuple], materialize: bool) -> None:
        self.on_grads = on_grads
        # as PyTorch's: the outputs' node hands a module output that got no gradient to the
        # hooks as None; the inputs' node turns an input's missing gradient into zeros, which
        # the hooks see and which flow on upstream (an optimizer then steps those parameters)
        self._materialize = materialize

    def forward(self, *xs: Any) -> Any:
        return tuple(xs)

    def backward(self, *gys: Tensor) -> Any:
        return self.on_grads(gys)


class BackwardHook:
    """One module call's backward hooks: wraps its arguments (`inputs`) and its result
    (`outputs`), then runs the hooks during the backward walk."""

    def __init__(self, module: Any, hooks: list[Callable], pre_hooks: list[Callable]) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.n_inputs = 0
        self.input_index: list[int] | None = None  # positions of the wrapped arguments
        self.constants: dict[int, Tensor] = {}
        self.n_outputs = 0
        self.output_index: list[int] = []
        self.grad_outputs: tuple | None = None

    def inputs(self, args: tuple) -> tuple:
        self.n_inputs = len(args)
        index = _differentiable(args)
        if not index:
            return args  # the hooks then run with the output gradients
        self.input_index = index
        # tensor arguments that need no gradient: PyTorch hands the hooks zeros for them
        self.constants = {
            i: a for i, a in enumerate(args) if isinstance(a, Tensor) and i not in index
        }
        wrapped = _Identity(self._input_grads, True)(*(args[i] for i in index))
        out = list(args)
        for i, t in zip(index, wrapped, strict=True):
            out[i] = t
        return tuple(out)

    def outputs(self, result: Any) -> Any:
        single = isinstance(result, Tensor)
        items = (result,) if single else result
        if not isinstance(items, tuple):
            return result  # the caller warned: no hook will run
        index = _differentiable(items)
        if not index:
            return result
        self.n_outputs, self.output_index = len(items), index
        wrapped = _Identity(self._output_grads, False)(*(items[i] for i in index))
        out = list(items)
        for i, t in zip(index, wrapped, strict=True):
            out[i] = t
        return out[0] if single else tuple(out)

    def _pack(self, index: list[int], grads: tuple, n: int) -> tuple:
        packed: list[Any] = [None] * n
        for i, g in zip(index, grads, strict=True):
            packed[i] = g
        return tuple(packed)

    def _output_grads(self, grads: tuple) -> tuple:
        self.grad_outputs = self._pack(self.output_index, grads, self.n_outputs)
        for hook in self.pre_hooks:
            res = hook(self.module, self.grad_outputs)
            if res is None:
                continue
            self.grad_outputs = _returned_grads(
                self.module, res, self.grad_outputs, hook, "backward pre hook", "grad_output"
            )
        passed = tuple(self.grad_outputs[i] for i in self.output_index)
        if self.input_index is None:  # no input requires grad: the hooks run now
            if self.hooks:
                warnings.warn(  # PyTorch's words
                    "Full backward hook is firing when gradients are computed with respect to "
                    "module outputs since no inputs require gradients",
                    stacklevel=2,
                )
            none = (None,) * self.n_inputs
            for hook in self.hooks:
                res = hook(self.module, none, self.grad_outputs)
                if res is not None and not all(g is None for g in res):
                    raise RuntimeError(
                        f"{type(self.module).__name__}: a backward hook of a module none of "
                        "whose inputs requires grad must return None (or Nones)"
                    )
            self.grad_outputs = None
        return passed

    def _input_grads(self, grads: tuple) -> tuple:
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing the outputs (double backward
            # through the module's first-order graph): PyTorch runs no hook then either
            return grads
        res = self._pack(self.input_index, grads, self.n_inputs)
        if self.constants:
            res = tuple(
                zeros_like(self.constants[i]) if i in self.constants else g
                for i, g in enumerate(res)
            )
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            res = _returned_grads(self.module, out, res, hook, "backward hook", "grad_input")
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_index)


def _differentiable(items: tuple) -> list[int]:
    """Positions of the tensors among `items` that a gradient will reach (PyTorch wraps the
    others too, as non-differentiable: the same gradients, None for those)."""
    if not is_grad_enabled():
        return []
    return [i for i, a in enumerate(items) if isinstance(a, Tensor) and a.requires_grad]


def _returned_grads(
    module: Any, res: Any, before: tuple, fn: Callable, hook: str, what: str
) -> tuple:
    """What hook `fn` returned in place of the gradients `before`, checked as PyTorch does:
    a tuple (or list) of as many gradients, each of the shape and dtype of the one it
    replaces (the engine would otherwise sum a broadcast one, or cast it, unseen)."""
    name, n = type(module).__name__, len(before)
    if isinstance(res, Tensor):
        # PyTorch takes a bare Tensor as a sequence of its rows, and fails on their sizes
        raise RuntimeError(
            f"{name}: {hook} returned a Tensor; expected a tuple of {n} {what} (or None)"
        )
    res = tuple(res) if isinstance(res, list | tuple) else (res,)
    if len(res) != n:
        raise RuntimeError(f"{name}: {hook} returned {len(res)} {what}, expected {n}")
    _check_grads(module, res, what)
    for k, (new, old) in enumerate(zip(res, before, strict=True)):
        if new is None or old is None:
            continue
        change = "size" if new.shape != old.shape else "type" if new.dtype != old.dtype else ""
        if change:
            raise RuntimeError(
                f"{name}: {hook} {getattr(fn, '__name__', fn)!r} has changed the {change} of "
                f"value {k} ({what}[{k}]): expected {old.dtype} {tuple(old.shape)}, got "
                f"{new.dtype} {tuple(new.shape)}"
            )
    return res


def _check_grads(module: Any, grads: tuple, what: str) -> None:
    for k, g in enumerate(grads):
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(
                f"{type(module).__name__}: a backward hook returned {type(g).__name__} as "
                f"{what}[{k}]; expected a Tensor or None"
            )
