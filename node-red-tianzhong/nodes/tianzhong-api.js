'use strict';
// tianzhong-api: configuration shared by tianzhong-case nodes — the base URL
// of the case API and an API token kept in Node-RED's encrypted credentials
// store (never in the flow file).
module.exports = function register(RED) {
  function TianzhongApiNode(config) {
    RED.nodes.createNode(this, config);
    this.name = config.name;
    this.url = String(config.url || '').replace(/\/+$/, '');
    this.timeoutMs = Number(config.timeout) > 0 ? Number(config.timeout) * 1000 : 10000;
  }
  RED.nodes.registerType('tianzhong-api', TianzhongApiNode, { credentials: { token: { type: 'password' } } });
};
