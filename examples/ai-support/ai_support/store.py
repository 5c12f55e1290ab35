"""Conversation history in PostgreSQL with a Redis cache of answers (DATABASE_URL, REDIS_URL)."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Dict, List, Optional

from .answers import answer


class ConversationStore:
    def __init__(self, database_url: str, redis_url: str, cache_ttl: int = 3600) -> None:
        # Imported here: the HTTP service itself needs only the standard library.
        import psycopg2
        import redis

        self._db: Any = psycopg2.connect(database_url)
        self._db.autocommit = True
        self._cache: Any = redis.Redis.from_url(redis_url)
        self._ttl = cache_ttl

    def migrate(self) -> None:
        with self._db.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS conversations ("
                " id SERIAL PRIMARY KEY, user_id TEXT NOT NULL,"
                " question TEXT NOT NULL, answer TEXT NOT NULL,"
                " created TIMESTAMPTZ NOT NULL DEFAULT now())"
            )

    def ask(self, user_id: str, question: str) -> Dict[str, object]:
        key = "answer:" + hashlib.sha256(question.strip().lower().encode()).hexdigest()
        cached: Optional[bytes] = self._cache.get(key)
        if cached is not None:
            result: Dict[str, object] = json.loads(cached)
            result["cached"] = True
        else:
            result = answer(question)
            self._cache.setex(key, self._ttl, json.dumps(result))
            result["cached"] = False
        with self._db.cursor() as cur:
            cur.execute(
                "INSERT INTO conversations (user_id, question, answer) VALUES (%s, %s, %s)",
                (user_id, question, str(result["answer"])),
            )
        return result

    def history(self, user_id: str) -> List[str]:
        with self._db.cursor() as cur:
            cur.execute(
                "SELECT question FROM conversations WHERE user_id = %s ORDER BY id", (user_id,)
            )
            return [row[0] for row in cur.fetchall()]

    def close(self) -> None:
        self._db.close()
        self._cache.close()
