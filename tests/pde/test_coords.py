"""The box map and the chain rule on operator coefficients."""

import torch
from torch.func import grad, hessian

from hyperpino.pde.coords import BoxMap
from hyperpino.pde.terms import TERMS


def test_round_trip_and_corners():
    m = BoxMap(((0.0, 3.0), (1.0, 2.0)))
    corners = torch.tensor([[0.0, 1.0], [3.0, 2.0]], dtype=torch.float64)
    assert torch.allclose(
        m.to_canonical(corners), torch.tensor([[-1.0, -1.0], [1.0, 1.0]], dtype=torch.float64)
    )
    p = torch.rand(50, 2, dtype=torch.float64) * torch.tensor([3.0, 1.0]) + torch.tensor([0.0, 1.0])
    assert torch.allclose(m.to_user(m.to_canonical(p)), p)


def _terms(f, p):
    g, h = grad(f)(p), hessian(f)(p)
    return torch.stack([f(p), g[0], g[1], h[0, 0], h[1, 1], h[0, 1]])


def test_chain_rule_on_coefficients():
    """Σ c_k ∂_k u (user) equals Σ c'_k ∂'_k U (canonical) where U(X) = u(x(X))."""
    m = BoxMap(((-2.0, 5.0), (0.5, 1.25)))

    def u(p):
        return torch.sin(1.3 * p[0]) * torch.exp(0.7 * p[1]) + p[0] * p[1] ** 2

    def big_u(q):
        return u(m.to_user(q))

    c = torch.tensor([0.3, -1.2, 2.0, -0.7, 1.1, 0.4], dtype=torch.float64)
    cc = m.canonical_coefficients(c)
    for q in torch.rand(10, 2, dtype=torch.float64) * 2 - 1:
        lhs = (c * _terms(u, m.to_user(q))).sum()
        rhs = (cc * _terms(big_u, q)).sum()
        assert torch.allclose(lhs, rhs, atol=1e-10), (lhs, rhs)
    assert len(m.term_factors()) == len(TERMS)


def test_flux_direction_gives_user_normal_derivative():
    m = BoxMap(((0.0, 4.0), (0.0, 1.0)))

    def u(p):
        return torch.sin(p[0]) * p[1] ** 2 + p[0]

    def big_u(q):
        return u(m.to_user(q))

    n = torch.nn.functional.normalize(torch.randn(8, 2, dtype=torch.float64), dim=-1)
    p = torch.rand(8, 2, dtype=torch.float64)
    d = m.flux_direction(n)
    for i in range(8):
        user = (grad(u)(p[i]) * n[i]).sum()
        canon = (grad(big_u)(m.to_canonical(p[i])) * d[i]).sum()
        assert torch.allclose(user, canon)
    nc = m.canonical_normals(n)
    assert torch.allclose(nc.norm(dim=-1), torch.ones(8, dtype=torch.float64))
