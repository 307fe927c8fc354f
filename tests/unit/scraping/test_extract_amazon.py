from decimal import Decimal

import pytest

from afp_adapters.scraping.extract import extract_product
from afp_adapters.scraping.extract.amazon import color_images, strip_byline

_IMAGES = (
    "<script>P.when('A').register(\"ImageBlockATF\", function(A){ var data = {"
    "'colorImages': { 'initial': "
    '[{"hiRes":"https://m.media-amazon.com/images/I/a1._SL1500_.jpg",'
    '"large":"https://m.media-amazon.com/images/I/a1._AC_.jpg","main":{"u":[500,500]}},'
    '{"hiRes":null,"large":"https://m.media-amazon.com/images/I/b2._AC_.jpg",'
    '"main":{"u":[342,342]}}]}, \'colorToAsin\': {}}; });</script>'
)


def _page(
    buy_box: str, *, mid: str = "A1PA6795UKMFR9", byline: str = "Visit the Acme Store"
) -> str:
    return f"""<html><head><script>var ue_sn='www.amazon.de', ue_mid = '{mid}';</script>
    <link rel="canonical" href="https://www.amazon.de/x/dp/B000000002"></head><body>
    <h1 id="title"><span id="productTitle">  Acme   Kettle\n 1.7 L </span></h1>
    <a id="bylineInfo" href="/stores/Acme">{byline}</a>
    <span id="acrPopover" title="4,5 von 5 Sternen"></span>
    <span id="acrCustomerReviewText">1.091 Sternebewertungen</span>
    <div id="feature-bullets"><ul>
      <li id="replacementPartsFitmentBullet"><span class="a-list-item">Make sure this fits</span>
        </li>
      <li><span class="a-list-item"> Boils fast </span></li>
      <li class="aok-hidden"><span class="a-list-item">hidden</span></li>
      <li><span class="a-list-item">Quiet</span></li></ul></div>
    {buy_box}
    <div id="productDescription"><p>A kettle.</p></div>
    <div class="carousel"><span class="a-price"><span class="a-offscreen">3,99 €</span></span></div>
    <input type="hidden" id="ASIN" value="B000000001">
      <input type="hidden" name="ASIN" value="B0BUNDLE01">
    {_IMAGES}</body></html>"""


def test_an_amazon_page_gives_every_field() -> None:
    box = (
        '<div id="corePrice_feature_div"><span class="a-price">'
        '<span class="a-offscreen">1.149,00 €</span></span></div>'
    )
    facts = extract_product("https://www.amazon.de/dp/B000000002", _page(box))
    assert facts.title == "Acme Kettle 1.7 L"
    assert facts.price == Decimal("1149.00") and facts.currency == "EUR"
    assert facts.brand == "Acme"
    assert facts.rating == Decimal("4.5") and facts.review_count == 1091
    assert facts.bullets == ("Boils fast", "Quiet")
    assert facts.description == "A kettle."
    assert facts.asin == "B000000001"  # input#ASIN, not the canonical link nor the bundle input
    assert facts.images == (
        "https://m.media-amazon.com/images/I/a1._SL1500_.jpg",
        "https://m.media-amazon.com/images/I/b2._AC_.jpg",
    )
    assert facts.source["price"] == "amazon"


def test_a_page_without_a_buy_box_has_no_price_even_with_carousel_prices() -> None:
    box = (
        '<div id="unqualifiedBuyBox">Alle Angebote</div>'
        '<div id="cerberus-data-metrics" data-asin-price=""></div>'
    )
    facts = extract_product("https://www.amazon.de/dp/B000000002", _page(box))
    assert facts.price is None and facts.currency is None


def test_the_list_price_is_never_the_price() -> None:
    box = (
        '<div id="corePriceDisplay_desktop_feature_div">'
        '<span class="a-price a-text-price"><span class="a-offscreen">99,00 €</span></span>'
        '<span class="a-price"><span class="a-offscreen">79,90 €</span></span></div>'
    )
    assert extract_product("https://www.amazon.de/dp/B1", _page(box)).price == Decimal("79.90")


def test_machine_readable_prices_need_no_locale_parsing() -> None:
    box = (
        '<input id="twister-plus-price-data-price" value="8.99">'
        '<input id="twister-plus-price-data-price-unit" value="$">'
    )
    facts = extract_product("https://www.amazon.com/dp/B1", _page(box, mid="ATVPDKIKX0DER"))
    assert (facts.price, facts.currency) == (Decimal("8.99"), "USD")


def test_the_cerberus_metrics_carry_price_and_currency() -> None:
    box = (
        '<div id="cerberus-data-metrics" data-asin-price="48.99" '
        'data-asin-currency-code="GBP"></div>'
    )
    facts = extract_product("https://www.amazon.co.uk/dp/B1", _page(box, mid="A1F83G8C2ARO7P"))
    assert (facts.price, facts.currency) == (Decimal("48.99"), "GBP")


@pytest.mark.parametrize(
    ("byline", "brand"),
    [
        ("Visit the SainSmart Store", "SainSmart"),
        ("Brand: Gorilla", "Gorilla"),
        ("Besuchen Sie den WELEDA-Store", "WELEDA"),
        ("Marke: Tefal", "Tefal"),
        ("Marque\u00a0: KONMAY", "KONMAY"),
        ("Visiter la boutique PetSafe", "PetSafe"),
        ("Visita lo Store di Retevis", "Retevis"),
        ("Marca: Orange", "Orange"),
        ("Visita la tienda de Cecotec", "Cecotec"),
        ("\u200eUbisoft", "Ubisoft"),
        ("by Mat Follas (Author)", None),
        ("von Jane Doe (Autor), John Doe (Illustrator)", None),
    ],
)
def test_byline_boilerplate_is_stripped_in_every_locale(byline: str, brand: str | None) -> None:
    assert strip_byline(byline) == brand


def test_color_images_survive_nested_size_pairs() -> None:
    assert [i["large"][-10:] for i in color_images(_IMAGES)] == [
        "a1._AC_.jpg"[-10:],
        "b2._AC_.jpg"[-10:],
    ]
    assert color_images("<html>no gallery</html>") == []
