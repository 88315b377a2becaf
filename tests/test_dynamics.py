import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from lindyn import data, dynamics, theory


def plain_eq1(X, Y, W21, W32, lr, n_steps, activation):
    """Eq 1 written out literally, the reference for the reduced trainer."""
    for _ in range(n_steps):
        Z = W21 @ X
        H = np.tanh(Z) if activation == "tanh" else Z
        E = Y - W32 @ H
        back = W32.T @ E
        if activation == "tanh":
            back = back * (1 - H**2)
        W21, W32 = W21 + lr * back @ X.T, W32 + lr * E @ H.T
    return W21, W32


@pytest.mark.parametrize("activation", ["linear", "tanh"])
@pytest.mark.parametrize("identity_inputs", [True, False])
def test_reduced_trainer_equals_plain_eq1(activation, identity_inputs):
    rng = np.random.default_rng(0)
    X = np.eye(6) if identity_inputs else rng.normal(size=(6, 9))
    Y = rng.normal(size=(12, X.shape[1]))
    W21, W32 = dynamics.random_init((5, 6), (12, 5), 0.3, n_seeds=2)
    run = dynamics.train_three_layer(X, Y, 0.01, 200, W21, W32, activation=activation, record_every=50)
    for k in range(2):
        ref21, ref32 = plain_eq1(X, Y, W21[k], W32[k], 0.01, 200, activation)
        assert_allclose(run.W21[k], ref21, atol=1e-12)
        assert_allclose(run.W32[k], ref32, atol=1e-12)
        H = np.tanh(ref21 @ X) if activation == "tanh" else ref21 @ X
        assert_allclose(run.loss[k, -1], np.sum((Y - ref32 @ H) ** 2), rtol=1e-10)
    assert run.t.tolist() == [0, 50, 100, 150, 200]


def test_reduced_trainer_matches_autograd_step():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(4, 7)), rng.normal(size=(5, 7))
    W21, W32 = rng.normal(size=(3, 4)) * 0.5, rng.normal(size=(5, 3)) * 0.5
    w21 = torch.tensor(W21, requires_grad=True)
    w32 = torch.tensor(W32, requires_grad=True)
    loss = 0.5 * ((torch.tensor(Y) - w32 @ torch.tanh(w21 @ torch.tensor(X))) ** 2).sum()
    loss.backward()
    run = dynamics.train_three_layer(X, Y, 0.05, 1, W21, W32, activation="tanh")
    assert_allclose(run.W21[0], W21 - 0.05 * w21.grad.numpy(), atol=1e-12)
    assert_allclose(run.W32[0], W32 - 0.05 * w32.grad.numpy(), atol=1e-12)


def test_decoupled_initial_conditions_stay_decoupled():
    X, Y = data.hierarchical_dataset(levels=3, n_features=40, seed=2)
    U, s, V = data.svd_modes(Y @ X.T)
    W21, W32 = dynamics.decoupled_init(Y @ X.T, 8, a0=0.01, b0=0.02, seed=3)
    run = dynamics.train_three_layer(X, Y, 0.01, 400, W21, W32)
    M = U.T @ run.W32[0] @ run.W21[0] @ V
    assert np.abs(M - np.diag(np.diag(M))).max() < 1e-12 * s[0]
    a, b = dynamics.mode_descent(0.01, 0.02, s, 0.01, 400)
    assert_allclose(run.strengths[0], a * b, atol=1e-12 * s[0])


def test_decoupled_flow_follows_eq12():
    X, Y = data.hierarchical_dataset(levels=2, n_features=12, seed=0)
    S11, S31 = data.correlations(X, Y)
    U, s, V = data.svd_modes(S31)
    W21, W32 = dynamics.decoupled_init(S31, 4, a0=0.05, seed=0)
    t = np.linspace(0, 3, 31)
    w21, w32 = dynamics.gradient_flow(S11, S31, W21, W32, t, tau=2.0)
    u = np.einsum("ia,tij,tjk,ka->ta", U, w32, w21, V)
    keep = s > 1e-9
    assert_allclose(u[:, keep], theory.mode_strength(t[:, None], s[keep], 0.05**2, tau=2.0), atol=1e-8)


def test_gradient_flow_is_the_small_step_limit_of_eq1():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(3, 6)), rng.normal(size=(4, 6))
    S11, S31 = data.correlations(X, Y)
    W21, W32 = rng.normal(size=(2, 3)) * 0.1, rng.normal(size=(4, 2)) * 0.1
    w21, _ = dynamics.gradient_flow(S11, S31, W21, W32, [0, 2.0], tau=1.0)
    errs = []
    for lr in (1e-2, 5e-3):
        run = dynamics.train_three_layer(X, Y, lr, int(2.0 / lr), W21, W32)
        errs.append(np.abs(run.W21[0] - w21[-1]).max())
    assert 1.7 < errs[0] / errs[1] < 2.3   # first order in the step


def test_mode_flow_conserves_a2_minus_b2():
    t = np.linspace(0, 10, 200)
    a, b = dynamics.mode_flow([0.1, 1.5], [0.4, -0.2], 1.0, t)
    c = a**2 - b**2
    assert np.abs(c - c[0]).max() < 1e-8


def test_crossing_time_interpolates_and_reports_misses():
    t = np.array([0.0, 1.0, 2.0, 3.0])
    u = np.array([[0.0, 0.5, 1.0, 1.5], [0.0, 0.1, 0.2, 0.3]])
    assert_allclose(dynamics.crossing_time(t, u, [0.75, 1.0])[0], 1.5)
    assert np.isnan(dynamics.crossing_time(t, u, 1.0)[1])


def test_divergence_is_reported_not_raised():
    X, Y = np.eye(3), np.eye(3) * 10
    W21, W32 = dynamics.random_init((3, 3), (3, 3), 0.5, n_seeds=2)
    run = dynamics.train_three_layer(X, Y, 1.0, 50, W21, W32)
    assert run.diverged.all()
    calm = dynamics.train_three_layer(X, Y, 1e-3, 50, W21, W32)
    assert not calm.diverged.any()


def test_random_init_is_seeded_per_draw():
    a21, _ = dynamics.random_init((2, 2), (2, 2), 1.0, n_seeds=3, seed=7)
    b21, _ = dynamics.random_init((2, 2), (2, 2), 1.0, n_seeds=1, seed=7)
    assert_allclose(a21[0], b21[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=0.0), "lr must be > 0"),
        (dict(n_steps=0), "n_steps must be an integer >= 1"),
        (dict(activation="relu"), "activation must be one of"),
        (dict(W21=np.zeros((2, 5))), "W21 must have shape"),
        (dict(W32=np.zeros((4, 2))), "W32 must have shape"),
        (dict(outputs=np.zeros((3, 4))), "outputs must not be all zero"),
        (dict(outputs=np.ones((3, 5))), "outputs must have shape"),
    ],
)
def test_trainer_bad_input(kwargs, match):
    args = dict(inputs=np.eye(4), outputs=np.ones((3, 4)), lr=0.1, n_steps=5,
                W21=np.zeros((2, 4)), W32=np.zeros((3, 2)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        dynamics.train_three_layer(**args)


def test_flow_bad_times():
    with pytest.raises(ValueError, match="t must be a 1-d increasing array"):
        dynamics.mode_flow(0.1, 0.1, 1.0, [1.0, 2.0])
