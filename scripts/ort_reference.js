#!/usr/bin/env node
'use strict';
// Reference outputs from ONNX Runtime (CPU) for test cases.
//
//   node scripts/ort_reference.js [--threads N] [--quiet] [--from LIST] [CASE_DIR ...]
//
// --from LIST reads more case directories from the file LIST, one per line.
// Each CASE_DIR holds model.onnx (or model_path.txt with the path of an .onnx file,
// relative to CASE_DIR unless absolute) and inputs/<name>.npy for every graph input
// (<name> is the ONNX input name with characters outside [A-Za-z0-9_.-] replaced by
// '_'). The model runs in ORT (CPU, graphOptimizationLevel 'all') and every graph
// output is written to CASE_DIR/expected/<name>.npy (same naming rule). Stale files
// in expected/ are removed first. If ORT fails on a case, the message goes to
// CASE_DIR/expected/ort_error.txt and to stderr, the other cases still run, and the
// exit status is 1. Outputs whose shape differs from the shape the model declares
// are written but reported with WARN on stderr.
//
// onnxruntime-node is loaded from $TOP_NPM_DIR (a node_modules directory), default
// <repo>/.deps/npm/node_modules (install it with scripts/npm-peer).

const fs = require('fs');
const path = require('path');
const {readNpy, writeNpy, safeName} = require('./npy');

function loadOrt() {
  const dir = process.env.TOP_NPM_DIR || path.join(__dirname, '..', '.deps', 'npm', 'node_modules');
  const mod = path.join(dir, 'onnxruntime-node');
  if (!fs.existsSync(mod)) {
    throw new Error(`onnxruntime-node not found in ${dir} (run scripts/npm-peer or set TOP_NPM_DIR)`);
  }
  return require(mod);
}

function usage(code) {
  process.stderr.write('usage: node scripts/ort_reference.js [--threads N] [--quiet] [--from LIST] [CASE_DIR ...]\n');
  process.exit(code);
}

function parseArgs(argv) {
  const opts = {threads: 1, quiet: false, dirs: []};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--threads') {
      opts.threads = Number(argv[++i]);
      if (!Number.isInteger(opts.threads) || opts.threads < 1) usage(2);
    } else if (a === '--from') {
      const list = argv[++i];
      if (!list) usage(2);
      for (const line of fs.readFileSync(list, 'utf8').split('\n')) {
        if (line.trim()) opts.dirs.push(line.trim());
      }
    } else if (a === '--quiet' || a === '-q') {
      opts.quiet = true;
    } else if (a === '-h' || a === '--help') {
      usage(0);
    } else if (a.startsWith('--')) {
      process.stderr.write(`unknown option ${a}\n`);
      usage(2);
    } else {
      opts.dirs.push(a);
    }
  }
  if (opts.dirs.length === 0 && !argv.includes('--from')) usage(2);
  return opts;
}

function modelPath(caseDir) {
  const direct = path.join(caseDir, 'model.onnx');
  if (fs.existsSync(direct)) return path.resolve(direct);
  const ref = path.join(caseDir, 'model_path.txt');
  if (fs.existsSync(ref)) {
    const p = fs.readFileSync(ref, 'utf8').trim();
    const resolved = path.resolve(caseDir, p);
    if (!fs.existsSync(resolved)) throw new Error(`model_path.txt points at missing file ${resolved}`);
    return resolved;
  }
  throw new Error('neither model.onnx nor model_path.txt found');
}

// Sessions are cached by model path (zoo cases share a model across batch sizes).
class SessionCache {
  constructor(ort, options, capacity) {
    this.ort = ort;
    this.options = options;
    this.capacity = capacity;
    this.map = new Map();
  }

  async get(file) {
    if (this.map.has(file)) {
      const s = this.map.get(file);
      this.map.delete(file);
      this.map.set(file, s);
      return s;
    }
    const session = await this.ort.InferenceSession.create(file, this.options);
    this.map.set(file, session);
    while (this.map.size > this.capacity) {
      const [oldFile, old] = this.map.entries().next().value;
      this.map.delete(oldFile);
      await old.release();
    }
    return session;
  }
}

