"""2-D domains as signed distance functions with CSG and named boundary pieces.

Primitives (``Rectangle``, ``Disk``, ``Ellipse``, ``Polygon``, ``Triangle``) combine with
``|`` (union), ``&`` (intersection) and ``-`` (difference), or from text with :func:`parse_csg`.
A :class:`Domain` analyses the result once — which pieces form its boundary, their lengths, the
area — and samples interior and boundary points with outward normals; :func:`rasterize` turns it
into images and :func:`plot_domain` into a picture.

The names are imported on first use (PEP 562). Everything but ``raster`` and ``plot`` computes
in NumPy and imports no torch, so ``hyperpino check`` analyses a domain before torch is imported;
the methods take torch tensors too and answer with tensors (see ``_arrays``).
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "BBox": ("base", "BBox"),
    "BoundarySample": ("domain", "BoundarySample"),
    "Difference": ("base", "Difference"),
    "Disk": ("primitives", "Disk"),
    "Domain": ("domain", "Domain"),
    "Ellipse": ("ellipse", "Ellipse"),
    "Geometry": ("base", "Geometry"),
    "Intersection": ("base", "Intersection"),
    "Polygon": ("polygon", "Polygon"),
    "Primitive": ("base", "Primitive"),
    "Raster": ("raster", "Raster"),
    "Rectangle": ("primitives", "Rectangle"),
    "Triangle": ("polygon", "Triangle"),
    "Union": ("base", "Union"),
    "grid_points": ("raster", "grid_points"),
    "parse_csg": ("csg_parse", "parse_csg"),
    "plot_domain": ("plot", "plot_domain"),
    "rasterize": ("raster", "rasterize"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
