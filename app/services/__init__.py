"""Business rules, one module per concern; functions flush, the caller commits."""
