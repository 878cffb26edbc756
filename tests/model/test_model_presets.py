import pytest

from hyperpino.errors import SpecError
from hyperpino.model import PRESETS, HyPINO, HyPINOConfig


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_small_preset_is_under_ten_million_parameters():
    model = HyPINO.from_preset("small")
    n = n_params(model)
    print(f"small: {n:,} parameters")
    assert n <= 10_000_000
    assert model.config.grid == 64


def test_paper_preset_matches_the_reference_size():
    model = HyPINO.from_preset("paper")
    n = n_params(model)
    print(f"paper: {n:,} parameters")
    assert 70_000_000 <= n <= 85_000_000  # reference: 77.31M incl. an unused patch embedding
    c = model.config
    assert (c.grid, c.embed_dim, c.depths, c.num_heads, c.window, c.mlp_ratio) == (
        224, 128, (2, 2, 10, 2), (4, 8, 8, 16), 7, 2.0
    )
    assert c.stage_resolutions == (56, 28, 14, 7)
    # the reference's head widths: 1408 for 22×32 weights, 1920 for 32×32, 64 for vectors, 32 for b_out
    assert [c.head_hidden(n) for n in (704, 1024, 32, 1)] == [1408, 1920, 64, 32]


def test_target_is_the_5409_parameter_pinn():
    assert HyPINO.from_preset("small").spec.numel == 5409


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_config_dict_round_trip(name):
    config = HyPINOConfig.preset(name)
    assert HyPINOConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"grid": 60}, "HyPINOConfig.grid"),
        ({"num_heads": (2, 4)}, "HyPINOConfig.num_heads"),
        ({"num_heads": (5, 4, 8, 16)}, "HyPINOConfig.num_heads[0]"),
        ({"depths": ()}, "HyPINOConfig.depths"),
        ({"embed_dim": 0}, "HyPINOConfig.embed_dim"),
    ],
)
def test_bad_config_names_the_field(overrides, field):
    with pytest.raises(SpecError) as err:
        HyPINOConfig.preset("small", **overrides)
    assert str(err.value).startswith(field)


def test_unknown_preset():
    with pytest.raises(SpecError, match="unknown 'huge'"):
        HyPINO.from_preset("huge")
