-- The balances topology's result tables, in their own schema. Run once per database before the
-- topology starts (psql -f schema.sql); the topology checks them when it starts and never
-- creates or alters them. Every statement is idempotent (IF NOT EXISTS / OR REPLACE).
--
-- The topology writes account_balance, balance_total and balance_history in one transaction per
-- batch, fenced by the source position: a change older than what a row holds is never applied,
-- and a redelivered one changes nothing. branch and institution come from the same log.
CREATE SCHEMA IF NOT EXISTS balances;

-- The live balance of every account the log has shown: the last change by source position
-- wins. A closed (deleted) account keeps its row with open = false, so that a redelivered older
-- change cannot bring it back; a re-opened one is open again.
CREATE TABLE IF NOT EXISTS balances.account_balance (
  account_id text PRIMARY KEY,
  branch_id text NOT NULL,
  currency text NOT NULL,
  product text NOT NULL,
  balance numeric NOT NULL,
  open boolean NOT NULL,
  position text COLLATE "C" NOT NULL,  -- the source position (ledger.h position_text)
  commit_ms bigint NOT NULL,       -- when the source committed the change
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The sum of the open accounts' balances per branch, currency and product: kept by the same
-- transaction as the accounts, so it always equals the sum of account_balance.
CREATE TABLE IF NOT EXISTS balances.balance_total (
  branch_id text NOT NULL,
  currency text NOT NULL,
  product text NOT NULL,
  total numeric NOT NULL,
  accounts bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (branch_id, currency, product)
);

CREATE TABLE IF NOT EXISTS balances.branch (
  branch_id text PRIMARY KEY,
  institution_id text NOT NULL,
  position text COLLATE "C" NOT NULL
);

CREATE TABLE IF NOT EXISTS balances.institution (
  institution_id text PRIMARY KEY,
  name text,
  position text COLLATE "C" NOT NULL
);

-- Per minute (of the source's commit time) and institution and currency: the total at the end
-- of that minute, for curves. A minute without a change has no row (the total did not move).
CREATE TABLE IF NOT EXISTS balances.balance_history (
  minute timestamptz NOT NULL,
  institution_id text NOT NULL,
  currency text NOT NULL,
  total numeric NOT NULL,
  accounts bigint NOT NULL,
  PRIMARY KEY (institution_id, currency, minute)
);

-- Aggregates by institution, currency and product: views over balance_total, exact at every
-- commit, whatever order the branches' and accounts' changes arrived in.
CREATE OR REPLACE VIEW balances.by_institution AS
  SELECT b.institution_id, t.currency, sum(t.total) AS total, sum(t.accounts)::bigint AS accounts
  FROM balances.balance_total t JOIN balances.branch b USING (branch_id)
  GROUP BY b.institution_id, t.currency;

CREATE OR REPLACE VIEW balances.by_branch AS
  SELECT t.branch_id, b.institution_id, t.currency, sum(t.total) AS total,
         sum(t.accounts)::bigint AS accounts
  FROM balances.balance_total t LEFT JOIN balances.branch b USING (branch_id)
  GROUP BY t.branch_id, b.institution_id, t.currency;

CREATE OR REPLACE VIEW balances.by_currency AS
  SELECT currency, sum(total) AS total, sum(accounts)::bigint AS accounts
  FROM balances.balance_total GROUP BY currency;

CREATE OR REPLACE VIEW balances.by_product AS
  SELECT product, currency, sum(total) AS total, sum(accounts)::bigint AS accounts
  FROM balances.balance_total GROUP BY product, currency;

-- Records that could not be applied (not JSON, a missing column, DDL), with the reason, when the
-- topology has no Kafka to put them on (the sample source); with Kafka they go to the
-- dead-letter topic. Nothing is dropped silently.
CREATE TABLE IF NOT EXISTS balances.dead_letter (
  id bigserial PRIMARY KEY,
  record_key text,
  record_value text,
  reason text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
