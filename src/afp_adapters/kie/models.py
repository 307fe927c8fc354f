"""Which Kie.ai endpoints and input fields render each AFP video model.

Kie.ai has two task families (see `docs/providers/kie.md` § 2 and § 3):

* `VEO`: `POST /api/v1/veo/generate` + `GET /api/v1/veo/record-info` (Veo 3.1, older but live);
* `JOBS`: `POST /api/v1/jobs/createTask` + `GET /api/v1/jobs/recordInfo` (Sora 2 and every other
  market model; newer docs say Veo moved here too, as model `veo-3-1`).

A `KieModel` says which family a model uses and which input schema its body follows, so Veo can
run either way by configuration.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

import attrs


class KieFamily(enum.StrEnum):
    """The pair of create / query endpoints a task lives on. Its value prefixes task ids."""

    VEO = "veo"
    JOBS = "jobs"


class KieSchema(enum.StrEnum):
    """Which input fields the create body carries."""

    VEO = "veo"  # prompt, imageUrls, aspect_ratio 16:9|9:16, generationType; fixed 8 s
    SORA = "sora"  # input.prompt, image_urls (exactly 1), aspect_ratio portrait|landscape, n_frames


_FAMILIES = frozenset(family.value for family in KieFamily)


def _frozen_mapping(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(value))


@attrs.frozen
class KieModel:
    """How one AFP model id is rendered on Kie.ai.

    `model_id` is Kie's model for text-only renders (`veo3_fast`, `sora-2-text-to-video`,
    `veo-3-1`); `image_model_id` the one used when reference images are given (jobs family; the
    Veo endpoint takes images with the same model). `variant` is `input.model` for Veo on the
    jobs family. `extra` is merged last into the body (Veo family) or into `input` (jobs), for
    flags such as `watermark`, `seeds`, `size` or `resolution`.
    """

    family: KieFamily
    schema: KieSchema
    model_id: str
    image_model_id: str | None = None
    variant: str | None = None
    max_images: int = 1
    reference_generation_type: str | None = None
    durations_s: tuple[int, ...] = ()
    max_prompt_chars: int | None = None
    extra: Mapping[str, object] = attrs.field(factory=dict, converter=_frozen_mapping, hash=False)

    @classmethod
    def veo(
        cls,
        model_id: str,
        *,
        reference_images: bool = False,
        extra: Mapping[str, object] | None = None,
    ) -> KieModel:
        """Veo 3.1 on `/veo/generate`. With `reference_images`, up to 3 product images go as
        `REFERENCE_2_VIDEO` (Fast model only); otherwise one image is the reference frame."""
        return cls(
            family=KieFamily.VEO,
            schema=KieSchema.VEO,
            model_id=model_id,
            max_images=3 if reference_images else 1,
            reference_generation_type="REFERENCE_2_VIDEO" if reference_images else None,
            durations_s=(8,),
            extra=extra or {},
        )

    @classmethod
    def veo_on_jobs(
        cls,
        variant: str,
        *,
        reference_images: bool = False,
        extra: Mapping[str, object] | None = None,
    ) -> KieModel:
        """Veo 3.1 as the market model `veo-3-1` on `/jobs/createTask` (doc § 2.5, unverified)."""
        return attrs.evolve(
            cls.veo(variant, reference_images=reference_images, extra=extra),
            family=KieFamily.JOBS,
            model_id="veo-3-1",
            variant=variant,
        )

    @classmethod
    def sora(
        cls,
        text_model_id: str,
        image_model_id: str,
        *,
        extra: Mapping[str, object] | None = None,
    ) -> KieModel:
        """A Sora 2 model pair on `/jobs/createTask`: text-to-video and image-to-video ids."""
        return cls(
            family=KieFamily.JOBS,
            schema=KieSchema.SORA,
            model_id=text_model_id,
            image_model_id=image_model_id,
            max_images=1,
            durations_s=(10, 15),
            max_prompt_chars=5000,  # 10 000 on the newer page, 5 000 on an older one
            extra={"upload_method": "s3", **(extra or {})},
        )


def default_models() -> Mapping[str, KieModel]:
    """The AFP models of `default_price_table()` that Kie.ai renders (all but `afp-local`)."""
    return MappingProxyType(
        {
            "veo3_fast": KieModel.veo("veo3_fast", reference_images=True),
            "veo3": KieModel.veo("veo3"),
            "sora-2": KieModel.sora("sora-2-text-to-video", "sora-2-image-to-video"),
            "sora-2-pro": KieModel.sora(
                "sora-2-pro-text-to-video",
                "sora-2-pro-image-to-video",
                extra={"size": "standard"},
            ),
        }
    )


@attrs.frozen
class TaskRef:
    """A Kie task id and, when known, the family to query it on."""

    provider_id: str
    family: KieFamily | None

    @classmethod
    def parse(cls, task_id: str) -> TaskRef:
        """`veo:<id>` / `jobs:<id>` as `submit` returns them; a plain id is guessed from Kie's
        documented shapes (`veo_task_…` is Veo, `task_<model>_<ms>` is jobs) or left open."""
        prefix, sep, rest = task_id.partition(":")
        if sep and rest and prefix in _FAMILIES:
            return cls(rest, KieFamily(prefix))
        if task_id.startswith("veo_task_"):
            return cls(task_id, KieFamily.VEO)
        if task_id.startswith("task_"):
            return cls(task_id, KieFamily.JOBS)
        return cls(task_id, None)

    def __str__(self) -> str:
        return f"{self.family.value}:{self.provider_id}" if self.family else self.provider_id


def task_id_for(family: KieFamily, provider_id: str) -> str:
    """The task id AFP stores: the family, a colon, Kie's own id."""
    return str(TaskRef(provider_id, family))


__all__ = ["KieFamily", "KieModel", "KieSchema", "TaskRef", "default_models", "task_id_for"]
