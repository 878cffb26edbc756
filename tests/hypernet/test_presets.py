"""One preset picker for every configuration with named presets."""

import dataclasses

import pytest

from hyperpino.errors import SpecError
from hyperpino.hypernet import HyperNetConfig
from hyperpino.hypernet.presets import pick_preset
from hyperpino.model.presets import HyPINOConfig


@pytest.mark.parametrize("cls, name, field, value", [(HyperNetConfig, "hnet", "chunk_size", 100),
                                                    (HyPINOConfig, "small", "grid", 32)])
def test_preset_with_override(cls, name, field, value):
    base = cls.preset(name)
    changed = cls.preset(name, **{field: value})
    assert getattr(changed, field) == value != getattr(base, field)
    assert dataclasses.replace(changed, **{field: getattr(base, field)}) == base


@pytest.mark.parametrize("cls", [HyperNetConfig, HyPINOConfig])
def test_unknown_name_and_field_are_one_line_errors(cls):
    with pytest.raises(SpecError, match=r"^preset: unknown 'nope' \(known: "):
        cls.preset("nope")
    name = next(iter(cls.preset.__globals__["PRESETS"]))
    with pytest.raises(SpecError, match=r"^no_such_field: not a field of "):
        cls.preset(name, no_such_field=1)


def test_pick_preset_runs_validation_again():
    @dataclasses.dataclass(frozen=True)
    class Cfg:
        width: int = 1

        def __post_init__(self):
            if self.width < 1:
                raise SpecError("width", "must be >= 1")

    assert pick_preset({"a": Cfg()}, "a", width=3) == Cfg(3)
    with pytest.raises(SpecError, match="width: must be >= 1"):
        pick_preset({"a": Cfg()}, "a", width=0)
