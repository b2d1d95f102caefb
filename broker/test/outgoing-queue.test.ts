// The broker's memory persistence keeps its outgoing queues indexed
// (outgoing-queue.ts) instead of aedes-persistence's arrays scanned per
// lookup. Held against that store itself: the same random sequences of
// enqueue / update / clear / stream on both, every answer and every queue's
// contents equal after every step, with packet ids from a small range so
// that collisions, PUBRELs over PUBLISHes and never-sent entries all occur.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createRequire } from 'node:module';
import { mulberry32 } from '../../service-kit/index.ts';
import { CappedMemoryPersistence } from '../offline-queue-cap.ts';

interface Store {
  outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<unknown>;
  outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: object): Promise<unknown>;
  outgoingUpdate(client: { id: string }, packet: object): Promise<unknown>;
  outgoingClearMessageId(client: { id: string }, packet: object): Promise<unknown>;
  outgoingStream(client: { id: string }): AsyncIterable<unknown>;
}
const require = createRequire(import.meta.url);
const Reference = require('aedes-persistence/asyncPersistence.js') as new () => Store;

const describe = (p: unknown) => {
  if (p === undefined || p === null) return p;
  const { cmd, brokerId, brokerCounter, messageId, topic, qos, payload } = p as Record<string, unknown>;
  return { cmd, brokerId, brokerCounter, messageId, topic, qos, payload: Buffer.isBuffer(payload) ? payload.toString() : payload };
};
const settle = (p: Promise<unknown>) => p.then((v) => ({ ok: describe(v) }), (err: Error) => ({ err: err.message }));
async function contents(store: Store, id: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const p of store.outgoingStream({ id })) out.push(describe(p));
  return out;
}

const CLIENTS = ['ingest-a', 'ingest-b', 'rules'];

for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
  test(`indexed outgoing queues answer as aedes-persistence's memory store (seed ${seed}, 3,000 steps)`, async () => {
    const rnd = mulberry32(seed);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const reference = new Reference();
    const ours = new CappedMemoryPersistence({ maxPerClient: 1_000_000, onDrop: () => assert.unreachable('no cap in this test') });
    const stores: Store[] = [reference, ours as unknown as Store];
    let counter = 0;
    const origins: Array<{ brokerId: string; brokerCounter: number }> = [];
    for (let step = 0; step < 3_000; step++) {
      const client = pick(CLIENTS);
      const r = rnd();
      let op: (s: Store) => Promise<unknown>;
      let what: string;
      if (r < 0.35) {
        // A new message from one of two brokers (a counter is sometimes reused across brokers, as two nodes' counters may be).
        const brokerId = pick(['node-a', 'node-b']);
        const brokerCounter = rnd() < 0.1 && origins.length > 0 ? pick(origins).brokerCounter : ++counter;
        origins.push({ brokerId, brokerCounter });
        const packet = { cmd: 'publish', topic: 'tz/v1/gw/gw-1/up/batch', payload: Buffer.from(`m${step}`), qos: 1, retain: false, dup: false, brokerId, brokerCounter };
        const targets = CLIENTS.filter(() => rnd() < 0.6);
        const single = rnd() < 0.5;
        what = single ? 'enqueue' : `enqueue to ${JSON.stringify(targets)}`;
        op = (s) => (single ? s.outgoingEnqueue({ clientId: client }, packet) : s.outgoingEnqueueCombi(targets.map((clientId) => ({ clientId })), packet));
      } else if (r < 0.65) {
        // A delivery records its packet id; or a PUBREL (no broker id) goes over the PUBLISH with that id.
        const messageId = 1 + Math.floor(rnd() * 12);
        const packet = rnd() < 0.85 && origins.length > 0 ? { ...pick(origins), cmd: 'publish', qos: 1, messageId } : { cmd: 'pubrel', messageId };
        what = `update ${JSON.stringify(packet)}`;
        op = (s) => s.outgoingUpdate({ id: client }, { ...packet });
      } else if (r < 0.95) {
        const messageId = rnd() < 0.05 ? undefined : 1 + Math.floor(rnd() * 12);
        what = `clear ${messageId}`;
        op = (s) => s.outgoingClearMessageId({ id: client }, { cmd: 'puback', messageId });
      } else {
        what = 'stream';
        op = async (s) => contents(s, client);
      }
      const [a, b] = await Promise.all(stores.map((s) => settle(op(s))));
      assert.equal(b, a, `step ${step}: ${what} on ${client}`);
      if (step % 50 === 0 || r >= 0.95) {
        for (const id of CLIENTS) assert.equal(await contents(ours as unknown as Store, id), await contents(reference, id), `step ${step}: queue of ${id}`);
      }
    }
    for (const id of CLIENTS) {
      const expected = await contents(reference, id);
      assert.equal(await contents(ours as unknown as Store, id), expected);
      assert.is(ours.queuedFor(id), expected.length, 'the cap counts what is queued');
    }
  });
}

test.run();
