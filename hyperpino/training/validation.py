"""Validation of a HyPINO model: zero-shot error on bundled examples and on held-out generated problems.

The reference HyPINO selects its "best" checkpoint by training loss (Bischof et al. 2025, §3.3
and §7 of the brief); here the best checkpoint is the one with the lowest geometric mean of the
zero-shot relative L2 errors on the benchmark examples. Their reference solutions ship with the
package (:data:`REFERENCES`, a few hundred kB: canonical evaluation points and FEM values), so
validating needs neither gmsh nor scikit-fem; an example whose spec changed since the file was
written is solved again by the FEM solver (cached on disk). A second figure, the median relative
L2 error of u on a fixed set of held-out manufactured problems (seed :data:`HELDOUT_SEED`, never
drawn in training), measures the training distribution itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from hyperpino.model.inputs import Inputs, problem_inputs
from hyperpino.model.output_layer import Rows, problem_rows, solve_output_layer
from hyperpino.pde.metrics import rel_l2

REFERENCES = Path(__file__).resolve().parent / "validation_refs.h5"
"""Shipped reference values of the benchmark examples (``tools/make_validation_refs.py``)."""
HELDOUT_SEED = 987_654_321
"""Generator seed of the held-out problems (training runs use small seeds)."""


@dataclass
class _Case:
    name: str
    inputs: Inputs
    points: Tensor  # canonical points of the masked evaluation grid (P, 2)
    ref: np.ndarray  # reference values there (P,)
    rows: Rows  # collocation rows for the least-squares output layer (B = 1)


def _examples_dir() -> Path:
    from hyperpino.examples import examples_dir

    return examples_dir()


def reference_points(name: str, max_points: int = 4096) -> tuple[str, np.ndarray, np.ndarray]:
    """``(spec digest, canonical points (P, 2), reference values (P,))`` of example ``name`` from
    the FEM reference (at most ``max_points`` of its grid, evenly strided)."""
    from hyperpino.pde.problem import build_problem
    from hyperpino.pde.reference import reference_solution
    from hyperpino.pde.spec_io import spec_digest

    problem = build_problem(_examples_dir() / f"{name}.toml")
    ref = reference_solution(problem)
    xx, yy = np.meshgrid(ref.x, ref.y)
    user = np.stack([xx[ref.mask], yy[ref.mask]], -1)
    keep = np.linspace(0, len(user) - 1, min(max_points, len(user))).astype(int)
    pts = problem.map.to_canonical(torch.from_numpy(user[keep])).numpy()
    return spec_digest(problem.spec), pts.astype(np.float32), ref.u[ref.mask][keep].astype(np.float64)


def write_references(path: str | Path, names: tuple[str, ...], max_points: int = 4096) -> None:
    """Write the reference values of the examples ``names`` to the HDF5 file ``path`` (atomically)."""
    import h5py

    from hyperpino.files import write_atomic

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            for name in names:
                digest, pts, values = reference_points(name, max_points)
                g = f.create_group(name)
                g.attrs["spec_digest"] = digest
                g.create_dataset("points", data=pts, compression="gzip")
                g.create_dataset("values", data=values, compression="gzip")

    write_atomic(path, write)


def _shipped(name: str, digest: str, path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """Points and values of ``name`` from the shipped file, if it holds them for this spec."""
    import h5py

    if not path.is_file():
        return None
    try:
        with h5py.File(path, "r") as f:
            if name not in f or f[name].attrs.get("spec_digest") != digest:
                return None
            return f[name]["points"][()], f[name]["values"][()]
    except OSError:  # damaged file: fall back to the solver
        return None


class Validator:
    """``validator(model) -> {name: rel_l2, ..., "mean", "gmean", "heldout_median", ...}``.

    ``names``: bundled examples (relative L2 against their references); ``heldout``: number of
    held-out manufactured problems (median relative L2 of u at their interior points; 0: none).
    Problems are rasterised once on the model's grid. The figures are those of the zero-shot
    answer users get (output layer solved by least squares, :mod:`hyperpino.model.output_layer`);
    ``…_raw`` keys hold the generated output layer's (the published HyPINO's answer). Each example
    is posed in the frame ``solve`` gives the model (:mod:`hyperpino.pde.frame`; wave's is wider than
    its box); the reference points, canonical in the box's frame as stored, are mapped into it.
    """

    def __init__(self, names: tuple[str, ...], grid: int, *, max_points: int = 4096, heldout: int = 0,
                 references: Path | None = REFERENCES):
        from hyperpino.pde.frame import model_frame
        from hyperpino.pde.problem import build_problem
        from hyperpino.pde.spec_io import spec_digest

        self.cases: list[_Case] = []
        for name in names:
            problem = build_problem(_examples_dir() / f"{name}.toml")
            found = _shipped(name, spec_digest(problem.spec), references) if references else None
            if found is None:
                _, pts, ref = reference_points(name, max_points)
            else:
                pts, ref = found
            framed = model_frame(problem)
            pts = framed.map.to_canonical(problem.map.to_user(torch.from_numpy(pts).double())).float()
            self.cases.append(_Case(name, problem_inputs(framed, grid), pts, ref, problem_rows(framed)))
        self.heldout = heldout_problems(heldout, grid) if heldout else None

    @torch.no_grad()
    def __call__(self, model) -> dict[str, float]:
        device = next(model.parameters()).device
        was_training = model.training
        model.train(False)
        try:
            out = self._examples(model, device) if self.cases else {}
            if self.heldout is not None:
                for suffix, errs in zip(("_raw", ""), self._heldout(model, device), strict=True):
                    out["heldout_median" + suffix] = float(np.median(errs))
                    if not suffix:
                        q25, q75 = np.quantile(errs, [0.25, 0.75])
                        out["heldout_q25"], out["heldout_q75"] = float(q25), float(q75)
        finally:
            model.train(was_training)
        return out

    def _examples(self, model, device) -> dict[str, float]:
        inputs = Inputs.cat([c.inputs for c in self.cases]).to(device)
        raw, scale = model.predict(inputs)
        rows = Rows.stack([c.rows for c in self.cases])
        rows = Rows(*(t.to(device) for t in vars(rows).values()))
        solved = solve_output_layer(model.target, raw, scale, rows)
        out = {}
        for suffix, theta in (("_raw", raw), ("", solved)):
            for i, case in enumerate(self.cases):
                one = {k: v[i : i + 1].float() for k, v in theta.items()}
                u = model.target(one, case.points.to(device))[0, :, 0] * scale[i]
                out[case.name + suffix] = float(rel_l2(u.double().cpu().numpy(), case.ref))
            errs = np.array([out[c.name + suffix] for c in self.cases])
            out["mean" + suffix] = float(np.mean(errs))
            # Selection uses the geometric mean: one problem's error of 40 must not outweigh the rest.
            out["gmean" + suffix] = float(np.exp(np.mean(np.log(np.maximum(errs, 1e-12)))))
        return out

    def _heldout(self, model, device) -> tuple[np.ndarray, np.ndarray]:
        """Relative L2 errors ``(B,)`` of the generated and of the solved output layer."""
        inputs, rows, exact = self.heldout
        raw, scale = model.predict(inputs.to(device))
        rows = Rows(*(t.to(device) for t in vars(rows).values()))
        solved = solve_output_layer(model.target, raw, scale, rows)
        errs = []
        for theta in (raw, solved):
            u = model.target({k: v.float() for k, v in theta.items()}, rows.interior)[..., 0]
            u = (u * scale[:, None]).double().cpu()
            errs.append((torch.linalg.vector_norm(u - exact, dim=1)
                         / torch.linalg.vector_norm(exact, dim=1).clamp_min(1e-12)).numpy())
        return errs[0], errs[1]


def heldout_problems(n: int, grid: int, *, n_points: int = 512) -> tuple[Inputs, Rows, Tensor]:
    """``(inputs, rows, exact u (n, P))`` of ``n`` labelled manufactured problems from the default
    generator config with seed :data:`HELDOUT_SEED` (deterministic); u is known at the rows'
    ``P = n_points`` interior points."""
    from hyperpino.mms import MMSGenerator
    from hyperpino.mms.config import config_from_mapping
    from hyperpino.training.batch import TrainBatch

    cfg = config_from_mapping({"grid": grid, "physics_fraction": 0.0, "n_interior": n_points,
                               "n_boundary": n_points // 2}, where="heldout")
    b = TrainBatch.from_mms(MMSGenerator(cfg, HELDOUT_SEED).generate(range(n)), cfg.band_px)
    rows = Rows(b.interior, b.inputs.coeffs, b.source, b.boundary, b.a, b.b, b.g, b.direction)
    return b.inputs, rows, b.labels[..., 0].double()
