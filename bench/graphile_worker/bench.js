#!/usr/bin/env node
// graphile-worker drain benchmark: see README.md. Run through run.sh, which creates and
// drops the scratch database. Prints exactly one "@@GRAPHILE ..." line on stdout; every
// other message goes to stderr.
//
//   node bench.js ADMIN|JOB_DB_URL JOBS
//
// Environment (all optional; defaults are the tuned values for a 2-core machine):
//   GW_CONCURRENCY        jobs run at once by the one runner         (default 16)
//   GW_LOCAL_QUEUE        localQueue.size, jobs fetched per query    (default 500; -1 = off)
//   GW_COMPLETE_DELAY_MS  completeJobBatchDelay, ms; -1 = off        (default 0)
//   GW_MAX_POOL           pg pool size of the runner                 (default 16)
"use strict";

const { run, runMigrations, Logger } = require("graphile-worker");
const { Client } = require("pg");

const [url, jobsArg] = process.argv.slice(2);
if (!url || !jobsArg) {
  console.error("usage: node bench.js DATABASE_URL JOBS");
  process.exit(2);
}
const JOBS = Number(jobsArg);
if (!Number.isInteger(JOBS) || JOBS < 1) {
  console.error(`JOBS must be a positive integer, got ${jobsArg}`);
  process.exit(2);
}
const intEnv = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${v}`);
  return n;
};
const CONCURRENCY = intEnv("GW_CONCURRENCY", 16);
const LOCAL_QUEUE = intEnv("GW_LOCAL_QUEUE", 500);
const COMPLETE_DELAY = intEnv("GW_COMPLETE_DELAY_MS", 0);
const MAX_POOL = intEnv("GW_MAX_POOL", 16);

const log = (msg) => console.error(`[graphile-bench] ${msg}`);

// graphile-worker logs through console.log by default: send it to stderr, warnings up.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[graphile-worker ${level}] ${message}`);
});

const version = require("graphile-worker/package.json").version;

const workerPreset = {
  concurrentJobs: CONCURRENCY,
  maxPoolSize: MAX_POOL,
  pollInterval: 2000,
  ...(LOCAL_QUEUE > 1 ? { localQueue: { size: LOCAL_QUEUE } } : {}),
  completeJobBatchDelay: COMPLETE_DELAY,
};

async function main() {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await runMigrations({ connectionString: url, logger });
    log(`graphile-worker ${version}: schema installed`);

    // One statement: build the job_spec array server side and hand it to add_jobs.
    let t = process.hrtime.bigint();
    const { rows } = await client.query(
      `select count(*)::int as n from graphile_worker.add_jobs(array(
         select row('noop', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
         from generate_series(1, $1::int)))`,
      [JOBS],
    );
    if (rows[0].n !== JOBS) throw new Error(`add_jobs inserted ${rows[0].n} jobs, wanted ${JOBS}`);
    log(`enqueued ${JOBS} jobs in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)}s`);
    await client.query("vacuum analyze graphile_worker._private_jobs");

    let done = 0;
    let allRan;
    const allRanP = new Promise((resolve) => (allRan = resolve));
    const taskList = {
      noop: async () => {
        if (++done === JOBS) allRan();
      },
    };

    log(
      `draining: concurrency=${CONCURRENCY} localQueue.size=${LOCAL_QUEUE} ` +
        `completeJobBatchDelay=${COMPLETE_DELAY} maxPoolSize=${MAX_POOL}`,
    );
    t = process.hrtime.bigint();
    const runner = await run({
      connectionString: url,
      concurrency: CONCURRENCY,
      maxPoolSize: MAX_POOL,
      noHandleSignals: true,
      logger,
      taskList,
      preset: { worker: workerPreset },
    });
    let runnerFailed;
    const failedP = runner.promise.then(
      () => new Error("runner stopped before the queue was drained"),
      (e) => e,
    ).then((e) => (runnerFailed = e));

    await Promise.race([allRanP, failedP]);
    if (runnerFailed) throw runnerFailed;
    // Every task body has run; the clock stops when the database holds no job any more
    // (batched completions may still be in flight).
    for (;;) {
      const r = await client.query("select count(*)::int as n from graphile_worker._private_jobs");
      if (r.rows[0].n === 0) break;
      if (runnerFailed) throw runnerFailed;
      await new Promise((res) => setTimeout(res, 2));
    }
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    await runner.stop();
    if (done !== JOBS) throw new Error(`ran ${done} jobs, wanted ${JOBS}`);

    const rate = JOBS / seconds;
    log(`drained ${JOBS} jobs in ${seconds.toFixed(3)}s: ${Math.round(rate)} jobs/s`);
    process.stdout.write(
      `@@GRAPHILE jobs=${JOBS} seconds=${seconds.toFixed(3)} jobs_per_s=${Math.round(rate)} ` +
        `concurrency=${CONCURRENCY}\n`,
    );
  } finally {
    await client.end();
  }
}

main().catch((e) => {
  console.error(`[graphile-bench] ERROR: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
