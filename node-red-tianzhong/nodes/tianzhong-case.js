'use strict';
// tianzhong-case: opens a work-order case (POST /api/v1/cases) or moves one
// through its workflow (POST /api/v1/cases/{id}/actions/{action}) with the API token
// of its tianzhong-api configuration node (Authorization: Bearer …).
const ACTIONS = new Set(['register', 'reject', 'dispatch', 'reassign', 'accept', 'return', 'handle', 'rework', 'verify', 'close', 'cancel', 'reopen']);

/** What a workflow action accepts besides the case id (the case API refuses anything else). */
const ACTION_FIELDS = ['note', 'crewId'];

module.exports = function register(RED) {
  function TianzhongCaseNode(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const api = RED.nodes.getNode(config.api);
    const fixedAction = config.action || '';
    if (!api || !api.url) {
      node.status({ fill: 'red', shape: 'ring', text: 'no API configured' });
    }

    node.on('input', async (msg, send, done) => {
      if (!api || !api.url) return done(new Error('no tianzhong-api configuration node (case API URL and token) is set'));
      const token = api.credentials && api.credentials.token;
      if (!token) return done(new Error('the tianzhong-api configuration has no API token'));
      const body = msg.payload && typeof msg.payload === 'object' && !Buffer.isBuffer(msg.payload) ? { ...msg.payload } : {};
      const caseId = msg.caseId ?? body.caseId ?? body.id;
      const action = msg.action || fixedAction || body.action || (caseId !== undefined ? '' : 'open');
      delete body.caseId;
      delete body.action;
      // An action takes only its own fields, so a case answered by a previous
      // tianzhong-case node can be wired straight into the next one.
      const actionBody = {};
      for (const key of ACTION_FIELDS) if (body[key] !== undefined) actionBody[key] = body[key];
      if (typeof msg.note === 'string') actionBody.note = msg.note;
      let path;
      if (action === 'open') {
        path = '/api/v1/cases';
      } else {
        if (!ACTIONS.has(action)) return done(new Error(`unknown case action "${action}"; use one of open, ${[...ACTIONS].join(', ')}`));
        if (caseId === undefined || !/^[0-9]+$/.test(String(caseId))) return done(new Error(`case action "${action}" needs msg.caseId (a case number), got ${JSON.stringify(caseId)}`));
        path = `/api/v1/cases/${encodeURIComponent(String(caseId))}/actions/${action}`;
      }
      node.status({ fill: 'blue', shape: 'dot', text: action });
      let response;
      let text;
      try {
        response = await fetch(`${api.url}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify(action === 'open' ? body : actionBody),
          signal: AbortSignal.timeout(api.timeoutMs),
        });
        text = await response.text();
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: 'unreachable' });
        return done(new Error(`case API ${api.url} unreachable: ${(err.cause && err.cause.code) || err.message}`));
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
        node.status({ fill: 'red', shape: 'ring', text: `${action}: ${response.status}` });
        const reason = answer && typeof answer === 'object' ? `${answer.code || ''} ${answer.message || ''}`.trim() : String(text).slice(0, 200);
        return done(Object.assign(new Error(`case API answered ${response.status} to ${action}: ${reason}`), { statusCode: response.status }));
      }
      const opened = answer && typeof answer === 'object' ? (answer.case && answer.case.id !== undefined ? answer.case : answer) : null;
      if (opened && opened.id !== undefined) msg.caseId = opened.id;
      node.status({ fill: 'green', shape: 'dot', text: `${action}: ${response.status}` });
      send(msg);
      done();
    });
  }
  RED.nodes.registerType('tianzhong-case', TianzhongCaseNode);
};
