/* pgqtune pgmq extension set_vt */
-- A failed attempt: readable again in $4 seconds. Only messages still at the
-- failed delivery's read_ct (read straight from the extension's queue table
-- {q}, by primary key) are touched, so a repeated call is harmless.
WITH todo AS MATERIALIZED (
    SELECT m.msg_id
      FROM {q} AS m
      JOIN unnest($2::bigint[], $3::int[]) AS f(msg_id, read_ct)
        ON m.msg_id = f.msg_id AND m.read_ct = f.read_ct
)
SELECT count(*) FROM todo, LATERAL pgmq.set_vt($1::text, todo.msg_id, $4::integer)
