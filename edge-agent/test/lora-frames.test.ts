import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rebuildFcnt } from '../lora/frame-counter.ts';
import { parseUpstream } from '../lora/semtech-udp.ts';
import { isTzError } from '../../service-kit/index.ts';

// last accepted, 16 bits on air → 32-bit counter and verdict (MAX_FCNT_GAP 16384).
const TABLE: Array<[number, number, number, 'new' | 'same' | 'too-far']> = [
  [-1, 0, 0, 'new'], // first frame of an ABP device
  [-1, 7, 7, 'new'],
  [5, 6, 6, 'new'],
  [5, 5, 5, 'same'], // heard twice, or replayed
  [5, 4, 0x10004, 'too-far'], // went back: a replay of an old frame
  [0xffff, 0x0000, 0x10000, 'new'], // 16-bit rollover
  [0x1fffe, 0x0003, 0x20003, 'new'],
  [100, 100 + 16_385, 100 + 16_385, 'too-far'], // jumped beyond MAX_FCNT_GAP
];

test('32-bit frame counters from 16 bits on air', () => {
  for (const [last, onAir, fcnt, verdict] of TABLE) assert.equal(rebuildFcnt(last, onAir, 16_384), { fcnt, verdict }, `last ${last}, on air ${onAir}`);
});

test('Semtech UDP: PUSH_DATA, PULL_DATA and TX_ACK parse; anything else is TZ_LORA_FRAME', () => {
  const eui = Buffer.from('aa555a0000000001', 'hex');
  const push = parseUpstream(Buffer.concat([Buffer.from([2, 0x12, 0x34, 0]), eui, Buffer.from('{"rxpk":[{"tmst":1,"freq":868.1,"datr":"SF7BW125","rssi":-80,"data":"QA=="}]}')]));
  assert.equal([push.kind, push.token, push.eui], ['push-data', 0x1234, 'aa555a0000000001']);
  assert.is(push.kind === 'push-data' && push.rxpk.length, 1);
  assert.is(parseUpstream(Buffer.concat([Buffer.from([2, 0, 1, 2]), eui])).kind, 'pull-data');
  const ack = parseUpstream(Buffer.concat([Buffer.from([2, 0, 1, 5]), eui, Buffer.from('{"txpk_ack":{"error":"TOO_LATE"}}')]));
  assert.is(ack.kind === 'tx-ack' && ack.error, 'TOO_LATE');
  for (const bad of [Buffer.from([1, 0, 0, 0]), Buffer.concat([Buffer.from([2, 0, 1, 9]), eui]), Buffer.concat([Buffer.from([2, 0, 1, 0]), eui, Buffer.from('{nope')])]) {
    assert.throws(() => parseUpstream(bad), (err: unknown) => isTzError(err, 'TZ_LORA_FRAME'));
  }
});

test.run();
