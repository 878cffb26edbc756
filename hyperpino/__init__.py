"""hyperpino."""
