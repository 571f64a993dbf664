// A graphile-worker 0.16 workload driven by graphile-worker's own API: a
// runner (run, a task list), a producer (makeWorkerUtils().addJob at a
// rate, or graphile_worker.add_jobs for a backlog first), until a number
// of jobs succeeded or a deadline. It prints one JSON line on stdout: the
// jobs graphile-worker reported as succeeded (its job:success event).
//
//   PGQTUNE_DSN=postgres://... node load.js [flags]     (or --dsn DSN)
//
// Flags (all optional):
//   --concurrency N     the runner's concurrency (4)
//   --poll MS           pollInterval in milliseconds (2000, the library's)
//   --rate R            addJob R jobs/s while working (0: no producer)
//   --backlog N         add N runnable jobs before the runner starts (0)
//   --scheduled N       add N jobs due in a day before starting (0): the
//                       waiting rows a claim must skip
//   --failed N          add N jobs and permanently fail them with
//                       permanentlyFailJobs before starting (0): rows
//                       graphile's partial claim indexes leave out
//   --jobs N            stop once N jobs succeeded (0: only the deadline)
//   --deadline S        stop after S seconds at most (60)
//   --wait-start FILE   start working only once FILE exists (the caller's go)
'use strict'
const fs = require('fs')
const { run, makeWorkerUtils, Logger } = require('graphile-worker')

// Warnings and errors on stderr; stdout carries only the result line.
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error('graphile-worker: ' + message)
})

function flags (argv) {
  const o = { concurrency: 4, poll: 2000, rate: 0, backlog: 0, scheduled: 0, failed: 0, jobs: 0, deadline: 60, dsn: process.env.PGQTUNE_DSN, 'wait-start': '' }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '')
    if (!(k in o) || i + 1 >= argv.length) throw new Error('unknown flag or missing value: ' + argv[i])
    o[k] = typeof o[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1]
  }
  if (!o.dsn) throw new Error('no DSN: set PGQTUNE_DSN or pass --dsn')
  return o
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// addMany adds n jobs in one call of graphile-worker's documented SQL API,
// add_jobs (the Node API has no batch add in 0.16).
// It returns the ids of the jobs added.
async function addMany (utils, n, inSeconds) {
  const ids = []
  for (let done = 0; done < n;) {
    const k = Math.min(20000, n - done)
    const { rows } = await utils.withPgClient(c => c.query(
      `SELECT id FROM graphile_worker.add_jobs(ARRAY(
         SELECT ROW('pgqtune', json_build_object('i', g), NULL, now() + make_interval(secs => $2), NULL, NULL, NULL, NULL)::graphile_worker.job_spec
         FROM generate_series(1, $1) g))`, [k, inSeconds]))
    for (const row of rows) ids.push(row.id)
    done += k
  }
  return ids
}

// failMany adds n jobs and fails them for good, as jobs whose attempts
// ran out are: graphile-worker keeps them, unavailable, until deleted.
async function failMany (utils, n) {
  const ids = await addMany(utils, n, 0)
  for (let i = 0; i < ids.length; i += 20000) {
    await utils.permanentlyFailJobs(ids.slice(i, i + 20000), 'pgqtune: failed backlog')
  }
}

async function main () {
  const o = flags(process.argv.slice(2))
  const utils = await makeWorkerUtils({ connectionString: o.dsn, logger })
  await utils.migrate()
  if (o.scheduled > 0) await addMany(utils, o.scheduled, 86400)
  if (o.failed > 0) await failMany(utils, o.failed)
  if (o.backlog > 0) await addMany(utils, o.backlog, 0)
  if (o['wait-start']) {
    // Tell the caller the backlog is in, then wait for its go.
    process.stdout.write(JSON.stringify({ ready: true }) + '\n')
    while (!fs.existsSync(o['wait-start'])) await sleep(20)
  }

  const r = { library: 'graphile-worker', version: require('graphile-worker/package.json').version, completed: 0, sent: 0 }
  let finish
  const finished = new Promise(resolve => { finish = resolve })
  r.started_at = Date.now()
  const stopAt = r.started_at + o.deadline * 1000
  const timer = setTimeout(() => finish(), o.deadline * 1000)
  const runner = await run({
    connectionString: o.dsn,
    concurrency: o.concurrency,
    pollInterval: o.poll,
    noHandleSignals: true,
    logger,
    taskList: { pgqtune: async () => {} }
  })
  runner.events.on('job:success', () => {
    r.completed++
    r.last_completed_at = Date.now()
    if (!r.first_completed_at) r.first_completed_at = r.last_completed_at
    if (o.jobs > 0 && r.completed >= o.jobs && !r.done_at) {
      r.done_at = r.last_completed_at
      finish()
    }
  })
  const producer = (async () => {
    if (o.rate <= 0) return
    const t0 = Date.now()
    while (!r.done_at && Date.now() < stopAt) {
      const owed = Math.floor((Date.now() - t0) / 1000 * o.rate) - r.sent
      // One addJob at a time, rechecking the stop: a stalled database
      // must not leave the producer owing more with every job.
      for (let i = 0; i < owed && !r.done_at && Date.now() < stopAt; i++) {
        await utils.addJob('pgqtune', { i: r.sent })
        r.sent++
      }
      await sleep(50)
    }
  })()
  await finished
  clearTimeout(timer)
  r.stopping_at = Date.now()
  await producer
  // stop waits for the jobs in flight and their completion.
  await runner.stop()
  await utils.release()
  r.ended_at = Date.now()
  // Exit once the line is out: a library's leftover timers or sockets
  // must not keep the workload alive.
  process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(0))
}

main().catch(err => {
  console.error('graphile-worker load: ' + (err && err.message ? err.message : err))
  process.exit(1)
})
