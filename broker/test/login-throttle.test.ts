// The login throttle on a manual clock: checks in flight count against
// maxFailures; the address's lockout is bounded and reset by a success; the
// failing client's and account's lockouts escalate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../../service-kit/index.ts';
import { LoginThrottle, type LoginAttempt, type LoginTicket } from '../login-throttle.ts';

const options = { maxFailures: 3, windowMs: 60_000, lockoutMs: 1_000, maxLockoutMs: 64_000, maxKeys: 1_000 };
const at = (clientId: string, address = '10.0.0.1', username = clientId): LoginAttempt => ({ address, clientId, username });

function ticket(t: LoginThrottle, a: LoginAttempt): LoginTicket {
  const admission = t.admit(a);
  if (!('ticket' in admission)) throw new Error(`refused: ${admission.cause}`);
  return admission.ticket;
}

test('checks in flight count: the 4th parallel attempt is refused before any check; a finished success frees its slot', () => {
  const t = new LoginThrottle(options, new ManualClock(0));
  const running = [ticket(t, at('a')), ticket(t, at('b')), ticket(t, at('c'))];
  const fourth = t.admit(at('d'));
  assert.equal(fourth, { retryAfterMs: 0, cause: 'in-flight' });
  running[0]!.succeeded();
  assert.ok('ticket' in t.admit(at('d')), 'a slot is free again');
});

test('abandoned checks count neither way; a ticket ends once', () => {
  const t = new LoginThrottle(options, new ManualClock(0));
  const k = ticket(t, at('a'));
  k.abandoned();
  k.failed(); // ignored: already ended
  for (let i = 0; i < 3; i++) assert.ok('ticket' in t.admit(at(`x${i}`)));
});

test('address lockout is bounded and reset by a success; the failing client escalates', () => {
  const clock = new ManualClock(0);
  const t = new LoginThrottle(options, clock);
  const rows: Array<{ round: number; addressLock: number; clientLock: number }> = [];
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 3; i++) ticket(t, at('bad')).failed();
    rows.push({ round, addressLock: t.retryAfter(at('neighbour')), clientLock: t.retryAfter(at('bad')) });
    clock.advance(t.retryAfter(at('neighbour')));
    ticket(t, at('neighbour')).succeeded();
    clock.advance(t.retryAfter(at('bad')));
  }
  // The address never waits more than lockoutMs (reset every round); the client doubles to its cap.
  assert.equal(rows.map((r) => r.addressLock), [1_000, 1_000, 1_000, 1_000, 1_000, 1_000]);
  assert.equal(rows.map((r) => r.clientLock), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000]);
});

test('without successes in between the address lockout doubles only up to maxAddressLockoutMs', () => {
  const clock = new ManualClock(0);
  const t = new LoginThrottle({ ...options, maxAddressLockoutMs: 4_000 }, clock);
  const locks: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 3; i++) ticket(t, at(`bad-${round}-${i}`)).failed(); // a new client each time: only the address key escalates
    locks.push(t.retryAfter(at('someone-else')));
    clock.advance(locks.at(-1)!);
  }
  assert.equal(locks, [1_000, 2_000, 4_000, 4_000, 4_000]);
});

test('one account guessed from many addresses is locked for every address', () => {
  const t = new LoginThrottle(options, new ManualClock(0));
  for (let i = 0; i < 3; i++) ticket(t, at('gw-1', `10.0.0.${i + 10}`)).failed();
  assert.ok(t.retryAfter(at('gw-1', '10.9.9.9')) > 0);
  assert.is(t.retryAfter(at('gw-2', '10.9.9.9')), 0);
});

test.run();