function clearExpected(dir) {
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, {recursive: true});
    return;
  }
  for (const f of fs.readdirSync(dir)) {
    if (f.endsWith('.npy') || f === 'ort_error.txt') fs.unlinkSync(path.join(dir, f));
  }
}

function uniqueNames(names, what) {
  const seen = new Map();
  for (const n of names) {
    const s = safeName(n);
    if (seen.has(s)) throw new Error(`${what} names '${seen.get(s)}' and '${n}' map to the same file ${s}.npy`);
    seen.set(s, n);
  }
}

async function runCase(ort, cache, caseDir, warnings) {
  const file = modelPath(caseDir);
  const session = await cache.get(file);
  uniqueNames(session.inputNames, 'input');
  uniqueNames(session.outputNames, 'output');
  const feeds = {};
  for (const name of session.inputNames) {
    const npyFile = path.join(caseDir, 'inputs', safeName(name) + '.npy');
    if (!fs.existsSync(npyFile)) throw new Error(`missing input file ${npyFile}`);
    const arr = readNpy(npyFile);
    feeds[name] = new ort.Tensor(arr.dtype, arr.data, arr.shape);
  }
  const results = await session.run(feeds);
  const expectedDir = path.join(caseDir, 'expected');
  const written = [];
  const declared = new Map((session.outputMetadata || []).map((m) => [m.name, m]));
  for (const name of session.outputNames) {
    const t = results[name];
    if (!t || t.type === 'string' || !t.data) {
      throw new Error(`output '${name}' is not a numeric tensor`);
    }
    // The model's declared output shape should agree with what ORT computes;
    // a mismatch usually means the case declares a wrong shape.
    const meta = declared.get(name);
    if (meta && meta.isTensor && meta.shape.length > 0) {
      const bad = meta.shape.length !== t.dims.length ||
          meta.shape.some((d, i) => typeof d === 'number' && d >= 0 && d !== t.dims[i]);
      if (bad) {
        warnings.push(`output '${name}' declared [${meta.shape.join(',')}] but ORT produced [${t.dims.join(',')}]`);
      }
    }
    written.push([safeName(name) + '.npy', t]);
  }
  clearExpected(expectedDir);
  for (const [f, t] of written) writeNpy(path.join(expectedDir, f), t.type, Array.from(t.dims), t.data);
  return written.map(([f, t]) => `${f}[${t.dims.join('x')}]`).join(' ');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ort = loadOrt();
  const cache = new SessionCache(ort, {
    executionProviders: ['cpu'],
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,  // errors only; shape mismatches are reported as WARN lines
  }, 4);
  let failed = 0;
  const t0 = Date.now();
  for (const dir of opts.dirs) {
    try {
      const warnings = [];
      const summary = await runCase(ort, cache, dir, warnings);
      for (const w of warnings) process.stderr.write(`WARN ${dir}: ${w}\n`);
      if (!opts.quiet) process.stdout.write(`ok   ${dir}: ${summary}\n`);
    } catch (e) {
      failed++;
      const msg = (e && e.message) ? e.message : String(e);
      process.stderr.write(`FAIL ${dir}: ${msg}\n`);
      try {
        if (!fs.existsSync(dir)) throw new Error('no case directory');
        clearExpected(path.join(dir, 'expected'));
        fs.writeFileSync(path.join(dir, 'expected', 'ort_error.txt'), msg + '\n');
      } catch (_) {
        // the case directory itself may be missing; the message is on stderr
      }
    }
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`ort_reference: ${opts.dirs.length - failed}/${opts.dirs.length} cases ok in ${secs}s\n`);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  process.stderr.write(`ort_reference: ${e && e.message ? e.message : e}\n`);
  process.exit(2);
});
