/* pgqtune pgmq stats */
-- pgmq.metrics' count, split by visibility: a message whose vt is in the
-- future is in flight when it has been read, else delayed. A sequential scan
-- of {q} (pgmq.metrics does the same), so its cost follows the backlog.
SELECT count(*) FILTER (WHERE vt <= clock_timestamp()),
       count(*) FILTER (WHERE vt > clock_timestamp() AND read_ct = 0),
       count(*) FILTER (WHERE vt > clock_timestamp() AND read_ct > 0),
       coalesce(extract(epoch FROM clock_timestamp() - min(enqueued_at) FILTER (WHERE vt <= clock_timestamp())), 0)::float8
  FROM {q}
