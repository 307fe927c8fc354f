"""Hypothesis strategies shared by the property suites."""

from __future__ import annotations

from hypothesis import strategies as st

from afp_core.domain.ledger import EntryType

credit_amounts = st.integers(min_value=1, max_value=500)
hold_amounts = st.integers(min_value=1, max_value=300)
crediting_types = st.sampled_from([EntryType.PURCHASE, EntryType.BONUS, EntryType.GRANT])
ttl_seconds = st.integers(min_value=1, max_value=3600)
clock_steps = st.integers(min_value=1, max_value=2400)
reasons = st.sampled_from(["support goodwill", "correction", "chargeback"])
