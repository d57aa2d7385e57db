"""PyTorch's `torch.distributions` on minigrad: Normal, Uniform, Bernoulli, Categorical,
OneHotCategorical and Independent (Normal and Bernoulli derive from ExponentialFamily),
with log_prob/entropy/moments differentiable in the parameters, reparameterised rsample
where PyTorch has it, argument validation and kl_divergence between two of one family."""

from . import constraints, exp_family, kl
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .independent import Independent
from .kl import kl_divergence, register_kl
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .uniform import Uniform

__all__ = [
    "Bernoulli",
    "Categorical",
    "Distribution",
    "ExponentialFamily",
    "Independent",
    "Normal",
    "OneHotCategorical",
    "Uniform",
    "constraints",
    "exp_family",
    "kl",
    "kl_divergence",
    "register_kl",
]
