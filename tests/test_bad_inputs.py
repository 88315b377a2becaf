"""Bad input fails early and by name: one row per probe (function, arguments, exception, message).

Each row calls a public function of theory, dynamics, landscape, data or book with one bad argument
and expects the exception type and a regex that names the parameter (and, where there is one, the
allowed range). The second half checks the numbers behind the fixes: results that used to be NaN,
inf or inaccurate at the edge of the valid range.
"""

import re
import time
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import torch

from lindyn import (book, consistency, data, deep, dynamics, inits, landscape, meanfield, modes, pretraining, randmat,
                    task, theory, theory_shallow)
from lindyn._linalg import random_orthonormal

NAN, INF = float("nan"), float("inf")
I3 = np.eye(3)
S31 = np.diag([3.0, 2.0, 1.0])
W21 = np.full((2, 3), 0.1)
W32 = np.full((3, 2), 0.1)
X4, Y4 = np.eye(4), np.ones((3, 4))
T2 = [0.0, 1.0]


def row(func, *args, exc=ValueError, match, **kwargs):
    name = f"{func.__module__.split('.')[-1]}.{func.__name__}:{match[:40]}"
    return pytest.param(func, args, kwargs, exc, match, id=name)


ROWS = [
    # ---- theory: types, NaN/inf, empty, ranges, shapes
    row(theory.mode_strength, "1", 1.0, 0.1, exc=TypeError, match=r"t must be a real number"),
    row(theory.mode_strength, 1.0, None, 0.1, exc=TypeError, match=r"s must be a real number"),
    row(theory.mode_strength, 1.0, True, 0.1, exc=TypeError, match=r"s must be a real number .*booleans"),
    row(theory.mode_strength, 1.0, 1 + 2j, 0.1, exc=TypeError, match=r"s must be real, got complex"),
    row(theory.mode_strength, [1.0, [2.0]], 1.0, 0.1, exc=TypeError,
        match=r"t must be a real number or a rectangular"),
    row(theory.mode_strength, NAN, 1.0, 0.1, match=r"t must be finite"),
    row(theory.mode_strength, 1.0, INF, 0.1, match=r"s must be finite"),
    row(theory.mode_strength, [], 1.0, 0.1, match=r"t must not be empty"),
    row(theory.mode_strength, 1.0, 1.0, 1.0, match=r"u0 must lie in \(0, s\)"),
    row(theory.mode_strength, 1.0, 1.0, 0.1, tau=0.0, match=r"tau must be > 0"),
    row(theory.mode_strength, 1.0, 1.0, 0.1, tau=[1.0, 2.0], match=r"tau must be a single number"),
    row(theory.mode_strength, [1.0, 2.0], [1.0, 2.0, 3.0], 0.1, match=r"t, s, u0 must broadcast together"),
    row(theory.mode_velocity, NAN, 0.1, 1.0, match=r"a must be finite"),
    row(theory.mode_velocity, 1e200, 1e200, 1.0, match=r"mode_velocity: .* not finite .*overflow"),
    row(theory.mode_energy, 0.1, "b", 1.0, exc=TypeError, match=r"b must be a real number"),
    row(theory.balanced_rate, 0.1, -1.0, match=r"s must be > 0"),
    row(theory.learning_time, 1e-3, 1.0, 1.0, match=r"uf / s must lie in \(0.0, 1.0\)"),
    row(theory.learning_time, 1e-3, NAN, 1.0, match=r"uf must be finite"),
    row(theory.learning_time, 1e-3, [0.5, 0.6], [1.0, 2.0, 3.0], match=r"u0, uf, s must broadcast"),
    row(theory.learning_time_limit, 1.0, 0.6, match=r"eps / s must lie in \(0.0, 0.5\)"),
    row(theory.discrete_half_time_delay, 1.0, 1e-3, -1.0, match=r"lr must be > 0"),
    row(theory.discrete_half_time_delay, 1.0, 1e-3, 0.6, match=r"lr \* s must be <= 0.5"),
    row(theory.discrete_half_time_delay, 1.0, 0.6, 1e-3, match=r"u0 / s must lie in \(0.0, 0.5\)"),
    row(theory.exact_riccati, S31, W21, 10 * W32, T2, match=r"W21, W32 must be balanced"),
    row(theory.exact_product, S31, W21.T, W32, T2, match=r"W21 must have shape \(N2, 3\)"),
    row(theory.exact_mode_strengths, S31, W21, W32, [1.0, 2.0], match=r"t must be a 1-d increasing array"),
    row(theory.exact_half_time, S31, W21, W32, fraction=1.5, match=r"fraction must lie in \(0.0, 1.0\)"),
    row(theory.imbalance, W21, W32.T, match=r"W21 and W32 must be"),
    row(theory.unbalanced_learning_time, NAN, 0.1, 1.0, match=r"a0 must be finite"),
    row(theory.unbalanced_learning_time, -0.2, 0.1, 1.0, match=r"a0 \+ b0 must be > 0"),
    row(theory.unbalanced_learning_time, 2.0, 1.0, 1.0, match=r"a0 \* b0 must be < \(1 - eps\) s"),
    row(theory.unbalanced_learning_time, 0.2, 0.1, 1.0, eps=1.0, match=r"eps must lie in \(0.0, 1.0\)"),
    row(theory.unbalanced_learning_time, 0.2, 0.1, 1.0, tau="1", exc=TypeError, match=r"tau must be a real number"),
    row(theory.eq26_as_printed, 0.1, 0.1, 1.0, match=r"a0\*\*2 - b0\*\*2 must be nonzero"),
    row(theory.eq26_as_printed, 0.05, 0.05 + 1e-17, 1.0, match=r"eq26_as_printed: the printed formula .* not finite"),
    row(theory.deep_rate, 0.5, 1.0, 2, match=r"n_layers must be an integer >= 3"),
    row(theory.deep_mode_velocity, [0.5], 1.0, match=r"a must have a last axis of N_l - 1 >= 2"),
    row(theory.deep_mode_velocity, [0.5, 0.5], -1.0, match=r"s must be"),
    row(theory.deep_rate, 0.5, 1.0, 4.0, exc=TypeError, match=r"n_layers must be an integer"),
    row(theory.deep_rate, -0.5, 1.0, 5, match=r"u must be >= 0 for n_layers > 3"),
    row(theory.deep_learning_time, 1e-3, 0.5, 1.0, 2**53 + 1,
        match=r"n_layers must be an integer <= 9007199254740992"),
    row(theory.deep_learning_time, 1e-3, 1.5, 1.0, 5, match=r"uf / s must lie in"),
    row(theory.deep_mode_strength, -1.0, 1.0, 1e-3, 5, match=r"t must be >= 0"),
    row(theory.deep_mode_strength, [0.0, NAN], 1.0, 1e-3, 5, match=r"t must be finite"),
    row(theory.deep_learning_time_limit, 1e-3, 0.5, 1.0, True, exc=TypeError, match=r"n_layers must be an integer"),
    row(theory.deep_hessian_eigenvalue, 1.5, 1.0, 5000,
        match=r"deep_hessian_eigenvalue: a\^\(2 N_l - 4\) .*overflow"),
    row(theory.optimal_learning_rate, 1e300, 10, match=r"optimal_learning_rate: .* leaves the float64 range"),
    row(theory.optimal_learning_rate, [1.0, NAN], 10, match=r"s must be finite"),
    # ---- dynamics
    row(dynamics.random_init, (2, 3), (3, 4), 0.1, match=r"shape_32 must be \(N3, N2\) with N2 = shape_21\[0\] = 2"),
    row(dynamics.random_init, (2, 3), (3, 2), 0.1, seed=-1, match=r"seed must be an integer >= 0"),
    row(dynamics.random_init, (2, 3), (3, 2), 0.1, seed=1.5, exc=TypeError, match=r"seed must be an integer"),
    row(dynamics.random_init, (2, 3), (3, 2), 0.1, n_seeds=2.0, exc=TypeError, match=r"n_seeds must be an integer"),
    row(dynamics.random_init, (2, 3), (3, 2), -0.1, match=r"scale must be > 0"),
    row(dynamics.random_init, 5, (3, 2), 0.1, exc=TypeError, match=r"shape_21 must be a tuple of two integers"),
    row(dynamics.random_init, (2, 0), (3, 2), 0.1, match=r"shape_21\[1\] must be an integer >= 1"),
    row(dynamics.random_init, (1000, 1000), (1000, 1000), 0.1, n_seeds=100,
        match=r"random_init asks for .* limit is 1e\+08"),
    row(dynamics.decoupled_init, np.full((3, 3), NAN), 2, 0.1, match=r"sigma31 must be finite"),
    row(dynamics.decoupled_init, S31, 2, NAN, match=r"a0 must be finite"),
    row(dynamics.decoupled_init, S31, 2, 0.1, b0=[0.1, 0.2, 0.3],
        match=r"b0 must be a number or an array of 2 numbers"),
    row(dynamics.decoupled_init, S31, 0, 0.1, match=r"n_hidden must be an integer >= 1"),
    row(dynamics.decoupled_init, S31, 2, 0.1, seed=-3, match=r"seed must be an integer >= 0"),
    row(dynamics.decoupled_init, np.ones(3), 2, 0.1, match=r"sigma31 must have shape \(any, any\)"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 10**12, np.zeros((2, 4)), np.zeros((3, 2)),
        match=r"n_steps must be an integer <= 1000000000"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 10**9, np.zeros((2, 4)), np.zeros((3, 2)),
        match=r"train_three_layer asks for 1000000001 records .* limit is 1e\+08 .*; raise record_every"),
    row(dynamics.train_three_layer, X4, Y4, NAN, 5, np.zeros((2, 4)), np.zeros((3, 2)), match=r"lr must be finite"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 5.0, np.zeros((2, 4)), np.zeros((3, 2)), exc=TypeError,
        match=r"n_steps must be an integer"),
    row(dynamics.train_three_layer, np.full((4, 4), NAN), Y4, 0.1, 5, np.zeros((2, 4)), np.zeros((3, 2)),
        match=r"inputs must be finite"),
    row(dynamics.train_three_layer, np.zeros((4, 0)), np.zeros((3, 0)), 0.1, 5, np.zeros((2, 4)), np.zeros((3, 2)),
        match=r"inputs must not be empty"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 5, np.zeros(4), np.zeros((3, 2)), match=r"W21 must have shape"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 5, np.zeros((2, 4)), np.full((3, 2), INF),
        match=r"W32 must be finite"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 5, np.zeros((2, 4)), np.zeros((3, 2)), record_every=0,
        match=r"record_every must be an integer >= 1"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 5, np.zeros((2, 4)), np.zeros((3, 2)), activation=None,
        match=r"activation must be one of \['linear', 'tanh'\]"),
    row(dynamics.train_three_layer, X4, Y4, 0.1, 5, np.zeros((2, 4)), np.zeros((3, 2)), progress="yes",
        exc=TypeError, match=r"progress must be True, False or None"),
    row(dynamics.gradient_flow, I3, S31, W21.T, W32.T, T2, match=r"W21 must have shape \(any, 3\)"),
    row(dynamics.gradient_flow, np.full((3, 3), NAN), S31, W21, W32, T2, match=r"sigma11 must be finite"),
    row(dynamics.gradient_flow, -I3, S31, W21, W32, T2, match=r"sigma11 must be positive semi-definite"),
    row(dynamics.gradient_flow, np.triu(np.ones((3, 3))), S31, W21, W32, T2, match=r"sigma11 must be symmetric"),
    row(dynamics.gradient_flow, I3, S31, W21, W32, [0.0, NAN], match=r"t must be finite"),
    row(dynamics.gradient_flow, I3, S31, W21, W32, [0.0, INF], match=r"t must be finite"),
    row(dynamics.gradient_flow, I3, S31, W21, W32, [0.0], match=r"t must be a 1-d increasing array of at least 2"),
    row(dynamics.gradient_flow, I3, S31, W21, W32, T2, rtol=0.0, match=r"rtol must be > 0"),
    row(dynamics.mode_flow, 0.1, 0.1, 1.0, [0.0, NAN], match=r"t must be finite"),
    row(dynamics.mode_flow, 0.1, 0.1, 1.0, [1.0, 2.0], match=r"t must be a 1-d increasing array .* starting at 0"),
    row(dynamics.mode_flow, [0.1, 0.2], [0.1, 0.2, 0.3], 1.0, T2, match=r"a0, b0, s must broadcast together"),
    row(dynamics.mode_flow, NAN, 0.1, 1.0, T2, match=r"a0 must be finite"),
    row(dynamics.balanced_flow, 1e-3, 1.0, [0.0, INF], match=r"t must be finite"),
    row(dynamics.balanced_flow, -1e-3, 1.0, T2, match=r"u0 must be >= 0"),
    row(dynamics.balanced_flow, 1e-3, 1.0, [0.0, 2.0, 1.0], match=r"t must be a 1-d increasing array"),
    row(dynamics.mode_time_to, 0.3, -0.3, 1.0, 0.5, match=r"flows into the saddle"),
    row(dynamics.mode_time_to, 0.1, 0.1, 1.0, 1.5, match=r"level must lie in \(a0 b0, s\)"),
    row(dynamics.mode_time_to, [0.1, 0.2], 0.1, 1.0, 0.5, match=r"a0 must be a single number"),
    row(dynamics.mode_time_to, 0.1, NAN, 1.0, 0.5, match=r"b0 must be finite"),
    row(dynamics.mode_descent, NAN, 0.1, 1.0, 0.1, 10, match=r"a0 must be finite"),
    row(dynamics.mode_descent, 0.1, 0.1, 1.0, 0.1, 10**12, match=r"mode_descent asks for .* limit is 1e\+08"),
    row(dynamics.mode_descent, 0.1, 0.1, 1.0, 0.1, 10.5, exc=TypeError, match=r"n_steps must be an integer"),
    row(dynamics.mode_descent, 0.1, 0.1, [1.0, 2.0], [0.1, 0.2, 0.3], 10, match=r"a0, b0, s, lr must broadcast"),
    row(dynamics.deep_mode_flow, [0.1], 1.0, T2, match=r"a0 must be a 1-d array of N_l - 1 >= 2 scalars"),
    row(dynamics.deep_mode_flow, [0.1, NAN], 1.0, T2, match=r"a0 must be finite"),
    row(dynamics.deep_mode_flow, [0.1, 0.1], 1.0, [0.0, NAN], match=r"t must be finite"),
    row(dynamics.deep_mode_descent, [0.1, 0.1], 1.0, [[0.1, 0.2]], 10, match=r"lr must be a number or a 1-d array"),
    row(dynamics.deep_mode_descent, [0.1, 0.1], 1.0, [0.1, 0.2], 10**9, match=r"deep_mode_descent asks for .* limit"),
    row(dynamics.deep_mode_descent, [[0.1, 0.1]], 1.0, 0.1, 10, match=r"a0 must be a 1-d array"),
    row(dynamics.crossing_time, [0, 1, 2], [0.0, 0.5, 1.0, 1.5], 0.7,
        match=r"u must have shape \(\.\.\., 3\) to match t"),
    row(dynamics.crossing_time, [0, 2, 1], [0.0, 0.5, 1.0], 0.7, match=r"t must be a 1-d strictly increasing array"),
    row(dynamics.crossing_time, [0, NAN, 2], [0.0, 0.5, 1.0], 0.7, match=r"t must be finite"),
    row(dynamics.crossing_time, [0, 1, 2], [0.0, 0.5, 1.0], NAN, match=r"level must be finite"),
    row(dynamics.crossing_time, [0, 1], np.zeros((3, 2)), [0.1, 0.2],
        match=r"level must broadcast against u\[\.\.\., 0\]"),
    row(dynamics.crossing_time, [0, 1], "ab", 0.5, exc=TypeError, match=r"u must be a real number"),
    # ---- landscape
    row(landscape.energy_terms, np.full((2, 3), NAN), W32, S31, match=r"W21 must be finite"),
    row(landscape.energy_terms, W21, W32, S31, tau=0, match=r"tau must be > 0"),
    row(landscape.energy_terms, W21, np.zeros((3, 4)), S31, match=r"W32 must have shape \(any, 2\)"),
    row(landscape.energy_terms, W21, W32, np.ones((4, 3)), match=r"sigma31 must have shape \(3, 3\)"),
    row(landscape.mode_overlaps, W21, W32, np.full((3, 3), INF), match=r"sigma31 must be finite"),
    row(landscape.mode_rates, W21, W32, [[1.0, 2.0, "x"]] * 3, exc=TypeError, match=r"sigma31 must be a real number"),
    row(landscape.error_energy, W21, W32, np.eye(2), S31, match=r"sigma11 must have shape \(3, 3\)"),
    row(landscape.energy_gradient, W21, W32, I3, np.full((3, 3), NAN), match=r"sigma31 must be finite"),
    row(landscape.energy_gradient, W21, W32, I3, S31, tau=-1.0, match=r"tau must be > 0"),
    row(landscape.energy_hessian, np.zeros((200, 200)), np.zeros((200, 200)), np.eye(200), np.eye(200),
        match=r"energy_hessian asks for a 80000 x 80000 Hessian"),
    row(landscape.energy_hessian, W21, np.zeros((3, 5)), I3, S31, match=r"W32 must have shape \(any, 2\)"),
    row(landscape.fixed_point, S31, [0.7], 4, exc=TypeError, match=r"modes must be integers in \[0, 2\]"),
    row(landscape.fixed_point, S31, [True], 4, exc=TypeError, match=r"modes must be integers"),
    row(landscape.fixed_point, S31, 1, 4, exc=TypeError, match=r"modes must be a sequence of integers"),
    row(landscape.fixed_point, S31, [3], 4, match=r"modes must be at most n_hidden=4 distinct indices in \[0, 2\]"),
    row(landscape.fixed_point, S31, [-1], 4, match=r"distinct indices in \[0, 2\]"),
    row(landscape.fixed_point, S31, [0, 1, 2], 2, match=r"modes must be at most n_hidden=2"),
    row(landscape.fixed_point, S31, [0], 2, seed=-1, match=r"seed must be an integer >= 0"),
    row(landscape.fixed_point, np.full((3, 3), NAN), [0], 2, match=r"sigma31 must be finite"),
    row(landscape.conserved_matrix, W21, np.zeros((3, 3)), match=r"W32 must have shape \(any, 2\)"),
    row(landscape.conserved_matrix, [], W32, match=r"W21 must have shape|W21 must not be empty"),
    row(landscape.mode_balance, W21, W32, np.ones((3, 4)), match=r"sigma31 must have shape \(3, 3\)"),
    # ---- data
    row(data.hierarchical_dataset, levels=40, match=r"levels must be an integer <= 13"),
    row(data.hierarchical_dataset, levels=0, match=r"levels must be an integer >= 1"),
    row(data.hierarchical_dataset, levels=2.5, exc=TypeError, match=r"levels must be an integer"),
    row(data.hierarchical_dataset, levels=12, n_features=10**6, match=r"hierarchical_dataset asks for .* limit"),
    row(data.hierarchical_dataset, seed=-1, match=r"seed must be an integer >= 0"),
    row(data.hierarchical_dataset, flip=NAN, match=r"flip must be finite"),
    row(data.hierarchical_dataset, flip=[0.1, 0.2], match=r"flip must be a single number"),
    row(data.hierarchical_dataset, flip=0.7, match=r"flip must lie in \[0.0, 0.5\]"),
    row(data.hierarchical_modes, levels=40, match=r"levels must be an integer <= 20"),
    row(data.hierarchical_modes, n_features="10", exc=TypeError, match=r"n_features must be an integer"),
    row(data.correlations, np.full((2, 3), NAN), np.ones((1, 3)), match=r"inputs must be finite"),
    row(data.correlations, np.ones((2, 3)), np.ones((1, 4)), match=r"outputs must have shape \(any, 3\)"),
    row(data.correlations, np.ones((2, 0)), np.ones((1, 0)), match=r"inputs must not be empty"),
    row(data.correlations, np.ones(3), np.ones((1, 3)), match=r"inputs must have shape \(any, any\)"),
    row(data.svd_modes, np.full((3, 2), NAN), match=r"sigma31 must be finite"),
    row(data.svd_modes, np.zeros((0, 3)), match=r"sigma31 must not be empty"),
    row(data.svd_modes, np.ones((3, 2)), rank=3, match=r"rank must be an integer in \[1, 2\]"),
    row(data.svd_modes, np.ones((3, 2)), rank=1.0, exc=TypeError, match=r"rank must be an integer"),
    # ---- book and helpers
    row(book.round_sig, 123.456, 0, match=r"digits must be an integer >= 1"),
    row(book.round_sig, 123.456, 2.0, exc=TypeError, match=r"digits must be an integer"),
    row(book.round_sig, "1.5", exc=TypeError, match=r"value must be a real number"),
    row(book.round_sig, [1.0, 2.0], exc=TypeError, match=r"value must be a single real number"),
    row(book.fmt_bound, NAN, match=r"value must be finite"),
    row(book.fmt_bound, 1e-3, floor=0.0, match=r"floor must be finite and > 0"),
    row(book.fmt_bound, 1e-3, digits=0, match=r"digits must be an integer >= 1"),
    row(book.fmt_bound, 1e-3, digits=18, match=r"digits must be an integer <= 17"),
    row(book.glue_number, "", 1.0, exc=TypeError, match=r"name must be a non-empty string"),
    row(book.glue_numbers, [("x", 1.0)], exc=TypeError, match=r"numbers must be a mapping"),
    row(book.glue_value, "", 1.0, exc=TypeError, match=r"name must be a non-empty string"),
    row(data.numerical_rank, [[1.0, 0.5]], match=r"s must be a 1-d array of singular values"),
    row(data.numerical_rank, [1.0, NAN], match=r"s must be finite"),
    row(random_orthonormal, np.random.default_rng(0), 2, 3, match=r"m must be an integer <= 2"),
    row(random_orthonormal, 0, 2, 1, exc=TypeError, match=r"rng must be a numpy.random.Generator"),
]

