import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../proto/index.ts';
import type { MqttServiceAccount } from '../../service-kit/index.ts';

// Where the console's live alarm feed (server-sent events) comes from: the
// alarm events rules publishes on tz/v1/events/alarm, read by an MQTT
// subscriber, or handed over in-process by the rules service.

export type AlarmEventListener = (event: unknown) => void;

export interface AlarmFeed {
  /** Returns the function that unsubscribes. */
  subscribe(listener: AlarmEventListener): () => void;
  close(): Promise<void>;
}

export interface MqttAlarmFeedOptions extends Omit<MqttServiceAccount, 'shareGroup'> {
  /** Called with events that are not JSON (counted by the caller). */
  onBadEvent?: (reason: string) => void;
}

/** A small fan-out: one subscriber list, shared by the MQTT feed and in-process callers. */
export class AlarmFanOut implements AlarmFeed {
  private readonly listeners = new Set<AlarmEventListener>();

  publish(event: unknown): void {
    for (const listener of this.listeners) listener(event);
  }

  subscribe(listener: AlarmEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

/** Subscribes (QoS 1, clean session: a console wants what happens now) to the alarm event topic. */
export async function connectMqttAlarmFeed(options: MqttAlarmFeedOptions): Promise<AlarmFeed> {
  const fanOut = new AlarmFanOut();
  const client: MqttClient = await mqtt.connectAsync(options.brokerUrl, {
    clientId: options.clientId ?? `tz-console-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    username: options.username, password: options.password, clean: true, reconnectPeriod: 2000, connectTimeout: 10_000,
  });
  client.on('message', (_topic, payload) => {
    try {
      fanOut.publish(JSON.parse(payload.toString('utf8')));
    } catch (err) {
      options.onBadEvent?.(`alarm event is not JSON: ${(err as Error).message}`);
    }
  });
  await client.subscribeAsync(topics.alarmEvents, { qos: 1 });
  return {
    subscribe: (listener) => fanOut.subscribe(listener),
    async close() {
      await fanOut.close();
      await client.endAsync(true);
    },
  };
}
