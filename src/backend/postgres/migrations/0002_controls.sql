-- swarm fleet state, schema version 2: operator requests (`swarm retry` / `swarm release`) for a ticket that
-- another daemon holds. The holder applies them at its next poll and writes the answer back; the requester
-- waits for it. Never edit a released migration: add NNNN_name.sql with the next number instead.
CREATE TABLE swarm_controls (
  id bigserial PRIMARY KEY,
  scope text NOT NULL,
  key text NOT NULL,
  kind text NOT NULL,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL DEFAULT now(),
  done_by text,
  done_at timestamptz,
  result jsonb
);
CREATE INDEX swarm_controls_pending ON swarm_controls (scope) WHERE done_at IS NULL;
