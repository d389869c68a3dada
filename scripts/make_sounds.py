"""Writes the feedback sounds in resources/sounds/ (run again to change them).

Short, distinct tones a grader recognises without looking: a rising double beep for a good
scan, a single mid tone for a code the station does not know, a low buzz for an error.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
OUT = Path(__file__).resolve().parent.parent / "resources" / "sounds"

# (frequency Hz, seconds, square-ish?) segments; 0 Hz is silence
SOUNDS = {
    "success": [(1320, 0.07, False), (0, 0.03, False), (1760, 0.09, False)],
    "unknown": [(880, 0.18, False)],
    "error": [(220, 0.12, True), (0, 0.04, False), (220, 0.16, True)],
}


def samples(freq: float, seconds: float, square: bool) -> list[int]:
    count = int(RATE * seconds)
    out = []
    for n in range(count):
        if freq == 0:
            out.append(0)
            continue
        value = math.sin(2 * math.pi * freq * n / RATE)
        if square:
            value = max(-1.0, min(1.0, value * 3)) * 0.8
        envelope = min(1.0, n / 200, (count - n) / 200)
        out.append(int(value * envelope * 0.6 * 32767))
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, segments in SOUNDS.items():
        data = [s for segment in segments for s in samples(*segment)]
        with wave.open(str(OUT / f"{name}.wav"), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(struct.pack(f"<{len(data)}h", *data))
        print(f"wrote {OUT / name}.wav")


if __name__ == "__main__":
    main()
