"""Sound-alike characters for the matcher's fuzzy stage: toneless 拼音 readings from jionlp's character
dictionary, read once per process."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from typing import ClassVar

from gridgov.address.cn_divisions import jionlp_dictionary

__all__ = ["Phonetic", "shared_phonetic"]


class Phonetic:
    """Toneless 拼音 readings of single characters, for sound-alike typos (锐/瑞, 宜/怡, 峰/丰).

    Read from the character dictionary shipped inside the ``jionlp`` package (a declared dependency) without
    importing it: importing jionlp loads large dictionaries this matcher does not need."""

    _FILE: ClassVar[str] = "chinese_char_dictionary"
    _READING: ClassVar[re.Pattern[str]] = re.compile(r"\[([a-zàáāǎòóōǒèéēěìíīǐùúūǔǜǘǖǚǹńňüḿ]{1,8})\]")
    _INITIALS: ClassVar[tuple[tuple[str, str], ...]] = (("zh", "z"), ("ch", "c"), ("sh", "s"))

    def __init__(self, readings: dict[str, tuple[str, ...]]) -> None:
        self._readings = readings

    @classmethod
    def load(cls) -> Phonetic | None:
        try:
            folder = jionlp_dictionary()
            txt, packed = folder / f"{cls._FILE}.txt", folder / f"{cls._FILE}.zip"
            if txt.is_file():
                text = txt.read_text(encoding="utf-8")
            elif packed.is_file():
                with zipfile.ZipFile(packed) as archive:
                    text = archive.read(f"{cls._FILE}.txt").decode("utf-8")
            else:
                return None
        except (OSError, ValueError, KeyError, ImportError, RuntimeError, zipfile.BadZipFile):  # pragma: no cover
            return None
        readings: dict[str, tuple[str, ...]] = {}
        for line in text.splitlines():
            ch, _, rest = line.partition("\t")
            if len(ch) != 1:
                continue
            found = {cls._plain(r) for r in cls._READING.findall(rest)}
            if found:
                readings[ch] = tuple(sorted(found))
        return cls(readings) if readings else None

    @classmethod
    def _plain(cls, reading: str) -> str:
        """nǚ → nu, zhōng → zon: no tones, and zh/z, ch/c, sh/s, -ng/-n merged (common southern confusions)."""
        py = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
        for a, b in cls._INITIALS:
            if py.startswith(a):
                py = b + py[len(a) :]
                break
        return py[:-1] if py.endswith("ng") else py

    def same_sound(self, a: str, b: str) -> bool:
        ra, rb = self._readings.get(a), self._readings.get(b)
        return ra is not None and rb is not None and not set(ra).isdisjoint(rb)


_PHONETIC: list[Phonetic | None] = []


def shared_phonetic() -> Phonetic | None:
    if not _PHONETIC:
        _PHONETIC.append(Phonetic.load())
    return _PHONETIC[0]
