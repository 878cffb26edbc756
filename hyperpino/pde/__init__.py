"""PDE problems: safe expressions, spec files, geometry, residual engine."""
