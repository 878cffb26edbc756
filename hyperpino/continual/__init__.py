"""Continual learning with hypernetworks: learn tasks one after another without forgetting by
generating each task's weights from a hypernetwork conditioned on a task embedding.

Methods: HNET, chunked HNET (von Oswald et al. 2020, arXiv 1906.00695), the dependency-preserving
LSTM hypernetwork (Chandra et al. 2023, arXiv 2209.07712), HyperInterval (Krukowski et al. 2024),
each optionally with MIP (Ortiz et al. 2023); baselines: fine-tuning, online EWC, SI, one network
per task, joint training. Scenarios CL1/CL2/CL3 (van de Ven & Tolias 2019), the task inferred by
per-task generative models or output entropy. Named presets per benchmark. Data: Split/Permuted
MNIST from digits PyPI packages ship, or the user's own MNIST/Fashion/CIFAR files.

Imports only :mod:`hyperpino.hypernet` and the bottom modules :mod:`hyperpino.errors` and
:mod:`hyperpino.files` (the one atomic writer) from the project.
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "BENCHMARK_NAMES": ("benchmarks", "NAMES"),
    "build_benchmark": ("benchmarks", "build"),
    "Benchmark": ("data", "Benchmark"),
    "Task": ("data", "Task"),
    "infer_by_entropy": ("inference", "infer_by_entropy"),
    "infer_by_interval_entropy": ("inference", "infer_by_interval_entropy"),
    "HNET": ("methods", "HNET"),
    "METHODS": ("methods", "METHODS"),
    "SI": ("methods", "SI"),
    "Finetune": ("methods", "Finetune"),
    "HyperInterval": ("methods", "HyperInterval"),
    "Joint": ("methods", "Joint"),
    "Method": ("methods", "Method"),
    "OnlineEWC": ("methods", "OnlineEWC"),
    "Separate": ("methods", "Separate"),
    "build_method": ("methods", "build_method"),
    "summary": ("metrics", "summary"),
    "output_regulariser": ("regulariser", "output_regulariser"),
    "ContinualTrainConfig": ("config", "ContinualTrainConfig"),
    "Preset": ("presets", "Preset"),
    "preset": ("presets", "preset"),
    "PPCATaskInference": ("task_inference", "PPCATaskInference"),
    "evaluate": ("runner", "evaluate"),
    "run": ("runner", "run"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
