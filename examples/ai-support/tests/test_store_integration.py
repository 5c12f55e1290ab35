"""Integration test: the conversation store against a real PostgreSQL and Redis.

Run with `pytest -m integration`; DATABASE_URL and REDIS_URL name the servers (the pipeline's
integration-tests workflow starts postgres:15 and redis:7 and sets both).
"""

import os
import uuid
from typing import Iterator

import pytest

from ai_support.store import ConversationStore

pytestmark = pytest.mark.integration


@pytest.fixture()
def store() -> Iterator[ConversationStore]:
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{' and '.join(missing)} must name the test servers for integration tests")
    s = ConversationStore(os.environ["DATABASE_URL"], os.environ["REDIS_URL"], cache_ttl=60)
    s.migrate()
    yield s
    s.close()


def test_answers_are_stored_and_cached(store: ConversationStore) -> None:
    user = f"rider-{uuid.uuid4()}"
    question = f"How do I get a refund for trip {uuid.uuid4()}?"
    first = store.ask(user, question)
    second = store.ask(user, question)
    assert first["answer"] == second["answer"]
    assert (first["cached"], second["cached"]) == (False, True)
    assert store.history(user) == [question, question]
