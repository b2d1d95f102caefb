import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openGatewayDatabase } from '../gateway-database.ts';
import { GatewayLedger } from '../gateway-ledger.ts';
import { answerJoinRequest } from '../lora/join-server.ts';
import { buildDataDown, loraPacket } from '../lora/lora-packet.ts';
import { LoraSessionStore } from '../lora/lora-sessions.ts';
import { fcntMsbBytes } from '../lora/frame-counter.ts';

// The join server against an in-memory gateway database and frames built by
// lora-packet as a device would build them (LoRaWAN 1.0.x §6.2).

const otaa = { devEui: Buffer.from('0004a30b001c0530', 'hex'), joinEui: Buffer.from('70b3d57ed0000001', 'hex'), appKey: Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex') };
const joinRequest = (devNonce: string, appKey = otaa.appKey, devEui = otaa.devEui) =>
  loraPacket.fromWire(loraPacket.fromFields({ MType: 'Join Request', AppEUI: otaa.joinEui, DevEUI: devEui, DevNonce: Buffer.from(devNonce, 'hex') }, undefined, undefined, appKey).getPHYPayload() as Buffer);

function setup() {
  const db = openGatewayDatabase(':memory:');
  const ledger = new GatewayLedger(db);
  return { ledger, store: new LoraSessionStore(db, ledger) };
}
const terms = (taken: Set<string> = new Set()) => ({ netId: Buffer.from('000013', 'hex'), rxDelayS: 1, dlSettings: 0, addrTaken: (a: string) => taken.has(a), now: 1 });

test('a join gives a DevAddr under the NetID\'s NwkID and the session the device derives from the decrypted JoinAccept', () => {
  const { store, ledger } = setup();
  ledger.acceptFcntUp('wm-1', 41);
  const v = answerJoinRequest(joinRequest('0102'), { deviceId: 'wm-1', otaa }, store, terms());
  if (v.outcome !== 'joined') throw new Error(v.detail);
  assert.is(v.session.devAddr[0]! >> 1, 0x13, 'NwkID = 7 LSBs of NetID 000013');
  const accept = loraPacket.fromWire(loraPacket.decryptJoinAccept(loraPacket.fromWire(v.joinAccept), otaa.appKey));
  assert.ok(loraPacket.verifyMIC(accept, undefined, otaa.appKey));
  const keys = loraPacket.generateSessionKeys(otaa.appKey, accept.NetID!, accept.AppNonce!, Buffer.from('0102', 'hex'));
  assert.ok(keys.NwkSKey.equals(v.session.nwkSKey) && keys.AppSKey.equals(v.session.appSKey));
  assert.equal(store.session('wm-1', '0004a30b001c0530')?.devAddr, v.session.devAddr);
  assert.equal(ledger.counters('wm-1').fcntUp, -1, 'frame counters restart with the session');
});

test('refusals: reused DevNonce, wrong AppKey, unknown DevEUI, wrong JoinEUI; a taken DevAddr is never handed out', () => {
  const { store } = setup();
  const known = { deviceId: 'wm-1', otaa };
  assert.is(answerJoinRequest(joinRequest('0a0b'), known, store, terms()).outcome, 'joined');
  assert.is(answerJoinRequest(joinRequest('0a0b'), known, store, terms()).outcome, 'join-replay');
  assert.is(answerJoinRequest(joinRequest('0a0c', Buffer.alloc(16, 7)), known, store, terms()).outcome, 'mic');
  assert.is(answerJoinRequest(joinRequest('0a0d'), undefined, store, terms()).outcome, 'unknown-device');
  assert.is(answerJoinRequest(joinRequest('0a0e'), { deviceId: 'wm-1', otaa: { ...otaa, joinEui: Buffer.alloc(8) } }, store, terms()).outcome, 'unknown-device');
  assert.ok(!store.nonceUsed('0004a30b001c0530', '0a0c'), 'a refused join uses no DevNonce');
  const taken = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const v = answerJoinRequest(joinRequest(i.toString(16).padStart(4, '0') + ''), known, store, terms(taken));
    if (v.outcome === 'joined') {
      const a = v.session.devAddr.toString('hex');
      assert.ok(!taken.has(a));
      taken.add(a);
    }
  }
});

test('an ACK-only downlink carries a valid MIC though it has no FPort', () => {
  const session = { devAddr: Buffer.from('26011234', 'hex'), nwkSKey: Buffer.alloc(16, 1), appSKey: Buffer.alloc(16, 2) };
  const phy = buildDataDown({ session, fcntDown: 0x10005, app: null, ack: true, fPending: false });
  const frame = loraPacket.fromWire(phy);
  assert.is(frame.getFPort(), null);
  assert.is(frame.getFCtrlACK(), true);
  assert.ok(loraPacket.verifyMIC(frame, session.nwkSKey, undefined, fcntMsbBytes(0x10005)));
  assert.not.ok(loraPacket.verifyMIC(frame, session.nwkSKey, undefined, fcntMsbBytes(5)), 'signed over the 32-bit counter');
});

test.run();
