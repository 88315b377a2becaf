import numpy as np
import pytest
from numpy.testing import assert_allclose

from lindyn import deep, mnist, task
from lindyn.task import Task, error_threshold, task_from_samples


@pytest.fixture(scope="module")
def samples():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 30))
    Y = rng.normal(size=(4, 30)) + X[:4]
    return X, Y


def test_deep_and_mnist_use_the_task_module():
    assert deep.Task is Task and deep.task_from_samples is task_from_samples
    assert deep.error_threshold is error_threshold
    assert mnist.task_from_samples is task_from_samples


def test_statistics_and_minimum_error(samples):
    X, Y = samples
    t = task_from_samples(X, Y, "random")
    assert_allclose(t.sigma11, X @ X.T, rtol=1e-14)
    assert_allclose(t.sigma31, Y @ X.T, rtol=1e-14)
    assert t.n_samples == 30 and t.y_sq == pytest.approx(np.sum(Y ** 2), rel=1e-14)
    W = np.linalg.lstsq(X.T, Y.T, rcond=None)[0].T
    assert_allclose(t.min_error, np.sum((Y - W @ X) ** 2), rtol=1e-10)
    assert_allclose(error_threshold(t, 0.25), t.min_error + 0.25 * (t.y_sq - t.min_error), rtol=1e-14)


def test_fingerprint_names_the_statistics_bit_for_bit(samples):
    X, Y = samples
    t = task_from_samples(X, Y, "random")
    fp = t.fingerprint
    assert len(fp) == 16 and int(fp, 16) >= 0
    assert task_from_samples(X, Y, "another description").fingerprint == fp   # the source is not hashed
    assert Task(t.sigma11.astype(np.float32).astype(np.float64), t.sigma31, t.y_sq, t.n_samples, "").fingerprint != fp

    def bumped(a):
        a = a.copy()
        a.flat[3] = np.nextafter(a.flat[3], np.inf)
        return a

    variants = [Task(bumped(t.sigma11), t.sigma31, t.y_sq, t.n_samples, t.source),
                Task(t.sigma11, bumped(t.sigma31), t.y_sq, t.n_samples, t.source),
                Task(t.sigma11, t.sigma31, np.nextafter(t.y_sq, 0), t.n_samples, t.source),
                Task(t.sigma11, t.sigma31, t.y_sq, t.n_samples + 1, t.source)]
    assert len({v.fingerprint for v in variants} | {fp}) == 5
    with pytest.raises(ValueError, match="sigma11 must be a square matrix"):   # a reshaped statistic is no task at all
        Task(t.sigma11.reshape(3, 12), t.sigma31, t.y_sq, t.n_samples, t.source)


def test_fingerprint_is_pinned():
    """Results are keyed by the fingerprint: changing its definition must be a deliberate act."""
    t = task_from_samples(np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]), np.array([[1.0, 2.0, 3.0]]), "tiny")
    assert t.fingerprint == task.Task(t.sigma11, t.sigma31, t.y_sq, t.n_samples, "x").fingerprint
    assert t.fingerprint == "7de8dcfbf02f8243"


def test_bad_inputs(samples):
    X, Y = samples
    with pytest.raises(ValueError, match="outputs must have shape"):
        task_from_samples(X, Y[:, :5], "bad")
    with pytest.raises(ValueError, match="inputs must have shape"):
        task_from_samples(X[0], Y, "bad")
    with pytest.raises(ValueError, match="fraction must lie in"):
        error_threshold(task_from_samples(X, Y, "t"), 0.0)
