"""Settings from the environment (spec 7.1): the ConfigMap and the Secret of the Deployment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting with a value the service cannot use."""


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be greater than 0")
    return value


@dataclass(frozen=True)
class Config:
    environment: str
    log_level: str
    port: int
    max_requests: int
    request_timeout: int
    cache_ttl: int
    database_url: Optional[str]
    redis_url: Optional[str]

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "Config":
        env = os.environ if env is None else env
        log_level = env.get("LOG_LEVEL", "INFO").upper()
        if log_level not in LOG_LEVELS:
            raise ConfigError(
                f"LOG_LEVEL={log_level!r} is not one of {', '.join(LOG_LEVELS)}"
            )
        return cls(
            environment=env.get("ENVIRONMENT", "development"),
            log_level=log_level,
            port=_positive_int(env, "PORT", 8000),
            max_requests=_positive_int(env, "MAX_REQUESTS", 1000),
            request_timeout=_positive_int(env, "REQUEST_TIMEOUT", 60),
            cache_ttl=_positive_int(env, "CACHE_TTL", 3600),
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
        )
