import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** Runs a mosquitto-clients tool (`mosquitto_pub`, `mosquitto_sub`) to completion; never throws on a non-zero exit. */
export async function runMosquittoClient(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${tool} cannot run (Debian package mosquitto-clients): ${err.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * An MQTT client connected over TCP without reconnects, pushed onto `tracked`
 * so the test can end it; rejects with the broker's refusal (and ends the client).
 */
export function connectMqtt(url: string, options: IClientOptions, tracked: MqttClient[]): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    tracked.push(c);
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}
