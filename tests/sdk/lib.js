// Shared by the SDK drivers: the environment the test sets, a check harness
// that counts calls and failures, the vendors' fingerprints computed here from
// the key itself, and a skewed clock for the stale-timestamp checks.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`sdk: ${name} is not set (test_cloudsim_sdk.sh sets it)`);
    process.exit(2);
  }
  return v;
}

// Certificates are checked: the test's CA comes in through NODE_EXTRA_CA_CERTS.
if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0') {
  console.error('sdk: NODE_TLS_REJECT_UNAUTHORIZED=0 would hide certificate errors');
  process.exit(2);
}

const env = {
  url: need('CLOUDSIM_URL'), // https://127.0.0.1:PORT
  host: new URL(need('CLOUDSIM_URL')).host,
  keys: need('SDK_KEYS'), // directory of ssh-keygen keys
};

function readKey(name) {
  return fs.readFileSync(path.join(env.keys, `${name}.pub`), 'utf8').trim();
}

// MD5 of the key blob: Alibaba writes lowercase hex, Huawei adds colons.
function md5Blob(line) {
  const hex = crypto.createHash('md5').update(Buffer.from(line.split(/\s+/)[1], 'base64'))
    .digest('hex');
  return { aliyun: hex, huawei: hex.match(/../g).join(':') };
}

let passed = 0;
let failed = 0;
let calls = 0;

function fail(what, why) {
  failed++;
  console.log(`FAIL ${what}: ${why}`);
}

function equal(what, want, got) {
  const w = JSON.stringify(want);
  const g = JSON.stringify(got);
  if (w === g) {
    passed++;
  } else {
    fail(what, `expected ${w}, got ${g}`);
  }
}

// ok(what, fn): one SDK call that must succeed; fn's result is returned.
async function ok(what, fn) {
  calls++;
  try {
    const r = await fn();
    passed++;
    return r;
  } catch (e) {
    fail(what, `threw ${describe(e)}`);
    return undefined;
  }
}

// refused(what, fn, want): one SDK call that must fail as the SDK reports it:
// want holds the fields of the SDK's error to compare (code, status, ...);
// pick(e) maps the SDK's error to those fields.
async function refused(what, fn, pick, want) {
  calls++;
  let r;
  try {
    r = await fn();
  } catch (e) {
    const got = pick(e);
    const sub = {};
    for (const k of Object.keys(want)) sub[k] = got[k];
    equal(what, want, sub);
    return got;
  }
  fail(what, `succeeded: ${JSON.stringify(r).slice(0, 300)}`);
  return undefined;
}

function describe(e) {
  if (e === null || e === undefined) return String(e);
  const f = {};
  for (const k of ['name', 'code', 'statusCode', 'httpStatusCode', 'errorCode', 'errorMsg',
    'message']) {
    if (e[k] !== undefined) f[k] = typeof e[k] === 'string' ? e[k].slice(0, 300) : e[k];
  }
  if (e.data && e.data.statusCode) f.status = e.data.statusCode;
  return JSON.stringify(f);
}

// A model check: every field named in spec has the JavaScript type the
// vendor's SDK model declares ('string', 'number', 'boolean', 'object').
function types(what, obj, spec) {
  if (obj === null || typeof obj !== 'object') {
    fail(what, `not an object: ${JSON.stringify(obj)}`);
    return;
  }
  const bad = [];
  for (const [k, t] of Object.entries(spec)) {
    const v = obj[k];
    const got = v === null ? 'null' : typeof v;
    if (got !== t) bad.push(`${k}: ${t} expected, ${got} (${JSON.stringify(v)})`);
  }
  if (bad.length) fail(what, bad.join('; '));
  else passed++;
}

// Run fn with every clock in this process (Date, Date.now, moment) shifted.
async function skewed(seconds, fn) {
  const Real = Date;
  const off = seconds * 1000;
  class Skewed extends Real {
    constructor(...a) {
      if (a.length === 0) super(Real.now() + off);
      else super(...a);
    }
    static now() { return Real.now() + off; }
  }
  globalThis.Date = Skewed;
  try {
    return await fn();
  } finally {
    globalThis.Date = Real;
  }
}

// A module as the package pkg resolves it (two versions may be installed).
function requireFrom(pkg, mod) {
  const base = path.dirname(require.resolve(`${pkg}/package.json`));
  return require(require.resolve(mod, { paths: [base] }));
}

// Run fn with holder[name] returning value: a replayed nonce.
async function pinned(holder, name, value, fn) {
  const real = holder[name];
  holder[name] = () => value;
  try {
    return await fn();
  } finally {
    holder[name] = real;
  }
}

function summary(name) {
  console.log(`${name}: ${calls} SDK calls`);
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

module.exports = {
  env, readKey, md5Blob, ok, refused, equal, fail, types, skewed, pinned, requireFrom, summary,
  describe,
};
