'use strict';
// Minimal .npy reader/writer (NumPy format v1.0 written; v1.0/2.0/3.0 read).
// Little-endian numeric dtypes and bool, C order only. Arrays are
// {dtype: <ORT tensor type>, shape: number[], data: TypedArray}.

const fs = require('fs');

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

// numpy descr (without byte-order char) <-> ORT tensor type and typed array.
const DTYPES = [
  // [descr, ortType, TypedArray]
  ['f4', 'float32', Float32Array],
  ['f8', 'float64', Float64Array],
  ['f2', 'float16', Uint16Array],
  ['i8', 'int64', BigInt64Array],
  ['i4', 'int32', Int32Array],
  ['i2', 'int16', Int16Array],
  ['i1', 'int8', Int8Array],
  ['u8', 'uint64', BigUint64Array],
  ['u4', 'uint32', Uint32Array],
  ['u2', 'uint16', Uint16Array],
  ['u1', 'uint8', Uint8Array],
  ['b1', 'bool', Uint8Array],
];
const BY_DESCR = new Map(DTYPES.map((d) => [d[0], d]));
const BY_TYPE = new Map(DTYPES.map((d) => [d[1], d]));

function parseHeader(text, file) {
  // The header is a Python dict literal, e.g.
  // {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shape = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!descr || !fortran || !shape) {
    throw new Error(`${file}: malformed .npy header: ${text.trim()}`);
  }
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const v = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(v) || v < 0) throw new Error(`${file}: bad dimension '${s}' in shape`);
    return v;
  });
  return {descr: descr[1], fortranOrder: fortran[1] === 'True', shape: dims};
}

function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) {
    throw new Error(`${file}: not a .npy file`);
  }
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    throw new Error(`${file}: unsupported .npy version ${major}.${buf[7]}`);
  }
  const header = parseHeader(buf.toString('latin1', offset, offset + headerLen), file);
  offset += headerLen;
  if (header.fortranOrder) throw new Error(`${file}: Fortran-order arrays are not supported`);
  let order = header.descr[0];
  let code = header.descr.slice(1);
  if (!'<>|='.includes(order)) {
    code = header.descr;
    order = '|';
  }
  const entry = BY_DESCR.get(code);
  if (!entry) throw new Error(`${file}: unsupported dtype '${header.descr}'`);
  const [, type, TA] = entry;
  if (order === '>' && TA.BYTES_PER_ELEMENT > 1) {
    throw new Error(`${file}: big-endian dtype '${header.descr}' is not supported`);
  }
  const count = header.shape.reduce((a, b) => a * b, 1);
  const bytes = count * TA.BYTES_PER_ELEMENT;
  if (buf.length - offset < bytes) {
    throw new Error(`${file}: truncated data (${buf.length - offset} bytes, need ${bytes})`);
  }
  // Copy into a fresh, aligned buffer.
  const ab = new ArrayBuffer(bytes);
  new Uint8Array(ab).set(buf.subarray(offset, offset + bytes));
  return {dtype: type, shape: header.shape, data: new TA(ab)};
}

function npyBytes(dtype, shape, data) {
  const entry = BY_TYPE.get(dtype);
  if (!entry) throw new Error(`cannot write dtype '${dtype}' to .npy`);
  const [code, , TA] = entry;
  const byteOrder = TA.BYTES_PER_ELEMENT === 1 ? '|' : '<';
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${byteOrder}${code}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Pad with spaces so that magic + version + len + header (+ '\n') is a multiple of 64.
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 65535) throw new Error('.npy header too long');
  const pre = Buffer.alloc(10);
  MAGIC.copy(pre, 0);
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new Error(`data has ${data.length} elements, shape [${shape}] needs ${count}`);
  }
  const body = Buffer.from(data.buffer, data.byteOffset, count * TA.BYTES_PER_ELEMENT);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

function writeNpy(file, dtype, shape, data) {
  fs.writeFileSync(file, npyBytes(dtype, shape, data));
}

// File name used for a tensor name: characters outside [A-Za-z0-9_.-] become '_'.
function safeName(name) {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

module.exports = {readNpy, writeNpy, npyBytes, safeName, DTYPES};
