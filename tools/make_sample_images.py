"""Draw the demo's logo and images into ``events/static/`` (the site bucket's ``static/``).

The sample articles show a logo, a hero image, an inline image and a gallery; these are flat
illustrations drawn here with Pillow (seeded, so a rerun gives the same pictures), small enough
to keep in the repository, and ours to license with the project (Apache-2.0). Text uses the
DejaVu Sans Bold font when the system has it (Debian's fonts-dejavu-core), else Pillow's own.

    .venv/bin/pip install pillow && .venv/bin/python tools/make_sample_images.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:  # a drawing tool only, so Pillow is no dependency of the package
    sys.exit("make_sample_images.py needs Pillow: .venv/bin/pip install pillow")

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "events" / "static"
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _font(size: int) -> ImageFont.ImageFont:
    if FONT.exists():
        return ImageFont.truetype(str(FONT), size)
    return ImageFont.load_default(size=size)


def _sky(draw: ImageDraw.ImageDraw, width: int, height: int, top: tuple, bottom: tuple) -> None:
    for y in range(height):
        t = y / max(height - 1, 1)
        draw.line([(0, y), (width, y)],
                  fill=tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))


def _crane(draw: ImageDraw.ImageDraw, x: int, base: int, scale: float, colour: tuple) -> None:
    s = scale
    draw.rectangle([x, base - 260 * s, x + 18 * s, base], fill=colour)          # tower
    draw.polygon([(x - 40 * s, base), (x + 58 * s, base), (x + 9 * s, base - 60 * s)],
                 fill=colour)                                                   # legs
    draw.rectangle([x - 120 * s, base - 270 * s, x + 200 * s, base - 255 * s], fill=colour)
    draw.line([(x + 9 * s, base - 320 * s), (x - 110 * s, base - 268 * s)], fill=colour,
              width=max(2, round(4 * s)))
    draw.line([(x + 9 * s, base - 320 * s), (x + 190 * s, base - 268 * s)], fill=colour,
              width=max(2, round(4 * s)))
    draw.line([(x + 170 * s, base - 255 * s), (x + 170 * s, base - 150 * s)], fill=colour,
              width=max(1, round(2 * s)))


def regatta(width: int = 1600, height: int = 900) -> Image.Image:
    rng = random.Random(1)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    water = int(height * 0.58)
    _sky(draw, width, water, (126, 182, 228), (226, 238, 246))
    for x, scale in ((180, 1.0), (520, 0.8), (1260, 1.1)):
        _crane(draw, x, water, scale, (58, 74, 92))
    draw.rectangle([0, water - 40, width, water], fill=(96, 104, 112))         # quay
    for y in range(water, height):
        t = (y - water) / (height - water)
        draw.line([(0, y), (width, y)], fill=(round(40 + 30 * t), round(96 + 20 * t),
                                             round(140 - 30 * t)))
    for _ in range(70):                                                         # ripples
        x, y = rng.randrange(width), rng.randrange(water + 10, height)
        draw.line([(x, y), (x + rng.randrange(30, 90), y)], fill=(170, 204, 228), width=2)
    colours = [(214, 48, 49), (253, 203, 110), (9, 132, 227), (0, 184, 148), (232, 67, 147)]
    for lane in range(5):                                                       # rowing boats
        y = water + 90 + lane * 58
        x = 220 + lane * 90
        draw.polygon([(x, y), (x + 420, y), (x + 440, y - 12), (x - 10, y - 12)],
                     fill=colours[lane])
        for oar in range(6):
            ox = x + 50 + oar * 60
            draw.line([(ox, y - 10), (ox - 30, y + 26)], fill=(250, 250, 250), width=4)
            draw.ellipse([ox - 8, y - 34, ox + 8, y - 18], fill=(40, 40, 48))
    return image


def night_market(width: int = 1200, height: int = 800) -> Image.Image:
    rng = random.Random(2)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    _sky(draw, width, height, (18, 24, 58), (64, 46, 90))
    ground = int(height * 0.72)
    draw.rectangle([0, ground, width, height], fill=(42, 36, 48))
    for i in range(6):                                                          # stalls
        x = 40 + i * 195
        draw.rectangle([x, ground - 170, x + 170, ground], fill=(92, 62, 44))
        stripes = [(230, 80, 60), (245, 236, 220)]
        for j in range(6):
            draw.polygon([(x - 10 + j * 32, ground - 170), (x + 22 + j * 32, ground - 170),
                          (x + 22 + j * 32, ground - 220), (x - 10 + j * 32, ground - 220)],
                         fill=stripes[j % 2])
        draw.rectangle([x + 12, ground - 120, x + 158, ground - 60], fill=(255, 196, 96))
    for _ in range(3):                                                          # lantern strings
        y0 = rng.randrange(90, 260)
        draw.line([(0, y0), (width, y0 + rng.randrange(-40, 40))], fill=(30, 30, 30), width=2)
        for k in range(18):
            x = 30 + k * 66
            y = y0 + 14 + (k % 3) * 4
            colour = rng.choice([(255, 170, 60), (255, 90, 80), (255, 220, 120)])
            draw.ellipse([x - 20, y - 20, x + 20, y + 20], fill=colour)
    for _ in range(40):                                                         # visitors
        x = rng.randrange(0, width)
        tall = rng.randrange(60, 110)
        draw.ellipse([x - 10, height - 70 - tall, x + 10, height - 50 - tall], fill=(20, 18, 26))
        draw.rounded_rectangle([x - 18, height - 52 - tall, x + 18, height - 20], 10,
                               fill=(20, 18, 26))
    return image


def stage_crowd(width: int = 1200, height: int = 800) -> Image.Image:
    rng = random.Random(3)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    _sky(draw, width, height, (10, 10, 30), (50, 20, 70))
    for x, colour in ((250, (120, 80, 255)), (600, (255, 80, 160)), (950, (80, 200, 255))):
        draw.polygon([(x, 120), (x - 220, 560), (x + 220, 560)], fill=tuple(c // 3 for c in colour))
        draw.ellipse([x - 18, 102, x + 18, 138], fill=colour)
    draw.rectangle([140, 480, 1060, 560], fill=(40, 40, 52))                    # stage
    draw.rectangle([120, 80, 1080, 110], fill=(60, 60, 72))                     # truss
    for k in range(4):                                                          # band
        x = 360 + k * 160
        draw.ellipse([x - 16, 380, x + 16, 412], fill=(230, 230, 240))
        draw.rounded_rectangle([x - 24, 412, x + 24, 480], 10, fill=(230, 230, 240))
    for row in range(5):                                                        # crowd
        for _ in range(40):
            x = rng.randrange(-20, width + 20)
            y = 590 + row * 45 + rng.randrange(-10, 10)
            shade = 10 + row * 6
            draw.ellipse([x - 22, y - 22, x + 22, y + 22], fill=(shade, shade, shade + 12))
            draw.rounded_rectangle([x - 34, y + 14, x + 34, height + 40], 20,
                                   fill=(shade, shade, shade + 12))
            if rng.random() < 0.15:
                draw.line([(x + 20, y), (x + 40, y - 60)], fill=(shade, shade, shade + 12),
                          width=10)
    return image


def crane_walk(width: int = 1200, height: int = 800) -> Image.Image:
    rng = random.Random(4)
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    _sky(draw, width, height, (250, 196, 140), (255, 236, 210))
    ground = int(height * 0.78)
    _crane(draw, 520, ground, 1.7, (170, 60, 40))
    draw.rectangle([0, ground, width, height], fill=(120, 110, 100))
    draw.polygon([(0, height), (width, height), (width * 0.62, ground), (width * 0.38, ground)],
                 fill=(160, 150, 136))                                          # path
    for k in range(9):                                                          # walkers
        x = 380 + k * 55 + rng.randrange(-10, 10)
        y = ground + 40 + (k % 3) * 22
        colour = rng.choice([(40, 70, 120), (60, 110, 80), (150, 50, 60), (50, 50, 60)])
        draw.ellipse([x - 9, y - 64, x + 9, y - 46], fill=(70, 50, 40))
        draw.rounded_rectangle([x - 14, y - 46, x + 14, y], 6, fill=colour)
        draw.line([(x - 6, y), (x - 8, y + 26)], fill=(40, 40, 48), width=6)
        draw.line([(x + 6, y), (x + 8, y + 26)], fill=(40, 40, 48), width=6)
    return image


def logo(width: int = 600, height: int = 60) -> Image.Image:
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([4, 6, 52, 54], 10, fill=(179, 18, 46, 255))
    for k in range(3):                                                          # waves
        y = 22 + k * 10
        draw.arc([10, y - 6, 30, y + 6], 200, 340, fill=(255, 255, 255, 255), width=3)
        draw.arc([26, y - 6, 46, y + 6], 200, 340, fill=(255, 255, 255, 255), width=3)
    draw.text((66, 30), "WanderStayFinder", font=_font(34), fill=(29, 29, 31, 255), anchor="lm")
    return image


def main() -> None:
    images = STATIC / "images"
    images.mkdir(parents=True, exist_ok=True)
    for name, picture in (("river-festival-regatta.jpg", regatta()),
                          ("night-market.jpg", night_market()),
                          ("stage-crowd.jpg", stage_crowd()),
                          ("crane-walk.jpg", crane_walk())):
        picture.save(images / name, "JPEG", quality=72, optimize=True, progressive=True)
    logo().save(STATIC / "logo-600x60.png", "PNG", optimize=True)
    for path in sorted(STATIC.rglob("*.*")):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
