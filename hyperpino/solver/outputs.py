"""Files of a solve: an HDF5 file with everything, a PNG figure to look at, and the PINN.

:func:`save_result` writes all three; a :class:`SolveResult` itself is plain data.

HDF5 layout (written to a temporary file and renamed into place, like every hyperpino file):

* ``x (n,)``, ``y (n,)`` (descending), ``mask (n, n)``, ``u (n, n)`` and ``residual (n, n)``
  (``L u − f``; NaN outside the domain), gzip-compressed;
* ``reference/u`` and ``error`` (``u − u_ref``) when a reference exists, with its method as attributes;
* ``boundary/<bcs[i]>``: attributes ``type``, ``pieces``, ``rms``, ``max`` of each condition's residual;
* ``history/<column>`` one entry per :class:`~hyperpino.pinn.history.Step` (``stage`` and ``phase`` as
  strings; NaN where a step lacks a value) and the full history as JSON in the group's ``json``
  attribute;
* ``stopped``: one attribute per phase that ran (``refine``, ``finetune``, ``scratch``) with the
  :class:`~hyperpino.pinn.history.StopReason`'s code, and ``<phase>_message`` with its message;
* ``pinn/<parameter> (K, *shape)``, ``pinn/weights (K,)``, attributes ``box`` (the frame the PINN
  maps onto [-1, 1]², :mod:`hyperpino.pde.frame`; the spec's box where that is balanced) and
  ``pinn_config`` (the same content as the exported safetensors);
* root attributes: ``name``, ``spec`` (canonical JSON), ``summary`` (JSON), ``package_version``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import h5py
import numpy as np

from hyperpino.files import write_atomic
from hyperpino.pinn.history import COLUMNS, Step
from hyperpino.solver.result import SolveResult


def save_result(result: SolveResult, out_dir: str | Path, *, figure: bool = True) -> dict[str, str]:
    """Write ``NAME.h5``, ``NAME.png`` (unless ``figure=False``) and ``NAME_pinn.safetensors``
    into ``out_dir``; returns their paths (also recorded in ``result.files``)."""
    from hyperpino.pde.spec_io import spec_json
    from hyperpino.solver.export import save_pinn

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.files["pinn"] = str(save_pinn(result.ensemble, out / f"{result.name}_pinn.safetensors",
                                         name=result.name, spec_json=spec_json(result.problem.spec)))
    result.files["hdf5"] = str(write_hdf5(result, out / f"{result.name}.h5"))
    if figure:
        result.files["png"] = str(plot_result(result, out / f"{result.name}.png"))
    return dict(result.files)


def write_hdf5(result: SolveResult, path: str | Path) -> Path:
    """Write ``result`` to ``path`` atomically; returns the path."""
    from hyperpino.model.checkpoint import package_version
    from hyperpino.pde.spec_io import spec_json

    gz = {"compression": "gzip", "chunks": True}

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs["name"] = result.name
            f.attrs["spec"] = spec_json(result.problem.spec)
            f.attrs["summary"] = json.dumps({k: v for k, v in result.to_dict().items() if k != "history"})
            f.attrs["package_version"] = package_version()
            f.create_dataset("x", data=result.x)
            f.create_dataset("y", data=result.y)
            f.create_dataset("mask", data=result.mask, **gz)
            f.create_dataset("u", data=result.u, **gz)
            f.create_dataset("residual", data=result.residual, **gz)
            ref = result.reference
            if ref is not None:
                g = f.create_group("reference")
                g.create_dataset("u", data=ref.u, **gz)
                for k, v in ref.summary().items():
                    g.attrs[k] = json.dumps(v) if v is None else v
                f.create_dataset("error", data=result.u - ref.u, **gz)
            g = f.create_group("boundary")
            for b in result.boundary:
                sub = g.create_group(b.key)
                sub.attrs["type"], sub.attrs["pieces"] = b.kind, list(b.pieces)
                sub.attrs["rms"], sub.attrs["max"] = b.rms, b.max
            g = f.create_group("stopped")
            for stage, reason in result.stopped.items():
                g.attrs[stage.value] = reason.code
                g.attrs[f"{stage.value}_message"] = reason.message
            _write_history(f.create_group("history"), result.history)
            g = f.create_group("pinn")
            theta, weights = result.ensemble.theta()
            for k, v in theta.items():
                g.create_dataset(k, data=v.detach().cpu().numpy())
            g.create_dataset("weights", data=weights.detach().cpu().numpy())
            g.attrs["box"] = json.dumps(result.ensemble.box)
            g.attrs["pinn_config"] = json.dumps(dataclasses.asdict(result.ensemble.config))

    return write_atomic(path, write)


def _write_history(g: h5py.Group, history: list[Step]) -> None:
    g.attrs["json"] = json.dumps([e.to_json() for e in history])
    for col in COLUMNS:
        values = [getattr(e, col) for e in history]
        if all(v is None for v in values):
            continue
        if col in ("stage", "phase"):
            g.create_dataset(col, data=np.array([v.value for v in values], dtype=h5py.string_dtype()))
        else:
            g.create_dataset(col, data=np.array([np.nan if v is None else float(v) for v in values]))


def plot_result(result: SolveResult, path: str | Path) -> Path:
    """A 2×2 figure: the solution, ``|L u − f|``, ``|u − u_ref|`` (or the reference's absence) and
    the history of residuals and errors per step. Written atomically; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    path = Path(path)
    (x0, x1), (y0, y1) = result.problem.spec.box
    extent = (x0, x1, y0, y1)  # row 0 is the top edge, as imshow draws it
    xn, yn = result.problem.coords
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))

    ratio = (y1 - y0) / (x1 - x0)
    aspect = "equal" if 1 / 3 <= ratio <= 3 else "auto"  # true shape unless it would be a sliver

    # The closed region of a CSG difference keeps zero-width slivers (box − corner keeps the edge
    # x = 1 above the corner); a 3×3 opening drops them from the pictures, not from the data.
    from scipy.ndimage import binary_opening

    shown = binary_opening(result.mask, structure=np.ones((3, 3), bool), border_value=0)

    def show(ax, data, title, **kw):
        data = np.where(shown, data, np.nan)
        im = ax.imshow(np.ma.masked_invalid(data), extent=extent, origin="upper", aspect=aspect, **kw)
        fig.colorbar(im, ax=ax, shrink=0.85)
        ax.set_title(title)
        ax.set_xlabel(xn)
        ax.set_ylabel(yn)

    show(axes[0, 0], result.u, f"{result.name}: solution u ({len(result.ensemble)} PINNs)", cmap="viridis")
    res = np.abs(result.residual)
    show(axes[0, 1], res, "|L u − f|", cmap="magma", norm=_lognorm(res, LogNorm))
    if result.reference is not None:
        err = np.abs(result.u - result.reference.u)
        e = result.errors or {}
        show(axes[1, 0], err, f"|u − u_ref| (rel L2 {e.get('rel_l2', float('nan')):.2e})", cmap="magma",
             norm=_lognorm(err, LogNorm))
    else:
        axes[1, 0].text(0.5, 0.5, "no reference solution", ha="center", va="center")
        axes[1, 0].set_axis_off()
    ax = axes[1, 1]
    # Against solve time on a log axis: zero-shot and refinement take fractions of a second,
    # fine-tuning minutes; a step index would hide that difference.
    t = np.array([max(e.time, 1e-3) for e in result.history])
    # the two relative residuals that --tol-residual stops on, and the error where a reference exists
    for key, label in (("residual", "PDE residual (relative)"),
                       ("bc_residual", "boundary residual (relative)"), ("rel_l2", "rel L2 vs reference")):
        vals = np.array([np.nan if getattr(e, key) is None else float(getattr(e, key))
                         for e in result.history])
        if np.isfinite(vals).any():
            ax.loglog(t, vals, "-o", ms=3, label=label)
    stages = [e.stage.value for e in result.history]
    for stage in dict.fromkeys(stages):
        first = t[stages.index(stage)]
        ax.axvline(first, color="0.6", ls=":", lw=1)
        ax.annotate(stage, (first, 1), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=7, color="0.35")
    ax.set_xlabel("time [s] (generation, refinement, fine-tuning)")
    ax.set_title("history")
    ax.grid(True, which="both", alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)
    return path


def _lognorm(data: np.ndarray, cls):
    v = data[np.isfinite(data) & (data > 0)]
    if v.size == 0:
        return None
    hi = float(v.max())
    return cls(vmin=max(float(v.min()), hi * 1e-8), vmax=hi)
