/* pgqtune pgmq set_vt */
-- pgmq.set_vt for a failed attempt: the message becomes readable again at
-- $3 (backoff). Matching read_ct to the failed delivery makes a repeated call
-- harmless: once another reader has taken the message, read_ct has moved on.
UPDATE {q} AS m
   SET vt = $3::timestamptz
  FROM unnest($1::bigint[], $2::int[]) AS f(msg_id, read_ct)
 WHERE m.msg_id = f.msg_id AND m.read_ct = f.read_ct
