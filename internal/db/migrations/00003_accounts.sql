-- Accounts (one per person using the system), their role, and the tokens
-- that authenticate them: console sessions (cookie) and API bearer tokens.
-- Passwords are stored as bcrypt hashes and tokens as SHA-256 digests of
-- 256-bit random values, so neither can be replayed from a copy of the table.

-- +goose Up
CREATE TABLE accounts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username       text        NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    display_name   text        NOT NULL CHECK (display_name <> ''),
    password_hash  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('subject', 'provider', 'caseworker', 'supervisor', 'admin')),
    provider_id    bigint      REFERENCES providers,
    subject_id     bigint      REFERENCES subjects,
    disabled       boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    -- A provider account is bound to exactly one provider, a subject
    -- account to exactly one subject; other roles to neither.
    CHECK ((role = 'provider') = (provider_id IS NOT NULL)),
    CHECK ((role = 'subject') = (subject_id IS NOT NULL))
);

CREATE TABLE auth_tokens (
    digest      bytea       PRIMARY KEY CHECK (length(digest) = 32),
    account_id  bigint      NOT NULL REFERENCES accounts,
    kind        text        NOT NULL CHECK (kind IN ('session', 'bearer')),
    label       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX auth_tokens_account ON auth_tokens (account_id);

-- +goose Down
DROP TABLE auth_tokens;
DROP TABLE accounts;
