"""Rule tables for `afp_core.domain.assessment`: weights, limits, phrase patterns, prompt parts.

Private: only `assessment.py` imports this module. Every phrase pattern is matched
case-insensitively, on word boundaries, against text passed through `normalise` (one space
between words, straight apostrophes). docs/assessment.md explains every code listed here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal

import attrs

from afp_core.domain.product import Fact

# ---------------------------------------------------------------- limits
WORDS_PER_10_S = 27  # speech pace 2.7 words/s (~160 wpm): a brisk, clear UGC voice-over
MAX_HOOK_WORDS = 12
MIN_IMAGES = 3
MIN_SHORT_SIDE_PX = 720
RISK_FOR_CHEAPEST = 50  # risk at or above this: recommend the cheapest model
QUALITY_FOR_CHEAPEST = 60  # quality below this: recommend the cheapest model
MAX_FEATURES = 3
MAX_FEATURE_WORDS = 15
MAX_CAPTION_WORDS = 8
QUOTE_CHARS = 80

# ---------------------------------------------------------------- weights, by factor code
RISK_WEIGHTS: Mapping[str, int] = {
    "unsupported_claim": 30,
    "health_claim": 40,
    "grounded_health_claim": 10,
    "earnings_claim": 40,
    "grounded_earnings_claim": 10,
    "before_after_claim": 35,
    "grounded_before_after_claim": 10,
    "real_person_likeness": 40,
    "consented_likeness": 5,
    "prohibited_category": 60,
    "absolute_claim": 10,
    "urgency_pressure": 10,
    "price_mismatch": 20,
    "moderation_flag": 50,
}
QUALITY_WEIGHTS: Mapping[str, int] = {
    "no_images": 30,
    "few_images": 10,
    "low_resolution_image": 5,
    "hook_too_long": 10,
    "missing_call_to_action": 15,
    "script_too_long": 15,
    "script_too_short": 10,
    "thin_product_facts": 15,
    "missing_brand": 5,
    "requested_model_unknown": 5,
    "requested_model_not_in_plan": 5,
    "requested_model_cannot_render": 5,
    "no_model_fits": 10,
}
WEIGHTS: Mapping[str, int] = {**RISK_WEIGHTS, **QUALITY_WEIGHTS}


def _phrases(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_MONEY = rf"[$€£] ?(?:{_AMOUNT})k?|(?:{_AMOUNT})k? ?(?:dollars|usd|euros?|bucks)"
_RATE = r"(?: (?:a|an|per|every) ?|/)(?:day|hour|week|month|year)"
_FAMOUS = (
    r"taylor swift|kim kardashian|kylie jenner|elon musk|oprah(?: winfrey)?|beyonc[eé]|rihanna"
    r"|mr ?beast|cristiano ronaldo|lionel messi|lebron james|dwayne johnson|selena gomez"
    r"|ariana grande|justin bieber|jennifer aniston|brad pitt|tom cruise|joe rogan|kanye west"
    r"|barack obama|donald trump|joe biden|keanu reeves|zendaya|jeff bezos|mark zuckerberg"
    r"|gordon ramsay|martha stewart"
)


@attrs.frozen
class PhraseRule:
    """Phrases of one kind of claim; `grounded_code` is used when a product fact states it."""

    code: str
    label: str
    pattern: re.Pattern[str]
    fix: str
    grounded_code: str | None = None


HEALTH = PhraseRule(
    "health_claim",
    "health or medical claim",
    _phrases(
        r"cur(?:e|es|ed)(?! (?:time|meats?|ham|bacon|salmon))",
        r"(?<!self-)heal(?:s|ed|ing)?",
        r"(?:treat|prevent|fight|revers)(?:e|es|s|ed|ing)? (?:\w+ )?(?:diseases?|illness(?:es)?"
        r"|infections?|cancer|diabetes|depression|anxiety|arthritis|insomnia|covid(?:-19)?"
        r"|dementia|alzheimer'?s)",
        r"fda[- ](?:approved|cleared|registered)",
        r"(?:clinically|medically|scientifically) (?:proven|tested|shown)",
        r"doctors?[- ](?:recommended|approved)",
        r"weight[- ]loss|los(?:e|es|ing) weight|burns? fat|fat[- ]burn(?:ing|er)",
        r"melts? (?:belly )?fat",
        r"anti[- ]?age?ing",
        r"detox(?:es|ify|ifies|ifying|ification|ing)?",
        r"boosts? (?:your )?(?:immune system|immunity)",
        r"miracle (?:cure|pill|drug)",
        r"(?:lowers?|reduces?) (?:your )?(?:blood pressure|cholesterol|blood sugar)",
    ),
    fix="remove it, or add the product fact that states it",
    grounded_code="grounded_health_claim",
)
EARNINGS = PhraseRule(
    "earnings_claim",
    "earnings claim",
    _phrases(
        r"(?:make|makes|making|made|earn|earns|earning|earned) (?:real |extra |easy |serious )?"
        r"(?:money|cash|income)",
        r"passive income|extra income|side income|financial freedom|six[- ]figure income",
        r"get(?:ting)? rich(?: quick)?",
        r"guaranteed (?:income|returns?|profits?|earnings)",
        r"quit (?:your|my) (?:day )?job",
        r"(?:make|makes|making|made|earn|earns|earning|earned|take home|bring in) (?:up to |over )?"
        rf"(?:{_MONEY})(?:{_RATE})?",
        rf"(?:{_MONEY}){_RATE} (?:from home|working from home|online|on autopilot|passively)",
    ),
    fix="remove it, or add the product fact that states it",
    grounded_code="grounded_earnings_claim",
)
BEFORE_AFTER = PhraseRule(
    "before_after_claim",
    "before/after claim",
    _phrases(
        r"before[ -]*(?:and|&|n|/)[ -]*after(?! (?:workouts?|exercise|training|meals?|eating|bed"
        r"|sleep|school|work|showers?|washing|use|using|each|every|your|a|the)(?!\w))",
        r"(?:lost|lose|dropped|drop|shed) \d+ ?(?:pounds|lbs?|kg|kilos|sizes|inches)",
        r"results in (?:just |only )?\d+ (?:days?|weeks?|hours?)",
        r"\d+ years younger",
        r"transformed my (?:skin|body|hair|face|life)",
    ),
    fix="remove it, or add the product fact that states it",
    grounded_code="grounded_before_after_claim",
)
CLAIM_RULES = (HEALTH, EARNINGS, BEFORE_AFTER)

LIKENESS = PhraseRule(
    "real_person_likeness",
    "real-person likeness",
    _phrases(
        r"celebrit(?:y|ies)",
        r"famous (?:person|people|actor|actress|singer|rapper|athlete|influencer|youtuber|star)",
        r"endorsed by|as seen on|look[- ]?alikes?|deep ?fakes?|impersonat(?:e|es|ed|ing|ion|or)",
        r"(?:face|likeness|voice) of (?:a |an )?(?:real|famous|well-known|specific) "
        r"(?:person|people|individual|human)",
        r"real (?:person|individual)'s (?:face|voice|likeness)",
        _FAMOUS,
    ),
    fix="remove it, or confirm you have the person's consent",
)
ABSOLUTE = PhraseRule(
    "absolute_claim",
    "absolute claim",
    _phrases(
        r"guarantee[ds]?",
        r"100 ?%(?! (?:cotton|polyester|wool|silk|linen|cashmere|leather|nylon|recycled|organic"
        r"|merino|bamboo|stainless))",
        r"#1|number one|best in the world|world's best|best ever|best on the market",
        r"never fails|works every time|risk[- ]free|perfect results|unbeatable",
    ),
    fix="soften it unless the product facts prove it",
)
URGENCY = PhraseRule(
    "urgency_pressure",
    "urgency pressure",
    _phrases(
        r"act (?:now|fast)|last chance|only today|today only|hurry(?: up)?|don't miss out",
        r"before it's gone|while (?:supplies|stocks?) lasts?|selling out fast|limited time only",
        r"ends (?:tonight|today|soon|at midnight)|only \d+ left",
    ),
    fix="drop the pressure; platforms penalise it",
)
TONE_RULES = (ABSOLUTE, URGENCY)

_PROHIBITED = {
    "firearms": r"firearms?|handguns?|shotguns?|rifles?|revolvers?|assault weapons?|ar-15s?"
    r"|glocks?|ghost guns?|(?<!water )pistols?",
    "ammunition": r"ammunition|ammo|gunpowder|hollow[- ]points?",
    "tobacco": r"tobacco|cigarettes?|cigars?|nicotine|snus|shisha",
    "vape": r"vapes?|vaping|vapers?|vape pens?|e-cigarettes?|e-cigs?|e-liquids?|e-juice",
    "cannabis": r"cannabis|marijuana|cbd|thc|delta[- ]?[89]|hemp extract",
    "prescription drugs": r"prescription (?:drugs?|medications?|medicines?|only)|rx[- ]only"
    r"|oxycodone|fentanyl|tramadol|adderall|xanax|ozempic|semaglutide|viagra|cialis",
    "gambling": r"gambling|gamble|casinos?|sports ?betting|sportsbooks?|online betting",
    "adult": r"sex toys?|adult toys?|porn(?:ography|ographic)?|xxx|erotica?|nsfw"
    r"|escort services?|adult (?:content|entertainment|videos?|films?)",
}
PROHIBITED = tuple((category, _phrases(pattern)) for category, pattern in _PROHIBITED.items())

RISKY: tuple[re.Pattern[str], ...] = (
    *(rule.pattern for rule in (*CLAIM_RULES, LIKENESS, *TONE_RULES)),
    *(pattern for _, pattern in PROHIBITED),
)


def normalise(text: str) -> str:
    """One space between words and straight apostrophes, so phrases match however typed."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


