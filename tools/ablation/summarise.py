"""The ablation table of docs/training.md from runs/ablation: scores (tools/compare_models.py, one
process, same validation problems) and each arm's training log (share of clipped steps, median
gradient norm, loss over the last tenth of the run).

    python tools/compare_models.py runs/ablation/ARM/model.safetensors ... > runs/ablation/scores.json
    python tools/ablation/summarise.py runs/ablation/scores.json
"""

import json
import statistics
import sys
from pathlib import Path

import tomllib


def main(scores_path: str) -> None:
    scores = json.loads(Path(scores_path).read_text())
    print("| arm | samples | steps | clipped | median ‖g‖ | final loss | gmean raw | gmean LS "
          "| held-out raw | held-out LS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for path, r in scores.items():
        run = Path(path).parent
        arm = run.name
        cfg_name = arm if (Path("tools/ablation") / f"{arm}.toml").exists() else arm.split("_")[0]
        cfg_file = next(Path("tools/ablation").glob(f"{cfg_name}*.toml"), None)
        clip = tomllib.loads(cfg_file.read_text())["train"]["grad_clip"] if cfg_file else float("nan")
        steps = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
        steps = [e for e in steps if "loss" in e]
        norms = [e["grad_norm"] for e in steps]
        tail = steps[-max(1, len(steps) // 10):]
        summary = json.loads((run.parent / f"{arm}.summary.json").read_text())
        clipped = sum(n > clip for n in norms) / len(norms)
        print(f"| {arm} | {summary['samples']:,} | {len(steps)} | {clipped:.0%} "
              f"| {statistics.median(norms):.1f} | {statistics.mean(e['loss'] for e in tail):.3f} "
              f"| {r['gmean_raw']:.3f} | {r['gmean']:.3f} | {r['heldout_median_raw']:.3f} "
              f"| {r['heldout_median']:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1])
