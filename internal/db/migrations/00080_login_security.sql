-- Log-in security (issue 16).
--
-- login_throttle   failed log-ins counted per account name (whether or not
--                  the account exists, so an unknown name is answered like a
--                  known one) and per client address: the back-off or lock
--                  in force and the attempts refused while it lasts. Rows
--                  are forgotten once their failures are old and no block
--                  is in force.
-- auth_keys        server-side secrets shared by every API replica (the
--                  key of the CSRF tokens' HMAC).
-- accounts         when and why an account was disabled.

-- +goose Up
CREATE TABLE login_throttle (
    scope             text        NOT NULL CHECK (scope IN ('account', 'address')),
    key               text        NOT NULL CHECK (length(key) <= 200),
    failures          integer     NOT NULL DEFAULT 0 CHECK (failures >= 0),
    first_failure_at  timestamptz NOT NULL,
    last_failure_at   timestamptz NOT NULL,
    blocked_until     timestamptz,
    locked            boolean     NOT NULL DEFAULT false,
    refused           integer     NOT NULL DEFAULT 0 CHECK (refused >= 0),
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);

CREATE TABLE auth_keys (
    name        text        PRIMARY KEY,
    secret      bytea       NOT NULL CHECK (length(secret) >= 32),
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE accounts
    ADD COLUMN disabled_at     timestamptz,
    ADD COLUMN disabled_reason text NOT NULL DEFAULT '';

CREATE INDEX auth_tokens_live ON auth_tokens (account_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX auth_tokens_live;
ALTER TABLE accounts DROP COLUMN disabled_reason, DROP COLUMN disabled_at;
DROP TABLE auth_keys;
DROP TABLE login_throttle;
