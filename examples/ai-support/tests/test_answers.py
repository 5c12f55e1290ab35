import pytest

from ai_support.answers import FALLBACK, answer


def test_matches_the_entry_with_most_keywords() -> None:
    result = answer("I was charged twice, can I get a refund?")
    assert str(result["answer"]).startswith("Refunds")
    assert result["matched"] == ["charged", "refund"]
    assert result["escalated"] is False


def test_unknown_question_is_escalated() -> None:
    result = answer("What is the meaning of life?")
    assert result == {"answer": FALLBACK, "matched": [], "escalated": True}


def test_empty_question_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        answer("   ")
