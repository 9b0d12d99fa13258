"""The training-time estimator (scikit-learn); coding uses its exported ``LinearModel`` instead."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.utils.validation import check_is_fitted, validate_data

from .linear import LinearModel, _softmax


class LinearClassifier(ClassifierMixin, BaseEstimator):
    """Multinomial logistic regression with temperature-scaled probabilities (scikit-learn estimator).

    ``fit(X, y, sample_weight=None, groups=None)``: X is a feature matrix. The temperature is chosen to
    minimise the log loss of out-of-fold logits (``calibration_folds`` grouped folds; 0 turns it off).
    """

    def __init__(self, C: float = 4.0, class_weight: str | None = "balanced", calibration_folds: int = 3,
                 max_iter: int = 3000, nb_mix: float = 0.0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.max_iter = max_iter
        self.nb_mix = nb_mix

    def _fit_lr(self, X, y, w):  # type: ignore[no-untyped-def]
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
        model.fit(X, y, sample_weight=w)
        if self.nb_mix and len(model.classes_) > 2:
            _mix_naive_bayes(model, X, y, w, self.nb_mix)
        return model

    @staticmethod
    def _logits(model, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        raw = model.decision_function(X)
        return np.column_stack([-raw / 2, raw / 2]) if raw.ndim == 1 else raw

    def fit(self, X, y, sample_weight=None, groups=None):  # type: ignore[no-untyped-def]
        X, y = validate_data(self, X, y, accept_sparse="csr")
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        model = self._fit_lr(X, y, w)
        self.classes_ = model.classes_
        self.coef_ = model.coef_ if len(self.classes_) > 2 else np.vstack([-model.coef_ / 2, model.coef_ / 2])
        self.intercept_ = (model.intercept_ if len(self.classes_) > 2
                           else np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2]))
        self.temperature_ = 1.0
        if self.calibration_folds and self.calibration_folds > 1 and len(np.unique(y)) > 1:
            self.temperature_ = self._fit_temperature(X, y, w, groups)
        return self

    def _fit_temperature(self, X, y, w, groups) -> float:  # type: ignore[no-untyped-def]
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        n_splits = min(self.calibration_folds, len(np.unique(groups)))
        if n_splits < 2:
            return 1.0
        logits = np.zeros((len(y), len(self.classes_)))
        for train, test in GroupKFold(n_splits=n_splits).split(X, y, groups):
            if len(np.unique(y[train])) < 2:  # a fold left with one code (a tiny table): nothing to calibrate on
                return 1.0
            model = self._fit_lr(X[train], y[train], w[train])
            block = np.full((len(test), len(self.classes_)), -30.0)
            cols = [list(self.classes_).index(c) for c in model.classes_]
            block[:, cols] = self._logits(model, X[test])
            logits[test] = block
        truth = np.searchsorted(self.classes_, y)
        best_t, best_nll = 1.0, np.inf
        for t in np.linspace(0.3, 3.0, 55):
            p = _softmax(logits / t)
            nll = -np.average(np.log(p[np.arange(len(y)), truth] + 1e-12), weights=w)
            if nll < best_nll:
                best_t, best_nll = float(t), nll
        return best_t

    def decision_function(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        return np.asarray(X @ self.coef_.T) + self.intercept_

    def predict_proba(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        return _softmax(self.decision_function(X) / self.temperature_)

    def predict(self, X) -> np.ndarray:  # type: ignore[no-untyped-def]
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def to_linear_model(self) -> LinearModel:
        check_is_fitted(self, "coef_")
        return LinearModel(np.asarray(self.classes_).astype(str), np.asarray(self.coef_, dtype=np.float64),
                           np.asarray(self.intercept_, dtype=np.float64), float(self.temperature_))


def _mix_naive_bayes(model, X, y, w, mix: float) -> None:  # type: ignore[no-untyped-def]
    """Blend a complement naive Bayes model over the same features into a fitted multinomial logistic
    regression, in place (an option, ``nb_mix``; off in the shipped models). Both are linear in the features,
    so the blend is one linear model: the logistic weights times (1 - mix) plus the naive Bayes log weights,
    centred over the classes and scaled to the logistic weights' norm, times mix. Naive Bayes counts every
    word's evidence for a class, where the logistic regression leans on the few that separate the training
    data best; the blend is meant to travel better to wordings the training data did not use."""
    from sklearn.naive_bayes import ComplementNB

    nb = ComplementNB(alpha=1.0).fit(X, y, sample_weight=w)
    order = [list(nb.classes_).index(c) for c in model.classes_]
    lr = model.coef_ - model.coef_.mean(axis=0)
    nbw = nb.feature_log_prob_[order]
    nbw = nbw - nbw.mean(axis=0)
    scale = np.linalg.norm(lr) / max(np.linalg.norm(nbw), 1e-12)
    model.coef_ = (1.0 - mix) * lr + mix * scale * nbw
