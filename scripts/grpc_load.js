#!/usr/bin/env node
'use strict';
// gRPC load generator for `toprt serve` (the v2 inference protocol's
// inference.GRPCInferenceService): closed-loop clients calling ModelInfer, the gRPC
// counterpart of `hey` in scripts/bench-serve. The client is npm's @grpc/grpc-js with
// @grpc/proto-loader (scripts/npm-grpc installs them), not code of this project.
//
//   node scripts/grpc_load.js --addr HOST:PORT --model NAME [--model NAME ...]
//        [--concurrency C] [--duration S] [--warmup S] [--proto PATH] [--json]
//
// --concurrency C (1): C callers, each awaiting its previous ModelInfer before sending the
// next; caller i calls model i mod M (round-robin over the M --model names).
// --duration S (10): seconds measured, after --warmup S (1) seconds whose requests are not.
// --proto PATH: the service's proto (serve/grpc/grpc_predict_v2.proto of this repo).
//
// Inputs: before the clock starts, ModelMetadata tells each model's first input; it must
// be FP32 (-1 dimensions become 1). One random tensor per model (N(0,1), never 0, fixed
// seed) is sent in raw_input_contents (little-endian bytes), as tritonclient.grpc does.
// Models with more than one input are refused.
//
// Connections: grpc-js multiplexes every call of a channel on one HTTP/2 connection, and
// by default channels with the same target and options share it too (a process-wide
// subchannel pool). Here each group of CALLERS_PER_CHANNEL (8) callers gets its own
// client object with 'grpc.use_local_subchannel_pool', so its own channel and TCP
// connection: 1 caller -> 1 connection, 8 -> 1, 64 -> 8. The whole generator is one
// node process (one JS thread), so at high rates on small models it can be the
// bottleneck; hey, by contrast, runs on all cores.
//
// Measured: requests started after the warmup and answered OK; latency = answer time -
// send time of each; rps = those requests / (last answer - end of warmup). errors counts
// every call not answered OK (warmup included, so failures are never hidden); the first
// error's message goes to stderr. Output, one line:
//   grpc models=a,b c=C requests=N rps=R p50_ms=A p99_ms=B errors=E
// or with --json one JSON object with the same fields (and a few more). Exit status 1
// when no request was answered OK, 2 on bad arguments.

const path = require('path');

const CALLERS_PER_CHANNEL = 8;
const CALL_DEADLINE_S = 60;
const CONNECT_DEADLINE_S = 10;

function usage(code, msg) {
  if (msg) process.stderr.write(msg + '\n');
  process.stderr.write('usage: node scripts/grpc_load.js --addr HOST:PORT --model NAME [--model NAME ...]\n' +
                       '       [--concurrency C] [--duration S] [--warmup S] [--proto PATH] [--json]\n');
  process.exit(code);
}

function parseArgs(argv) {
  const o = {addr: null, proto: path.join(__dirname, '..', 'serve', 'grpc', 'grpc_predict_v2.proto'),
             models: [], concurrency: 1, duration: 10, warmup: 1, json: false};
  const numArg = (name, v, min, integer) => {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
      usage(2, `${name} needs ${integer ? 'an integer' : 'a number'} >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(2, `${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--addr': o.addr = next(); break;
      case '--proto': o.proto = next(); break;
      case '--model': o.models.push(next()); break;
      case '--concurrency': case '-c': o.concurrency = numArg(a, next(), 1, true); break;
      case '--duration': o.duration = numArg(a, next(), 0.001, false); break;
      case '--warmup': o.warmup = numArg(a, next(), 0, false); break;
      case '--json': o.json = true; break;
      case '-h': case '--help': usage(0); break;
      default: usage(2, `unknown argument ${a}`);
    }
  }
  if (!o.addr) usage(2, '--addr is required');
  if (o.models.length === 0) usage(2, 'at least one --model is required');
  return o;
}

// The npm packages: from $TOP_NPM_GRPC_DIR, then node's own lookup (NODE_PATH, a
// node_modules above), then scripts/npm-grpc's default prefix.
function requirePackage(name) {
  const dirs = [process.env.TOP_NPM_GRPC_DIR, null,
                path.join(__dirname, '..', '.deps', 'npm-grpc', 'node_modules')];
  for (const dir of dirs) {
    if (dir === undefined || dir === '') continue;
    try {
      return require(dir === null ? name : path.join(dir, name));
    } catch (e) {
      if (e.code !== 'MODULE_NOT_FOUND') throw e;
    }
  }
  process.stderr.write(`grpc_load: cannot find ${name}; install it with scripts/npm-grpc ` +
                       '(and set TOP_NPM_GRPC_DIR or NODE_PATH to the path it prints)\n');
  process.exit(1);
}

// Deterministic N(0,1) values (xorshift32 + Box-Muller), never exactly 0.
function randomNormal(count, seed) {
  let s = (seed >>> 0) || 1;
  const uniform = () => {  // (0, 1)
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  const x = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())), t = 2 * Math.PI * uniform();
    x[i] = r * Math.cos(t);
    if (i + 1 < count) x[i + 1] = r * Math.sin(t);
  }
  for (let i = 0; i < count; i++) if (x[i] === 0) x[i] = 1e-3;
  return x;
}

