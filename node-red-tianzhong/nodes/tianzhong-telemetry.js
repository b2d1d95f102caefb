'use strict';
// tianzhong-telemetry: decodes the UplinkBatch protobuf a gateway publishes on
// tz/v1/gw/{gatewayId}/up/batch into one message per reading (output 1) and
// one per device status (output 2). It takes msg.payload Buffers from a
// standard `mqtt in` node, so broker connection, TLS and QoS stay with
// Node-RED's own MQTT client.
const { decodeUplinkBatch, profileIndex, readingsOf, statusesOf } = require('../lib/contract.js');

const BATCH_TOPIC = /^tz\/v1\/gw\/([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\/up\/batch$/;

module.exports = function register(RED) {
  function TianzhongTelemetryNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    let profiles;
    try {
      profiles = profileIndex(config.profilesDir || undefined);
    } catch (err) {
      node.error(err.message);
      node.status({ fill: 'red', shape: 'ring', text: 'profiles unreadable' });
      return;
    }
    const counts = { batches: 0, readings: 0, errors: 0 };
    const show = () => node.status({ fill: counts.errors ? 'yellow' : 'green', shape: 'dot', text: `${counts.readings} readings, ${counts.errors} refused` });
    node.status({ fill: 'grey', shape: 'ring', text: `${profiles.size} profiles` });

    node.on('input', (msg, send, done) => {
      const refuse = (text) => {
        counts.errors += 1;
        show();
        done(new Error(text));
      };
      let payload = msg.payload;
      if (typeof payload === 'string') return refuse('msg.payload is a string: set the mqtt in node\'s output to "a Buffer" (protobuf is binary)');
      if (payload instanceof Uint8Array === false) return refuse(`msg.payload must be a Buffer holding an UplinkBatch, got ${typeof payload}`);
      let batch;
      try {
        batch = decodeUplinkBatch(payload);
      } catch (err) {
        return refuse(`not a valid UplinkBatch (${payload.length} bytes): ${err.message}`);
      }
      const topic = typeof msg.topic === 'string' ? BATCH_TOPIC.exec(msg.topic) : null;
      if (topic && topic[1] !== batch.gatewayId) return refuse(`batch gateway_id "${batch.gatewayId}" does not match topic ${msg.topic}`);
      const readings = readingsOf(batch, profiles);
      const statuses = statusesOf(batch);
      counts.batches += 1;
      counts.readings += readings.length;
      show();
      const base = { _msgid: undefined, mqttTopic: msg.topic };
      send([
        readings.map((r) => Object.assign(RED.util.cloneMessage({ ...msg, payload: null }), base, { _msgid: RED.util.generateId(), topic: r.deviceId, payload: r })),
        statuses.map((s) => Object.assign(RED.util.cloneMessage({ ...msg, payload: null }), base, { _msgid: RED.util.generateId(), topic: s.deviceId, payload: s })),
      ]);
      done();
    });
  }
  RED.nodes.registerType('tianzhong-telemetry', TianzhongTelemetryNode);
};
