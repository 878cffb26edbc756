"""MixER: sparse top-1 mixtures of context-conditioned neural-ODE experts for families of dynamical
systems, with a K-means + least-squares gate update (Nzoyem et al. 2025, arXiv 2502.05335).

Imports only :mod:`hyperpino.hypernet` and :mod:`hyperpino.errors` from the project.
"""

from hyperpino.mixer.adapt import Adapted as Adapted
from hyperpino.mixer.adapt import adapt as adapt
from hyperpino.mixer.adapt import predict as predict
from hyperpino.mixer.dataset import Dataset as Dataset
from hyperpino.mixer.dataset import Split as Split
from hyperpino.mixer.dataset import load as load_dataset
from hyperpino.mixer.dataset import save as save_dataset
from hyperpino.mixer.evaluate import evaluate as evaluate
from hyperpino.mixer.experts import CoDAExpert as CoDAExpert
from hyperpino.mixer.experts import Expert as Expert
from hyperpino.mixer.experts import GEPSExpert as GEPSExpert
from hyperpino.mixer.experts import NCFExpert as NCFExpert
from hyperpino.mixer.gate import fit_gate as fit_gate
from hyperpino.mixer.gate import gate_update as gate_update
from hyperpino.mixer.gate import kmeans as kmeans
from hyperpino.mixer.generate import SuiteConfig as SuiteConfig
from hyperpino.mixer.generate import generate as generate
from hyperpino.mixer.integrate import SolverConfig as SolverConfig
from hyperpino.mixer.mixture import MixER as MixER
from hyperpino.mixer.mixture import MixERConfig as MixERConfig
from hyperpino.mixer.train import TrainConfig as TrainConfig
from hyperpino.mixer.train import Trainer as Trainer
from hyperpino.mixer.train import build_model as build_model
from hyperpino.mixer.train import load_trained as load_trained

__all__ = [
    "Adapted", "CoDAExpert", "Dataset", "Expert", "GEPSExpert", "MixER", "MixERConfig", "NCFExpert",
    "SolverConfig", "Split", "SuiteConfig", "TrainConfig", "Trainer", "adapt", "build_model", "evaluate",
    "fit_gate", "gate_update", "generate", "kmeans", "load_dataset", "load_trained", "predict",
    "save_dataset",
]