const deadline = (seconds) => new Date(Date.now() + seconds * 1000);

function call(client, method, request, seconds) {
  return new Promise((resolve, reject) => {
    client[method](request, {deadline: deadline(seconds)}, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

function percentile(sorted, q) {  // nearest rank
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const grpc = requirePackage('@grpc/grpc-js');
  const protoLoader = requirePackage('@grpc/proto-loader');
  const definition = protoLoader.loadSync(o.proto, {keepCase: true, longs: String, enums: String,
                                                     defaults: true, oneofs: true});
  const Service = grpc.loadPackageDefinition(definition).inference.GRPCInferenceService;
  const channelOptions = {
    'grpc.use_local_subchannel_pool': 1,  // a connection of its own per client object
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
  };
  const nclients = Math.ceil(o.concurrency / CALLERS_PER_CHANNEL);
  const clients = [];
  for (let i = 0; i < nclients; i++)
    clients.push(new Service(o.addr, grpc.credentials.createInsecure(), channelOptions));
  const closeAll = () => clients.forEach((c) => c.close());

  await Promise.all(clients.map((c) => new Promise((resolve, reject) =>
    c.waitForReady(deadline(CONNECT_DEADLINE_S), (err) => (err ? reject(err) : resolve()))))).catch((e) => {
    process.stderr.write(`grpc_load: cannot connect to ${o.addr}: ${e.message}\n`);
    closeAll();
    process.exit(1);
  });

  // One request per model, from its metadata.
  const requests = [];
  for (const [k, model] of o.models.entries()) {
    let meta;
    try {
      meta = await call(clients[0], 'ModelMetadata', {name: model}, CONNECT_DEADLINE_S);
    } catch (e) {
      process.stderr.write(`grpc_load: ModelMetadata ${model}: ${e.message}\n`);
      closeAll();
      process.exit(1);
    }
    const input = meta.inputs[0];
    if (meta.inputs.length !== 1 || input.datatype !== 'FP32') {
      process.stderr.write(`grpc_load: ${model}: needs one FP32 input, has ` +
                           `${meta.inputs.map((t) => `${t.name}:${t.datatype}`).join(', ')}\n`);
      closeAll();
      process.exit(1);
    }
    const shape = input.shape.map((d) => Math.max(Number(d), 1));
    const x = randomNormal(shape.reduce((a, b) => a * b, 1), 1234 + k);
    requests.push({
      model_name: model,
      inputs: [{name: input.name, datatype: 'FP32', shape}],
      raw_input_contents: [Buffer.from(x.buffer, x.byteOffset, x.byteLength)],
    });
  }

  const latencies = [];  // ms, measured requests only
  let errors = 0, firstError = null, lastAnswer = 0;
  const t0 = performance.now();
  const warmupEnd = t0 + o.warmup * 1000, end = warmupEnd + o.duration * 1000;

  async function caller(i) {
    const client = clients[Math.floor(i / CALLERS_PER_CHANNEL)];
    const request = requests[i % requests.length];
    for (;;) {
      const start = performance.now();
      if (start >= end) return;
      try {
        await call(client, 'ModelInfer', request, CALL_DEADLINE_S);
        const done = performance.now();
        if (start >= warmupEnd) {
          latencies.push(done - start);
          if (done > lastAnswer) lastAnswer = done;
        }
      } catch (e) {
        errors++;
        if (firstError === null) {
          firstError = `${request.model_name}: ${e.message}`;
          process.stderr.write(`grpc_load: first error: ${firstError}\n`);
        }
      }
    }
  }
  await Promise.all(Array.from({length: o.concurrency}, (_, i) => caller(i)));
  closeAll();

  const sorted = Float64Array.from(latencies).sort();
  const window = Math.max(lastAnswer - warmupEnd, 1e-9) / 1000;
  const r = {
    models: o.models, concurrency: o.concurrency, connections: nclients,
    requests: sorted.length, rps: sorted.length ? sorted.length / window : 0,
    p50_ms: percentile(sorted, 0.5), p99_ms: percentile(sorted, 0.99),
    mean_ms: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : 0,
    max_ms: sorted.length ? sorted[sorted.length - 1] : 0,
    errors, first_error: firstError, duration_s: o.duration, warmup_s: o.warmup,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(r) + '\n');
  } else {
    process.stdout.write(`grpc models=${o.models.join(',')} c=${o.concurrency} requests=${r.requests} ` +
                         `rps=${r.rps.toFixed(1)} p50_ms=${r.p50_ms.toFixed(3)} p99_ms=${r.p99_ms.toFixed(3)} ` +
                         `errors=${errors}\n`);
  }
  process.exit(r.requests > 0 ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`grpc_load: ${e.stack || e}\n`);
  process.exit(1);
});
