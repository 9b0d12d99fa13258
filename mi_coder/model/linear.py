"""A fitted linear classifier as plain arrays: what coding needs at run time (NumPy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class LinearModel:
    """A fitted linear classifier as plain arrays: class names, weights, intercepts and a temperature."""

    classes: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float = 1.0

    def logits(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.asarray(X @ self.coef.T) + self.intercept

    def predict_proba(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        return _softmax(self.logits(X) / self.temperature)

    def predict(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        return self.classes[np.argmax(self.logits(X), axis=1)]
