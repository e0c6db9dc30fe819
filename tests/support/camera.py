"""A fake camera for browser tests: a Y4M video of a ticket's QR code, for Chromium's
`--use-fake-device-for-media-stream --use-file-for-fake-video-capture=<file.y4m>` (it loops the file).

The code is drawn as a phone would see a printed ticket held up to it: big, black on white, with the
white quiet zone around it (four modules, as the QR standard asks), centred on a white 640x480 frame.
The frame goes to YUV 4:2:0 through Pillow's YCbCr (JPEG-range, hence C420jpeg) and is written ~20
times, so that the reader finds the code whichever frame it grabs.
"""
from __future__ import annotations

from pathlib import Path

from PIL import Image

from services.tickets import qr

WIDTH, HEIGHT = 640, 480
QUIET = 4  # modules of white around the code
HEADER = b"YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n"


def qr_frame(payload: str, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """An RGB frame with the payload's QR code as big as fits, on white, modules whole pixels."""
    modules = qr.matrix(payload)  # dark = 1, no quiet zone
    size = len(modules)
    scale = min(width, height) // (size + 2 * QUIET)
    if scale < 3:
        raise ValueError(f"a {size}-module code does not fit {width}x{height} at 3 px a module")
    code = Image.new("L", (size, size), 255)
    code.putdata([0 if dark else 255 for row in modules for dark in row])
    code = code.resize((size * scale, size * scale), Image.NEAREST)
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(code.convert("RGB"), ((width - code.width) // 2, (height - code.height) // 2))
    return frame


def yuv420(frame: Image.Image) -> bytes:
    """The frame as planar Y, then Cb and Cr at half width and height (one frame of a C420jpeg Y4M)."""
    if frame.width % 2 or frame.height % 2:
        raise ValueError("4:2:0 needs an even width and height")
    y, cb, cr = frame.convert("YCbCr").split()
    half = (frame.width // 2, frame.height // 2)
    return y.tobytes() + cb.resize(half, Image.BOX).tobytes() + cr.resize(half, Image.BOX).tobytes()


def write_y4m(path: Path | str, frame: Image.Image, frames: int = 20) -> Path:
    """`frames` identical frames of `frame`, as a Y4M file at 10 fps."""
    path = Path(path)
    data = yuv420(frame)
    with path.open("wb") as out:
        out.write(HEADER % (frame.width, frame.height))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(data)
    return path


def qr_video(payload: str, path: Path | str, frames: int = 20) -> Path:
    """A Y4M file showing the QR code of `payload` (a ticket's "JT:..." text), for the fake camera."""
    return write_y4m(path, qr_frame(payload), frames)
