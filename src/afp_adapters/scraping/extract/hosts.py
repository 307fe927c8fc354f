"""Amazon hosts, short links, marketplaces and ASINs in URLs."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import attrs

_ASIN_PATH = re.compile(
    r"/(?:dp|product|d|asin|product-reviews|offer-listing)/([a-z0-9]{10})(?=[/?#;&]|$)", re.I
)
_ASIN_QUERY = re.compile(r"[?&]asin=([a-z0-9]{10})(?=[&#]|$)", re.I)
_SUBDOMAINS = ("www.", "smile.", "m.")
SHORT_LINK_HOSTS = frozenset({"amzn.to", "a.co", "amzn.eu", "amzn.asia", "amzn.com"})


@attrs.frozen
class Marketplace:
    """One Amazon marketplace: its host suffix, id, default currency and decimal separator."""

    host: str
    mid: str
    currency: str
    decimal_separator: str


MARKETPLACES: tuple[Marketplace, ...] = (
    Marketplace("amazon.com", "ATVPDKIKX0DER", "USD", "."),
    Marketplace("amazon.co.uk", "A1F83G8C2ARO7P", "GBP", "."),
    Marketplace("amazon.de", "A1PA6795UKMFR9", "EUR", ","),
    Marketplace("amazon.fr", "A13V1IB3VIYZZH", "EUR", ","),
    Marketplace("amazon.it", "APJ6JRA9NG5V4", "EUR", ","),
    Marketplace("amazon.es", "A1RKKUPIHCS9HS", "EUR", ","),
    Marketplace("amazon.nl", "A1805IZSGTT6HS", "EUR", ","),
    Marketplace("amazon.com.be", "AMEN7PMS3EDWL", "EUR", ","),
    Marketplace("amazon.ie", "A28R8C7NBKEWEA", "EUR", "."),
    Marketplace("amazon.se", "A2NODRKZP88ZB9", "SEK", ","),
    Marketplace("amazon.pl", "A1C3SOZRARQ6R3", "PLN", ","),
    Marketplace("amazon.com.tr", "A33AVAJ2PDY3EV", "TRY", ","),
    Marketplace("amazon.ae", "A2VIGQ35RCS4UG", "AED", "."),
    Marketplace("amazon.sa", "A17E79C6D8DWNP", "SAR", "."),
    Marketplace("amazon.eg", "ARBP9OOSHTCHU", "EGP", "."),
    Marketplace("amazon.in", "A21TJRUUN4KGV", "INR", "."),
    Marketplace("amazon.co.jp", "A1VC38T7YXB528", "JPY", "."),
    Marketplace("amazon.com.au", "A39IBJ37TRP1C6", "AUD", "."),
    Marketplace("amazon.sg", "A19VAU5U5O7RUS", "SGD", "."),
    Marketplace("amazon.ca", "A2EUQ1WTGCTBG2", "CAD", "."),
    Marketplace("amazon.com.mx", "A1AM78C64UM0Y8", "MXN", "."),
    Marketplace("amazon.com.br", "A2Q3Y263D00KWC", "BRL", ","),
    Marketplace("amazon.co.za", "AE08WJ6YKNBMC", "ZAR", "."),
)
_BY_HOST = {m.host: m for m in MARKETPLACES}
_BY_MID = {m.mid: m for m in MARKETPLACES}


def _bare(host: str) -> str:
    host = host.lower().strip().rstrip(".")
    host = host.split("@")[-1].split(":")[0]
    for prefix in _SUBDOMAINS:
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def is_amazon_host(host: str) -> bool:
    """amazon.<any regional domain>, bare or with `www.`, `smile.` or `m.`."""
    return _bare(host) in _BY_HOST


def is_amazon_short_link(host: str) -> bool:
    """amzn.to, a.co, amzn.eu, amzn.asia: the fetcher follows one redirect to learn the ASIN."""
    return _bare(host) in SHORT_LINK_HOSTS


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def marketplace_for(url: str, mid: str | None = None) -> Marketplace | None:
    """The marketplace by its id from the page (`ue_mid`), else by the URL's host."""
    if mid and mid in _BY_MID:
        return _BY_MID[mid]
    return _BY_HOST.get(_bare(host_of(url)))


def asin_from_url(url: str) -> str | None:
    """The ASIN of any Amazon URL form: /dp/, /gp/product/, /gp/aw/d/, /exec/obidos/ASIN/,
    /o/ASIN/, /product-reviews/, /gp/offer-listing/, ?asin=."""
    found = _ASIN_PATH.search(url) or _ASIN_QUERY.search(url)
    return found.group(1).upper() if found else None


__all__ = [
    "MARKETPLACES",
    "Marketplace",
    "asin_from_url",
    "host_of",
    "is_amazon_host",
    "is_amazon_short_link",
    "marketplace_for",
]
