'use strict';
// tianzhong-command: sends a command to a field device through the centre's
// API (POST /api/v1/devices/{id}/commands) with the API token of its
// tianzhong-api configuration node, and passes on the command's outcome
// (acked / failed / timeout, or sent when the gateway has not answered within
// the node's wait).
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

module.exports = function register(RED) {
  function TianzhongCommandNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const api = RED.nodes.getNode(config.api);
    const fixedDevice = config.deviceId || '';
    const fixedName = config.command || '';
    const waitMs = Number(config.wait) >= 0 ? Math.min(60, Number(config.wait)) * 1000 : 10000;
    if (!api || !api.url) node.status({ fill: 'red', shape: 'ring', text: 'no API configured' });

    node.on('input', async (msg, send, done) => {
      if (!api || !api.url) return done(new Error('no tianzhong-api configuration node (API URL and token) is set'));
      const token = api.credentials && api.credentials.token;
      if (!token) return done(new Error('the tianzhong-api configuration has no API token'));
      const body = msg.payload && typeof msg.payload === 'object' && !Buffer.isBuffer(msg.payload) ? msg.payload : {};
      const deviceId = String(msg.deviceId || fixedDevice || body.deviceId || '');
      const name = String(msg.command || fixedName || body.name || '');
      const params = body.params && typeof body.params === 'object' ? body.params : {};
      if (!ID.test(deviceId)) return done(new Error(`tianzhong-command needs a device id (node setting, msg.deviceId or payload.deviceId), got ${JSON.stringify(deviceId)}`));
      if (!name) return done(new Error('tianzhong-command needs a command name (node setting, msg.command or payload.name)'));
      node.status({ fill: 'blue', shape: 'dot', text: `${name} → ${deviceId}` });
      let response;
      let text;
      try {
        response = await fetch(`${api.url}/api/v1/devices/${encodeURIComponent(deviceId)}/commands`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ name, params, waitMs }),
          signal: AbortSignal.timeout(api.timeoutMs + waitMs),
        });
        text = await response.text();
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: 'unreachable' });
        return done(new Error(`command API ${api.url} unreachable: ${(err.cause && err.cause.code) || err.message}`));
      }
      let answer;
      try {
        answer = text ? JSON.parse(text) : null;
      } catch {
        answer = text;
      }
      msg.statusCode = response.status;
      msg.payload = answer;
      if (!response.ok) {
        node.status({ fill: 'red', shape: 'ring', text: `${name}: ${response.status}` });
        const reason = answer && typeof answer === 'object' ? `${answer.code || ''} ${answer.message || ''}`.trim() : String(text).slice(0, 200);
        return done(Object.assign(new Error(`command API answered ${response.status} to ${name} on ${deviceId}: ${reason}`), { statusCode: response.status }));
      }
      msg.commandId = answer && answer.commandId;
      const state = answer && answer.state;
      node.status({ fill: state === 'acked' ? 'green' : state === 'sent' ? 'yellow' : 'red', shape: 'dot', text: `${name}: ${state}` });
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('tianzhong-command', TianzhongCommandNode);
};
