-- swarm fleet state, schema version 1. Applied by src/state/pg/migrate.ts inside one transaction;
-- never edit a released migration: add NNNN_name.sql with the next number instead.
CREATE TABLE swarm_tickets (scope text NOT NULL, key text NOT NULL, record jsonb NOT NULL, version bigint NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, key));
CREATE INDEX swarm_tickets_updated ON swarm_tickets (scope, updated_at);
CREATE TABLE swarm_leases (scope text NOT NULL, key text NOT NULL, holder text NOT NULL, acquired_at timestamptz NOT NULL DEFAULT now(), renewed_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, agent_pid integer, agent_pid_start text, PRIMARY KEY (scope, key));
CREATE TABLE swarm_daemons (id text PRIMARY KEY, scope text NOT NULL, host text NOT NULL, pid integer NOT NULL, pid_start text, started_at timestamptz NOT NULL, heartbeat_at timestamptz NOT NULL, max_concurrent integer NOT NULL, running integer NOT NULL DEFAULT 0, draining boolean NOT NULL DEFAULT false, repo_dir text, account text, stopped_at timestamptz);
CREATE TABLE swarm_scopes (scope text PRIMARY KEY, record jsonb NOT NULL, version bigint NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE swarm_accounts (name text PRIMARY KEY, record jsonb NOT NULL, version bigint NOT NULL DEFAULT 1, updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE swarm_events (id bigserial PRIMARY KEY, scope text NOT NULL, at timestamptz NOT NULL DEFAULT now(), daemon text, type text NOT NULL, data jsonb NOT NULL);
