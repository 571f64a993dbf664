/* pgqtune pgmq pending */
-- End-of-run integrity listing: every message still in the queue table is
-- waiting, delayed or in flight. A sequential scan, once.
SELECT (message->>'seq')::bigint FROM {q}
