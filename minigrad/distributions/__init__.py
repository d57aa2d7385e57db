"""PyTorch's `torch.distributions` on minigrad: Normal, Uniform, Bernoulli, Categorical,
OneHotCategorical and Independent, with log_prob/entropy/moments differentiable in the
parameters, reparameterised rsample where PyTorch has it, argument validation and
kl_divergence between two of one family."""

from . import constraints, kl
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "Independent",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "kl",
    "kl_divergence",
    "register_kl",
]
