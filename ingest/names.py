"""What is odd about a file name a supplier typed: invisible characters and look-alikes.

A name such as `koppelingen_2025‑06.csv` with a non-breaking hyphen, or with a Cyrillic `о`,
looks right in every file browser and is still refused: the contract's names are ASCII. The
refusal says which character it is, where, and what it looks like, so the supplier can fix
it; the file itself is never renamed (nothing is silently fixed).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass

# Letters of other scripts that are drawn like ASCII letters in common fonts. NFKC already
# maps full-width forms, ligatures and the like; these it leaves alone.
_LOOK_ALIKES = {
    # Cyrillic
    "а": "a", "в": "B", "е": "e", "к": "k", "м": "M", "н": "H", "о": "o", "р": "p", "с": "c",
    "т": "T", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W",
    # Greek
    "α": "a", "ο": "o", "ρ": "p", "ν": "v", "ι": "i", "κ": "k", "τ": "t", "υ": "u", "χ": "x",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Dashes and the minus sign next to `-`, and what passes for `_` and `.`
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "﹣": "-",
    "‗": "_", "․": ".",
}  # fmt: skip


@dataclass(frozen=True)
class OddCharacter:
    position: int  # 1-based, as a person counts characters
    char: str
    looks_like: str  # "" when the character is invisible

    def describe(self) -> str:
        name = unicodedata.name(self.char, "") or _CONTROLS.get(self.char, "control character")
        code = f"U+{ord(self.char):04X} {name}"
        if not self.looks_like:
            return f"an invisible {code} at character {self.position}"
        shown = "a space" if self.looks_like == " " else f"'{self.looks_like}'"
        return f"{code} at character {self.position}, which looks like {shown}"


# Unicode gives control characters no name; these are the ones a typed name can hold.
_CONTROLS = {"\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}


def _invisible(char: str) -> bool:
    # Cf: format characters (zero-width space and joiners, BOM, direction marks, soft hyphen);
    # Cc: control characters; Zl, Zp: line and paragraph separators.
    return unicodedata.category(char) in ("Cf", "Cc", "Zl", "Zp")


def odd_characters(name: str) -> list[OddCharacter]:
    """Every character of the name that is invisible or only looks like an ASCII character."""
    found = []
    for position, char in enumerate(name, start=1):
        if char.isascii() and char.isprintable():
            continue
        if _invisible(char):
            found.append(OddCharacter(position, char, ""))
            continue
        looks_like = _LOOK_ALIKES.get(char) or unicodedata.normalize("NFKC", char)
        if unicodedata.category(char) == "Nd":  # digits of other scripts: ٢ is 2
            looks_like = str(unicodedata.digit(char))
        elif unicodedata.category(char) == "Zs":  # no-break, thin, ideographic spaces
            looks_like = " "
        if looks_like.isascii() and looks_like.isprintable():
            found.append(OddCharacter(position, char, looks_like))
    return found


def plain_name(name: str, odd: list[OddCharacter]) -> str:
    """The name as it reads on screen: invisible characters dropped, look-alikes replaced."""
    replaced = {c.position: c.looks_like for c in odd}
    return "".join(replaced.get(i, char) for i, char in enumerate(name, start=1))


def escaped(name: str) -> str:
    """The name with every non-ASCII or control character written as \\uXXXX (\\n for a line
    break), so a report or a log line shows it."""
    return "".join(
        c if c.isascii() and c.isprintable() else c.encode("unicode_escape").decode("ascii")
        for c in name
    )


# Slips in a name typed or saved by hand, each undone on its own; `near_names` tries them in
# every combination. A copy marker a browser, sync tool or Windows adds: " (1)", " - kopie".
_COPY = re.compile(r"( ?\(\d+\)| - (kopie|copy|Kopie|Copy)( \(\d+\))?)(?=\.[^.]+$)")
_SLIPS = (
    lambda n: n.strip(),  # a space typed before or after the name
    lambda n: _COPY.sub("", n),
    lambda n: n[: n.rfind(".")] + n[n.rfind(".") :].lower() if "." in n else n,  # .XLSX
    lambda n: n.lower(),  # Examens_…
    lambda n: n[:2].upper() + n[2:],  # gm0344_…
    lambda n: re.sub(r"[-_ ](\d{4})[-_ ](\d\d?)(?=\.[^.]+$)", r"_\1-\2", n),  # GM0344-2025_06
    lambda n: re.sub(r"(\d{4})-(\d)(?=\.[^.]+$)", r"\1-0\2", n),  # 2025-6
)


def near_names(name: str) -> list[str]:
    """Names one or more common slips away from `name`, fewest slips first."""
    found: list[str] = []
    for size in range(1, len(_SLIPS) + 1):
        for slips in itertools.combinations(_SLIPS, size):
            fixed = name
            for slip in slips:
                fixed = slip(fixed)
            if fixed != name and fixed not in found:
                found.append(fixed)
    return found
