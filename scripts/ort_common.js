'use strict';
// Helpers shared by the ONNX Runtime peer scripts (ort_bench.js, ort_serve_bench.js):
// loading onnxruntime-node, reproducible random inputs shaped from a session's input
// metadata, session options, percentiles.

const fs = require('fs');
const path = require('path');

// onnxruntime-node comes from $TOP_NPM_DIR (a node_modules directory), default
// <repo>/.deps/npm/node_modules (scripts/npm-peer installs it there).
function ortDir() {
  const dir = process.env.TOP_NPM_DIR || path.join(__dirname, '..', '.deps', 'npm', 'node_modules');
  const mod = path.join(dir, 'onnxruntime-node');
  if (!fs.existsSync(mod)) {
    throw new Error(`onnxruntime-node not found in ${dir} (run scripts/npm-peer or set TOP_NPM_DIR)`);
  }
  return mod;
}

function loadOrt() {
  return require(ortDir());
}

function ortVersion() {
  return JSON.parse(fs.readFileSync(path.join(ortDir(), 'package.json'), 'utf8')).version;
}

// The options every peer measurement uses, so numbers from different scripts compare.
function sessionOptions(threads, optLevel = 'all') {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: optLevel,
    logSeverityLevel: 3,
  };
}

// xorshift32 + Box-Muller: reproducible N(0,1) samples without dependencies.
function makeRng(seed) {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

// Every symbolic or unknown dimension becomes `batch`. Floats are N(0,1); integers are
// small and non-negative, so they stay valid as indices into small tables.
function randomTensor(ort, meta, batch, rng) {
  if (!meta.isTensor) throw new Error(`input '${meta.name}' is not a tensor`);
  const dims = meta.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : batch));
  const n = dims.reduce((a, b) => a * b, 1);
  switch (meta.type) {
    case 'float32': case 'float64': {
      const data = meta.type === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = rng();
      return new ort.Tensor(meta.type, data, dims);
    }
    case 'int64': {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) data[i] = BigInt(Math.floor(Math.abs(rng()) * 10));
      return new ort.Tensor('int64', data, dims);
    }
    case 'int32': {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.floor(Math.abs(rng()) * 10);
      return new ort.Tensor('int32', data, dims);
    }
    case 'bool': {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = rng() > 0 ? 1 : 0;
      return new ort.Tensor('bool', data, dims);
    }
    default:
      throw new Error(`input '${meta.name}' has unsupported type ${meta.type}`);
  }
}

function randomFeeds(ort, session, batch, rng) {
  const feeds = {};
  for (const meta of session.inputMetadata) feeds[meta.name] = randomTensor(ort, meta, batch, rng);
  return feeds;
}

// Nearest rank on an ascending sample (the definition toprt's metrics use too).
function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

module.exports = {loadOrt, ortVersion, sessionOptions, makeRng, randomTensor, randomFeeds, percentile};
