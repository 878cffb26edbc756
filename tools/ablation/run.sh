#!/usr/bin/env bash
# Runs the ablation arms named on the command line (tools/ablation/NAME.toml) one after another,
# then scores all finished arms in one process (tools/compare_models.py): docs/training.md's table.
#   bash tools/ablation/run.sh a0_before a1_batch a2_zero_theta0 a3_data
set -euo pipefail
HP=${HP:-.venv/bin/hyperpino}
PY=${PY:-.venv/bin/python}
for arm in "$@"; do
  "$HP" train --config "tools/ablation/$arm.toml" --out "runs/ablation/$arm" --threads "${THREADS:-2}" --quiet \
    | tail -1 > "runs/ablation/$arm.summary.json"
done
