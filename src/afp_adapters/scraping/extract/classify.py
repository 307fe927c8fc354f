"""Is this a product page, or a captcha, an error page, a login wall or some other page?

Runs on the raw text before any field extraction, so that a block page never comes back as a
product with empty fields (doc §3.3)."""

from __future__ import annotations

import enum
import re
from urllib.parse import urlsplit

from afp_adapters.scraping.extract._text import decode
from afp_adapters.scraping.extract.hosts import host_of, is_amazon_host


class PageKind(enum.Enum):
    PRODUCT = "product"
    CAPTCHA = "captcha"
    ERROR_PAGE = "error_page"
    LOGIN_WALL = "login_wall"
    NOT_A_PRODUCT = "not_a_product"


_AMAZON_CAPTCHA = ("validateCaptcha", "opfcaptcha")
_AMAZON_TITLE = ('id="productTitle"', 'id="ebooksProductTitle"', "id='productTitle'")
_AMAZON_ERROR = ("cs_503", "500_503.png", "Sorry! Something went wrong!")
_AMAZON_LOGIN = ("ap/signin", 'name="signIn"', "ap_email")
# Bot walls of the big CDNs and anti-bot vendors, in any shop.
_CHALLENGES = (
    "cf-browser-verification",
    "challenge-platform",
    "cf_chl_opt",
    "captcha-delivery.com",
    "px-captcha",
    "_Incapsula_Resource",
    "g-recaptcha",
    "h-captcha",
    "awswaf.com",
)
_PRODUCT_SIGNALS = re.compile(
    r"schema\.org/Product\b|\"@type\"\s*:\s*(?:\[[^\]]{0,200})?\"(?:product|productgroup)\"|"
    r"typeof=\"[^\"]*product|"
    r"og:type\"?\s+content=\"[\w:]*product|product:price:amount|og:price:amount|"
    r"itemprop=\"?price\b|ShopifyAnalytics|<h1\b",
    re.I,
)
_LOGIN_FORM = re.compile(r"<input[^>]+type=[\"']?password", re.I)


def classify_page(url: str, html: str | bytes) -> PageKind:
    """What kind of page `html` (served for `url`) is; only `PRODUCT` pages are extracted."""
    body = decode(html)
    path = urlsplit(url).path
    if is_amazon_host(host_of(url)) or "amazon" in body[:4096]:
        kind = _classify_amazon(path, body)
        if kind is not None:
            return kind
        if is_amazon_host(host_of(url)):
            return PageKind.NOT_A_PRODUCT
    return _classify_other(body)


def _classify_amazon(path: str, body: str) -> PageKind | None:
    if path.startswith("/errors/validateCaptcha") or any(m in body for m in _AMAZON_CAPTCHA):
        return PageKind.CAPTCHA
    if "awswaf.com" in body and "gokuProps" in body:
        return PageKind.CAPTCHA
    has_title = any(marker in body for marker in _AMAZON_TITLE)
    if has_title:
        return PageKind.PRODUCT
    if any(marker in body for marker in _AMAZON_ERROR):
        return PageKind.ERROR_PAGE
    if "api-services-support@amazon.com" in body:
        return PageKind.CAPTCHA  # a soft block disguised as a 404 (doc §3.3)
    if path.startswith("/ap/") or any(marker in body for marker in _AMAZON_LOGIN):
        return PageKind.LOGIN_WALL
    return None


def _classify_other(body: str) -> PageKind:
    small = len(body) < 60_000
    if small and any(marker in body for marker in _CHALLENGES):
        return PageKind.CAPTCHA
    if not _PRODUCT_SIGNALS.search(body):
        if _LOGIN_FORM.search(body):
            return PageKind.LOGIN_WALL
        return PageKind.NOT_A_PRODUCT
    return PageKind.PRODUCT


__all__ = ["PageKind", "classify_page"]
