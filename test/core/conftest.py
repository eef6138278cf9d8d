"""Shared fixtures of the numerical-core tests, and the ``slow`` marker."""

import numpy as np
import pytest


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long-running test (seconds); still part of the default suite")


@pytest.fixture(scope="session")
def pca_data():
    """Zero-mean Gaussian samples with a known covariance ``Q diag(λ) Qᵀ``.

    Eigenvalues are distinct (5, 3, 1.5, ...), so principal components are well defined.
    Returns ``(samples float32 (60000, 8), eigenvectors Q as columns, eigenvalues)``.
    """
    rng = np.random.default_rng(1)
    eigenvalues = np.array([5.0, 3.0, 1.5, 0.6, 0.3, 0.2, 0.1, 0.05])
    eigenvectors, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    samples = (rng.standard_normal((60_000, 8)) * np.sqrt(eigenvalues)) @ eigenvectors.T
    return samples.astype(np.float32), eigenvectors, eigenvalues
