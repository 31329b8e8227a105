#!/usr/bin/env node
'use strict';
// Serving benchmark of ONNX Runtime (CPU): the peer of `toprt bench`. Replays an
// arrival trace in real time against one InferenceSession per model and reports
// per-model and total throughput and latency.
//
//   node scripts/ort_serve_bench.js --arrivals FILE --model NAME=PATH [--model NAME=PATH ...]
//        [--threads T] [--workers W] [--warmup N] [--seed S] [--json]
//
// FILE (written by `toprt bench --write-arrivals FILE`) has one task per line,
// `<time_seconds> <model_name> <batch>`, '#' starting a comment. Every model named in
// it needs a --model. Sessions: intraOpNumThreads=T, interOpNumThreads=1, sequential
// execution, graph optimisation 'all'. Inputs: a few random tensors per (model, batch),
// made before the clock starts (float N(0,1), small non-negative integers), symbolic
// dimensions set to the batch.
//
// Latency of a task = its completion - its *scheduled* arrival time, so time a task
// waits because the server is busy (or because the replay loop could not run) counts,
// as it would for a client. Throughput = completed / (last completion - first arrival).
// --json prints {"total":{...},"models":{name:{...}},"config":{...}}, the stat names
// matching top::to_json(RuntimeStats).
//
// How concurrent runs behave in onnxruntime-node 1.30 (measured, and read in
// dist/backend.js): InferenceSession.run() returns a promise, but the native run is
// synchronous on the JS main thread, merely deferred with setImmediate. The libuv
// thread pool is not involved, so UV_THREADPOOL_SIZE changes nothing and is left
// alone. Several outstanding run() calls therefore execute one after another, FIFO,
// whichever session they belong to, and while one executes no timer fires. That is
// the default here (--workers 0): "one request at a time, T intra-op threads" — the
// plain serving loop. --workers W (W >= 1) gives ORT real concurrency: W worker
// threads, each with its own session of every model, take tasks FIFO from one queue
// as they become free (like W model instances in Triton); W x T threads in all.

const path = require('path');
const fs = require('fs');
const {Worker, isMainThread, parentPort, workerData} = require('worker_threads');
const common = require('./ort_common');

const INPUT_SETS = 4;  // distinct random inputs per (model, batch), used in turn

function usage(code, msg) {
  if (msg) process.stderr.write(msg + '\n');
  process.stderr.write('usage: node scripts/ort_serve_bench.js --arrivals FILE --model NAME=PATH [--model NAME=PATH ...]\n' +
                       '       [--threads T] [--workers W] [--warmup N] [--seed S] [--json]\n');
  process.exit(code);
}

function parseArgs(argv) {
  const o = {arrivals: null, models: new Map(), threads: 1, workers: 0, warmup: 2, seed: 1234, json: false};
  const intArg = (name, v, min) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) usage(2, `${name} needs an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(2, `${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--arrivals': o.arrivals = next(); break;
      case '--model': {
        const v = next();
        const eq = v.indexOf('=');
        if (eq <= 0 || eq === v.length - 1) usage(2, `--model needs NAME=PATH, got '${v}'`);
        const name = v.slice(0, eq);
        if (o.models.has(name)) usage(2, `model '${name}' given twice`);
        o.models.set(name, v.slice(eq + 1));
        break;
      }
      case '--threads': o.threads = intArg(a, next(), 1); break;
      case '--workers': o.workers = intArg(a, next(), 0); break;
      case '--warmup': o.warmup = intArg(a, next(), 0); break;
      case '--seed': o.seed = intArg(a, next(), 0); break;
      case '--json': o.json = true; break;
      case '-h': case '--help': usage(0); break;
      default: usage(2, `unknown argument ${a}`);
    }
  }
  if (!o.arrivals) usage(2, '--arrivals is required');
  if (o.models.size === 0) usage(2, 'at least one --model NAME=PATH is required');
  return o;
}

function readArrivals(file, models) {
  const text = fs.readFileSync(file, 'utf8');
  const tasks = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const f = line.split(/\s+/);
    const t = Number(f[0]);
    const batch = f.length > 2 ? Number(f[2]) : 1;
    if (f.length < 2 || f.length > 3 || !Number.isFinite(t) || t < 0 || !Number.isInteger(batch) || batch < 1) {
      throw new Error(`${file}:${i + 1}: expected '<time_seconds> <model> <batch>', got '${raw.trim()}'`);
    }
    if (!models.has(f[1])) throw new Error(`${file}:${i + 1}: model '${f[1]}' has no --model ${f[1]}=PATH`);
    tasks.push({t, model: f[1], batch});
  });
  if (tasks.length === 0) throw new Error(`${file}: no arrivals`);
  // Stable, so equal times keep file order.
  tasks.sort((a, b) => a.t - b.t);
  return tasks;
}

