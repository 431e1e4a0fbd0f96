"""Alembic's entry point: applies the migrations in versions/ to DATABASE_URL.

The service's `migrate` command runs it, with the URL in the config's attributes.
"""

import asyncio

import asyncpg
from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

# Any constant that every instance of the service shares: two instances that migrate at
# the same moment (two replicas of a rollout) take turns instead of racing.
MIGRATION_LOCK_ID = 4_148_902_117
CONNECT_TIMEOUT_SECONDS = 10.0


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()


async def migrate(database_url: str) -> None:
    # asyncpg opens the connection itself, so that DATABASE_URL means what it means to
    # the service, libpq options such as sslmode included.
    engine = create_async_engine(
        "postgresql+asyncpg://",
        async_creator=lambda: asyncpg.connect(database_url, timeout=CONNECT_TIMEOUT_SECONDS),
        poolclass=NullPool,
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


asyncio.run(migrate(context.config.attributes["database_url"]))
