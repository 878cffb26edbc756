"""2-D domains as signed distance functions with CSG and named boundary pieces.

Primitives (``Rectangle``, ``Disk``, ``Ellipse``, ``Polygon``, ``Triangle``) combine with
``|`` (union), ``&`` (intersection) and ``-`` (difference), or from text with :func:`parse_csg`.
A :class:`Domain` analyses the result once — which pieces form its boundary, their lengths, the
area — and samples interior and boundary points with outward normals; :func:`rasterize` turns it
into images and :func:`plot_domain` into a picture.
"""

from hyperpino.pde.geometry.base import BBox, Difference, Geometry, Intersection, Primitive, Union
from hyperpino.pde.geometry.csg_parse import parse_csg
from hyperpino.pde.geometry.domain import BoundarySample, Domain
from hyperpino.pde.geometry.ellipse import Ellipse
from hyperpino.pde.geometry.plot import plot_domain
from hyperpino.pde.geometry.polygon import Polygon, Triangle
from hyperpino.pde.geometry.primitives import Disk, Rectangle
from hyperpino.pde.geometry.raster import Raster, grid_points, rasterize

__all__ = [
    "BBox",
    "BoundarySample",
    "Difference",
    "Disk",
    "Domain",
    "Ellipse",
    "Geometry",
    "Intersection",
    "Polygon",
    "Primitive",
    "Raster",
    "Rectangle",
    "Triangle",
    "Union",
    "grid_points",
    "parse_csg",
    "plot_domain",
    "rasterize",
]
