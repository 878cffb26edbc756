"""Learned task embeddings, as continual learning uses them (shown in docs/hypernet.md)."""

import torch
from torch import nn

from hyperpino.hypernet import HyperNetwork

classifier = nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))
hnet = HyperNetwork.for_module(classifier, cond_dim=16, config="hnet", chunk_size=2000)
task_emb = nn.Parameter(torch.randn(5, 16))   # one embedding per task
theta = hnet(task_emb[2:3])                    # the weights for task 2, M = 1
assert theta["0.weight"].shape == (1, 100, 784)
