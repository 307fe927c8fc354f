"""Social-platform publishers: the `SocialPublisher` port on TikTok, YouTube and Instagram.

Each adapter is plain httpx (a `transport` may be injected for tests), keeps no state between
calls beyond its settings, and encodes what it must remember in the publish reference
(see each module's docstring). No retries here: the core's jobs call again.
"""

from afp_adapters.social.instagram import InstagramPublisher
from afp_adapters.social.tiktok import TikTokPublisher, UploadMode
from afp_adapters.social.youtube import YouTubePublisher

__all__ = ["InstagramPublisher", "TikTokPublisher", "UploadMode", "YouTubePublisher"]
