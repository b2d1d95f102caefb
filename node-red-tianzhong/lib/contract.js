'use strict';
// The wire contract and the device profiles, loaded at runtime (CommonJS,
// Node-RED loads nodes with require): protobufjs parses the same
// proto/tianzhong/v1/*.proto files the platform generates its code from, and
// the profile YAML files give the metric order that MetricValue.index refers to.
const fs = require('node:fs');
const path = require('node:path');
const protobuf = require('protobufjs');
const YAML = require('yaml');

const PACKAGE_DIR = path.join(__dirname, '..');
const REPO_DIR = path.join(PACKAGE_DIR, '..');

/** First folder that exists: a copy bundled into the package (npm pack) or the repo's own. */
function firstExisting(candidates) {
  return candidates.find((dir) => dir && fs.existsSync(dir) && fs.statSync(dir).isDirectory());
}

function protoDir() {
  const dir = firstExisting([path.join(PACKAGE_DIR, 'proto', 'tianzhong', 'v1'), path.join(REPO_DIR, 'proto', 'tianzhong', 'v1')]);
  if (!dir) throw new Error('tianzhong: proto/tianzhong/v1/*.proto not found (run `npm pack` from the repo, which bundles them)');
  return dir;
}

function defaultProfilesDir() {
  return firstExisting([process.env.TZ_PROFILE_DIR, path.join(PACKAGE_DIR, 'profiles'), path.join(REPO_DIR, 'device-profiles', 'profiles')]);
}

let uplinkBatchType;
/** The protobufjs UplinkBatch type, parsed once from the .proto files. */
function uplinkBatch() {
  if (!uplinkBatchType) {
    const dir = protoDir();
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.proto')).sort().map((f) => path.join(dir, f));
    const root = protobuf.loadSync(files);
    uplinkBatchType = root.lookupType('tianzhong.v1.UplinkBatch');
  }
  return uplinkBatchType;
}

/**
 * Decodes an UplinkBatch. 64-bit fields (timestamps in ms, sequence numbers)
 * become JS numbers (exact to 2^53), enums their names; a truncated or
 * malformed payload throws with a message naming the problem.
 */
function decodeUplinkBatch(bytes) {
  const type = uplinkBatch();
  // A plain Uint8Array view: protobufjs' Buffer reader clamps a truncated
  // string instead of failing (the platform's own decoder does the same).
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const message = type.decode(view);
  return type.toObject(message, { longs: Number, enums: String, defaults: false, arrays: true, oneofs: false });
}

/** Metric names per (class, version) from the profile YAML files, in `metrics` order. */
class ProfileIndex {
  constructor(dir) {
    this.dir = dir;
    this.byKey = new Map();
    this.latest = new Map();
    if (!dir) return;
    for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
      let doc;
      try {
        doc = YAML.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
      } catch (err) {
        throw new Error(`tianzhong: profile ${file} is not valid YAML: ${err.message}`);
      }
      if (!doc || typeof doc.class !== 'string' || !Array.isArray(doc.metrics)) throw new Error(`tianzhong: profile ${file} has no class or metrics`);
      const entry = { class: doc.class, version: Number(doc.version) || 1, measurement: doc.measurement, metrics: doc.metrics.map((m) => String(m.name)) };
      this.byKey.set(`${entry.class}@${entry.version}`, entry);
      const prev = this.latest.get(entry.class);
      if (!prev || prev.version < entry.version) this.latest.set(entry.class, entry);
    }
  }

  /** The profile a reading was decoded with: exact version, else the newest of its class (metrics are only appended). */
  find(profileClass, version) {
    return this.byKey.get(`${profileClass}@${version}`) || this.latest.get(profileClass);
  }

  get size() {
    return this.byKey.size;
  }
}

const indexes = new Map();
/** One parsed index per folder, shared by every node using it. */
function profileIndex(dir) {
  const resolved = dir ? path.resolve(dir) : defaultProfilesDir();
  const key = resolved || '';
  if (!indexes.has(key)) indexes.set(key, new ProfileIndex(resolved));
  return indexes.get(key);
}

function valueOf(metric) {
  if (metric.number !== undefined) return metric.number;
  if (metric.flag !== undefined) return metric.flag;
  if (metric.integer !== undefined) return Number(metric.integer);
  return null;
}

/**
 * One plain object per reading: metric values keyed by name, names resolved
 * from `index` (1-based position in the profile's metrics) when the sender
 * used the compact form. Values that cannot be named are listed, not dropped.
 */
function readingsOf(batch, profiles) {
  return (batch.readings || []).map((r) => {
    const profile = profiles.find(r.profile, r.profileVersion);
    const values = {};
    const unresolved = [];
    for (const m of r.metrics || []) {
      const value = valueOf(m);
      let name = m.name;
      if (!name && m.index) name = profile && profile.metrics[m.index - 1];
      if (!name) unresolved.push({ index: m.index || 0, value });
      else values[name] = value;
    }
    return {
      gatewayId: batch.gatewayId || '',
      batchSeq: batch.batchSeq || 0,
      deviceId: r.deviceId || '',
      profile: r.profile || '',
      profileVersion: r.profileVersion || 0,
      measurement: profile ? profile.measurement : undefined,
      district: r.district || '',
      timestamp: r.timestampMs || 0,
      seq: r.seq || 0,
      values,
      unresolved,
    };
  });
}

function statusesOf(batch) {
  return (batch.statuses || []).map((s) => ({
    gatewayId: batch.gatewayId || '',
    deviceId: s.deviceId || '',
    profile: s.profile || '',
    timestamp: s.timestampMs || 0,
    state: String(s.state || 'DEVICE_STATE_UNKNOWN').replace('DEVICE_STATE_', '').toLowerCase(),
    error: String(s.error || 'DEVICE_ERROR_NONE').replace('DEVICE_ERROR_', '').toLowerCase(),
    detail: s.detail || '',
    batteryPct: s.batteryPct,
    rssiDbm: s.rssiDbm,
    snrDb: s.snrDb,
  }));
}

module.exports = { decodeUplinkBatch, profileIndex, readingsOf, statusesOf, protoDir, defaultProfilesDir };
