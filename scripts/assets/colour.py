"""Colour arithmetic for the deck: WCAG contrast ratios, and blending.

The deck's rule is that every text colour has a contrast ratio of at least
7:1 (WCAG's AAA level) against what is behind it. The picture generator
checks its own colours with these functions, and the browser tests check
the slides' computed styles with them.
"""

import re

Rgba = tuple[float, float, float, float]  # 0-255 channels, alpha 0-1

HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
FUNCTION = re.compile(r"rgba?\(([^)]*)\)")


def parse(colour: str) -> Rgba:
    """A CSS colour as ``#rgb``, ``#rrggbb``, ``rgb()`` or ``rgba()``."""
    text = colour.strip()
    if match := HEX.fullmatch(text):
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        red, green, blue = (int(digits[i : i + 2], 16) for i in (0, 2, 4))
        return (red, green, blue, 1.0)
    if match := FUNCTION.fullmatch(text):
        parts = [p for p in re.split(r"[\s,/]+", match.group(1).strip()) if p]
        if len(parts) in (3, 4):
            channels = [float(p) for p in parts[:3]]
            alpha = 1.0
            if len(parts) == 4:
                last = parts[3]
                alpha = (
                    float(last[:-1]) / 100
                    if last.endswith("%")
                    else float(last)
                )
            return (channels[0], channels[1], channels[2], alpha)
    raise ValueError(f"not a colour this module reads: {colour!r}")


def over(top: Rgba, bottom: Rgba) -> Rgba:
    """``top`` painted over an opaque ``bottom`` (source-over)."""
    alpha = top[3]
    return (
        top[0] * alpha + bottom[0] * (1 - alpha),
        top[1] * alpha + bottom[1] * (1 - alpha),
        top[2] * alpha + bottom[2] * (1 - alpha),
        1.0,
    )


def luminance(colour: Rgba) -> float:
    """WCAG 2 relative luminance of an opaque colour."""

    def linear(channel: float) -> float:
        value = channel / 255
        if value <= 0.04045:
            return value / 12.92
        return float(((value + 0.055) / 1.055) ** 2.4)

    red, green, blue = (linear(c) for c in colour[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str | Rgba, background: str | Rgba) -> float:
    """The WCAG contrast ratio of text over an opaque background, 1 to 21."""
    back = parse(background) if isinstance(background, str) else background
    front = parse(foreground) if isinstance(foreground, str) else foreground
    back = over(back, (0.0, 0.0, 0.0, 1.0)) if back[3] < 1 else back
    front = over(front, back)
    lighter, darker = sorted((luminance(front), luminance(back)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
