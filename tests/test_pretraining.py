import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from lindyn import inits, pretraining


@pytest.fixture(scope="module")
def sigma():
    Q = inits.haar_orthogonal(8, seed=0)
    lam = np.array([10.0, 6.0, 4.0, 2.5, 1.0, 0.5, 0.2, 0.1])
    return Q @ np.diag(lam) @ Q.T


def test_autoencoder_converges_to_the_closed_form_fixed_point(sigma):
    """Gradient descent reaches the PCA fixed point: D W = Q_k Q_k^T, W^T W = Q_k Q_k^T (M = I).

    Stopping at an excess error of f = 1e-8 of the learnable error (19.1) leaves an excess of about
    2e-7, so each learnt direction is off by at most sqrt(2e-7 / lambda_k) < 1e-3 (lambda_3 = 4)."""
    W0 = torch.tensor(np.random.default_rng(1).normal(size=(3, 8)) * 0.01)
    run = pretraining.train_autoencoder(torch.tensor(sigma), W0, fraction=1e-8, max_steps=50_000)
    fp = pretraining.autoencoder_fixed_point(sigma, 3)
    assert run.converged.all()
    assert_allclose(run.error, fp["min_error"], rtol=1e-6)
    W, D = run.encoder.numpy(), run.decoder.numpy()
    assert np.abs(D @ W - fp["projection"]).max() < 1e-3
    assert np.abs(W.T @ W - fp["projection"]).max() < 1e-3
    modes = pretraining.layer_modes(W, sigma, 3)
    assert_allclose(modes["m"], 1.0, atol=1e-3)
    assert modes["offdiag_mass"] < 1e-6


def test_stopping_rule_counts_iterations_and_batches_agree(sigma):
    rng = np.random.default_rng(2)
    W0 = torch.tensor(rng.normal(size=(2, 5, 8)) * 0.01)
    run = pretraining.train_autoencoder(torch.tensor(sigma), W0, fraction=0.05, max_steps=5000)
    one = pretraining.train_autoencoder(torch.tensor(sigma), W0[1], fraction=0.05, max_steps=5000)
    assert run.steps[1] == one.steps[0] > 0
    fp = pretraining.autoencoder_fixed_point(sigma, 5)
    excess = (run.error - fp["min_error"]) / (fp["initial_error"] - fp["min_error"])
    assert np.all(excess <= 0.05)


def test_greedy_stack_each_layer_sees_the_layer_below(sigma):
    rng = np.random.default_rng(3)
    ws = [torch.tensor(rng.normal(size=s) * 0.01) for s in [(6, 8), (6, 6), (4, 6)]]
    pre = pretraining.greedy_pretrain(sigma, ws, fraction=1e-6, max_steps=50_000, keep_correlations=True)
    W1 = pre.weights[0].numpy()
    assert_allclose(pre.correlations[1].numpy(), W1 @ sigma @ W1.T, rtol=1e-12, atol=1e-12)
    # Layer 2 is an autoencoder of layer 1's output: its closed-form minimum is that of Sigma_2.
    fp2 = pretraining.autoencoder_fixed_point(pre.correlations[1].numpy(), 6)
    assert_allclose(pre.min_error[1], fp2["min_error"], atol=1e-9)
    # The top layer keeps the top 4 principal components of the input through the stack.
    P = pre.weights[2].numpy() @ pre.weights[1].numpy() @ W1
    top4 = pretraining.autoencoder_fixed_point(sigma, 4)["projection"]
    assert np.abs(P.T @ P - top4).max() < 1e-2
    assert pre.total_steps.shape == (1,)


def test_bad_inputs(sigma):
    W0 = torch.zeros(2, 8, dtype=torch.float64)
    with pytest.raises(ValueError, match="rate_factor"):
        pretraining.train_autoencoder(torch.tensor(sigma), W0, rate_factor=1.5)
    with pytest.raises(ValueError, match="fraction"):
        pretraining.train_autoencoder(torch.tensor(sigma), W0, fraction=0)
    with pytest.raises(TypeError, match="torch"):
        pretraining.train_autoencoder(sigma, W0)
    with pytest.raises(ValueError, match="sigma"):
        pretraining.train_autoencoder(torch.eye(5, dtype=torch.float64), W0)
