import subprocess
import sys

import h5py
import pytest

from hyperpino.errors import SpecError
from hyperpino.mms import H5Dataset, MMSConfig, StreamDataset, config_from_mapping, load_config
from hyperpino.pde.problem import build_problem
from hyperpino.pde.spec_io import read_spec


def test_bad_config_names_field(tmp_path):
    with pytest.raises(SpecError, match="config.grid"):
        config_from_mapping({"grid": 2})
    with pytest.raises(SpecError, match="unknown key"):
        config_from_mapping({"nope": 1})
    p = tmp_path / "c.toml"
    p.write_text("[mms]\nkind_weights = {elliptic = 1.0, weird = 2.0}\n")
    with pytest.raises(SpecError, match="kind_weights"):
        load_config(p)


def test_sample_cli_writes_checkable_spec(tmp_path):
    from hyperpino.cli import main

    out = tmp_path / "p.toml"
    assert main(["mms", "sample", "--seed", "4", "--out", str(out), "--quiet"]) == 0
    problem = build_problem(read_spec(out))
    assert problem.exact is not None
    assert main(["check", str(out), "--quiet"]) == 0


def test_generate_readers_and_stream(tmp_path):
    from hyperpino.mms.hdf5 import generate_file

    cfg = MMSConfig(grid=16, n_interior=32, n_boundary=32)
    out = generate_file(tmp_path / "d.h5", 10, cfg, seed=1, shard_size=4, progress=False)
    ds = H5Dataset([out, out])
    assert len(ds) == 20 and ds[13]["images"].shape == (10, 16, 16)
    with h5py.File(out) as f:
        assert sorted(f["index"][:].tolist()) == list(range(10)) and "config" in f.attrs
    batch = next(iter(StreamDataset(cfg, seed=1, batch_size=3, limit=1)))
    assert len(batch) == 3


KILL = r"""
import os, signal, subprocess, sys, time, pathlib
out = pathlib.Path(sys.argv[1])
cmd = [sys.executable, "-m", "hyperpino", "mms", "generate", "--n", "24", "--grid", "16", "--out", str(out),
       "--shard-size", "4", "--seed", "2", "--quiet"]
p = subprocess.Popen(cmd)
shards = out.with_name(out.name + ".shards")
t = time.time()
while time.time() - t < 60 and not list(shards.glob("shard_*.h5")):
    time.sleep(0.05)
os.kill(p.pid, signal.SIGKILL)
p.wait()
assert not out.exists()
subprocess.run(cmd, check=True)
"""


def test_kill_and_resume(tmp_path):
    out = tmp_path / "k.h5"
    subprocess.run([sys.executable, "-c", KILL, str(out)], check=True, timeout=120)
    with h5py.File(out) as f:
        idx = sorted(f["index"][:].tolist())
        assert idx == list(range(24))
        assert f["images"].shape[0] == 24
