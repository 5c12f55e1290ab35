"""The answer engine: a small knowledge base matched by keywords."""

from __future__ import annotations

import re
from typing import Dict, List, Tuple

KNOWLEDGE: List[Tuple[Tuple[str, ...], str]] = [
    (("refund", "charged", "charge"), "Refunds reach your card within 5 business days."),
    (("lost", "forgot", "item"),
     "Report a lost item from the trip's page; the driver is told at once."),
    (("cancel", "cancellation"), "Cancelling within 2 minutes of booking is free."),
    (("payout", "earnings", "paid"), "Drivers are paid every Monday for the previous week."),
]
FALLBACK = "A support agent will answer you shortly."


def words(text: str) -> List[str]:
    return re.findall(r"[a-z]+", text.lower())


def answer(question: str) -> Dict[str, object]:
    """The best answer for a question, with the keywords that matched."""
    if not question.strip():
        raise ValueError("question is empty")
    said = set(words(question))
    best: Tuple[int, str, List[str]] = (0, FALLBACK, [])
    for keywords, text in KNOWLEDGE:
        hits = sorted(said.intersection(keywords))
        if len(hits) > best[0]:
            best = (len(hits), text, hits)
    return {"answer": best[1], "matched": best[2], "escalated": best[0] == 0}
