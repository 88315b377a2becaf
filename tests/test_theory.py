import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import dynamics, theory


def test_mode_strength_solves_eq10():
    s = np.array([0.5, 1.0, 3.0])
    u0 = np.array([1e-4, 1e-2, 0.3])
    t = np.linspace(0, 40, 801)
    numeric = dynamics.balanced_flow(u0, s, t, tau=2.0)
    assert_allclose(theory.mode_strength(t[:, None], s, u0, tau=2.0), numeric, atol=1e-9 * s.max())


def test_mode_strength_limits_and_overflow():
    assert_allclose(theory.mode_strength(0.0, 2.0, 0.1), 0.1)
    assert_allclose(theory.mode_strength(1e6, 2.0, 1e-9), 2.0)
    assert np.all(np.isfinite(theory.mode_strength(np.array([-1e6, 1e6]), 5.0, 1e-3)))


def test_learning_time_inverts_mode_strength():
    s, u0, tau = 3.0, 1e-5, 7.0
    t = np.linspace(0.5, 30, 50)
    u = theory.mode_strength(t, s, u0, tau)
    assert_allclose(theory.learning_time(u0, u, s, tau), t, rtol=1e-9)


def test_learning_time_is_inversely_proportional_to_s():
    s = np.array([1.0, 2.0, 4.0, 8.0])
    t = theory.learning_time(1e-12 * s, (1 - 1e-12) * s, s)
    assert_allclose(t * s / t[0], np.ones(4), rtol=1e-9)


def test_learning_time_limit():
    s, eps = 2.0, 1e-6
    exact = theory.learning_time(eps, s - eps, s)
    # the two differ by ln(1 - eps/s) / ln(s/eps) relative, i.e. ~ (eps/s) / ln(s/eps)
    assert_allclose(theory.learning_time_limit(s, eps), exact, rtol=2 * (eps / s) / np.log(s / eps))
    assert not np.isclose(theory.learning_time_limit(s, eps), exact, rtol=0.1 * (eps / s) / np.log(s / eps), atol=0)


def test_mode_velocity_is_minus_gradient_of_energy():
    a, b, s, h = 0.7, -0.3, 1.4, 1e-6
    da, db = theory.mode_velocity(a, b, s, tau=2.0)
    grad_a = (theory.mode_energy(a + h, b, s, 2.0) - theory.mode_energy(a - h, b, s, 2.0)) / (2 * h)
    grad_b = (theory.mode_energy(a, b + h, s, 2.0) - theory.mode_energy(a, b - h, s, 2.0)) / (2 * h)
    assert_allclose([da, db], [-grad_a, -grad_b], rtol=1e-7)


@pytest.mark.parametrize("lr", [2e-4, 1e-3])
def test_discrete_half_time_delay_matches_eq8_recursion(lr):
    s, u0 = np.array([20.0, 80.0]), 1e-6
    t_flow = theory.learning_time(u0, s / 2, s, tau=1 / lr)
    n = int(1.2 * t_flow.max())
    a, b = dynamics.mode_descent(np.sqrt(u0), np.sqrt(u0), s, lr, n)
    measured = dynamics.crossing_time(np.arange(n + 1), (a * b).T, s / 2) / t_flow - 1
    assert_allclose(measured, theory.discrete_half_time_delay(s, u0, lr), rtol=0.02)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: theory.mode_strength(1.0, 1.0, 1.0), "u0 must lie in \\(0, s\\)"),
        (lambda: theory.mode_strength(1.0, 1.0, 2.0), "u0 must lie in \\(0, s\\)"),
        (lambda: theory.mode_strength(1.0, 1.0, 0.0), "u0 must be > 0"),
        (lambda: theory.mode_strength(1.0, 0.0, 0.1), "s must be > 0"),
        (lambda: theory.mode_strength(1.0, -2.0, 0.1), "s must be > 0"),
        (lambda: theory.mode_strength(1.0, 1.0, 0.1, tau=0), "tau must be > 0"),
        (lambda: theory.mode_strength(np.nan, 1.0, 0.1), "t must be finite"),
        (lambda: theory.learning_time(0.1, 1.0, 1.0), "uf / s must lie in \\(0.0, 1.0\\)"),
        (lambda: theory.learning_time_limit(1.0, 0.6), "eps / s must lie in"),
        (lambda: theory.discrete_half_time_delay(1.0, 1e-3, -1.0), "lr must be > 0"),
    ],
)
def test_bad_input_names_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("c0", [1e-6, 1e-2, 0.5, 4.0])
@pytest.mark.parametrize("swap", [False, True])
def test_corrected_eq26_matches_integration(c0, swap):
    small = 2e-3
    a0, b0 = np.sqrt(c0 + small**2), small
    if swap:
        a0, b0 = b0, a0
    t_num = dynamics.mode_time_to(a0, b0, 1.5, (1 - 1e-3) * 1.5, tau=2.0)
    assert_allclose(theory.unbalanced_learning_time(a0, b0, 1.5, tau=2.0, eps=1e-3), t_num, rtol=1e-7)


