"""Shared hypernetwork core: ParamSpec, functional targets, MIP, output heads."""
