-- Applied by `migrate` (sqlx, embedded in the binary). Never edit an applied migration:
-- add a new one.
CREATE TABLE items (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    created_at  timestamptz NOT NULL
);