# ---- issue 23, "Silent: bad statistics accepted": each case once returned NaN, inf, zeros or a wrong number
_G = np.random.default_rng(5)
XS, YS = _G.normal(size=(4, 20)), _G.normal(size=(2, 20))
TASK = task.task_from_samples(XS, YS, "bad-input table")
S11, S31T, YSQ = TASK.sigma11, TASK.sigma31, TASK.y_sq
NOT_PSD = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])   # pairwise fine, eigenvalue -0.8
ENC = torch.full((2, 3), 0.1, dtype=torch.float64)
U3 = np.linalg.qr(_G.normal(size=(3, 2)))[0]

STATS_ROWS = [
    row(task.task_from_samples, np.full((4, 20), NAN), YS, "x", match=r"inputs must be finite"),
    row(task.task_from_samples, XS, np.full((2, 20), INF), "x", match=r"outputs must be finite"),
    row(task.task_from_samples, XS + 1j, YS, "x", exc=TypeError, match=r"inputs must be real, got complex"),
    row(task.task_from_samples, np.zeros((4, 20)), YS, "x", match=r"inputs must not be all zero"),
    row(task.task_from_samples, np.zeros((4, 0)), np.zeros((2, 0)), "x", match=r"inputs must not be empty"),
    row(task.Task, S11, S31T, -5.0, 20, "x", match=r"y_sq must be >= 0"),
    row(task.Task, S11, S31T, 1e-3, 20, "x", match=r"y_sq must be >= sum_i sigma31\[i, j\]\^2 / sigma11\[j, j\]"),
    row(task.Task, S11, S31T, NAN, 20, "x", match=r"y_sq must be finite"),
    row(task.Task, S11, S31T, YSQ, 0, "x", match=r"n_samples must be an integer >= 1"),
    row(task.Task, S11, S31T, YSQ, 20.0, "x", exc=TypeError, match=r"n_samples must be an integer"),
    row(task.Task, S11 + np.triu(np.ones((4, 4)), 1), S31T, YSQ, 20, "x", match=r"sigma11 must be symmetric"),
    row(task.Task, -S11, S31T, YSQ, 20, "x", match=r"sigma11 must be positive semi-definite"),
    row(task.Task, NOT_PSD, np.zeros((1, 3)), 1.0, 20, "x", match=r"sigma11 must be positive semi-definite"),
    row(task.Task, np.zeros((4, 4)), np.zeros((2, 4)), 1.0, 20, "x", match=r"sigma11 must be non-zero"),
    row(task.Task, S11[:3], S31T, YSQ, 20, "x", match=r"sigma11 must be a square matrix"),
    row(task.Task, S11, S31T[:, :3], YSQ, 20, "x", match=r"sigma31 must have shape \(any, 4\)"),
    row(task.Task, S11, S31T, YSQ, 20, b"x", exc=TypeError, match=r"source must be a string"),
    row(deep.decoupled_deep_init, TASK, 4, dtype=torch.int64, match=r"dtype must be a floating-point torch dtype"),
    row(inits.random_deep_init, TASK, 4, 3, "gaussian", dtype=torch.int32,
        match=r"dtype must be a floating-point torch dtype"),
    row(pretraining.train_autoencoder, torch.eye(3, dtype=torch.int64), ENC.long(),
        match=r"encoder.dtype must be a floating-point torch dtype"),
    row(pretraining.train_autoencoder, torch.zeros(3, 3, dtype=torch.float64), ENC, match=r"sigma must be non-zero"),
    row(pretraining.train_autoencoder, -torch.eye(3, dtype=torch.float64), ENC,
        match=r"sigma must be positive semi-definite .*tr sigma = -3 < 0"),
    row(pretraining.train_autoencoder, torch.diag(torch.tensor([1.0, 1.0, -0.5], dtype=torch.float64)), ENC,
        match=r"sigma must be positive semi-definite"),
    row(pretraining.train_autoencoder, torch.full((3, 3), NAN, dtype=torch.float64), ENC,
        match=r"sigma must be finite"),
    row(pretraining.autoencoder_fixed_point, -np.eye(3), 2, match=r"sigma must be positive semi-definite"),
    row(pretraining.autoencoder_fixed_point, np.triu(np.ones((3, 3))), 2, match=r"sigma must be symmetric"),
    row(pretraining.autoencoder_fixed_point, np.full((3, 3), INF), 2, match=r"sigma must be finite"),
    row(pretraining.autoencoder_fixed_point, np.zeros((0, 0)), 2, match=r"sigma must not be empty"),
    row(consistency.consistency, np.full((3, 3), NAN), U3, match=r"sigma11 must be finite"),
    row(consistency.consistency, np.zeros((3, 3)), U3, match=r"sigma11 must be non-zero"),
    row(consistency.consistency, np.diag([1.0, 0.0, 0.0]), np.eye(3)[:, 1:], match=r"sigma11 must be non-zero along"),
    row(modes.saddle_escape_time, 2.0, 1.0, 1.5, match=r"amplitude must lie in \(0.0, 1.414"),
    row(modes.saddle_escape_time, NAN, 1.0, 0.1, match=r"s_lost must be finite"),
    row(meanfield.q_sequence, 1.0, 1.5, 10**8, match=r"n_layers must be an integer <= 100000 \(MAX_Q_LAYERS"),
    row(meanfield.jacobian_moments, 1.0, 1.5, 10**8, match=r"n_layers must be an integer <= 100000"),
    row(randmat.gaussian_product_moment2, 2000, 1, match=r"k must be <= 646 for n = 1, or pass log=True"),
    row(randmat.gaussian_product_moment2, 10**9, 5, match=r"k must be an integer <= 1000000"),
    row(randmat.fuss_catalan_edge, 10**301, match=r"k must be an integer <= 10{300} \(the edge"),
]
ROWS += STATS_ROWS


