// The PUBACK order of one connection (MQTT 3.1.1 §4.6) across the ledger's
// compaction: messages still in flight when the settled ones are dropped keep
// their positions, and every PUBACK goes out once, in PUBLISH order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { AckLedger } from '../mqtt-acks.ts';

/** Packet ids of the PUBACKs written to the stream (4 bytes each: 0x40 0x02 id-msb id-lsb). */
function pubackIds(written: Buffer[]): number[] {
  const bytes = Buffer.concat(written);
  const ids: number[] = [];
  for (let at = 0; at + 4 <= bytes.length; at += 4) {
    assert.is(bytes[at], 0x40);
    ids.push(bytes.readUInt16BE(at + 2));
  }
  return ids;
}

function ledger(): { ledger: AckLedger; written: Buffer[] } {
  const stream = new PassThrough();
  const written: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => written.push(chunk));
  return { ledger: new AckLedger(stream), written };
}

const idOf = (n: number) => (n % 65_535) + 1;

test('messages in flight while the settled ones are compacted away are acknowledged, in order', async () => {
  const { ledger: l, written } = ledger();
  const positions = Array.from({ length: 4_100 }, (_, n) => l.push(idOf(n)));
  // Settle all but the last two in order: compaction runs (more than 4096 acknowledged) with two still in flight.
  for (const p of positions.slice(0, 4_098)) l.settle(p);
  // A message arriving after the compaction, settled before the two older ones.
  const later = l.push(idOf(4_100));
  l.settle(later);
  assert.is(l.oldest, positions[4_098]);
  for (const p of positions.slice(4_098).reverse()) l.settle(p);
  assert.is(l.oldest, undefined);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pubackIds(written), Array.from({ length: 4_101 }, (_, n) => idOf(n)));
});

test('a position the ledger never gave, or one settled twice, sends no PUBACK of its own', async () => {
  const { ledger: l, written } = ledger();
  const first = l.push(1);
  l.settle(5);
  l.settle(first);
  l.settle(first);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(pubackIds(written), [1]);
});

test.run();
