"""WCAG contrast ratios and blending, for the deck's rule that every text
has 7:1 (AAA) against what is behind it: the pictures and the slides."""

import re

Rgba = tuple[float, float, float, float]  # 0-255 channels, alpha 0-1

HEX = re.compile(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
FUNCTION = re.compile(r"rgba?\(([^)]*)\)")


def parse(colour: str) -> Rgba:
    """A CSS colour as ``#rgb``, ``#rrggbb``, ``rgb()`` or ``rgba()``."""
    text = colour.strip()
    if match := HEX.fullmatch(text):
        digits = match[1]
        if len(digits) == 3:
            digits = "".join(2 * d for d in digits)
        rgb = [float(int(digits[i : i + 2], 16)) for i in (0, 2, 4)]
        return (rgb[0], rgb[1], rgb[2], 1.0)
    if match := FUNCTION.fullmatch(text):
        parts = [p for p in re.split(r"[\s,/]+", match[1].strip()) if p]
        if len(parts) in (3, 4):
            red, green, blue = (float(p) for p in parts[:3])
            alpha = parts[3] if len(parts) == 4 else "1"
            scale = 100 if alpha.endswith("%") else 1
            return (red, green, blue, float(alpha.rstrip("%")) / scale)
    raise ValueError(f"not a colour this module reads: {colour!r}")


def over(top: Rgba, bottom: Rgba) -> Rgba:
    """``top`` painted over an opaque ``bottom`` (source-over)."""
    a = top[3]
    red, green, blue = (
        t * a + b * (1 - a) for t, b in zip(top[:3], bottom[:3], strict=True)
    )
    return (red, green, blue, 1.0)


def luminance(colour: Rgba) -> float:
    """WCAG 2 relative luminance of an opaque colour."""
    red, green, blue = (
        c / 12.92 if c <= 0.04045 else float(((c + 0.055) / 1.055) ** 2.4)
        for c in (channel / 255 for channel in colour[:3])
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str | Rgba, background: str | Rgba) -> float:
    """The WCAG contrast ratio of text over an opaque background, 1 to 21."""
    back = parse(background) if isinstance(background, str) else background
    front = parse(foreground) if isinstance(foreground, str) else foreground
    back = over(back, (0.0, 0.0, 0.0, 1.0)) if back[3] < 1 else back
    darker, lighter = sorted((luminance(over(front, back)), luminance(back)))
    return (lighter + 0.05) / (darker + 0.05)
