#!/usr/bin/env bash
# The GPU performance figures of the [GPU] performance issue, as ONE prepared command on the device
# machine (run from the repository root there, after or without tools/gpu_train.sh; carry .whl):
#
#   PERF_S=150 bash tools/gpu_perf.sh
#
# Each step has its own time cap (seconds) so that one slow step cannot eat the lease:
#   residual engine vs per-model loop (M=64×N=4096 and M=256×N=1024, fwd and fwd+bwd)   RESIDUAL_S
#   bench train, small and paper, bf16 autocast, samples/s end to end and MFU            TRAIN_S
#   bench mms with the generator on the GPU vs the CPU workers at 224²                   MMS_S
#   hyperpino solve of one example on CUDA                                                SOLVE_S
#   the CUDA-only tests (pytest -m gpu)                                                   TESTS_S
# Everything lands in $OUT/perf.json (one JSON object: each step's last JSON line, its exit code and
# wall time) and $OUT/perf.log (stderr of all steps). Rehearse on a CPU with DEVICE=cpu QUICK=--quick.
set -uo pipefail
OUT=${OUT:-/tmp/gpu_out}
DEVICE=${DEVICE:-cuda}
QUICK=${QUICK:-}
mkdir -p "$OUT" /tmp/perf
export PYTHONUNBUFFERED=1
WHL=${WHL:-.whl}
if compgen -G "$WHL/*.whl" >/dev/null && [ ! -d /tmp/site/pydantic ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHL"/*.whl \
    || { echo '{"ok": false, "error": "wheel install failed"}'; exit 1; }
fi
[ -d /tmp/site ] && export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH} || export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
PY=${PY:-python3}
LOG="$OUT/perf.log"
: >"$LOG"

step() {  # step NAME SECONDS COMMAND...: run with a cap, keep the last stdout line, rc and wall time
  local name=$1 cap=$2; shift 2
  local t0=$(date +%s%N)
  echo "== $name (cap ${cap}s): $*" >>"$LOG"
  timeout "$cap" "$@" >"/tmp/perf/$name.out" 2>>"$LOG"
  local rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "$name rc=$rc wall=${ms}ms" | tee -a "$LOG"
  echo "$rc $ms" >"/tmp/perf/$name.rc"
}

step residual "${RESIDUAL_S:-150}" $PY -m hyperpino bench residual $QUICK --device "$DEVICE" --out /tmp/perf/residual
step train "${TRAIN_S:-150}" $PY -m hyperpino bench train $QUICK --device "$DEVICE" --out /tmp/perf/train
step mms "${MMS_S:-120}" $PY -m hyperpino bench mms --quick --device "$DEVICE" --out /tmp/perf/mms
step solve "${SOLVE_S:-90}" $PY -m hyperpino solve examples/poisson_L.toml --device "$DEVICE" --finetune 200 \
  --no-reference --out /tmp/perf/solve --json --quiet  # the image has no scikit-fem/gmsh
# Only the files holding CUDA tests: the others import scikit-fem, which the image lacks.
step tests "${TESTS_S:-240}" $PY -m pytest -q -m gpu -p no:cacheprovider $(grep -rl "mark.gpu" tests --include="test_*.py")

$PY - "$OUT" <<'PYEOF' | tee "$OUT/perf.json"
import json, platform, sys, datetime
from pathlib import Path
import torch
out, d = Path(sys.argv[1]), Path("/tmp/perf")
doc = {"date": datetime.date.today().isoformat(), "torch": torch.__version__,
       "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
       "python": platform.python_version()}
for name in ("residual", "train", "mms", "solve", "tests"):
    rc, ms = (d / f"{name}.rc").read_text().split() if (d / f"{name}.rc").exists() else ("-1", "0")
    lines = (d / f"{name}.out").read_text().strip().splitlines() if (d / f"{name}.out").exists() else []
    try:
        last = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        last = lines[-1] if lines else None
    doc[name] = {"rc": int(rc), "wall_s": round(int(ms) / 1000, 1), "result": last}
print(json.dumps(doc))
PYEOF
