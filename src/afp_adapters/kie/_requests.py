"""Create-call bodies, one per input schema (doc § 2.1 for Veo, § 3.2 for Sora 2)."""

from __future__ import annotations

from typing import Any

from afp_adapters.kie.models import KieFamily, KieModel, KieSchema
from afp_core.domain.errors import ProviderRejected
from afp_core.domain.video import VideoSpec
from afp_core.ports.generation import VideoRequest

DEFAULT_ASPECT_RATIO = "9:16"  # AFP makes vertical ads unless told otherwise
_SORA_ORIENTATION = {"9:16": "portrait", "16:9": "landscape"}
_VEO_RATIOS = ("9:16", "16:9")


def compose_prompt(spec: VideoSpec) -> str:
    """The scene prompt, then the spoken script when it is not already part of it."""
    prompt = spec.prompt.strip()
    script = spec.script_text.strip()
    if script and script not in prompt:
        spoken = f'The presenter says, word for word: "{script}"'
        prompt = f"{prompt}\n{spoken}" if prompt else spoken
    return prompt


def create_path(model: KieModel) -> str:
    return "/api/v1/veo/generate" if model.family is KieFamily.VEO else "/api/v1/jobs/createTask"


def build_create_body(request: VideoRequest, model: KieModel) -> dict[str, Any]:
    """The JSON body of the create call. Raises `ProviderRejected` for what the model cannot
    render (duration, aspect ratio, prompt length), before anything is sent."""
    spec = request.spec
    prompt = compose_prompt(spec)
    if not prompt:
        raise ProviderRejected(f"{spec.model}: the video prompt is empty")
    if model.max_prompt_chars is not None and len(prompt) > model.max_prompt_chars:
        raise ProviderRejected(
            f"{spec.model}: the prompt has {len(prompt)} characters, "
            f"Kie.ai takes at most {model.max_prompt_chars}"
        )
    if model.durations_s and spec.duration_s not in model.durations_s:
        allowed = " or ".join(str(d) for d in model.durations_s)
        raise ProviderRejected(
            f"{spec.model} renders {allowed} s on Kie.ai, not {spec.duration_s} s"
        )
    if model.schema is KieSchema.SORA:
        inputs = _sora_input(spec, prompt, model)
    else:
        inputs = _veo_input(spec, prompt, model)
    if model.family is KieFamily.VEO:
        body = {**inputs}
        if request.callback_url:
            body["callBackUrl"] = request.callback_url
        return body
    body = {"model": _jobs_model_id(spec, model)}
    if request.callback_url:
        body["callBackUrl"] = request.callback_url
    if model.variant:
        inputs = {**inputs, "model": model.variant}
    body["input"] = inputs
    return body


def _aspect_ratio(spec: VideoSpec) -> str:
    return spec.aspect_ratio or DEFAULT_ASPECT_RATIO


def _images(spec: VideoSpec, model: KieModel) -> list[str]:
    return list(spec.image_urls[: model.max_images])


def _jobs_model_id(spec: VideoSpec, model: KieModel) -> str:
    if spec.image_urls and model.image_model_id:
        return model.image_model_id
    return model.model_id


def _veo_input(spec: VideoSpec, prompt: str, model: KieModel) -> dict[str, Any]:
    ratio = _aspect_ratio(spec)
    if ratio not in _VEO_RATIOS:
        raise ProviderRejected(f"{spec.model} renders 9:16 or 16:9 on Kie.ai, not {ratio}")
    body: dict[str, Any] = {"prompt": prompt}
    images = _images(spec, model)
    if images:
        body["imageUrls"] = images
    if model.family is KieFamily.VEO:
        body["model"] = model.model_id
    body["aspect_ratio"] = ratio
    body["enableTranslation"] = True
    if images and model.reference_generation_type:
        body["generationType"] = model.reference_generation_type
    body.update(model.extra)
    return body


def _sora_input(spec: VideoSpec, prompt: str, model: KieModel) -> dict[str, Any]:
    ratio = _aspect_ratio(spec)
    orientation = _SORA_ORIENTATION.get(ratio)
    if orientation is None:
        raise ProviderRejected(f"{spec.model} renders 9:16 or 16:9 on Kie.ai, not {ratio}")
    body: dict[str, Any] = {"prompt": prompt}
    images = _images(spec, model)
    if images:
        body["image_urls"] = images
    body["aspect_ratio"] = orientation
    body["n_frames"] = str(spec.duration_s)
    body["remove_watermark"] = True
    body.update(model.extra)
    return body


__all__ = ["DEFAULT_ASPECT_RATIO", "build_create_body", "compose_prompt", "create_path"]
