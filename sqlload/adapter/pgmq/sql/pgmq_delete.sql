/* pgqtune pgmq delete */
-- pgmq.delete: by primary key only, as pgmq does (a message read twice after
-- its visibility timeout is deleted by whichever reader finishes first); a
-- repeated call deletes nothing.
DELETE FROM {q} WHERE msg_id = ANY($1::bigint[])
