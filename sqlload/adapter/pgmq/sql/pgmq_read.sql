/* pgqtune pgmq read */
-- pgmq.read's statement: lock up to $1 visible messages, oldest msg_id first,
-- skipping those other readers hold, and hide them for $2 seconds (the
-- visibility timeout); a message not deleted or archived by then is read
-- again with read_ct + 1. The inner scan walks {q}'s primary key in msg_id
-- order and filters on vt (pgmq's own plan; q_<name>_vt_idx serves it when
-- few messages are visible). c.vt is the old vt: when the message became
-- readable, the start of its wait.
UPDATE {q} AS m
   SET vt = clock_timestamp() + make_interval(secs => $2::float8),
       read_ct = m.read_ct + 1
  FROM (SELECT msg_id, vt
          FROM {q}
         WHERE vt <= clock_timestamp()
         ORDER BY msg_id
         LIMIT $1
           FOR UPDATE SKIP LOCKED) AS c
 WHERE m.msg_id = c.msg_id
RETURNING m.msg_id, (m.message->>'seq')::bigint, (m.message->>'t')::bigint, m.read_ct, c.vt
