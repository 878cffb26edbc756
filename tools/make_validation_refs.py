"""Write hyperpino/training/validation_refs.h5: the benchmark examples' reference values at the
validation points, so training can validate without gmsh or scikit-fem (e.g. on a GPU machine).

    python tools/make_validation_refs.py        # after changing an example or the FEM solver
"""

from hyperpino.training.config import EXAMPLES
from hyperpino.training.validation import REFERENCES, write_references

if __name__ == "__main__":
    write_references(REFERENCES, EXAMPLES)
    print(f"{REFERENCES}: {REFERENCES.stat().st_size / 1e3:.0f} kB, {len(EXAMPLES)} examples")
