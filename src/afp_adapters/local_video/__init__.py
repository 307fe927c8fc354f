"""Local video rendering: real MP4s made offline from product images and script lines."""

from afp_adapters.local_video.generator import LocalVideoGenerator, Renderer, frame_size
from afp_adapters.local_video.images import ImageSource, OfflineImageSource
from afp_adapters.local_video.render import render_video, video_encoder

__all__ = [
    "ImageSource",
    "LocalVideoGenerator",
    "OfflineImageSource",
    "Renderer",
    "frame_size",
    "render_video",
    "video_encoder",
]