def find(pattern: re.Pattern[str], text: str) -> Iterator[str]:
    """The phrases `pattern` matches in `text`, as written there."""
    return (m.group(0) for m in pattern.finditer(normalise(text)))


def hits(
    pattern: re.Pattern[str], segments: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    """(source, phrase) for each distinct phrase (case-insensitive), where it first occurs."""
    seen: set[str] = set()
    for source, text in segments:
        for phrase in find(pattern, text):
            if phrase.lower() not in seen:
                seen.add(phrase.lower())
                yield source, phrase


def is_risky(text: str) -> bool:
    """Whether any risk phrase (claims, likeness, prohibited, tone) occurs in `text`."""
    norm = normalise(text)
    return any(p.search(norm) for p in RISKY)


def redact(text: str) -> str:
    """`text` without any risk phrase (repeated, since a removal can join a new phrase)."""
    result = normalise(text)
    while is_risky(result):
        for pattern in RISKY:
            result = normalise(pattern.sub(" ", result))
    return result


def backing_fact(phrase: str, facts: Sequence[Fact]) -> str | None:
    """The id of the first product fact that states `phrase` itself (word-bounded)."""
    exact = re.compile(r"(?<!\w)" + re.escape(normalise(phrase)) + r"(?!\w)", re.IGNORECASE)
    return next((f.id for f in facts if exact.search(normalise(f.text))), None)


# ---------------------------------------------------------------- prices in a script
_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"})
_CURRENCIES: Mapping[str, frozenset[str]] = {
    **dict.fromkeys(("$", "dollar", "dollars", "bucks"), _DOLLARS),
    **dict.fromkeys(("€", "eur", "euro", "euros"), frozenset({"EUR"})),
    **dict.fromkeys(("£", "gbp"), frozenset({"GBP"})),
    "usd": frozenset({"USD"}),
}
_PRICE = re.compile(
    rf"(?<!\w)(?:(?P<sym>[$€£]) ?(?P<a1>{_AMOUNT})|(?P<a2>{_AMOUNT}) ?"
    r"(?P<word>[$€£]|usd|eur|gbp|dollars?|euros?|bucks))(?!\w)(?![.,]\d)"
    rf"(?!{_RATE})",  # "$9 a day" is a rate (see the earnings rule), not the product's price
    re.IGNORECASE,
)


@attrs.frozen
class StatedPrice:
    text: str
    amount: Decimal
    currencies: frozenset[str]


def stated_prices(text: str) -> Iterator[StatedPrice]:
    """Every price written in `text` ("$19.99", "19,99 €", "20 bucks")."""
    for m in _PRICE.finditer(normalise(text)):
        raw = m.group("a1") or m.group("a2")
        digits = raw.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+.*", raw) else raw
        amount = Decimal(digits.replace(",", "."))  # the pattern only admits decimals
        unit = (m.group("sym") or m.group("word")).lower()
        yield StatedPrice(m.group(0), amount, _CURRENCIES[unit])


# ---------------------------------------------------------------- enhanced prompt parts
DISCLOSURE = "#ad — AI-generated"
# Variables sit before punctuation, so no risk phrase can form across a template boundary.
PERSONA = "a relatable everyday creator talking straight to camera to {audience}, tone: {tone}"
HANDLING = "the creator holds, opens and uses {name}, on camera, showing it up close; {features}"
FEATURES = "show or mention only these features: {features}"
NO_FEATURES = "show the product itself and make no claims about what it does"
DEFAULT_AUDIENCE = "online shoppers"
DEFAULT_TONE = "friendly"
_SETTINGS = {
    "a real home kitchen countertop in warm morning light": r"kitchen\w*|cook\w*|baking|food"
    r"|coffee|tea|blender|knife|knives|pans?|snacks?",
    "a bathroom vanity with a mirror and soft, even light": r"beauty|skin\w*|makeup|cosmetics?"
    r"|hair\w*|serums?|shampoo|creams?|lotions?",
    "a home gym corner or a park path in daylight": r"fitness|gym|workout|yoga|sports?|running"
    r"|outdoors?|camping|hiking|bikes?",
    "a tidy desk setup with a laptop and a soft lamp": r"electronics|phones?|laptops?|computers?"
    r"|headphones|chargers?|office|desk",
    "a bright living-room floor with a play mat": r"baby|babies|kids|toys?|nursery",
    "a cosy living room with the pet close by": r"pets?|dogs?|cats?|puppy|kitten",
}
_SETTING_PATTERNS = tuple((_phrases(pattern), setting) for setting, pattern in _SETTINGS.items())
DEFAULT_SETTING = "a bright, lived-in home with natural window light"
_CAMERAS: Mapping[str, str] = {
    "9:16": "vertical 9:16, handheld smartphone at arm's length, eye level, slight natural "
    "shake, quick close-ups of the product",
    "16:9": "horizontal 16:9, phone on a small tripod at eye level, cut-ins to hands-on close-ups",
    "1:1": "square 1:1, handheld at chest height, centred framing with product close-ups",
}
DEFAULT_CAMERA = "handheld smartphone at eye level with close-ups of the product"


def setting_for(words: Iterable[str]) -> str:
    text = normalise(" ".join(words))
    return next((s for pattern, s in _SETTING_PATTERNS if pattern.search(text)), DEFAULT_SETTING)


def camera_for(aspect_ratio: str) -> str:
    return _CAMERAS.get(aspect_ratio, DEFAULT_CAMERA)


def shorten(text: str, words: int) -> str:
    """The first sentence of `text`, cut to `words` words."""
    sentence = re.split(r"(?<=[.!?])\s", normalise(text), maxsplit=1)[0]
    return " ".join(sentence.split()[:words]).rstrip(" .,;:")


def quote(text: str) -> str:
    text = normalise(text)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


def distinct(texts: Iterable[str]) -> list[str]:
    """Non-empty texts without case-insensitive repeats, in first-seen order."""
    found: dict[str, str] = {}
    for text in texts:
        if text:
            found.setdefault(text.lower(), text)
    return list(found.values())
