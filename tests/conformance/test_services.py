"""The throwaway servers the conformance test relies on (tests/services.py)."""

from __future__ import annotations

import subprocess

import pytest
import services
from services import PostgresServer, RedisServer, port_is_open

from conformance.harness import parse_rfc3339

pytestmark = pytest.mark.conformance


def test_postgres_serves_fresh_databases_on_loopback(postgres: PostgresServer) -> None:
    url = postgres.create_database("services_probe")
    assert url == f"postgres://postgres@127.0.0.1:{postgres.port}/services_probe?sslmode=disable"
    assert postgres.psql("SELECT current_database()", "services_probe") == "services_probe"
    assert postgres.psql("SHOW listen_addresses") == "127.0.0.1"
    assert postgres.psql("SHOW fsync") == "off"


def test_redis_databases_are_separate(redis: RedisServer) -> None:
    first, second = redis.new_db_index(), redis.new_db_index()
    assert first != second
    redis.command("SET", "probe", "1", db=first)
    assert redis.dbsize(first) == 1
    assert redis.dbsize(second) == 0
    redis.flushdb(first)
    assert redis.dbsize(first) == 0
    assert redis.db_url(first) == f"redis://127.0.0.1:{redis.port}/{first}"


def test_servers_restart_on_the_same_port_with_their_data() -> None:
    with PostgresServer() as pg, RedisServer() as rd:
        pg.create_database("kept")
        pg_port, rd_port = pg.port, rd.port
        pg.stop()
        rd.stop()
        assert not port_is_open(pg_port)
        assert not port_is_open(rd_port)
        pg.start()
        rd.start()
        assert (pg.port, rd.port) == (pg_port, rd_port)
        assert pg.psql("SELECT 1", "kept") == "1"
        assert rd.command("PING") == "PONG"
        root = pg.root
    assert not port_is_open(pg_port)
    assert not port_is_open(rd_port)
    assert not root.exists()


@pytest.mark.parametrize(
    "value",
    ["2026-11-23T01:12:00Z", "2026-11-23T01:12:00.123456789+01:00", "2026-11-23t01:12:00.5z"],
)
def test_rfc3339_accepts(value: str) -> None:
    assert parse_rfc3339(value).tzinfo is not None


@pytest.mark.parametrize(
    "value", ["2026-11-23 01:12:00", "2026-11-23T01:12:00", "1700000000", "Nov 23 01:12:00"]
)
def test_rfc3339_refuses(value: str) -> None:
    with pytest.raises(ValueError, match="RFC 3339"):
        parse_rfc3339(value)


def test_missing_binaries_name_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.shutil.which", lambda name: None)
    monkeypatch.setattr("services.glob.glob", lambda pattern: [])
    monkeypatch.setattr("services.os.access", lambda path, mode: False)
    with pytest.raises(services.MissingServiceBinary, match="Debian package 'postgresql'"):
        PostgresServer()
    with pytest.raises(services.MissingServiceBinary, match="Debian package 'redis-server'"):
        RedisServer()


def test_paused_servers_accept_but_never_answer() -> None:
    with PostgresServer() as pg, RedisServer() as rd:
        pg.psql("SELECT 1")
        rd.pause()
        pg.pause()
        try:
            assert port_is_open(rd.port)
            with pytest.raises(OSError, match="timed out"):
                rd.command("PING", timeout=0.5)
            with pytest.raises(subprocess.TimeoutExpired):
                pg.psql("SELECT 1", timeout=1)
        finally:
            rd.resume()
            pg.resume()
        assert rd.command("PING") == "PONG"
        assert pg.psql("SELECT 1") == "1"
