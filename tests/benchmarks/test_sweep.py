"""`python -m benchmarks.sweep`: every op it lists runs in both libraries and gets a row
with its two ratios; bad flags are refused by name."""

import re

import pytest

from benchmarks import sweep

torch = pytest.importorskip("torch")


def test_every_op_gets_a_row_with_positive_times(tmp_path, capsys):
    out = tmp_path / "sweep.md"
    code = sweep.main(["--shape", "3", "4", "--blocks", "2", "--calls", "1", "--out", str(out)])
    assert code == 0
    text = out.read_text()
    assert text == capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    names = [r.split(" | ")[0][2:] for r in rows[1:]]
    assert sorted(names) == sorted(sweep.OPS)
    ratios = [float(r.rstrip(" |").split(" | ")[-1]) for r in rows[1:]]
    assert all(q > 0 for q in ratios)
    assert ratios == sorted(ratios, reverse=True)  # slowest first
    assert "(3, 4)" in text and "minigrad " in text and "PyTorch " in text
    assert all(r.count("|") == 6 for r in rows)  # no name breaks the table's columns


def test_a_subset_and_one_thread():
    rows = {n: sweep.time_op(n, (2, 5), blocks=1, calls=1) for n in ("gelu", "smooth_l1_loss")}
    for r in rows.values():
        assert set(r) == {"mg_fwd", "t_fwd", "mg_both", "t_both"}
        assert all(v > 0 for v in r.values())
    text = sweep.table(rows, (2, 5), "minigrad 1 thread(s), PyTorch 1")
    assert re.search(r"\| gelu \| [\d.]+ / [\d.]+ \|", text)


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--shape", "-1", "4"], "--shape"),
        (["--shape", "8"], "--shape"),  # sum(1) and normalize(dim=1) need a second axis
        (["--shape", "0", "4"], "--shape"),  # amax of nothing
        (["--blocks", "0"], "--blocks"),
        (["--calls", "0"], "--calls"),
        (["--threads", "0"], "--threads"),
        (["--ops", "nope"], "--ops"),
    ],
)
def test_bad_flags_are_refused_by_name(argv, flag, capsys):
    with pytest.raises(SystemExit) as e:
        sweep.main(argv)
    assert e.value.code == 2
    assert flag in capsys.readouterr().err
