"""``hyperpino mms stats``: the statistics on known problems, the table/JSON output, exit codes."""

import json
import math

import numpy as np
import torch

from hyperpino.cli import main
from hyperpino.mms import MMSConfig
from hyperpino.mms.stats import FEATURES, Distribution, benchmark_paths, example_features, features

HELMHOLTZ = benchmark_paths()[1]


def test_helmholtz_statistics_are_those_of_its_formula():
    f = example_features(HELMHOLTZ, grid=64)
    assert f["zeroth"] == 1.0 and f["first"] == 0.0 and f["aniso"] == 1.0
    # u = sin(πx)sin(4πy), f = (1 − 17π²)u, zero boundary data: size 1/(17π² − 1), frequency √17·π.
    assert abs(f["size"] - 1 / (17 * math.pi**2 - 1)) < 2e-4
    assert abs(f["freq"] - math.sqrt(17) * math.pi) < math.pi / 4
    assert f["source_share"] == 1.0


def test_features_of_a_pure_boundary_problem():
    g = 16
    img = torch.zeros(1, 10, g, g, dtype=torch.float64)
    from hyperpino.model.channels import CHANNELS

    img[0, CHANNELS.index("domain")] = 1
    img[0, CHANNELS.index("dirichlet_value"), 0] = 2.0
    coeffs = torch.tensor([[0.0, 0, 0, -2.0, -0.5, 0]])
    f = features(img, coeffs, torch.full((1, g, g), 2.0))
    assert f["source_share"][0] == 0 and f["size"][0] == 1.0 and f["aniso"][0] == 0.25
    assert f["second"][0] == 1.0 and f["freq"][0] == 0.0


def test_percentiles_count_ties_half():
    d = Distribution({k: np.array([0.0, 1.0, 2.0, 3.0]) for k in FEATURES}, 1.0)
    assert d.percentile("size", 1.0) == 37.5 and d.percentile("size", 5.0) == 100.0
    assert math.isnan(d.percentile("size", math.nan))


def test_stats_cli_table_and_json(capsys, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[mms]\nbubble_fraction = 0.5\n")
    rc = main(["mms", "stats", "--n", "12", "--grid", "32", "--no-benchmarks", "--config", str(cfg), "--json",
               str(HELMHOLTZ), str(benchmark_paths()[3]), "--no-reference"])
    assert rc == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[1].split()[:2] == ["problem", "zeroth"] and out[3].startswith("helmholtz")
    rep = json.loads(out[-1])
    assert rep["n"] == 12 and set(rep["examples"]) == {"helmholtz", "poisson_C"}
    assert 0 <= rep["zero_data"] <= 1
    assert rep["examples"]["poisson_C"]["size"] == {"value": None, "percentile": None}  # no exact u
    assert 0 <= rep["examples"]["helmholtz"]["freq"]["percentile"] <= 100
    assert set(rep["train"]) == set(FEATURES)


def test_stats_cli_bad_input_exits_2(capsys, tmp_path):
    assert main(["mms", "stats", "--n", "4", "--no-benchmarks", str(tmp_path / "missing.toml")]) == 2
    assert "no such file" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[operator]\nexpr = "uxx +"\n')
    assert main(["mms", "stats", "--n", "4", "--no-benchmarks", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1
    assert main(["mms", "stats", "--n", "0"]) == 2


def test_default_config_covers_the_small_benchmark_solutions():
    from hyperpino.mms.stats import training_distribution

    d = training_distribution(MMSConfig(), 160, seed=2, grid=32)
    assert d.acceptance > 0.8
    assert np.nanmin(d.values["size"]) < 0.01  # helmholtz's normalised solution is 0.006
    assert np.nanmax(d.values["freq"]) > 10