@pytest.mark.parametrize("func, args, kwargs, exc, match", ROWS)
def test_bad_input_is_rejected_by_name(func, args, kwargs, exc, match):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning on the way means the work began before the check
        with pytest.raises(exc, match=match):
            func(*args, **kwargs)
    assert time.perf_counter() - start < 5.0, "bad input must fail before any real work"


def test_the_table_covers_every_public_function():
    import lindyn

    public = {getattr(m, n) for m in (theory, dynamics, landscape, data, book) for n in m.__all__
              if callable(getattr(m, n)) and not isinstance(getattr(m, n), type)
              and n not in ("use_style", "scales_table")}   # no arguments: nothing to get wrong
    probed = {func for func, *_ in (p.values for p in ROWS)}
    assert {f.__name__ for f in public - probed} == set(), "functions without a bad-input row"
    assert lindyn.book.fmt_bound is book.fmt_bound


# ---- right answers where the old code returned NaN, inf or a few digits


def test_fuss_catalan_edge_at_huge_k():
    # (k+1)^(k+1)/k^k = (k+1)(1+1/k)^k -> e (k+1); the old difference of logs gave 1.0 at k = 1e18
    assert_allclose(randmat.fuss_catalan_edge(10**18), np.e * (10**18 + 1), rtol=1e-15)
    # both branches agree with the exact rational where they meet (the rational is correctly rounded)
    from fractions import Fraction
    assert_allclose(randmat.fuss_catalan_edge(1001), float(Fraction(1002**1002, 1001**1001)), rtol=4e-16)
    assert randmat.fuss_catalan_edge(1) == 4.0 and randmat.fuss_catalan_edge(2) == 6.75


