"""MLPClassifier and MLPRegressor with scikit-learn's estimator conventions
(constructor arguments stored as given, get_params/set_params, fit returning
self, fitted attributes ending in "_"), so that Pipeline, clone, GridSearchCV
and cross_val_score take them, without importing scikit-learn at all.

The names follow sklearn.neural_network.MLPClassifier where Myelin has the
same thing: hidden_layer_sizes, activation, solver ("sgd" with momentum /
nesterovs_momentum, "adam", and also "adagrad", "rmsprop"), alpha (the L2
penalty, Myelin's l2), batch_size ("auto" = min(200, rows)),
learning_rate_init, max_iter (epochs), shuffle, random_state, tol and
n_iter_no_change (stop when the loss has not improved by tol for that many
epochs), early_stopping with validation_fraction, beta_1, beta_2, epsilon,
warm_start, verbose. Myelin's own: learning_rate ("constant", "step", "exp")
with lr_decay, dropout, prep (input preprocessing, as Net.fit).
Each fit or partial_fit call starts the optimiser's state afresh (the C API's
myelin_train does), which matters for momentum and Adam in partial_fit.
"""
import inspect

import numpy as np

from . import _arrays
from .net import Net


class _Estimator:
    _output = None  # the output layer "units:activation" for n outputs

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p for p in sig.parameters if p != "self")

    def get_params(self, deep=True):
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self, **params):
        names = self._param_names()
        for k, v in params.items():
            if k not in names:
                raise ValueError("Invalid parameter %r for estimator %s. Valid parameters are: %s"
                                 % (k, type(self).__name__, names))
            setattr(self, k, v)
        return self

    def __repr__(self):
        sig = inspect.signature(type(self).__init__)
        changed = ["%s=%r" % (k, getattr(self, k)) for k, p in sig.parameters.items()
                   if k != "self" and getattr(self, k) is not p.default and getattr(self, k) != p.default]
        return "%s(%s)" % (type(self).__name__, ", ".join(changed))

    # -- shared machinery --------------------------------------------------
    def _seed(self):
        rs = self.random_state
        if rs is None:
            return int(np.random.randint(0, 2 ** 31 - 1))
        if isinstance(rs, (int, np.integer)) and not isinstance(rs, bool):
            return int(rs)
        if hasattr(rs, "randint"):  # a numpy RandomState
            return int(rs.randint(0, 2 ** 31 - 1))
        raise ValueError("random_state: None, an int or a numpy RandomState, got %r" % (rs,))

    def _check_X(self, X, fitting):
        X = _arrays.inputs(X)
        if fitting:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError("X has %d features, but %s is expecting %d features as input"
                             % (X.shape[1], type(self).__name__, self.n_features_in_))
        return X

    def _new_net(self, n_in, n_out):
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if np.ndim(hidden) == 0 else list(hidden)
        if any(int(h) < 1 for h in hidden):
            raise ValueError("hidden_layer_sizes must be > 0, got %s" % (hidden,))
        act = {"identity": "linear", "logistic": "sigmoid"}.get(self.activation, self.activation)
        spec = ",".join([str(n_in)] + ["%d:%s" % (int(h), act) for h in hidden] + [self._output(n_out)])
        drop = self.dropout if self.dropout else None
        self.net_ = Net(spec, seed=self._seed_, dropout=drop)
        self._n_out = n_out

    def _opts(self, rows):
        solver = self.solver
        if solver == "sgd" and self.momentum > 0:
            solver = "nesterov" if self.nesterovs_momentum else "momentum"
        bs = min(200, rows) if self.batch_size == "auto" else self.batch_size
        return dict(optimizer=solver, lr=self.learning_rate_init, momentum=self.momentum or None,
                    beta1=self.beta_1, beta2=self.beta_2, eps=self.epsilon, l2=self.alpha, batch_size=int(bs),
                    shuffle=self.shuffle, schedule=self.learning_rate,
                    decay=self.lr_decay if self.learning_rate != "constant" else None,
                    verbose=2 if self.verbose else 0)

    def _train(self, X, t, epochs, first):
        """Runs the net over (X, t); appends to loss_curve_; stops early like scikit-learn."""
        opts = self._opts(X.shape[0])
        best, stall = [np.inf], [0]
        key = "val_loss" if self.early_stopping else "loss"

        def on_epoch(s):
            v = s[key]
            if v > best[0] - self.tol:
                stall[0] += 1
            else:
                stall[0] = 0
            best[0] = min(best[0], v)
            return self.tol is not None and stall[0] >= self.n_iter_no_change

        hist = self.net_.fit(X, t, epochs=epochs, prep=self.prep if first else None,
                             validation_split=self.validation_fraction if self.early_stopping else 0.0,
                             seed=self._seed_ + len(self.loss_curve_), callback=on_epoch if epochs > 1 else None,
                             **opts)
        self.loss_curve_ += [h["loss"] for h in hist]
        if self.early_stopping:
            self.validation_scores_ = getattr(self, "validation_scores_", []) + [h["val_accuracy"] for h in hist]
        self.n_iter_ = len(self.loss_curve_)
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else None

    def _fitted(self):
        if not hasattr(self, "net_"):
            raise AttributeError("This %s instance is not fitted yet. Call 'fit' first." % type(self).__name__)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def _fit(self, X, t, n_out):
        X = self._check_X(X, True)
        if not (self.warm_start and hasattr(self, "net_") and self._n_out == n_out and
                self.net_.inputs == X.shape[1]):
            self._seed_ = self._seed()
            self._new_net(X.shape[1], n_out)
            self.loss_curve_ = []
        self._train(X, t, int(self.max_iter), True)
        return self


