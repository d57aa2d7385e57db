"""01: reverse-mode autodiff by hand, then by minigrad.

f(a, b) = a * b + a at a = 2, b = 3. Break it into steps, c = a * b and f = c + a, and walk
them backwards with the chain rule, starting from df/df = 1:

    df/dc = 1                        (f = c + a)
    df/db = df/dc * a = 2            (c = a * b)
    df/da = df/dc * b + 1 = 3 + 1 = 4   a feeds two steps, so its two paths add up

Prints f, then df/da and df/db three ways side by side: by hand (Python floats), by
minigrad's `.backward()`, and by central finite differences; asserts they agree.

Read next: minigrad/tensor.py (`Tensor.backward`), minigrad/autograd.py (`Function`, the
walk), minigrad/ops/elementwise.py (`Mul.backward`, `Add.backward`).
"""

import argparse

import minigrad as mg


def f(a, b):
    c = a * b
    return c + a


def by_hand(a: float, b: float) -> dict[str, float]:
    c = a * b
    out = c + a
    g_out = 1.0
    g_c = g_out  # d(c + a)/dc = 1
    g_a = g_out  # d(c + a)/da = 1, the direct path
    g_a += g_c * b  # d(a * b)/da = b, the path through c: the two paths add
    g_b = g_c * a  # d(a * b)/db = a
    return {"f": out, "a": g_a, "b": g_b}


def by_minigrad(a: float, b: float) -> dict[str, float]:
    ta = mg.tensor(a, dtype=mg.float64, requires_grad=True)
    tb = mg.tensor(b, dtype=mg.float64, requires_grad=True)
    out = f(ta, tb)
    out.backward()  # fills ta.grad and tb.grad
    return {"f": out.item(), "a": ta.grad.item(), "b": tb.grad.item()}


def by_finite_differences(a: float, b: float, eps: float = 1e-6) -> dict[str, float]:
    return {
        "f": f(a, b),
        "a": (f(a + eps, b) - f(a - eps, b)) / (2 * eps),
        "b": (f(a, b + eps) - f(a, b - eps)) / (2 * eps),
    }


def main(argv=None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-a", type=float, default=2.0)
    parser.add_argument("-b", type=float, default=3.0)
    parser.add_argument("--tiny", action="store_true", help="accepted for CI; already tiny")
    args = parser.parse_args(argv)
    results = {
        "hand": by_hand(args.a, args.b),
        "minigrad": by_minigrad(args.a, args.b),
        "finite differences": by_finite_differences(args.a, args.b),
    }
    print(f"f({args.a:g}, {args.b:g}) = {results['hand']['f']:g}")
    print(f"{'':<20}{'df/da':>10}{'df/db':>10}")
    for name, r in results.items():
        print(f"{name:<20}{r['a']:>10.6f}{r['b']:>10.6f}")
    for key in ("f", "a", "b"):
        assert results["hand"][key] == results["minigrad"][key], key
        assert abs(results["hand"][key] - results["finite differences"][key]) < 1e-6, key
    print("hand and minigrad agree exactly; finite differences to 1e-6")
    return results


if __name__ == "__main__":
    main()
