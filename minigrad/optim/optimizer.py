"""Optimizers with PyTorch's update rules: SGD, Adam, AdamW, RMSprop, Adadelta; and `EMA`, a moving
average of parameters for evaluation.

Updates run on the raw arrays, in place and outside the graph (`p._data`, then
`p._version += 1` so a stale graph that saved the old value refuses to backward). Each step
allocates at most one temporary per parameter: the loop is Python-bound for small models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..backend import Array, ArrayModule, get_array_module, to_device
from ..tensor import Tensor

__all__ = ["EMA", "SGD", "Adadelta", "Adam", "AdamW", "Optimizer", "RMSprop"]


class Optimizer:
    """Holds `param_groups` (dicts of params plus their hyper-parameters, as in PyTorch)
    and per-parameter `state`. `params` may be tensors or dicts of per-group settings."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params should be an iterable of Tensors or dicts, got "
                f"a Tensor of shape {params.shape}; pass [tensor]"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]  # tensors, or (name, tensor) pairs
        for group in params:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        group = dict(group)
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        named = [isinstance(p, tuple) for p in group["params"]]
        if any(named):  # PyTorch's named parameters: (name, tensor) pairs
            if not all(named) or any(len(p) != 2 for p in group["params"]):
                raise TypeError(
                    f"{type(self).__name__}: give all parameters of a group as tensors or all "
                    "as (name, tensor) pairs, as model.named_parameters() does"
                )
            group["param_names"] = [name for name, _ in group["params"]]
            group["params"] = [p for _, p in group["params"]]
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__}: can only optimize Tensors, got {type(p)}")
            if p.creator is not None:
                raise ValueError(f"{type(self).__name__}: can only optimize leaf tensors")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError(f"{type(self).__name__}: a parameter appears in two groups")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self.param_groups.append(group)

    @property
    def params(self) -> list[Tensor]:
        return [p for g in self.param_groups for p in g["params"]]

    @property
    def lr(self) -> float:
        """The first group's learning rate; setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for g in self.param_groups:
            g["lr"] = value

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                # a fresh array: gradients can be read-only views shared between tensors
                p.grad = Tensor._make(
                    get_array_module(p.grad._data).zeros_like(p.grad._data), False
                )

    def step(self) -> None:
        raise NotImplementedError

    def _groups(self) -> Iterator[dict[str, Any]]:
        """The param groups as `step` reads them: a hyper-parameter given as a one-element
        Tensor (PyTorch accepts `lr=torch.tensor(0.01)`) is read as its number, each step,
        so that changing the tensor changes the rate."""
        for g in self.param_groups:
            if any(isinstance(v, Tensor) for k, v in g.items() if k != "params"):
                g = {k: v if k == "params" else _number(self, k, v) for k, v in g.items()}
            yield g

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {name: array copy or step count}}, 'param_groups': [settings
        with 'params' as indices]}: PyTorch's layout, safe to save with `mg.save`."""
        index = {id(p): i for i, p in enumerate(self.params)}
        state = {}
        for p, s in self.state.items():
            state[index[id(p)]] = {
                k: v.copy() if hasattr(v, "copy") and hasattr(v, "dtype") else v
                for k, v in s.items()
            }
        groups = [
            {
                **{k: v for k, v in g.items() if k != "params"},
                "params": [index[id(p)] for p in g["params"]],
            }
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore settings and state exactly (copies onto each parameter's device)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(groups)} parameter groups in "
                f"the state but {len(self.param_groups)} in the optimizer"
            )
        for i, (saved, own) in enumerate(zip(groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: group {i} has "
                    f"{len(saved['params'])} parameters in the state but {len(own['params'])} "
                    "in the optimizer"
                )
        by_index = {}
        for saved, own in zip(groups, self.param_groups, strict=True):
            for j, p in zip(saved["params"], own["params"], strict=True):
                by_index[int(j)] = p
        new_state: dict[Tensor, dict[str, Any]] = {}
        for j, s in state_dict["state"].items():
            p = by_index.get(int(j))
            if p is None:
                raise ValueError(f"{type(self).__name__}.load_state_dict: no parameter {j}")
            entry = {}
            for k, v in s.items():
                if isinstance(v, Tensor):
                    v = v._data
                if k == "step":
                    v = int(v)
                elif v is not None:  # a buffer shaped like the parameter, 0-d ones too
                    v = to_device(v, p.device)
                    if v.shape != p.shape:
                        raise ValueError(
                            f"{type(self).__name__}.load_state_dict: state '{k}' of parameter "
                            f"{j} has shape {v.shape}, the parameter {p.shape}"
                        )
                    v = v.astype(p.dtype, copy=True)
                entry[k] = v
            new_state[p] = entry
        for saved, own in zip(groups, self.param_groups, strict=True):
            for k, v in saved.items():
                if k != "params":
                    own[k] = tuple(v) if isinstance(v, list) else v
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _number(opt: Optimizer, key: str, value: Any) -> Any:
    if not isinstance(value, Tensor):
        return value
    if value.numel() != 1 or value.dtype.kind not in "fiu":
        raise TypeError(
            f"{type(opt).__name__}: '{key}' must be a number or a one-element real tensor, "
            f"got a tensor of shape {value.shape} and dtype {value.dtype}"
        )
    return float(value.item())


def _check(name: str, cond: bool, what: str) -> None:
    if not cond:
        raise ValueError(f"{name}: invalid {what}")


# PyTorch's switches between implementations of the same update: `foreach` (any value) and
# the others at their defaults change nothing here; other values have no equivalent.
_TORCH_SWITCHES = {"foreach": None, "fused": None, "capturable": False, "differentiable": False}


def _check_switches(name: str, switches: dict[str, Any]) -> None:
    for k, v in switches.items():
        if k not in _TORCH_SWITCHES:
            raise TypeError(f"{name}: unknown option '{k}'")
        if k != "foreach" and v not in (None, False):
            raise ValueError(
                f"{name}: {k}={v!r} is not supported (minigrad updates each parameter's array "
                "in place, outside the graph)"
            )


def _grad(p: Tensor, xp: ArrayModule, maximize: bool, weight_decay: float) -> Array:
    """The gradient an update uses: -grad when maximizing, plus weight_decay * p (L2).
    `p.grad` itself (maybe a read-only view or a NumPy scalar) when neither applies, else a
    fresh array shaped like `p`, so that 0-d parameters get an array too."""
    x, d = p._data, p.grad._data
    if not (maximize or weight_decay):
        return d
    out = xp.empty_like(x)
    if weight_decay:
        xp.multiply(x, weight_decay, out=out)
        if maximize:
            xp.subtract(out, d, out=out)
        else:
            out += d
    else:
        xp.negative(d, out=out)
    return out


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and L2
    weight decay (PyTorch's rule: the first step seeds the buffer with the gradient)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        _check_switches("SGD", switches)
        _check("SGD", lr >= 0, f"learning rate {lr}")
        _check("SGD", momentum >= 0, f"momentum {momentum}")
        _check("SGD", weight_decay >= 0, f"weight_decay {weight_decay}")
        _check(
            "SGD",
            not nesterov or (momentum > 0 and dampening == 0),
            "nesterov: it needs momentum > 0 and dampening = 0",
        )
        super().__init__(
            params,
            dict(
                lr=lr,
                momentum=momentum,
                dampening=dampening,
                weight_decay=weight_decay,
                nesterov=nesterov,
                maximize=maximize,
            ),
        )

    def step(self) -> None:
        for g in self._groups():
            lr, mom, damp = g["lr"], g["momentum"], g["dampening"]
            nesterov, wd, maximize = g["nesterov"], g["weight_decay"], g["maximize"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                x = p._data
                # the array module only when needed: plain SGD is the cheapest update
                d = _grad(p, get_array_module(x), maximize, wd) if wd or maximize else p.grad._data
                if mom:
                    st = self.state.setdefault(p, {})
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = get_array_module(x).empty_like(x)
                        buf[...] = d
                    else:
                        buf *= mom
                        buf += d if damp == 0 else (1 - damp) * d
                    d = d + mom * buf if nesterov else buf
                x -= lr * d
                p._version += 1


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015) with PyTorch's bias correction. `weight_decay` adds
    weight_decay * p to the gradient (L2), or with `decoupled_weight_decay` shrinks p by
    lr * weight_decay before the update (AdamW); `amsgrad` keeps the running maximum of the
    second moment."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
        **switches: Any,
    ) -> None:
        name = type(self).__name__
        _check_switches(name, switches)
        _check(name, lr >= 0, f"learning rate {lr}")
        _check(name, eps >= 0, f"epsilon {eps}")
        _check(name, 0 <= betas[0] < 1 and 0 <= betas[1] < 1, f"betas {betas}")
        _check(name, weight_decay >= 0, f"weight_decay {weight_decay}")
        super().__init__(
            params,
            dict(
                lr=lr,
                betas=tuple(betas),
                eps=eps,
                weight_decay=weight_decay,
                amsgrad=amsgrad,
                maximize=maximize,
                decoupled_weight_decay=decoupled_weight_decay,
            ),
        )

    def step(self) -> None:
        for g in self._groups():
            lr, (b1, b2), eps = g["lr"], g["betas"], g["eps"]
            wd, amsgrad, maximize = g["weight_decay"], g["amsgrad"], g["maximize"]
            decoupled = g["decoupled_weight_decay"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                x = p._data
                xp = get_array_module(x)
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {
                        "step": 0,
                        "exp_avg": xp.zeros_like(x),
                        "exp_avg_sq": xp.zeros_like(x),
                    }
                    if amsgrad:
                        st["max_exp_avg_sq"] = xp.zeros_like(x)
                st["step"] = t = st["step"] + 1
                if wd and decoupled:
                    x *= 1 - lr * wd
                d = _grad(p, xp, maximize, 0.0 if decoupled else wd)
                m, v = st["exp_avg"], st["exp_avg_sq"]
                # the step's one temporary (an array, also for 0-d parameters), reused below
                tmp = xp.subtract(d, m, out=xp.empty_like(x))
                tmp *= 1 - b1
                m += tmp  # m.lerp_(d, 1 - b1), PyTorch's formula for weights below 0.5
                xp.multiply(d, d, out=tmp)
                tmp *= 1 - b2
                v *= b2
                v += tmp
                if amsgrad:
                    v = xp.maximum(st["max_exp_avg_sq"], v, out=st["max_exp_avg_sq"])
                xp.sqrt(v, out=tmp)
                tmp /= (1 - b2**t) ** 0.5  # PyTorch's spelling; sqrt may round differently
                tmp += eps
                xp.divide(m, tmp, out=tmp)
                tmp *= lr / (1 - b1**t)
                x -= tmp
                p._version += 1


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019): each step first
    shrinks p by lr * weight_decay; PyTorch's defaults, weight_decay=1e-2."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
            **switches,
        )


class RMSprop(Optimizer):
    """RMSprop with PyTorch's options: momentum buffer, `centered` (divide by the
    estimated standard deviation instead of the RMS) and L2 weight decay."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        _check_switches("RMSprop", switches)
        _check("RMSprop", lr >= 0, f"learning rate {lr}")
        _check("RMSprop", eps >= 0, f"epsilon {eps}")
        _check("RMSprop", alpha >= 0, f"alpha {alpha}")
        _check("RMSprop", momentum >= 0, f"momentum {momentum}")
        _check("RMSprop", weight_decay >= 0, f"weight_decay {weight_decay}")
        super().__init__(
            params,
            dict(
                lr=lr,
                alpha=alpha,
                eps=eps,
                weight_decay=weight_decay,
                momentum=momentum,
                centered=centered,
                maximize=maximize,
            ),
        )

    def step(self) -> None:
        for g in self._groups():
            lr, alpha, eps = g["lr"], g["alpha"], g["eps"]
            wd, mom, centered = g["weight_decay"], g["momentum"], g["centered"]
            maximize = g["maximize"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                x = p._data
                xp = get_array_module(x)
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "square_avg": xp.zeros_like(x)}
                    if mom > 0:
                        st["momentum_buffer"] = xp.zeros_like(x)
                    if centered:
                        st["grad_avg"] = xp.zeros_like(x)
                st["step"] += 1
                d = _grad(p, xp, maximize, wd)
                sq = st["square_avg"]
                # the step's one temporary (an array, also for 0-d parameters), reused below
                tmp = xp.multiply(d, d, out=xp.empty_like(x))
                tmp *= 1 - alpha
                sq *= alpha
                sq += tmp
                if centered:
                    ga = st["grad_avg"]
                    xp.subtract(d, ga, out=tmp)
                    tmp *= 1 - alpha
                    ga += tmp  # ga.lerp_(d, 1 - alpha)
                    xp.multiply(ga, ga, out=tmp)
                    xp.subtract(sq, tmp, out=tmp)
                    xp.sqrt(tmp, out=tmp)
                else:
                    xp.sqrt(sq, out=tmp)
                tmp += eps
                xp.divide(d, tmp, out=tmp)
                if mom > 0:
                    buf = st["momentum_buffer"]
                    buf *= mom
                    buf += tmp
                    xp.multiply(buf, lr, out=tmp)
                else:
                    tmp *= lr
                x -= tmp
                p._version += 1


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps scaled by the RMS of past updates over the RMS of
    past gradients, both running averages with factor `rho`; PyTorch's defaults."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        *,
        maximize: bool = False,
        **switches: Any,
    ) -> None:
        _check_switches("Adadelta", switches)
        _check("Adadelta", lr >= 0, f"learning rate {lr}")
        _check("Adadelta", 0 <= rho <= 1, f"rho {rho}")
        _check("Adadelta", eps >= 0, f"epsilon {eps}")
        _check("Adadelta", weight_decay >= 0, f"weight_decay {weight_decay}")
        super().__init__(
            params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        )

    def step(self) -> None:
        for g in self._groups():
            lr, rho, eps = g["lr"], g["rho"], g["eps"]
            wd, maximize = g["weight_decay"], g["maximize"]
            for p in g["params"]:
                if p.grad is None:
                    continue
                x = p._data
                xp = get_array_module(x)
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {
                        "step": 0,
                        "square_avg": xp.zeros_like(x),
                        "acc_delta": xp.zeros_like(x),
                    }
                st["step"] += 1
                d = _grad(p, xp, maximize, wd)
                sq, acc = st["square_avg"], st["acc_delta"]
                tmp = xp.multiply(d, d, out=xp.empty_like(x))
                tmp *= 1 - rho
                sq *= rho
                sq += tmp
                std = xp.add(sq, eps, out=tmp)
                xp.sqrt(std, out=std)
                # the update needs a second array: sqrt(acc + eps) / std * d
                delta = xp.add(acc, eps, out=xp.empty_like(x))
                xp.sqrt(delta, out=delta)
                delta /= std
                delta *= d
                xp.multiply(delta, delta, out=tmp)
                tmp *= 1 - rho
                acc *= rho
                acc += tmp
                delta *= lr
                x -= delta
                p._version += 1


class EMA:
    """An exponential moving average of parameters (Polyak averaging), for evaluating or
    sampling with weights smoother than the last step's.

    Call `update()` after each optimizer step: every average a moves to
    a = d * a + (1 - d) * p with d = min(decay, (1 + t) / (10 + t)) at update t, so the
    first updates, when the average is still mostly the initial weights, follow the
    parameters closely (TensorFlow's `num_updates` rule). With `bias_correction=True` the
    average is instead the one that starts from zero and is divided by 1 - decay^t, as
    Adam's moments are: d = 1 - (1 - decay) / (1 - decay^t), so the first update copies
    the parameters and the horizon grows to 1 / (1 - decay) updates without the warm-up
    rule's cap of about t / 9. Inside `with ema.swapped():`
    the parameters hold the averages and get their own values back on exit, so
    evaluation code needs no change; `copy_to()` writes the averages in for good.
    Buffers (batchnorm's running statistics) are not averaged. `state_dict()` saves the
    averages with `mg.save`; `load_state_dict` restores them onto each parameter's
    device.
    """

    def __init__(
        self, params: Iterable[Tensor], decay: float = 0.999, bias_correction: bool = False
    ) -> None:
        _check("EMA", 0.0 <= decay < 1.0, f"decay {decay}")
        self.params = list(params)
        if not self.params:
            raise ValueError("EMA: got an empty parameter list")
        self.decay, self.num_updates = decay, 0
        self.bias_correction = bool(bias_correction)
        self.averages = [p._data.copy() for p in self.params]

    def update(self) -> None:
        t = self.num_updates = self.num_updates + 1
        if self.bias_correction:
            d = 1 - (1 - self.decay) / (1 - self.decay**t)
        else:
            d = min(self.decay, (1 + t) / (10 + t))
        for a, p in zip(self.averages, self.params, strict=True):
            a *= d
            a += (1 - d) * p._data

    @contextmanager
    def swapped(self) -> Iterator[None]:
        """The parameters hold the averages inside the block, their own values after."""
        own = [p._data for p in self.params]
        for p, a in zip(self.params, self.averages, strict=True):
            p._data = a.copy()  # a copy: code in the block may update parameters in place
            p._version += 1
        try:
            yield
        finally:
            for p, x in zip(self.params, own, strict=True):
                p._data = x
                p._version += 1

    def copy_to(self) -> None:
        """Write the averages into the parameters for good (a model kept for inference)."""
        for p, a in zip(self.params, self.averages, strict=True):
            p._data[...] = a
            p._version += 1

    def state_dict(self) -> dict[str, Any]:
        return {
            "decay": self.decay,
            "num_updates": self.num_updates,
            "bias_correction": self.bias_correction,
            "averages": {i: a.copy() for i, a in enumerate(self.averages)},
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        saved = state_dict["averages"]
        if len(saved) != len(self.params):
            raise ValueError(
                f"EMA.load_state_dict: {len(saved)} averages in the state but "
                f"{len(self.params)} parameters"
            )
        averages = []
        for i, p in enumerate(self.params):
            a = saved[i] if i in saved else saved[str(i)]
            if isinstance(a, Tensor):
                a = a._data
            if tuple(a.shape) != p.shape:
                raise ValueError(
                    f"EMA.load_state_dict: average {i} has shape {tuple(a.shape)}, the "
                    f"parameter {p.shape}"
                )
            averages.append(to_device(a, p.device).astype(p.dtype, copy=True))
        self.averages = averages
        self.decay = float(state_dict["decay"])
        self.num_updates = int(state_dict["num_updates"])
        # a state saved before the option existed used the warm-up rule
        self.bias_correction = bool(state_dict.get("bias_correction", False))