def test_gaussian_product_moment2_in_logs():
    # n = 1: every factor is a scalar Gaussian z, E z^4 = 3, so the moment is exactly 3^k
    assert randmat.gaussian_product_moment2(646, 1) == pytest.approx(3.0**646, rel=1e-13)
    assert randmat.gaussian_product_moment2(2000, 1, log=True) == pytest.approx(2000 * np.log(3.0), rel=1e-13)
    direct = randmat.gaussian_product_moment2(5, 7)
    assert randmat.gaussian_product_moment2(5, 7, log=True) == pytest.approx(np.log(direct), rel=1e-15)


def test_saddle_escape_time_is_positive_up_to_the_edge():
    assert modes.saddle_escape_time(2.0, 1.0, 1.4) > 0


def test_task_accepts_round_off_asymmetry():
    S = S11.copy()
    S[0, 1] = np.nextafter(S[0, 1], np.inf)
    assert task.Task(S, S31T, YSQ, 20, "x").n_samples == 20


@pytest.mark.parametrize("diff", [0.0, 1e-15, 1e-11, 1e-6, 1e-3])
def test_unbalanced_learning_time_is_continuous_at_balance(diff):
    a0, b0 = 0.05, 0.05 + diff
    t = float(theory.unbalanced_learning_time(a0, b0, 1.0))
    # the integrator (rtol 1e-12) is the reference; the old theta form was inf at 1e-15, 0.3% off at 1e-11
    assert_allclose(t, dynamics.mode_time_to(a0, b0, 1.0, 0.999), rtol=1e-9)
    if diff < 1e-10:
        # c0 = |a0^2 - b0^2| ~ 0.1 diff moves the time by O(c0 / s)
        assert_allclose(t, theory.learning_time(a0 * b0, 0.999, 1.0), rtol=1e-14 + 0.2 * diff)


