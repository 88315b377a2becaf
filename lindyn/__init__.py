"""lindyn: the shared package of the companion book to Saxe, McClelland & Ganguli (ICLR 2014).

The mathematics (``theory``), the simulations (``dynamics``), the data sets (``data``) and the claims
ledger (``claims``) live here, tested on their own; the book's chapters call them. The names below are
the flat public API.
"""

from . import book, claims, data, deep, dynamics, freeprob, landscape, meanfield, mnist, modes, randmat, task, theory
from .claims import CLAIMS, Check, Verdict, check_above, check_below, check_close, collect, report_markdown, verdict
from .data import Dataset, Modes, correlations, hierarchical_dataset, hierarchical_modes, svd_modes
from .dynamics import (
    Trajectory,
    balanced_flow,
    crossing_time,
    decoupled_init,
    deep_mode_descent,
    deep_mode_flow,
    gradient_flow,
    mode_descent,
    mode_flow,
    mode_time_to,
    random_init,
    train_three_layer,
)
from .landscape import (
    conserved_matrix,
    energy_gradient,
    energy_hessian,
    energy_terms,
    error_energy,
    fixed_point,
    mode_balance,
    mode_overlaps,
    mode_rates,
)
from .theory import (
    balanced_rate,
    deep_hessian_eigenvalue,
    deep_learning_time,
    deep_learning_time_limit,
    deep_mode_strength,
    deep_rate,
    discrete_half_time_delay,
    eq26_as_printed,
    exact_half_time,
    exact_mode_strengths,
    exact_product,
    exact_riccati,
    learning_time,
    learning_time_limit,
    mode_energy,
    mode_strength,
    mode_velocity,
    optimal_learning_rate,
    unbalanced_learning_time,
)
from .meanfield import chi1, jacobian_moments, phi_prime_sq_variance, q_fixed_point, q_sequence, qmap
from .randmat import (
    fuss_catalan_cdf,
    fuss_catalan_density,
    fuss_catalan_edge,
    fuss_catalan_moment,
    gaussian_product_moment2,
    product_origin_fraction,
    product_radial_cdf,
)

__version__ = "0.1.0"

__all__ = [
    "book", "claims", "data", "deep", "dynamics", "landscape", "mnist", "modes", "task", "theory",
    "CLAIMS", "Check", "Verdict", "check_above", "check_below", "check_close", "collect", "report_markdown",
    "verdict",
    "Dataset", "Modes", "correlations", "hierarchical_dataset", "hierarchical_modes", "svd_modes",
    "Trajectory", "balanced_flow", "crossing_time", "decoupled_init", "deep_mode_descent", "deep_mode_flow", "gradient_flow", "mode_descent", "mode_flow", "mode_time_to",
    "random_init", "train_three_layer",
    "conserved_matrix", "energy_gradient", "energy_hessian", "energy_terms", "error_energy", "fixed_point",
    "mode_balance", "mode_overlaps", "mode_rates",
    "balanced_rate", "deep_hessian_eigenvalue", "deep_learning_time", "deep_learning_time_limit",
    "deep_mode_strength", "deep_rate", "discrete_half_time_delay", "eq26_as_printed", "learning_time", "learning_time_limit", "mode_energy", "mode_strength", "mode_velocity",
    "optimal_learning_rate", "unbalanced_learning_time",
    "exact_riccati", "exact_product", "exact_mode_strengths", "exact_half_time",
    "meanfield", "randmat",
    "qmap", "q_fixed_point", "q_sequence", "chi1", "phi_prime_sq_variance", "jacobian_moments",
    "product_radial_cdf", "product_origin_fraction", "fuss_catalan_edge", "fuss_catalan_moment",
    "fuss_catalan_density", "fuss_catalan_cdf", "gaussian_product_moment2",
]
