// Lets pg-boss itself create (migrate) its schema and the run's queues, so
// pgqtune never writes pg-boss DDL. Usage (the DSN comes in the environment,
// never on the command line where ps would show it):
//   PGQTUNE_DSN=postgres://... node setup.js SCHEMA QUEUE...
'use strict'
const PgBoss = require('pg-boss')

async function main () {
  const [schema, ...queues] = process.argv.slice(2)
  const boss = new PgBoss({
    connectionString: process.env.PGQTUNE_DSN,
    schema,
    // Only the migration and the queues: no maintenance or cron loops.
    supervise: false,
    schedule: false,
    application_name: 'pgqtune-setup'
  })
  boss.on('error', err => console.error('pg-boss: ' + err.message))
  await boss.start()
  for (const q of queues) {
    if (!(await boss.getQueue(q))) await boss.createQueue(q)
  }
  await boss.stop({ graceful: false, wait: true })
}

main().catch(err => {
  console.error('pg-boss setup: ' + (err && err.message ? err.message : err))
  process.exit(1)
})
