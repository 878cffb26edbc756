"""Rehearsal of the GPU image on a CPU (tools/gpu_train.sh): these packages are missing there,
so importing them fails as it would on the device machine."""

import sys


class _Block:
    BLOCKED = {"skfem", "gmsh", "mlxtend", "tomli_w"}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.BLOCKED:
            raise ImportError(f"rehearsal: {name} is not on the device image")
        return None


sys.meta_path.insert(0, _Block())
