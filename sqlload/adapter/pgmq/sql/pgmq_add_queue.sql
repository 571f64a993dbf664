/* pgqtune pgmq add queue */
-- What pgmq.create does for the built-in tables: a queue table and an
-- archive shaped like the default queue's (LIKE ... INCLUDING ALL copies the
-- identity, defaults and indexes, named q_<name>_vt_idx as pgmq names them),
-- registered in meta. Idempotent.
CREATE TABLE IF NOT EXISTS {q} (LIKE {schema}.q_default INCLUDING ALL);
CREATE TABLE IF NOT EXISTS {a} (LIKE {schema}.a_default INCLUDING ALL);
INSERT INTO {schema}.meta (queue_name) VALUES ({name}) ON CONFLICT (queue_name) DO NOTHING;
