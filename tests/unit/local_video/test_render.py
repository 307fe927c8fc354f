from __future__ import annotations

from collections.abc import Sequence

from PIL import Image, ImageChops, ImageStat

from afp_adapters.local_video import render_video, video_encoder
from tests.unit.local_video._video import jpeg, probe, top_level_boxes

CAPTIONS = ["Stop scrolling: ice for 24 hours.", "Leak-proof lid with a loop.", "Grab yours!"]
PICTURES = [jpeg((200, 60, 60)), jpeg((60, 120, 200))]


def small(
    images: Sequence[Image.Image | bytes], captions: Sequence[str], title: str | None = None
) -> bytes:
    return render_video(
        images, captions, width=180, height=320, duration_s=2.0, fps=12, title=title
    )


def lower_third(frame: Image.Image) -> Image.Image:
    width, height = frame.size
    return frame.crop((0, height * 2 // 3, width, height))


def test_the_video_decodes_at_the_asked_size_codec_pixel_format_and_duration() -> None:
    video = probe(small(PICTURES, CAPTIONS, title="Bottle"))

    assert video_encoder() in {"libx264", "libopenh264", "h264"}
    assert (video.codec, video.width, video.height) == ("h264", 180, 320)
    assert video.pix_fmt == "yuv420p"
    assert abs(video.stream_s - 2.0) < 0.5 and abs(video.container_s - 2.0) < 0.5
    assert len(video.frames) == 24  # round(duration * fps), exactly
    assert abs(len(video.frames) / 12 - 2.0) < 0.5


def test_the_moov_atom_comes_before_the_media_data_so_browsers_stream_it() -> None:
    boxes = top_level_boxes(small(PICTURES, CAPTIONS))

    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")


def test_captions_change_the_pixels_of_the_lower_third() -> None:
    plain = probe(small(PICTURES, [])).frames[6]
    captioned = probe(small(PICTURES, CAPTIONS)).frames[6]

    difference = ImageChops.difference(lower_third(plain), lower_third(captioned))
    assert max(ImageStat.Stat(difference).extrema[0]) > 100  # white text on a dark box
    top = ImageChops.difference(plain.crop((0, 0, 180, 100)), captioned.crop((0, 0, 180, 100)))
    assert max(ImageStat.Stat(top).mean) < 4  # the top of the frame is left alone


def test_odd_sizes_are_made_even_and_fractional_durations_keep_the_frame_count() -> None:
    video = probe(render_video(PICTURES, CAPTIONS, width=181, height=321, duration_s=1.5, fps=10))

    assert (video.width, video.height) == (180, 320)
    assert len(video.frames) == 15


def test_without_images_the_video_shows_title_cards() -> None:
    video = probe(small([], CAPTIONS, title="HydraPeak Bottle"))

    assert (video.width, video.height, len(video.frames)) == (180, 320, 24)
    upper = video.frames[3].crop((0, 60, 180, 180))
    assert max(hi - lo for lo, hi in ImageStat.Stat(upper).extrema) > 100  # the title is drawn


def test_undecodable_image_bytes_still_give_a_valid_video() -> None:
    images: list[Image.Image | bytes] = [b"not an image at all", b"\xff\xd8\xff\xe0 broken jpeg"]

    video = probe(small(images, CAPTIONS, title=None))

    assert (video.codec, len(video.frames)) == ("h264", 24)


def test_pil_images_and_text_the_font_cannot_draw_are_accepted() -> None:
    images: list[Image.Image | bytes] = [Image.new("RGBA", (50, 900), (10, 200, 10, 128))]

    video = probe(small(images, ["日本語だけ", "Café — crème €5"], title="日本"))

    assert len(video.frames) == 24


def test_the_same_inputs_draw_the_same_frames() -> None:
    first = probe(small(PICTURES, CAPTIONS)).frames
    second = probe(small(PICTURES, CAPTIONS)).frames

    # x264 may pack the bits differently from run to run; what is drawn does not change
    for a, b in zip(first, second, strict=True):
        assert max(ImageStat.Stat(ImageChops.difference(a, b)).mean) < 3
