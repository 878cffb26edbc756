"""Training HyPINO on generated problems: configuration, batches, the loss, the loop (one process
or torchrun/DDP), time budgets, resumable training state, validation and the ``train`` command.

Imports :mod:`hyperpino.mms` (the data), :mod:`hyperpino.model` (what is trained) and below.
"""
