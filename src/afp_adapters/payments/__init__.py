"""Real payment providers: Lemon Squeezy (cards) and Cryptomus (crypto)."""

from afp_adapters.payments.cryptomus import CryptomusPayments
from afp_adapters.payments.lemonsqueezy import LemonSqueezyPayments

__all__ = ["CryptomusPayments", "LemonSqueezyPayments"]
