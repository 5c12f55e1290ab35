"""Answers rider and driver questions."""


def answer(question: str) -> str:
    """The canned answer for a question (a stand-in for the model)."""
    text = question.lower()
    if "refund" in text:
        return "Refunds reach your card within 5 business days."
    if "payout" in text:
        return "Drivers are paid every Monday."
    return "A support agent will answer you shortly."
