"""AssessContent: score risk and quality, enhance the prompt and recommend a model."""

from __future__ import annotations

import attrs

from afp_core.domain.assessment import Assessment, AssessmentInput, assess
from afp_core.domain.ids import UserId
from afp_core.domain.pricing import PriceTable
from afp_core.domain.product import ProductFacts
from afp_core.domain.script import Script
from afp_core.ports.generation import ContentModerator, ImageInspector
from afp_core.ports.unit_of_work import UnitOfWorkFactory


@attrs.frozen
class AssessContentCommand:
    user_id: UserId
    product: ProductFacts
    script: Script
    image_urls: tuple[str, ...] = ()
    prompt: str = ""
    model: str | None = None
    duration_s: int | None = None
    aspect_ratio: str = "9:16"
    likeness_consent: bool = False


class AssessContent:
    """Spends nothing and writes nothing: the moderator and image probe feed the pure
    `assess` function with the user's plan tier."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        prices: PriceTable,
        moderator: ContentModerator,
        images: ImageInspector,
    ) -> None:
        self._uow = uow
        self._prices = prices
        self._moderator = moderator
        self._images = images

    async def execute(self, command: AssessContentCommand) -> Assessment:
        async with self._uow() as uow:
            user = await uow.users.get(command.user_id)
        image_urls = command.image_urls or command.product.images
        flags = await self._moderator.flags(f"{command.script.text}\n{command.prompt}", image_urls)
        images = await self._images.inspect(image_urls)
        return assess(
            AssessmentInput(
                product=command.product,
                script=command.script,
                prompt=command.prompt,
                images=tuple(images),
                requested_model=command.model,
                duration_s=command.duration_s or command.script.duration_s,
                aspect_ratio=command.aspect_ratio,
                plan=user.plan,
                likeness_consent=command.likeness_consent,
                moderation_flags=tuple(flags),
            ),
            self._prices,
        )