def test_unbalanced_learning_time_at_balance_is_eq11():
    assert_allclose(theory.unbalanced_learning_time([0.1, 0.3], [0.1, 0.3], 2.0, tau=3.0, eps=1e-2),
                    theory.learning_time([0.01, 0.09], 1.98, 2.0, tau=3.0), rtol=1e-14)


@pytest.mark.parametrize("c0", [1e-2, 0.1, 1.0, 3.0])
@pytest.mark.parametrize("small", [1e-3, 0.3])
def test_unbalanced_learning_time_keeps_the_theta_form_where_that_is_accurate(c0, small):
    # the energy chapter's range, c0 in [1e-2, 3] at s = 1: the u form moves the theta form's values by
    # no more than the theta form's own round-off, 1.1e-12 at c0 = 1e-2 (it cancels as c0 -> 0)
    a0, b0 = np.sqrt(c0 + small**2), small
    c, x0, s, eps = theory_shallow._hyperbolic_coordinates(a0, b0, 1.0, 1e-3)
    theta_form = theory_shallow._eq26(c, x0, 2 * s, eps, 1.0)
    assert_allclose(theory.unbalanced_learning_time(a0, b0, 1.0), theta_form, rtol=2e-12)
    assert_allclose(theory.unbalanced_learning_time(b0, a0, 1.0), theta_form, rtol=2e-12)


