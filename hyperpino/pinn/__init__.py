"""The PINN side: the target network as an ordinary module, fitting it to a problem (Adam then
L-BFGS), and the from-scratch baseline that reports error against wall time.

Imports :mod:`hyperpino.pde` (the problem language) and the bottom modules only.
"""
