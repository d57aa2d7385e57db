"""Hooks as PyTorch's docs and forum answers use them: a gradient hook on a tensor
(`register_hook`, removed through its handle), gradient hooks on parameters that clamp
their gradients, `retain_grad()` on an intermediate, a forward hook that captures
activations and one that replaces an output, a forward pre-hook that rescales a module's
input, and `nn.utils.clip_grad_norm_` before the step.

Unchanged PyTorch code except that the data and start weights arrive as tensors and the
numbers are returned instead of printed.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 16)
        self.fc2 = nn.Linear(16, 16)
        self.fc3 = nn.Linear(16, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.fc3(x)


activation = {}


def get_activation(name):
    def hook(model, input, output):  # noqa: A002 (the docs' names)
        activation[name] = output.detach()

    return hook


def halve_input(module, args):
    return (args[0] * 0.5,)


def temperature(module, input, output):  # noqa: A002
    # a forward hook that returns a value replaces the module's output
    return output / 2.0


def main(inputs, targets, checkpoint, steps=6, max_norm=0.25):
    """`inputs[k]` (B, 6), `targets[k]` (B,) int64 for step k. Returns a dict of per-step
    numbers: losses, the captured activation, the retained and hooked gradients and the
    gradient norms clip_grad_norm_ reports."""
    model = MLP()
    model.load_state_dict(checkpoint)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)

    h1 = model.fc2.register_forward_hook(get_activation("fc2"))
    h2 = model.fc1.register_forward_pre_hook(halve_input)
    h3 = model.fc3.register_forward_hook(temperature)
    # clip every gradient element as it is computed (the forum's per-parameter clipping)
    for p in model.parameters():
        p.register_hook(lambda grad: torch.clamp(grad, -0.05, 0.05))

    out = {"loss": [], "fc2": [], "logit_grad": [], "norm": []}
    for k in range(steps):
        x, y = inputs[k], targets[k]
        optimizer.zero_grad()
        logits = model(x)
        logits.retain_grad()
        # double the gradient that flows back from the loss into the logits
        handle = logits.register_hook(lambda grad: grad * 2)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        handle.remove()

        total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)
        optimizer.step()

        out["loss"].append(loss.item())
        out["fc2"].append(activation["fc2"].sum().item())
        # PyTorch fills a retained .grad after the tensor's hooks ran: the doubled one
        out["logit_grad"].append(logits.grad)
        out["norm"].append(total_norm.item())
    h1.remove()
    h2.remove()
    h3.remove()

    # a leaf with a hook: the hook sees the gradient and may replace it
    w = torch.ones(3, requires_grad=True)
    seen = []
    w.register_hook(lambda grad: seen.append(grad.clone()))
    w.register_hook(lambda grad: grad + 1)
    (w * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    out["leaf_hooks"] = [seen[0], w.grad]

    # with the hooks removed, the model sees its input unscaled and records nothing
    activation.clear()
    out["after_remove"] = model(inputs[0]).sum().item()
    out["captured_after_remove"] = len(activation)
    return out