def test_unbalanced_learning_time_for_large_c0():
    # c0 >> s: the theta form cancels in R - c0 (6e-11 here); the u form does not
    a0, b0 = np.sqrt(100.0 + 1e-6), 1e-3
    assert_allclose(theory.unbalanced_learning_time(a0, b0, 1.0), dynamics.mode_time_to(a0, b0, 1.0, 0.999),
                    rtol=1e-9)


@pytest.mark.parametrize("a0, b0", [(0.2, -0.1), (0.5, -0.45), (3.0, -0.2)])
def test_unbalanced_learning_time_from_negative_ab(a0, b0):
    assert_allclose(theory.unbalanced_learning_time(a0, b0, 1.0, eps=0.01),
                    dynamics.mode_time_to(a0, b0, 1.0, 0.99), rtol=1e-9)


def test_mode_strength_does_not_overflow_to_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        u = theory.mode_strength([0.0, 1.0, -1.0], 1e308, 1e-3)
    assert_allclose(u[:2], [1e-3, 1e308], rtol=1e-12)
    assert u[2] == 0.0
    assert np.all(u <= 1e308)
    # and the fallback agrees with the direct form where both apply
    t = np.linspace(0, 5, 11)
    assert_allclose(theory_shallow._mode_strength_in_logs(t, 2.0, 1e-3, 1.0), theory.mode_strength(t, 2.0, 1e-3), rtol=1e-13)


