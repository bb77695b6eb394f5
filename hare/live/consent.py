"""What a person agrees to when storing their answers: the two boxes' words, declared once for
the live page, the answers store (each session records the version it was given) and the
export's datasheet. The version is a hash of the words, so any change to them is a new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Consent:
    """The boxes' words: the answers, and (a second box) the profile."""

    answers: str
    profile: str

    @property
    def version(self) -> str:
        text = f"{self.answers}\n{self.profile}".encode()
        return hashlib.sha256(text).hexdigest()[:12]


CONSENT = Consent(
    answers=("Store my answers for research: the changes each question showed and on which "
             "side, my choices, how long I took, and the session's settings and rules. Not my "
             "profile. I can delete them from this page until I leave it."),
    profile="Also store my profile (the values above), so the answers can be studied with it.",
)

# What no stored session holds, whatever was ticked (the datasheet repeats it).
NEVER_STORED = ("names, free text, IP addresses, cookies or browser details; the link token "
                "(only a one-way hash of it, the pseudonymous participant id)")

# The two questions as the page asks them (the page draws these words; the datasheet quotes them).
QUESTIONS = {"compare": "Which of these two would you rather do?",
             "accept": "Is this good enough?"}

# The licence the export's datasheet states for the answers (the datasets keep their own).
LICENCE = ("Creative Commons Attribution 4.0 (CC BY 4.0) for the stored answers; the datasets "
           "the questions were drawn from keep their own licences (UCI Adult: CC BY 4.0; "
           "ProPublica COMPAS: as published by ProPublica).")
