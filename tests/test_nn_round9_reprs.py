"""Round 9: repr(module) equals torch's for every module class both have (default and
non-default arguments)."""

import pytest

import minigrad.nn as mn

torch = pytest.importorskip("torch")
tn = torch.nn

CASES = {
    "Linear": [(3, 4), (3, 4, False)],
    "Bilinear": [(2, 3, 4)],
    "Conv1d": [(2, 3, 3)],
    "Conv2d": [(2, 3, 3), (2, 4, 3, 2, 1, 2, 2, False, "reflect")],
    "ConvTranspose2d": [(2, 3, 3, 2, 1, 1)],
    "ConvTranspose1d": [(2, 3, 3)],
    "Embedding": [(5, 3), (5, 3, 0, 2.0)],
    "EmbeddingBag": [(5, 3)],
    "LayerNorm": [(3,)],
    "GroupNorm": [(1, 3)],
    "BatchNorm1d": [(3,)],
    "Dropout": [()],
    "Dropout2d": [()],
    "ReLU": [(), (True,)],
    "LeakyReLU": [(), (0.2, True)],
    "ELU": [()],
    "CELU": [()],
    "SELU": [()],
    "GELU": [(), ("tanh",)],
    "SiLU": [()],
    "Mish": [()],
    "Hardtanh": [(), (-2.0, 2.0)],
    "ReLU6": [()],
    "Softplus": [()],
    "Softmax": [(1,)],
    "LogSoftmax": [(1,)],
    "Softmin": [(1,)],
    "Threshold": [(0.1, 20.0)],
    "PReLU": [()],
    "RReLU": [()],
    "Hardshrink": [()],
    "Softshrink": [()],
    "Tanhshrink": [()],
    "Softsign": [()],
    "Hardsigmoid": [()],
    "Hardswish": [()],
    "GLU": [()],
    "Sigmoid": [()],
    "Tanh": [()],
    "LogSigmoid": [()],
    "Identity": [()],
    "Flatten": [()],
    "Unflatten": [(1, (2, 3))],
    "MSELoss": [(), (None, None, "sum")],
    "L1Loss": [()],
    "CrossEntropyLoss": [(), (None, None, -100, None, "mean", 0.1)],
    "NLLLoss": [()],
    "BCELoss": [()],
    "BCEWithLogitsLoss": [()],
    "HuberLoss": [()],
    "SmoothL1Loss": [()],
    "KLDivLoss": [()],
    "TripletMarginLoss": [()],
    "MarginRankingLoss": [()],
    "CosineEmbeddingLoss": [()],
    "HingeEmbeddingLoss": [()],
    "MultiMarginLoss": [()],
    "SoftMarginLoss": [()],
    "MultiLabelSoftMarginLoss": [()],
    "PoissonNLLLoss": [()],
    "GaussianNLLLoss": [()],
    "PixelShuffle": [(2,)],
    "PixelUnshuffle": [(2,)],
    "Upsample": [(None, 2)],
    "UpsamplingNearest2d": [(None, 2)],
    "UpsamplingBilinear2d": [(None, 2)],
    "AdaptiveAvgPool2d": [(2,)],
    "AdaptiveAvgPool1d": [(2,)],
    "AdaptiveMaxPool1d": [(2,)],
    "AdaptiveMaxPool2d": [(2,)],
    "AvgPool1d": [(2,)],
    "MaxPool1d": [(2,)],
    "ZeroPad2d": [(1,)],
    "ConstantPad1d": [(1, 2.0)],
    "ReflectionPad2d": [(1,)],
    "ReplicationPad1d": [(1,)],
    "CircularPad2d": [(1,)],
    "CosineSimilarity": [()],
    "PairwiseDistance": [()],
    "InstanceNorm2d": [(3,)],
    "Fold": [((4, 4), 2)],
    "Unfold": [(2,)],
    "RNN": [(2, 3)],
    "LSTM": [(2, 3, 2)],
    "GRU": [(2, 3)],
    "RNNCell": [(2, 3)],
    "LSTMCell": [(2, 3)],
    "GRUCell": [(2, 3)],
    "MultiheadAttention": [(4, 2)],
    "TransformerEncoderLayer": [(4, 2, 8)],
    "TripletMarginWithDistanceLoss": [()],
    "SyncBatchNorm": [(3,)],
}
CASES.update(
    {
        "MaxPool2d": [(2,), ((2, 3), 1, 1, 2, True, True)],
        "AvgPool2d": [(2,), (3, 2, 1, True, False, 3)],
        "ZeroPad1d": [(1,)],
        "ZeroPad3d": [(1,)],
        "Upsample": [(None, 2), (3,), (None, (2, 3))],
    }
)


@pytest.mark.parametrize(
    "name, args", [(n, a) for n, arglist in sorted(CASES.items()) for a in arglist]
)
def test_module_repr(name, args):
    torch.manual_seed(0)
    assert repr(getattr(mn, name)(*args)) == repr(getattr(tn, name)(*args))
