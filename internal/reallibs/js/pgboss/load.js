// A pg-boss 10 workload driven by pg-boss's own API: workers (work), a
// producer (send at a rate, or insert a backlog first), until a number of
// jobs completed or a deadline. It prints one JSON line on stdout: the
// jobs pg-boss handed to the handler and completed, and when.
//
//   PGQTUNE_DSN=postgres://... node load.js [flags]     (or --dsn DSN)
//
// Flags (all optional):
//   --queue NAME        queue, created when missing (default pgqtune)
//   --workers N         work() registrations, each its own fetch loop (4)
//   --batch N           batchSize of each fetch (10)
//   --poll S            pollingIntervalSeconds, at least 0.5 (0.5)
//   --rate R            insert R jobs/s while working (0: no producer)
//   --backlog N         insert N runnable jobs before the workers start (0)
//   --scheduled N       insert N jobs due in a day before starting (0):
//                       the retained rows a fetch must skip
//   --jobs N            stop once N jobs completed (0: only the deadline)
//   --deadline S        stop after S seconds at most (60)
//   --wait-start FILE   start working only once FILE exists (the caller's go)
'use strict'
const fs = require('fs')
const PgBoss = require('pg-boss')

function flags (argv) {
  const o = { queue: 'pgqtune', workers: 4, batch: 10, poll: 0.5, rate: 0, backlog: 0, scheduled: 0, jobs: 0, deadline: 60, dsn: process.env.PGQTUNE_DSN, 'wait-start': '' }
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '')
    if (!(k in o) || i + 1 >= argv.length) throw new Error('unknown flag or missing value: ' + argv[i])
    o[k] = typeof o[k] === 'number' ? Number(argv[i + 1]) : argv[i + 1]
  }
  if (!o.dsn) throw new Error('no DSN: set PGQTUNE_DSN or pass --dsn')
  return o
}

const debug = process.env.PGQTUNE_LOAD_DEBUG ? m => console.error(new Date().toISOString() + ' ' + m) : () => {}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function insertMany (boss, queue, n, startAfter) {
  for (let done = 0; done < n;) {
    const k = Math.min(5000, n - done)
    const jobs = []
    for (let i = 0; i < k; i++) jobs.push({ name: queue, data: { i: done + i }, startAfter })
    await boss.insert(jobs)
    done += k
  }
}

async function main () {
  const o = flags(process.argv.slice(2))
  const boss = new PgBoss({
    connectionString: o.dsn,
    // Fetch loops share at most 20 connections, as a real pool would.
    max: Math.min(o.workers + 2, 20),
    // No maintenance or cron loops: the workload is the workers' alone.
    supervise: false,
    schedule: false,
    application_name: 'pgboss-load'
  })
  boss.on('error', err => console.error('pg-boss: ' + err.message))
  await boss.start()
  if (!(await boss.getQueue(o.queue))) await boss.createQueue(o.queue)
  if (o.scheduled > 0) await insertMany(boss, o.queue, o.scheduled, new Date(Date.now() + 86400e3))
  if (o.backlog > 0) await insertMany(boss, o.queue, o.backlog, undefined)
  if (o['wait-start']) {
    // Tell the caller the backlog is in, then wait for its go.
    process.stdout.write(JSON.stringify({ ready: true }) + '\n')
    while (!fs.existsSync(o['wait-start'])) await sleep(20)
  }

  const r = { library: 'pg-boss', version: require('pg-boss/package.json').version, completed: 0, sent: 0 }
  r.started_at = Date.now()
  const stopAt = r.started_at + o.deadline * 1000
  let finish
  const finished = new Promise(resolve => { finish = resolve })
  const timer = setTimeout(() => finish(), o.deadline * 1000)
  // pg-boss completes a batch when its handler resolves; the count is of
  // jobs it handed out and was about to complete, taken as its own.
  for (let w = 0; w < o.workers; w++) {
    await boss.work(o.queue, { batchSize: o.batch, pollingIntervalSeconds: o.poll }, async jobs => {
      r.completed += jobs.length
      r.last_completed_at = Date.now()
      if (!r.first_completed_at) r.first_completed_at = r.last_completed_at
      if (o.jobs > 0 && r.completed >= o.jobs && !r.done_at) {
        r.done_at = r.last_completed_at
        finish()
      }
    })
  }
  // The producer is its own pg-boss instance, as a sending service would
  // be: its inserts never queue behind the workers' fetches for a pooled
  // connection.
  const sender = o.rate > 0 ? new PgBoss({ connectionString: o.dsn, max: 2, supervise: false, schedule: false, migrate: false, application_name: 'pgboss-load' }) : null
  if (sender) {
    sender.on('error', err => console.error('pg-boss sender: ' + err.message))
    await sender.start()
  }
  const producer = (async () => {
    if (!sender) return
    // Open loop: each 50 ms tick inserts what the rate owes by then.
    const t0 = Date.now()
    while (!r.done_at && Date.now() < stopAt) {
      const owed = Math.min(Math.floor((Date.now() - t0) / 1000 * o.rate) - r.sent, 1000)
      if (owed > 0) {
        const jobs = []
        for (let i = 0; i < owed; i++) jobs.push({ name: o.queue, data: { i: r.sent + i } })
        await sender.insert(jobs)
        r.sent += owed
      }
      await sleep(50)
    }
  })()
  await finished
  debug('finished: completed ' + r.completed + ' sent ' + r.sent)
  clearTimeout(timer)
  r.stopping_at = Date.now()
  await producer
  debug('producer stopped')
  if (sender) await sender.stop({ graceful: false, wait: true })
  debug('sender stopped')
  // wait: true lets the handlers in flight finish and their jobs complete.
  await boss.stop({ graceful: true, wait: true, timeout: 15000 })
  debug('workers stopped')
  r.ended_at = Date.now()
  // Exit once the line is out: a library's leftover timers or sockets
  // must not keep the workload alive.
  process.stdout.write(JSON.stringify(r) + '\n', () => process.exit(0))
}

main().catch(err => {
  console.error('pgboss load: ' + (err && err.message ? err.message : err))
  process.exit(1)
})