@pytest.mark.parametrize("N", [10**4 + 1, 10**6, 10**14])
def test_deep_learning_time_at_large_depth(N):
    from scipy.integrate import quad

    n = N - 1
    q = 2 / n
    # t = (1/n) int_{ln u0}^{ln uf} e^{(q-1) v} / (s - e^v) dv, with s = 1
    ref = quad(lambda v: np.exp(v * (q - 1)) / (1.0 - np.exp(v)), np.log(1e-3), np.log(0.5), epsrel=1e-13)[0] / n
    assert_allclose(theory.deep_learning_time(1e-3, 0.5, 1.0, N), ref, rtol=1e-11)
    if N == 10**14:  # Eq 17 is exact up to O(q ln(1/u0)) = 1e-13 here
        assert_allclose(theory.deep_learning_time(1e-3, 0.5, 1.0, N),
                        theory.deep_learning_time_limit(1e-3, 0.5, 1.0, N) * N / n, rtol=1e-11)


def test_deep_learning_time_is_continuous_across_the_split_depth():
    below, above = (theory.deep_learning_time(1e-3, 0.9, 1.0, N) * (N - 1) for N in (10**4, 10**4 + 1))
    # n t changes with depth only through q = 2/n: by ~ dq ln(1/u0) = 2e-8 * 7 relative, not by a jump
    assert abs(above / below - 1) < 1e-6