// Sessions and pre-made inputs for every (model, batch) of the trace, warmed up.
async function prepare(ort, modelPaths, batchesOf, threads, warmup, seed) {
  const rng = common.makeRng(seed);
  const models = new Map();
  for (const [name, file] of modelPaths) {
    if (!fs.existsSync(file)) throw new Error(`model '${name}': file not found: ${file}`);
    const session = await ort.InferenceSession.create(file, common.sessionOptions(threads));
    const feeds = new Map();
    for (const b of batchesOf.get(name) || []) {
      const sets = [];
      for (let k = 0; k < INPUT_SETS; k++) sets.push(common.randomFeeds(ort, session, b, rng));
      feeds.set(b, {sets, next: 0});
      for (let k = 0; k < warmup; k++) await session.run(sets[k % INPUT_SETS]);
    }
    models.set(name, {session, feeds});
  }
  return models;
}

function runOne(models, name, batch) {
  const m = models.get(name);
  const f = m.feeds.get(batch);
  const feeds = f.sets[f.next];
  f.next = (f.next + 1) % f.sets.length;
  return m.session.run(feeds);
}

// ---- worker thread (--workers W) -------------------------------------------------

async function workerMain() {
  const {modelPaths, batchesOf, threads, warmup, seed} = workerData;
  const ort = common.loadOrt();
  const models = await prepare(ort, new Map(modelPaths), new Map(batchesOf), threads, warmup, seed);
  parentPort.on('message', async (msg) => {
    if (msg.type === 'stop') {
      for (const m of models.values()) await m.session.release();
      parentPort.close();
      return;
    }
    let error = null;
    try {
      await runOne(models, msg.model, msg.batch);
    } catch (e) {
      error = String(e && e.message ? e.message : e);
    }
    parentPort.postMessage({type: 'done', id: msg.id, error});
  });
  parentPort.postMessage({type: 'ready'});
}

// ---- executors: how a dispatched task reaches ORT ---------------------------------

async function inProcessExecutor(o, batchesOf) {
  const ort = common.loadOrt();
  const models = await prepare(ort, o.models, batchesOf, o.threads, o.warmup, o.seed);
  return {
    dispatch(task, onDone) {
      runOne(models, task.model, task.batch).then(() => onDone(null), (e) => onDone(String(e && e.message || e)));
    },
    async close() {
      for (const m of models.values()) await m.session.release();
    },
  };
}

