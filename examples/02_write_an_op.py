"""02: write a new op, then check its derivatives numerically.

Swish, y = x * sigmoid(x), with dy/dx = s * (1 + x * (1 - s)) where s = sigmoid(x), written
twice:
- in minigrad's primitive style, as minigrad/ops/ writes its ops: `forward` gets and
  returns arrays (NumPy or CuPy, via `get_array_module`); `backward` gets the output
  gradient as a Tensor and builds the input gradient from minigrad ops, so the backward is
  itself differentiable and `gradgradcheck` (second derivatives) passes too;
- in PyTorch's ctx style (`@staticmethod forward(ctx, x)`, `ctx.save_for_backward`,
  `Swish.apply(x)`), which minigrad runs unchanged.

Prints, for each style, the largest difference from the composite x * mg.sigmoid(x) (values
and gradients) and whether `mg.gradcheck` and `mg.gradgradcheck` pass (True).

Read next: minigrad/ops/elementwise.py and minigrad/ops/activation.py (ops to copy),
minigrad/autograd.py (`Function`), minigrad/gradcheck.py.
"""

import argparse

import minigrad as mg
from minigrad.backend import get_array_module


class Swish(mg.Function):
    """minigrad style: arrays forward, Tensors backward."""

    def forward(self, x):
        xp = get_array_module(x)
        return x / (1 + xp.exp(-x))  # x * sigmoid(x)

    def backward(self, gy):
        x = self.inputs[0]  # the input Tensor, recorded by Function.apply
        s = mg.sigmoid(x)
        return gy * s * (1 + x * (1 - s))


def swish(x: mg.Tensor) -> mg.Tensor:
    return Swish()(x)  # a fresh node per call, as every minigrad op wrapper does


class SwishCtx(mg.Function):
    """PyTorch style: Tensors in, ctx for what backward needs."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * mg.sigmoid(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        s = mg.sigmoid(x)
        return grad_output * s * (1 + x * (1 - s))


def check(op, x: mg.Tensor) -> dict[str, float | bool]:
    y = op(x)
    (g,) = mg.grad(y.sum(), x)
    ref = x * mg.sigmoid(x)
    (g_ref,) = mg.grad(ref.sum(), x)
    return {
        "value_diff": (y - ref).abs().max().item(),
        "grad_diff": (g - g_ref).abs().max().item(),
        "gradcheck": mg.gradcheck(op, [x]),
        "gradgradcheck": mg.gradgradcheck(op, [x]),
    }


def main(argv=None) -> dict[str, dict[str, float | bool]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="number of points checked")
    parser.add_argument("--tiny", action="store_true", help="check 7 points only")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error(f"--n must be at least 1, got {args.n}")
    mg.manual_seed(0)
    n = 7 if args.tiny else args.n
    # float64: finite differences in float32 would drown the check in round-off
    x = (4 * mg.randn(n, dtype=mg.float64)).requires_grad_()
    results = {"minigrad style": check(swish, x), "ctx style": check(SwishCtx.apply, x)}
    print(f"swish on {n} points in float64")
    print(f"{'':<16}{'max |y - ref|':>14}{'max |g - ref|':>14}{'gradcheck':>11}{'gradgrad':>10}")
    for name, r in results.items():
        print(
            f"{name:<16}{r['value_diff']:>14.2e}{r['grad_diff']:>14.2e}"
            f"{r['gradcheck']!s:>11}{r['gradgradcheck']!s:>10}"
        )
    return results


if __name__ == "__main__":
    main()
