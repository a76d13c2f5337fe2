"""MLPClassifier and MLPRegressor: scikit-learn's estimator conventions, in
scikit-learn's own tools when it is installed, and without it."""
import pickle
import subprocess
import sys

import numpy as np
import pytest

import myelin

from conftest import env_with_package


def data(n=300, seed=0):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n, 4)) * [1, 10, 100, 1]  # scales a StandardScaler fixes
    y = np.where(X[:, 0] + X[:, 1] / 10 > 0, "yes", "no")
    return X, y


def small(**kw):
    kw.setdefault("hidden_layer_sizes", (16,))
    kw.setdefault("max_iter", 30)
    kw.setdefault("random_state", 0)
    kw.setdefault("learning_rate_init", 0.01)
    return myelin.MLPClassifier(**kw)


def test_constructor_stores_arguments_as_given():
    hl = [8, 4]
    clf = myelin.MLPClassifier(hidden_layer_sizes=hl, alpha=0.5, batch_size="auto", random_state=None)
    assert clf.hidden_layer_sizes is hl and clf.alpha == 0.5
    p = clf.get_params()
    assert p["hidden_layer_sizes"] is hl and "max_iter" in p and "self" not in p
    assert clf.set_params(max_iter=3, solver="sgd") is clf and clf.max_iter == 3 and clf.solver == "sgd"
    with pytest.raises(ValueError, match="Invalid parameter"):
        clf.set_params(max_iters=3)
    assert "max_iter=3" in repr(clf) and "alpha=0.5" in repr(clf)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "net_")
    with pytest.raises(AttributeError, match="not fitted"):
        clf.predict(np.zeros((1, 4)))


def test_classifier_fit_predict_score():
    X, y = data()
    X = (X / X.std(0)).astype(np.float32)
    clf = small()
    assert clf.fit(X, y) is clf
    assert list(clf.classes_) == ["no", "yes"] and clf.n_features_in_ == 4
    assert clf.n_iter_ == len(clf.loss_curve_) <= 30 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    p = clf.predict_proba(X)
    assert p.shape == (300, 2) and np.allclose(p.sum(1), 1, atol=1e-6)
    assert set(clf.predict(X)) <= {"yes", "no"} and clf.score(X, y) > 0.9
    assert (clf.classes_[p.argmax(1)] == clf.predict(X)).all()
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="2 classes"):
        small().fit(X, ["a"] * 300)
    with pytest.raises(ValueError, match="NaN"):
        small().fit(X, np.full(300, np.nan))
    # same random_state, same model; pickling keeps the net
    again = small().fit(X, y)
    assert (again.predict_proba(X) == p).all()
    assert (pickle.loads(pickle.dumps(clf)).predict_proba(X) == p).all()


def test_multiclass_integer_labels_and_partial_fit():
    r = np.random.default_rng(2)
    y = r.choice([3, 7, 11], 400)
    X = (np.eye(12)[y][:, [3, 7, 11]] * 3 + r.standard_normal((400, 3))).astype(np.float32)
    clf = small(solver="sgd", learning_rate_init=0.05, batch_size=20)
    for rep in range(10):
        for i in range(0, 400, 100):
            clf.partial_fit(X[i:i + 100], y[i:i + 100], classes=[3, 7, 11])
    assert list(clf.classes_) == [3, 7, 11] and len(clf.loss_curve_) == 40
    assert clf.predict_proba(X).shape == (400, 3) and clf.score(X, y) > 0.8
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:2], [3, 5])
    with pytest.raises(ValueError, match="classes="):
        small().partial_fit(X[:10], np.full(10, 3))


def test_early_stopping_and_warm_start():
    X, y = data(400)
    X = (X / X.std(0)).astype(np.float32)
    clf = small(max_iter=500, tol=0.5, n_iter_no_change=2)
    clf.fit(X, y)
    assert clf.n_iter_ < 500  # no improvement of 0.5 for 2 epochs: stopped
    es = small(max_iter=40, early_stopping=True, validation_fraction=0.2)
    es.fit(X, y)
    assert len(es.validation_scores_) == es.n_iter_ and 0 < es.validation_scores_[-1] <= 1
    ws = small(max_iter=5, warm_start=True).fit(X, y)
    first = ws.net_
    ws.fit(X, y)
    assert ws.net_ is first and len(ws.loss_curve_) == 10


def test_regressor():
    r = np.random.default_rng(3)
    X = r.standard_normal((400, 3)).astype(np.float32)
    t = X @ [1.0, -2.0, 0.5]
    reg = myelin.MLPRegressor(hidden_layer_sizes=(32,), max_iter=100, random_state=0, learning_rate_init=0.01)
    assert reg.fit(X, t) is reg and reg.n_features_in_ == 3
    assert reg.predict(X).shape == (400,) and reg.score(X, t) > 0.95
    two = myelin.MLPRegressor(hidden_layer_sizes=(16,), max_iter=50, random_state=0).fit(X, np.stack([t, -t], 1))
    assert two.predict(X).shape == (400, 2)
    pf = myelin.MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
    pf.partial_fit(X, t).partial_fit(X, t)
    assert len(pf.loss_curve_) == 2
    with pytest.raises(ValueError, match="NaN"):
        myelin.MLPRegressor().fit(X, t * np.nan)


def test_in_sklearn_pipeline_and_cross_validation():
    sk = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier, is_regressor
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X, y = data(300)
    clf = small()
    assert is_classifier(clf) and is_regressor(myelin.MLPRegressor())
    c2 = clone(clf)
    assert c2 is not clf and c2.get_params() == clf.get_params()
    pipe = make_pipeline(StandardScaler(), small())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert len(scores) == 3 and scores.min() > 0.85, scores
    gs = GridSearchCV(make_pipeline(StandardScaler(), small(max_iter=10)),
                      {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=2).fit(X, y)
    assert gs.best_params_["mlpclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    assert sk.__version__


def test_without_sklearn():
    """import myelin never imports scikit-learn, and the estimators work where it cannot be imported."""
    code = ("import sys; sys.modules['sklearn'] = None\n"  # any import of sklearn now fails
            "import numpy as np, myelin\n"
            "X = np.random.default_rng(0).standard_normal((100, 3)).astype(np.float32)\n"
            "y = (X[:, 0] > 0).astype(int)\n"
            "c = myelin.MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)\n"
            "print(c.score(X, y) > 0.8, [m for m in sys.modules if m.startswith('sklearn')])\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env_with_package())
    assert p.returncode == 0 and p.stdout.strip() == "True ['sklearn']", p.stdout + p.stderr
