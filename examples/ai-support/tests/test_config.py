import pytest

from ai_support.config import Config, ConfigError


def test_defaults() -> None:
    config = Config.from_env({})
    assert (config.environment, config.port, config.cache_ttl) == ("development", 8000, 3600)
    assert config.database_url is None


def test_spec_staging_values() -> None:
    env = {"ENVIRONMENT": "staging", "LOG_LEVEL": "info", "MAX_REQUESTS": "10000",
           "REQUEST_TIMEOUT": "30", "CACHE_TTL": "3600"}
    config = Config.from_env(env)
    assert (config.log_level, config.max_requests, config.request_timeout) == ("INFO", 10000, 30)


@pytest.mark.parametrize("name,value,message", [
    ("PORT", "http", "PORT='http' is not a whole number"),
    ("CACHE_TTL", "0", "CACHE_TTL='0' must be greater than 0"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD' is not one of"),
])
def test_bad_values_are_named(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config.from_env({name: value})