async function workerExecutor(o, batchesOf) {
  const data = {
    modelPaths: [...o.models], batchesOf: [...batchesOf], threads: o.threads, warmup: o.warmup, seed: o.seed,
  };
  const workers = [];
  for (let w = 0; w < o.workers; w++) {
    workers.push(new Worker(__filename, {workerData: {...data, seed: o.seed + w}}));
  }
  const idle = [];
  const queue = [];  // FIFO of {task, onDone} waiting for a free worker
  const pending = new Map();
  let nextId = 0;
  const send = (w, item) => {
    const id = nextId++;
    pending.set(id, item.onDone);
    w.postMessage({type: 'run', id, model: item.task.model, batch: item.task.batch});
  };
  await Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.on('error', reject);
    w.on('message', (msg) => {
      if (msg.type === 'ready') {
        idle.push(w);
        resolve();
        return;
      }
      const onDone = pending.get(msg.id);
      pending.delete(msg.id);
      if (queue.length) send(w, queue.shift());
      else idle.push(w);
      onDone(msg.error);
    });
  })));
  for (const w of workers) w.on('error', (e) => {
    process.stderr.write(`ort_serve_bench: worker failed: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
  return {
    dispatch(task, onDone) {
      const item = {task, onDone};
      if (idle.length) send(idle.pop(), item);
      else queue.push(item);
    },
    async close() {
      await Promise.all(workers.map((w) => new Promise((resolve) => {
        w.once('exit', resolve);
        w.postMessage({type: 'stop'});
      })));
    },
  };
}

// ---- replay and report -------------------------------------------------------------

// Dispatches every task at its arrival time, measured against the absolute start so
// timer lateness never accumulates. setTimeout is only millisecond-accurate, so it
// wakes ~1 ms early and the last stretch is covered with setImmediate.
function replay(tasks, executor) {
  return new Promise((resolve) => {
    const start = performance.now();
    let next = 0;
    let remaining = tasks.length;
    const finish = (task) => (error) => {
      task.end = performance.now() - start;
      task.error = error;
      if (--remaining === 0) resolve();
    };
    const pump = () => {
      const now = performance.now() - start;
      while (next < tasks.length && tasks[next].t * 1000 <= now) {
        const task = tasks[next++];
        task.dispatched = performance.now() - start;
        executor.dispatch(task, finish(task));
      }
      if (next >= tasks.length) return;
      const wait = tasks[next].t * 1000 - (performance.now() - start);
      if (wait > 1.5) setTimeout(pump, wait - 1);
      else setImmediate(pump);
    };
    pump();
  });
}

function summarize(tasks) {
  const ok = tasks.filter((t) => !t.error);
  const lat = ok.map((t) => t.end - t.t * 1000).sort((a, b) => a - b);
  const first = Math.min(...tasks.map((t) => t.t * 1000));
  const last = ok.length ? Math.max(...ok.map((t) => t.end)) : first;
  const r = (v) => (v === null ? null : Math.round(v * 1000) / 1000);
  return {
    submitted: tasks.length,
    completed: ok.length,
    failed: tasks.length - ok.length,
    throughput_per_s: last > first ? r((1000 * ok.length) / (last - first)) : null,
    latency_mean_ms: ok.length ? r(lat.reduce((a, b) => a + b, 0) / lat.length) : null,
    latency_p50_ms: r(common.percentile(lat, 50)),
    latency_p95_ms: r(common.percentile(lat, 95)),
    latency_p99_ms: r(common.percentile(lat, 99)),
    latency_max_ms: lat.length ? r(lat[lat.length - 1]) : null,
  };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const tasks = readArrivals(o.arrivals, o.models);
  const batchesOf = new Map();
  for (const t of tasks) {
    if (!batchesOf.has(t.model)) batchesOf.set(t.model, []);
    if (!batchesOf.get(t.model).includes(t.batch)) batchesOf.get(t.model).push(t.batch);
  }
  const executor = o.workers > 0 ? await workerExecutor(o, batchesOf) : await inProcessExecutor(o, batchesOf);
  await replay(tasks, executor);
  await executor.close();

  const total = summarize(tasks);
  // How late the replay loop dispatched: large only when the JS thread was busy
  // (in-process mode, where runs block it) or the machine was overloaded.
  total.dispatch_lag_max_ms = Math.round(Math.max(...tasks.map((t) => t.dispatched - t.t * 1000)) * 1000) / 1000;
  const models = {};
  for (const name of batchesOf.keys()) models[name] = summarize(tasks.filter((t) => t.model === name));
  const errors = tasks.filter((t) => t.error).map((t) => `${t.model}: ${t.error}`);
  if (errors.length) process.stderr.write(`ort_serve_bench: ${errors.length} tasks failed, first: ${errors[0]}\n`);

  const config = {
    runtime: 'onnxruntime-node',
    ort_version: common.ortVersion(),
    arrivals: path.resolve(o.arrivals),
    model_paths: Object.fromEntries([...o.models].map(([n, p]) => [n, path.resolve(p)])),
    threads: o.threads,
    workers: o.workers,
    mode: o.workers > 0 ? `${o.workers} worker threads, one session per model each` : 'in-process (runs serialize)',
  };
  if (o.json) {
    process.stdout.write(JSON.stringify({total, models, config}) + '\n');
    return;
  }
  const f = (v) => (v === null ? '-' : v.toFixed(2));
  const rows = [['model', 'completed', 'failed', 'tasks/s', 'p50', 'p95', 'p99', 'max ms']];
  const row = (name, s) => rows.push([name, String(s.completed), String(s.failed), f(s.throughput_per_s),
    f(s.latency_p50_ms), f(s.latency_p95_ms), f(s.latency_p99_ms), f(s.latency_max_ms)]);
  for (const [name, s] of Object.entries(models)) row(name, s);
  row('total', total);
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(`onnxruntime-node ${config.ort_version}, ${config.mode}, ${o.threads} intra-op threads, ` +
                       `${tasks.length} tasks from ${o.arrivals}\n`);
  for (const r of rows) {
    process.stdout.write(r.map((v, c) => (c === 0 ? v.padEnd(width[c]) : v.padStart(width[c]))).join('  ') + '\n');
  }
  process.stdout.write(`dispatch lag max ${f(total.dispatch_lag_max_ms)} ms\n`);
}

if (isMainThread) {
  main().catch((e) => {
    process.stderr.write(`ort_serve_bench: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
} else {
  workerMain().catch((e) => {
    throw e;  // surfaces as the Worker's 'error' event in the main thread
  });
}
