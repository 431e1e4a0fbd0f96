-- Up Migration
CREATE TABLE items (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    created_at  timestamptz NOT NULL
);

-- Down Migration
DROP TABLE items;
