"""Closed-form results of Saxe, McClelland & Ganguli (2014), one function per equation.

Every function is a pure NumPy function of its arguments, vectorised by broadcasting, and names the
equation it implements. Time ``t`` is measured in the same unit as ``tau``; for the discrete batch
rule of Eq 1 with learning rate ``lr``, ``tau = 1 / lr`` and ``t`` counts full-batch iterations.

The functions live in modules by subject and are all found here: one mode of the three-layer network
(:mod:`lindyn.theory_shallow`: Eqs 8-12, Appendix A), the exact solution of Eq 2 from any balanced start,
coupled modes included (:mod:`lindyn.theory_exact`: beyond the paper), deep networks (:mod:`lindyn.theory_deep`: Eqs
15-17, Appendix B), products of random matrices (:mod:`lindyn.randmat`: Figs 6B/C) and the q-map of
nonlinear networks (:mod:`lindyn.meanfield`: Eqs 47-49, Fig 7).
"""

from __future__ import annotations

from .meanfield import chi1, jacobian_moments, phi_prime_sq_variance, q_fixed_point, q_sequence, qmap  # noqa: F401
from .randmat import (  # noqa: F401
    fuss_catalan_cdf,
    fuss_catalan_density,
    fuss_catalan_edge,
    fuss_catalan_moment,
    gaussian_product_moment2,
    product_origin_fraction,
    product_radial_cdf,
)
from .theory_deep import (
    deep_hessian_eigenvalue,
    deep_learning_time,
    deep_learning_time_limit,
    deep_mode_strength,
    deep_mode_velocity,
    deep_rate,
    optimal_learning_rate,
)
from .theory_exact import exact_half_time, exact_mode_strengths, exact_product, exact_riccati, imbalance
from .theory_shallow import (
    balanced_rate,
    discrete_half_time_delay,
    eq26_as_printed,
    learning_time,
    learning_time_limit,
    mode_energy,
    mode_strength,
    mode_velocity,
    unbalanced_learning_time,
)

__all__ = ["mode_velocity", "mode_energy", "balanced_rate", "mode_strength", "learning_time", "learning_time_limit",
           "discrete_half_time_delay", "unbalanced_learning_time", "eq26_as_printed",
           "deep_mode_velocity", "deep_rate", "deep_learning_time", "deep_mode_strength", "deep_learning_time_limit",
           "deep_hessian_eigenvalue", "optimal_learning_rate",
           "exact_riccati", "exact_product", "exact_mode_strengths", "exact_half_time", "imbalance"]
