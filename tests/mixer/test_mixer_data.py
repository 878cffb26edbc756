"""Generated data: reference integration, split disjointness, HDF5 round trip and bad files."""

import h5py
import numpy as np
import pytest

from hyperpino.errors import DataError, SpecError
from hyperpino.mixer import dataset
from hyperpino.mixer.suites import SuiteConfig, generate, integrate
from hyperpino.mixer.systems import LOTKA_VOLTERRA, ODEBENCH


@pytest.fixture(scope="module")
def small():
    cfg = SuiteConfig(suite="odebench10", envs_per_family=2, adapt_envs_per_family=2, n_train=3, n_test=3,
                      n_adapt_test=2, n_t=8, families=("ode24_harmonic", "ode39_glycolytic_2d"))
    return generate(cfg)


def test_harmonic_oscillator_matches_closed_form():
    s = ODEBENCH["ode24_harmonic"]
    t = np.linspace(0, s.T, 30)
    c, y0 = np.array([2.3]), np.array([0.4, -0.7])
    w = np.sqrt(c[0])
    exact = y0[0] * np.cos(w * t) + y0[1] / w * np.sin(w * t)
    y = integrate(s, c, y0, t)
    np.testing.assert_allclose(y[:, 0], exact, atol=1e-8)


def test_lotka_volterra_conserves_its_invariant():
    # V = δx − γ ln x + βy − α ln y is constant along exact trajectories.
    c = np.array([0.5, 0.75, 0.5, 1.0])
    y = integrate(LOTKA_VOLTERRA, c, np.array([1.5, 1.2]), np.linspace(0, 10, 40))
    v = c[3] * y[:, 0] - c[2] * np.log(y[:, 0]) + c[1] * y[:, 1] - c[0] * np.log(y[:, 1])
    assert np.ptp(v) < 1e-8


def test_generated_trajectories_match_an_independent_integration(small):
    from scipy.integrate import solve_ivp

    tr = small["train"]
    s = ODEBENCH["ode39_glycolytic_2d"]
    e = int(np.flatnonzero(tr.family == 1)[0])
    p = tr.params[e][~np.isnan(tr.params[e])]
    ref = solve_ivp(s.rhs, (0, tr.t[e, -1]), tr.X[e, 0, 0], method="Radau", t_eval=tr.t[e], rtol=1e-11,
                    atol=1e-12, args=(p,))
    np.testing.assert_allclose(tr.X[e, 0], ref.y.T, atol=1e-7)


def test_splits_are_disjoint(small):
    tr, te, ad, at = (small[k] for k in ("train", "test", "adapt", "adapt_test"))
    np.testing.assert_array_equal(tr.env_id, te.env_id)
    np.testing.assert_array_equal(ad.env_id, at.env_id)
    assert not set(tr.env_id) & set(ad.env_id)
    train_params = {tuple(np.round(p, 8)) for p in tr.params}
    assert len(train_params) == tr.n_envs  # no duplicate environments
    assert not train_params & {tuple(np.round(p, 8)) for p in ad.params}
    for a, b in ((tr, te), (ad, at)):  # no initial condition (hence trajectory) shared
        ics_a = {tuple(np.round(x, 10)) for x in a.X[:, :, 0].reshape(-1, a.X.shape[-1])}
        ics_b = {tuple(np.round(x, 10)) for x in b.X[:, :, 0].reshape(-1, b.X.shape[-1])}
        assert not ics_a & ics_b


def test_other_suites_have_their_grids():
    ds = generate(SuiteConfig(suite="lv", n_train=1, n_test=1, n_adapt_test=1, n_t=4))
    assert ds["train"].n_envs == 9 and ds["adapt"].n_envs == 4
    assert sorted(set(ds["train"].family)) == [0, 1, 2]


def test_hdf5_round_trip(small, tmp_path):
    path = tmp_path / "d.h5"
    dataset.save(small, path)
    back = dataset.load(path)
    assert back.families == small.families
    assert set(back.splits) == set(small.splits)
    for k in small.splits:
        np.testing.assert_allclose(back[k].X, small[k].X, rtol=1e-6)
        np.testing.assert_array_equal(back[k].env_id, small[k].env_id)


def _write(path, **arrays):
    with h5py.File(path, "w") as f:
        g = f.create_group("train")
        for k, v in arrays.items():
            g.create_dataset(k, data=v)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"X": np.zeros((2, 3, 4)), "t": np.zeros((2, 3))}, "expected shape (E, N, T, d)"),
        ({"X": np.full((1, 1, 3, 2), np.nan), "t": np.array([[0.0, 1, 2]])}, "NaN"),
        ({"X": np.zeros((1, 1, 3, 2)), "t": np.array([[0.0, 2, 1]])}, "strictly increasing"),
        ({"X": np.zeros((2, 1, 3, 2)), "t": np.array([[0.0, 1, 2], [0, 1, 5]])}, "rescaling"),
        ({"X": np.zeros((1, 1, 3, 2))}, "missing dataset 't'"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, arrays, message):
    path = tmp_path / "bad.h5"
    _write(path, **arrays)
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        dataset.load(path)
    assert "\n" not in str(err.value)


def test_missing_and_non_hdf5_files(tmp_path):
    with pytest.raises(DataError, match="no such data file"):
        dataset.load(tmp_path / "nope.h5")
    (tmp_path / "x.h5").write_text("hello")
    with pytest.raises(DataError, match="not a readable HDF5 file"):
        dataset.load(tmp_path / "x.h5")