def test_deep_mode_strength_at_large_depth_inverts():
    t = float(theory.deep_learning_time(1e-3, 0.7, 1.0, 10**6))
    assert_allclose(theory.deep_mode_strength(t, 1.0, 1e-3, 10**6), 0.7, rtol=1e-11)


def test_discrete_half_time_delay_warns_beyond_first_order():
    with pytest.warns(RuntimeWarning, match=r"lr \* s = 0.2 > 0.1"):
        theory.discrete_half_time_delay(1.0, 1e-3, 0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        theory.discrete_half_time_delay(80.0, 1e-6, 1e-3)  # the chapter's largest lr * s is 0.04


def test_crossing_time_still_reports_diverged_traces():
    t = [0.0, 1.0, 2.0]
    assert np.isnan(dynamics.crossing_time(t, [0.0, NAN, NAN], 0.5))
    assert dynamics.crossing_time(t, [0.0, 1.0, NAN], 0.5) == 0.5


def test_train_three_layer_records_sparse_long_runs():
    run = dynamics.train_three_layer(X4, Y4, 0.1, 7, np.full((2, 4), 0.1), np.full((3, 2), 0.1), record_every=3)
    assert run.t.tolist() == [0, 3, 6, 7]
    run = dynamics.train_three_layer(X4, Y4, 0.1, 7, np.full((2, 4), 0.1), np.full((3, 2), 0.1), record_every=10**6)
    assert run.t.tolist() == [0, 7]


def test_fixed_point_accepts_numpy_integers_and_no_modes():
    W21a, W32a = landscape.fixed_point(S31, np.array([2, 0]), 2)
    assert_allclose(np.sort(np.linalg.svd(W32a @ W21a, compute_uv=False))[::-1][:2], [3.0, 1.0])
    W21b, W32b = landscape.fixed_point(S31, [], 2)
    assert not W21b.any() and not W32b.any()


@pytest.mark.parametrize(
    "value, kwargs, text",
    [
        (3.1e-17, {}, "< 1e-12"),
        (0.0, {}, "< 1e-12"),
        (-4e-14, {}, "> -1e-12"),
        (1e-12, {}, "1.0e-12"),
        (5.678e-9, {}, "5.7e-9"),
        (-5.678e-9, {}, "-5.7e-9"),
        (0.0123, {}, "0.012"),
        (9.96, {}, "10"),
        (0.000999, {}, "0.0010"),
        (123456.0, {}, "1.2e5"),
        (42.0, {"digits": 3}, "42.0"),
        (2.5e-7, {"floor": 1e-6}, "< 1e-6"),
        (2.6e-7, {"floor": 1e-8, "digits": 1}, "3e-7"),
    ],
)
def test_fmt_bound(value, kwargs, text):
    assert book.fmt_bound(value, **kwargs) == text


def test_round_sig_keeps_its_behaviour_for_valid_input():
    assert book.round_sig(123.456, 1) == 100.0
    assert book.round_sig(np.float64(-0.0012345), 2) == -0.0012
    assert book.round_sig(7) == 7.0
    assert np.isnan(book.round_sig(NAN))


def test_messages_name_the_allowed_range():
    # spot-check that a range appears in the message, not only the name
    with pytest.raises(ValueError) as info:
        landscape.fixed_point(S31, [5], 2)
    assert re.search(r"\[0, 2\]", str(info.value))