_COMMON = dict(hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0001, batch_size="auto",
               learning_rate="constant", learning_rate_init=0.001, lr_decay=0.5, max_iter=200, shuffle=True,
               random_state=None, tol=1e-4, verbose=0, warm_start=False, momentum=0.9, nesterovs_momentum=True,
               early_stopping=False, validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
               n_iter_no_change=10, dropout=0.0, prep="auto")


class MLPClassifier(_Estimator):
    """A classifier: ReLU (or other) hidden layers, a softmax output with
    cross-entropy (one sigmoid unit with binary cross-entropy for two classes).
    classes_ may hold any label values (strings too); they are mapped to indices."""
    _estimator_type = "classifier"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, lr_decay=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=0, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, dropout=0.0, prep="auto"):
        for k, v in list(locals().items()):
            if k != "self":
                setattr(self, k, v)

    @staticmethod
    def _output(n):
        return "1:sigmoid" if n == 2 else "%d:softmax" % n

    def _labels(self, y):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError("y: expected 1-D class labels, got shape %s" % (y.shape,))
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y: labels contain NaN or infinity")
        return y

    def _encode(self, y):
        idx = np.searchsorted(self.classes_, y)
        idx[idx >= len(self.classes_)] = 0
        if not np.array_equal(self.classes_[idx], y):
            raise ValueError("y contains labels not in classes_ %s" % (self.classes_,))
        return idx.astype(np.int32)

    def fit(self, X, y):
        y = self._labels(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError("fit: needs samples of at least 2 classes, got %s" % (classes,))
        if not (self.warm_start and hasattr(self, "classes_") and np.array_equal(classes, self.classes_)):
            for a in ("net_", "classes_"):
                self.__dict__.pop(a, None)
        self.classes_ = classes
        return self._fit(X, self._encode(y), len(classes))

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y). The first call needs `classes` (all the labels
        that will ever be seen) unless y already holds every one."""
        y = self._labels(y)
        first = not hasattr(self, "net_")
        if first:
            cl = np.unique(y if classes is None else np.asarray(classes))
            if len(cl) < 2:
                raise ValueError("partial_fit: give classes= with at least 2 classes on the first call")
            self.classes_ = cl
            X = self._check_X(X, True)
            self._seed_ = self._seed()
            self._new_net(X.shape[1], len(cl))
            self.loss_curve_ = []
        else:
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError("partial_fit: classes %s differ from the first call's %s" % (classes, self.classes_))
            X = self._check_X(X, False)
        self._train(X, self._encode(y), 1, first)
        return self

    def predict_proba(self, X):
        self._fitted()
        p = self.net_.predict_proba(self._check_X(X, False))
        if len(self.classes_) == 2:
            p = np.hstack([1 - p, p])
        return p

    def predict(self, X):
        self._fitted()
        X = self._check_X(X, False)
        return self.classes_[self.net_.predict(X)]

    def score(self, X, y, sample_weight=None):
        """Mean accuracy."""
        ok = (self.predict(X) == np.asarray(y).ravel()).astype(np.float64)
        return float(np.average(ok, weights=sample_weight))


class MLPRegressor(_Estimator):
    """A regressor: hidden layers, linear outputs (one per target column), mean squared error."""
    _estimator_type = "regressor"

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, lr_decay=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=0, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, dropout=0.0, prep="auto"):
        for k, v in list(locals().items()):
            if k != "self":
                setattr(self, k, v)

    @staticmethod
    def _output(n):
        return "%d:linear" % n

    def _targets(self, y):
        y = _arrays.f32(y, "y", ndim=np.ndim(y))
        if y.ndim not in (1, 2):
            raise ValueError("y: expected 1-D or 2-D targets, got shape %s" % (y.shape,))
        if not np.isfinite(y).all():
            raise ValueError("y: targets contain NaN or infinity")
        self._1d = y.ndim == 1
        return y.reshape(len(y), -1)

    def fit(self, X, y):
        t = self._targets(y)
        return self._fit(X, t, t.shape[1])

    def partial_fit(self, X, y):
        t = self._targets(y)
        if not hasattr(self, "net_"):
            X = self._check_X(X, True)
            self._seed_ = self._seed()
            self._new_net(X.shape[1], t.shape[1])
            self.loss_curve_ = []
            self._train(X, t, 1, True)
        else:
            self._train(self._check_X(X, False), t, 1, False)
        return self

    def predict(self, X):
        self._fitted()
        p = self.net_.predict_proba(self._check_X(X, False))
        return p.ravel() if self._1d else p

    def score(self, X, y, sample_weight=None):
        """R^2 (uniform average over the outputs), as scikit-learn's regressors."""
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        p = np.asarray(self.predict(X), dtype=np.float64).reshape(len(y), -1)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        num = np.average((y - p) ** 2, axis=0, weights=w)
        den = np.average((y - np.average(y, axis=0, weights=w)) ** 2, axis=0, weights=w)
        r2 = np.where(den > 0, 1 - num / np.where(den > 0, den, 1), np.where(num == 0, 1.0, 0.0))
        return float(np.mean(r2))
