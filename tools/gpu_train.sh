#!/usr/bin/env bash
# The prepared GPU lease: ONE command that trains HyPINO `small` on the device machine and brings
# the model back. Run from the repository root there (device tool: carry .whl):
#
#   BUDGET=450s bash tools/gpu_train.sh
#
# 1. installs carried wheels for what the device image lacks (pydantic and its needs) into /tmp/site;
# 2. reports the GPU, torch and timm (the strict weight loading checks timm's parameter names);
# 3. measures throughput (`hyperpino bench train --device cuda --quick`, capped at BENCH_S seconds);
# 4. trains for BUDGET from INIT (default: the bundled model) with tools/gpu_small.toml;
# 5. validates the bundled and the new model side by side (shipped references, held-out problems);
# 6. leaves model.safetensors and last.safetensors (fp16), log.jsonl.gz, bench.json, compare.json, summary.json in $OUT
#    (at most 8 files come back) and prints one JSON line.
# Rehearse on a CPU (docs/training.md): DEVICE=cpu BUDGET=60s CONFIG=tools/cpu_rehearsal.toml OUT=/tmp/o \
#   WHL=.whl311 PY=.venv/bin/python PYTHONPATH=tools/device_image BENCH_S=0 bash tools/gpu_train.sh
set -uo pipefail
OUT=${OUT:-/tmp/gpu_out}
BUDGET=${BUDGET:-450s}
INIT=${INIT:-bundled}
CONFIG=${CONFIG:-tools/gpu_small.toml}
DEVICE=${DEVICE:-cuda}
BENCH_S=${BENCH_S:-60}
RUN=${RUN:-/tmp/hypino_run}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
WHL=${WHL:-.whl}
if compgen -G "$WHL/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHL"/*.whl \
    || { echo '{"ok": false, "error": "wheel install failed"}'; exit 1; }
  export PYTHONPATH=/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}
else
  export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
PY=${PY:-python3}
{ nvidia-smi -L 2>/dev/null; $PY -c "import torch, timm; print('torch', torch.__version__, 'timm', timm.__version__, 'cuda', torch.cuda.is_available())"; } | tee "$OUT/env.txt"

if [ "$BENCH_S" -gt 0 ]; then
  timeout "$BENCH_S" $PY -m hyperpino bench train --quick --device "$DEVICE" --presets small --out /tmp/bench \
    2>"$OUT/bench.err" | tail -1 >"$OUT/bench.json"
  echo "bench: $(cat "$OUT/bench.json")"
fi

t0=$(date +%s)
$PY -m hyperpino train --config "$CONFIG" --time-budget "$BUDGET" --init "$INIT" --device "$DEVICE" \
  --out "$RUN" --threads "${THREADS:-2}" --quiet >"$OUT/train.out" 2>"$OUT/train.err"
rc=$?
t1=$(date +%s)
tail -3 "$OUT/train.err"
[ -f "$RUN/log.jsonl" ] && gzip -c "$RUN/log.jsonl" >"$OUT/log.jsonl.gz"
[ -f "$RUN/model.safetensors" ] && cp "$RUN/model.safetensors" "$OUT/model.safetensors"
# The last weights too (fp16): the best-validated model may be the starting point itself.
[ -f "$RUN/last.safetensors" ] && $PY -m hyperpino pack-model "$RUN/last.safetensors" "$OUT/last.safetensors" >/dev/null
MODEL="$RUN/model.safetensors"
[ -f "$MODEL" ] || MODEL="$RUN/best.safetensors"
if [ -f "$MODEL" ]; then
  $PY tools/compare_models.py bundled "$MODEL" "$OUT/last.safetensors" --device "$DEVICE" >"$OUT/compare.json" 2>>"$OUT/train.err"
fi
$PY - "$OUT" "$rc" "$((t1 - t0))" <<'PYEOF' | tee "$OUT/summary.json"
import json, sys
from pathlib import Path
out, rc, secs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def last_json(p):
    try:
        return json.loads(p.read_text().strip().splitlines()[-1])
    except Exception:
        return None
train, compare, bench = last_json(out / "train.out"), last_json(out / "compare.json"), last_json(out / "bench.json")
s = {"ok": rc == 0 and compare is not None, "train_rc": rc, "train_wall_s": secs}
if train:
    s.update({k: train.get(k) for k in ("step", "samples", "stopped", "best", "elapsed_s")})
    s["samples_per_s"] = round(train["samples"] / max(train["wall_time_s"], 1e-9), 1)
if compare:
    s["compare"] = {m: {k: round(v, 4) for k, v in r.items()} for m, r in compare.items()}
if bench:
    s["bench"] = bench
print(json.dumps(s))
PYEOF
