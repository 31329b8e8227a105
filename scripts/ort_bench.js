#!/usr/bin/env node
'use strict';
// Latency of ONNX Runtime (CPU) session.run, the peer baseline for `toprt bench`.
//
//   node scripts/ort_bench.js --model M [--batch N] [--threads T] [--warmup W]
//                             [--iters I] [--opt-level all|extended|basic|disabled] [--json]
//
// Inputs are random (fixed seed), shaped from the model's input metadata with every
// symbolic or unknown dimension set to the batch size. Session options:
// intraOpNumThreads=T, interOpNumThreads=1, sequential execution, the given graph
// optimization level (default all). Prints median / p90 / min / mean latency in ms
// over I timed runs after W warm-up runs; --json prints one JSON object instead.
//
// onnxruntime-node is loaded from $TOP_NPM_DIR (a node_modules directory), default
// <repo>/.deps/npm/node_modules (install it with scripts/npm-peer).

const fs = require('fs');
const os = require('os');
const path = require('path');

const {loadOrt, sessionOptions, makeRng, randomTensor, percentile} = require('./ort_common');

function usage(code, msg) {
  if (msg) process.stderr.write(msg + '\n');
  process.stderr.write('usage: node scripts/ort_bench.js --model M [--batch N] [--threads T] ' +
                       '[--warmup W] [--iters I] [--opt-level L] [--json]\n');
  process.exit(code);
}

function parseArgs(argv) {
  const o = {model: null, batch: 1, threads: 1, warmup: 5, iters: 20, optLevel: 'all', json: false};
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
      case '--model': o.model = next(); break;
      case '--batch': o.batch = intArg(a, next(), 1); break;
      case '--threads': o.threads = intArg(a, next(), 1); break;
      case '--warmup': o.warmup = intArg(a, next(), 0); break;
      case '--iters': o.iters = intArg(a, next(), 1); break;
      case '--opt-level': o.optLevel = next(); break;
      case '--json': o.json = true; break;
      case '-h': case '--help': usage(0); break;
      default: usage(2, `unknown argument ${a}`);
    }
  }
  if (!o.model) usage(2, '--model is required');
  if (!['all', 'extended', 'basic', 'disabled', 'layout'].includes(o.optLevel)) {
    usage(2, `bad --opt-level ${o.optLevel}`);
  }
  return o;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  if (!fs.existsSync(o.model)) throw new Error(`model not found: ${o.model}`);
  const tLoad = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(o.model, sessionOptions(o.threads, o.optLevel));
  const loadMs = Number(process.hrtime.bigint() - tLoad) / 1e6;
  const rng = makeRng(12345);
  const feeds = {};
  const inputShapes = {};
  for (const meta of session.inputMetadata) {
    feeds[meta.name] = randomTensor(ort, meta, o.batch, rng);
    inputShapes[meta.name] = feeds[meta.name].dims;
  }
  for (let i = 0; i < o.warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < o.iters; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await session.release();
  const sorted = times.slice().sort((a, b) => a - b);
  const result = {
    runtime: 'onnxruntime-node',
    ort_version: (ort.env && ort.env.versions && ort.env.versions.common) || null,
    model: path.resolve(o.model),
    batch: o.batch,
    threads: o.threads,
    opt_level: o.optLevel,
    warmup: o.warmup,
    iters: o.iters,
    inputs: inputShapes,
    load_ms: loadMs,
    median_ms: percentile(sorted, 50),
    p90_ms: percentile(sorted, 90),
    min_ms: sorted[0],
    max_ms: sorted[sorted.length - 1],
    mean_ms: times.reduce((a, b) => a + b, 0) / times.length,
    throughput_per_s: (1000 * o.batch) / percentile(sorted, 50),
    cpus: os.cpus().length,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(result) + '\n');
  } else {
    const f = (v) => v.toFixed(3);
    process.stdout.write(
        `${path.basename(o.model)} batch=${o.batch} threads=${o.threads} iters=${o.iters}: ` +
        `median ${f(result.median_ms)} ms, p90 ${f(result.p90_ms)} ms, min ${f(result.min_ms)} ms, ` +
        `mean ${f(result.mean_ms)} ms (load ${loadMs.toFixed(0)} ms)\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`ort_bench: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
