"""Shared by the tests of the train/ jobs. `quick_pictures`: no scatter plots or loss curves
are drawn (in a tiny run they cost more than its steps); a module takes it with
`pytestmark = pytest.mark.usefixtures("quick_pictures")`."""

import pytest

from train import common


@pytest.fixture
def quick_pictures(monkeypatch):
    monkeypatch.setattr(common, "scatter_plot", lambda *a, **k: None)
    monkeypatch.setattr(common, "plot_curves", lambda *a, **k: None)
