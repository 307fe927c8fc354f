"""Request and response schemas (pydantic, at the edge only).

Request schemas forbid unknown fields and never carry an owner, a price, a status, a balance or
a role: those come from the principal and the core, so mass assignment is impossible.
"""
