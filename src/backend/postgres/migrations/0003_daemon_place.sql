-- swarm fleet state, schema version 3: where each daemon runs, so a holder is never judged dead by a
-- process check made on another machine or in another PID namespace (a hostname is not an identity:
-- containers, cloned VMs and CI runners share them). `instance` is the random id a daemon picks at start
-- (its lease holder id ends with it); `machine_id`, `boot_id` and `pid_ns` say which kernel, which boot and
-- which PID namespace its pid belongs to. A daemon row without them (an older swarm) is never checked
-- locally: it is dead only when it stops heartbeating. Never edit a released migration: add the next number.
ALTER TABLE swarm_daemons ADD COLUMN instance text;
ALTER TABLE swarm_daemons ADD COLUMN machine_id text;
ALTER TABLE swarm_daemons ADD COLUMN boot_id text;
ALTER TABLE swarm_daemons ADD COLUMN pid_ns text;