def test_eq26_as_printed_is_off_by_about_two_for_small_c0():
    t_num = dynamics.mode_time_to(1e-3 + 1e-9, 1e-3, 1.0, 0.999)
    ratio = theory.eq26_as_printed(1e-3 + 1e-9, 1e-3, 1.0) / t_num
    assert 1.8 < ratio < 2.0


def test_unbalanced_learning_time_negative_b_side():
    t_num = dynamics.mode_time_to(0.2, -0.1, 1.0, 0.99)
    assert_allclose(theory.unbalanced_learning_time(0.2, -0.1, 1.0, eps=0.01), t_num, rtol=1e-7)


@pytest.mark.parametrize(
    "args, match",
    [
        ((-0.2, 0.1, 1.0), "a0 \\+ b0 must be > 0"),
        ((2.0, 1.0, 1.0), "a0 \\* b0 must be < \\(1 - eps\\) s"),
        ((0.2, 0.1, -1.0), "s must be > 0"),
    ],
)
def test_unbalanced_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        theory.unbalanced_learning_time(*args)
    with pytest.raises(ValueError, match="eps must lie in \\(0.0, 1.0\\)"):
        theory.unbalanced_learning_time(0.2, 0.1, 1.0, eps=1.0)


def test_balanced_start_is_eq11_for_the_corrected_form_only():
    assert_allclose(theory.unbalanced_learning_time(0.1, 0.1, 1.0, tau=3.0),
                    theory.learning_time(0.01, 0.999, 1.0, tau=3.0), rtol=1e-14)
    with pytest.raises(ValueError, match="balanced modes"):
        theory.eq26_as_printed(0.1, 0.1, 1.0)


@pytest.mark.parametrize("N", [4, 7, 30])
def test_deep_learning_time_matches_quadrature(N):
    from scipy.integrate import quad

    n = N - 1
    p = 2 - 2 / n
    q = quad(lambda v: np.exp(v * (1 - p)) / (2.0 - np.exp(v)), np.log(1e-3), np.log(1.5), epsrel=1e-12)[0]
    assert_allclose(theory.deep_learning_time(1e-3, 1.5, 2.0, N, tau=1.0), q / n, rtol=1e-10)


def test_deep_mode_strength_inverts_and_matches_the_flow():
    t = np.linspace(0, 30, 61)
    a = dynamics.deep_mode_flow(np.full(6, 1e-3 ** (1 / 6)), 1.0, t)
    assert_allclose(theory.deep_mode_strength(t, 1.0, 1e-3, 7), a.prod(axis=1), atol=1e-8)


def test_deep_hessian_and_optimal_rate():
    import torch

    for N, a, s in [(3, 0.5, 1.0), (6, 0.9, 1.4), (12, 1.1, 2.0)]:
        H = torch.autograd.functional.hessian(lambda x: (s - torch.prod(x)) ** 2 / 2,
                                              torch.full((N - 1,), a, dtype=torch.float64)).numpy()
        assert_allclose(H.sum(axis=1), theory.deep_hessian_eigenvalue(a, s, N), rtol=1e-12)
        a_opt = s ** (1 / (N - 1))
        assert_allclose(theory.deep_hessian_eigenvalue(a_opt, s, N) * theory.optimal_learning_rate(s, N), 1.0, rtol=1e-12)


def test_deep_mode_velocity_is_minus_the_gradient_of_eq14():
    """Against autograd on E = (s - prod a)^2 / 2, and equal scalars against Eq 15 via the chain rule."""
    import torch

    a = torch.tensor([0.3, 0.7, 1.2, 0.9], dtype=torch.float64, requires_grad=True)
    s = 1.7
    (0.5 * (s - a.prod()) ** 2).backward()
    assert np.allclose(theory.deep_mode_velocity(a.detach().numpy(), s), -a.grad.numpy(), rtol=1e-14, atol=0)
    n, x = 4, 0.8
    # u = x^n with all a_i = x: du/dt = n x^(n-1) dx/dt
    du = n * x ** (n - 1) * theory.deep_mode_velocity([x] * n, s)[0]
    assert np.isclose(du, theory.deep_rate(x**n, s, n + 1), rtol=1e-14)
