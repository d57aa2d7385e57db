"""Hand-written gradient descent as PyTorch's tutorials teach it.

- "Learning PyTorch with Examples", nn module: `param -= learning_rate * param.grad` under
  `torch.no_grad()`, gradients cleared with `model.zero_grad()`, `param.grad.zero_()` or
  `param.grad = None`;
- the older autograd tutorial: `w1.data -= learning_rate * w1.grad.data` and
  `w1.grad.data.zero_()` outside `no_grad`;
- an optimizer with `optimizer.zero_grad(set_to_none=True)`.

Unchanged PyTorch code except that the points and start weights arrive as tensors and the
losses are returned instead of printed.
"""

import torch


def polynomial_nn(x, y, state, clear, steps=20, learning_rate=1e-5):
    """Fit y ~ a + b x + c x^2 + d x^3 with nn.Linear(3, 1); `clear` is how gradients are
    cleared: "model.zero_grad", "grad.zero_", "grad = None", or "never" (the classic bug:
    .grad then sums the gradients of every step so far)."""
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model.load_state_dict(state)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    losses = []
    for _t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        if clear == "model.zero_grad":
            model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
                if clear == "grad.zero_":
                    param.grad.zero_()
                elif clear == "grad = None":
                    param.grad = None
    linear_layer = model[0]
    return losses, linear_layer.weight, linear_layer.bias


def two_layer_net(x, y, w1, w2, steps=20, learning_rate=1e-4):
    """The PyTorch 0.x two-layer network: leaves updated through `.data`."""
    w1 = w1.clone().requires_grad_(True)
    w2 = w2.clone().requires_grad_(True)
    losses = []
    for _t in range(steps):
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        w1.data -= learning_rate * w1.grad.data
        w2.data -= learning_rate * w2.grad.data
        w1.grad.data.zero_()
        w2.grad.data.zero_()
    return losses, w1, w2


def sgd_set_to_none(x, y, state, steps=20, learning_rate=1e-5):
    """The same polynomial with optim.SGD(momentum=0.9) and zero_grad(set_to_none=True).
    Also returns whether every .grad was None after each zero_grad."""
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model.load_state_dict(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate, momentum=0.9)
    losses, cleared = [], []
    for _t in range(steps):
        optimizer.zero_grad(set_to_none=True)
        cleared.append(all(param.grad is None for param in model.parameters()))
        loss = torch.nn.functional.mse_loss(model(xx), y, reduction="sum")
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
    return losses, cleared
