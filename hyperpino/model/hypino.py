"""HyPINO: a rasterised linear PDE problem -> the weights of a PINN that solves it, in one pass.

Bischof et al. 2025, "HyPINO: Multi-Physics Neural Operators via HyperPINNs and the Method of
Manufactured Solutions" (arXiv 2509.05117). Encoder: convolutional stems, Swin stages (Liu et al.
2021) with FiLM conditioning (Perez et al. 2018). Decoder: attention pooling to one token per
target tensor and per-tensor heads, θ = θ0 + Δθ. Target: :class:`~hyperpino.pinn.network.ModifiedMLP`.

Example::

    model = HyPINO.from_preset("small")
    theta = model(images, coeffs)        # (B, 10, 64, 64), (B, 6) -> name -> (B, *shape)
    u = model.target(theta, points)      # points (N, 2) or (B, N, 2) -> (B, N, 1)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from hyperpino.errors import CheckpointError, HyperpinoError, SpecError
from hyperpino.hypernet import ParamSpec, ResidualBase
from hyperpino.model import checkpoint as ckpt
from hyperpino.model.channels import CHANNELS
from hyperpino.model.decoder import Decoder
from hyperpino.model.encoder import Encoder
from hyperpino.model.inputs import Inputs, normalise
from hyperpino.model.presets import HyPINOConfig
from hyperpino.model.target import TargetPINN
from hyperpino.pde.terms import N_TERMS

BUNDLED = Path(__file__).resolve().parent / "weights" / "hypino-small.safetensors"
"""The bundled pretrained checkpoint (``small`` preset), shipped inside the package."""


def _stored_config(path: str | Path, meta: dict[str, Any]) -> HyPINOConfig:
    """The config a checkpoint's metadata describes: sizes bounded, fields valid, preset label
    consistent (:class:`CheckpointError` naming the file otherwise). Builds nothing."""
    ckpt.check_config_bounds(path, meta["config"])
    try:
        stored = HyPINOConfig.from_dict(meta["config"])
    except (SpecError, TypeError, ValueError) as err:
        msg = " ".join(str(err).split())[:200]
        raise CheckpointError(f"{path}: stored config is not valid: {msg}") from None
    ckpt.check_preset(path, meta["preset"], stored)
    return stored


class HyPINO(nn.Module):
    """``forward(images (B, 10, G, G), coeffs (B, 6)) -> θ: name -> (B, *shape)``.

    ``images``: the channels of :data:`~hyperpino.pde.collocation.CHANNELS` on the canonical square
    (``rasterize_problem``), ``G = config.grid``; ``coeffs``: operator coefficients in ``TERMS``
    order. θ is over :attr:`spec`, the parameters of the target :class:`TargetPINN`.
    """

    def __init__(self, config: HyPINOConfig | None = None, *, preset: str | None = None):
        super().__init__()
        self.config = config = config if config is not None else HyPINOConfig()
        self.preset = preset
        self.target = TargetPINN(config.pinn)
        self.encoder = Encoder(config)
        # θ0 starts as a freshly initialised target PINN (Glorot weights, zero biases), by default
        # with its output layer zeroed (HyPINOConfig.zero_output).
        fresh = self.target.fresh()
        if config.zero_output:
            with torch.no_grad():
                fresh.out.weight.zero_()
                fresh.out.bias.zero_()
        self.decoder = Decoder(config, self.target.spec, ResidualBase.from_module(fresh))

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> HyPINO:
        """A new model with the architecture of preset ``name`` (``small``, ``paper``), with
        optional :class:`HyPINOConfig` field overrides. Overrides that change a tensor's shape
        make a custom architecture: its ``preset`` label is then None (checkpoints check labels)."""
        config = HyPINOConfig.preset(name, **overrides)
        return cls(config, preset=None if ckpt.preset_differences(name, config) else name)

    @property
    def spec(self) -> ParamSpec:
        return self.target.spec

    @property
    def base(self) -> ResidualBase:
        """θ0, the residual base (``base()`` gives ``name -> (1, *shape)``)."""
        base = self.decoder.hypernet.base
        assert base is not None
        return base

    # ---------------------------------------------------------------------------------- forward
    def check_inputs(self, images: Tensor, coeffs: Tensor) -> None:
        """Raise :class:`HyperpinoError` naming the input whose shape or values are wrong."""
        g, c = self.config.grid, len(CHANNELS)
        if not isinstance(images, Tensor) or images.ndim != 4 or tuple(images.shape[1:]) != (c, g, g):
            got = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
            raise HyperpinoError(f"images: expected shape (B, {c}, {g}, {g}) for this model "
                                 f"(grid {g}), got {got}")
        if not isinstance(coeffs, Tensor) or coeffs.ndim != 2 or coeffs.shape[1] != N_TERMS:
            got = tuple(coeffs.shape) if isinstance(coeffs, Tensor) else type(coeffs).__name__
            raise HyperpinoError(f"coeffs: expected shape (B, {N_TERMS}), got {got}")
        if images.shape[0] != coeffs.shape[0] or images.shape[0] == 0:
            raise HyperpinoError(f"images and coeffs: need the same batch size B >= 1, got "
                                 f"{images.shape[0]} and {coeffs.shape[0]}")
        for name, x in (("images", images), ("coeffs", coeffs)):
            if not x.is_floating_point() or not bool(torch.isfinite(x).all()):
                raise HyperpinoError(f"{name}: expected finite floating-point values")

    def tokens(self, images: Tensor, coeffs: Tensor, *, check: bool = True) -> Tensor:
        """The decoder's per-tensor tokens ``(B, T, config.token_dim)``. ``check=False`` skips
        :meth:`check_inputs` (the trainer's own data; the check reads values back from a GPU)."""
        if check:
            self.check_inputs(images, coeffs)
        return self.decoder.tokens(self.encoder(images, coeffs))

    def delta(self, images: Tensor, coeffs: Tensor) -> dict[str, Tensor]:
        """Δθ alone: ``name -> (B, *shape)``."""
        return self.decoder.hypernet.delta(self.tokens(images, coeffs))

    def forward(self, images: Tensor, coeffs: Tensor, *, check: bool = True) -> dict[str, Tensor]:
        return self.decoder.hypernet(self.tokens(images, coeffs, check=check))

    def predict(self, inputs: Inputs, *, check: bool = True) -> tuple[dict[str, Tensor], Tensor]:
        """θ and the output scale of B problems: the solution is ``u(X) = scale[b] ·
        target(θ, X)[b]`` at canonical points X. ``inputs`` are raw (:func:`problem_inputs`);
        they are normalised here (:func:`~hyperpino.model.inputs.normalise`), as in training."""
        images, coeffs, scale = normalise(inputs.images, inputs.coeffs)
        return self(images, coeffs, check=check), scale

    # ------------------------------------------------------------------------------ checkpoints
    def save(self, path: str | Path, provenance: dict[str, Any] | None = None) -> None:
        """Write weights and metadata (config, preset, version, ``provenance``) to ``path``."""
        ckpt.write_checkpoint(path, self.state_dict(), config=self.config.to_dict(), preset=self.preset,
                              provenance=provenance)

    def load_weights(self, path: str | Path) -> None:
        """Load ``path``'s weights into this model; every key and shape must match exactly, the
        dtypes be those the metadata declares and every value be finite."""
        meta = ckpt.read_metadata(path)
        _stored_config(path, meta)
        expected = {k: tuple(v.shape) for k, v in self.state_dict().items()}
        self.load_state_dict(ckpt.read_tensors(path, expected, meta=meta), strict=True)

    @classmethod
    def load(cls, path: str | Path, *, expect: str | HyPINOConfig | None = None) -> HyPINO:
        """The model stored at ``path`` (architecture from its metadata), or, with ``expect`` (a
        preset name or config), a model of that architecture that the file must fit exactly.
        Raises :class:`CheckpointError` naming the missing, unexpected or mis-shaped keys, a size
        in the metadata beyond :data:`~hyperpino.model.checkpoint.LIMITS`, a preset label that
        does not match the stored config, a dtype other than the declared one or a non-finite
        value. Everything but the last is checked from the header, before any allocation."""
        meta = ckpt.read_metadata(path)
        stored = _stored_config(path, meta)
        if expect is None:
            config, preset = stored, meta["preset"]
        elif isinstance(expect, str):
            config, preset = HyPINOConfig.preset(expect), expect
        else:
            config, preset = expect, None
        # The expected shapes from a model on the meta device (no memory), checked against the header.
        with torch.device("meta"):
            expected = {k: tuple(v.shape) for k, v in cls(config).state_dict().items()}
        tensors = ckpt.read_tensors(path, expected, meta=meta)
        model = cls(config, preset=preset)
        model.load_state_dict(tensors, strict=True)
        return model

    @classmethod
    def pretrained(cls, path: str | Path | None = None, *, device: str | torch.device = "cpu") -> HyPINO:
        """The bundled pretrained model (:data:`BUNDLED`, see ``MODEL_CARD.md``), or the checkpoint
        at ``path``, in inference mode on ``device``. Nothing is downloaded; a missing file raises
        :class:`CheckpointError` naming the path."""
        path = BUNDLED if path is None else Path(path)
        if not path.is_file():
            hint = (" (the bundled weights are not in this checkout: train a model with `hyperpino train` "
                    "and copy it there, or pass another checkpoint)") if path == BUNDLED else ""
            raise CheckpointError(f"{path}: no such checkpoint{hint}")
        return cls.load(path).to(device).train(False)

    # --------------------------------------------------------------------------- solve pipeline
    # Thin wrappers: the pipeline lives in hyperpino.solver (imported here lazily, since it imports
    # this module).
