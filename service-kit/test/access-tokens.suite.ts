// The shared token store suite (as MQTT.js's abstract_store): every token
// store — SQLite (service-kit/test/sqlite-access-tokens.test.ts) and
// PostgreSQL (test/integration/postgres-access-tokens.test.ts) — must pass
// it. Every answer is awaited, so one suite holds a synchronous and an
// asynchronous store. Stores are opened by target string through
// openAccessStore, as the services and the CLI open them.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { isTzError, openAccessStore, type AuditEntry, type OpenedAccessStore } from '../index.ts';

export interface AccessSuiteTarget {
  /** A fresh, empty place for tokens: a SQLite file path or a postgres:// URL of a new database. */
  fresh(): Promise<string>;
  /** Everything the store keeps at `target`, as text (blobs as hex and base64): what an attacker with the file or a dump would read. */
  dump(target: string): Promise<string>;
}

const T0 = Date.UTC(2026, 5, 1, 2, 0, 0);

/** A clock the test moves (expiry without sleeping). */
function testClock() {
  let t = T0;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

async function withStores<T>(targets: Array<Promise<OpenedAccessStore>>, work: (stores: OpenedAccessStore[]) => Promise<T>): Promise<T> {
  const stores = await Promise.all(targets);
  try {
    return await work(stores);
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

export function accessTokensSuite(test: Test, kind: 'sqlite' | 'postgres', target: AccessSuiteTarget): void {
  test(`${kind} tokens: issue → verify gives the principal (role, crew, area); the store is the kind asked for`, async () => {
    const clock = testClock();
    await withStores([openAccessStore(await target.fresh(), { now: clock.now })], async ([s]) => {
      assert.ok(s);
      assert.is(s.kind, kind);
      const op = await s.tokens.issue({ name: 'ops desk 1', role: 'operator' });
      assert.match(op.token, /^tz_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
      assert.equal(await s.tokens.verify(op.token), { tokenId: op.principal.tokenId, name: 'ops desk 1', role: 'operator', crewId: null });
      clock.advance(1);
      const crew = await s.tokens.issue({ name: '王师傅', role: 'crew', crewId: 'crew-a' });
      assert.equal(await s.tokens.verify(crew.token), { tokenId: crew.principal.tokenId, name: '王师傅', role: 'crew', crewId: 'crew-a' });
      clock.advance(1);
      const inspector = await s.tokens.issue({ name: 'south patrol', role: 'inspector', area: 'south' });
      assert.is((await s.tokens.verify(inspector.token))?.area, 'south');
      assert.equal((await s.tokens.list()).map((p) => p.name), ['ops desk 1', '王师傅', 'south patrol'], 'in order of issue');
    });
  });

  test(`${kind} tokens: a wrong secret, an unknown id and a malformed token are refused`, async () => {
    await withStores([openAccessStore(await target.fresh())], async ([s]) => {
      assert.ok(s);
      const { token, principal } = await s.tokens.issue({ name: 'desk', role: 'admin' });
      const secret = token.slice(`tz_${principal.tokenId}_`.length);
      const flipped = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
      const cases: Array<[string, string]> = [
        ['wrong secret', `tz_${principal.tokenId}_${flipped}`],
        ['unknown id', `tz_0123456789abcdef_${secret}`],
        ['malformed', `tz_${principal.tokenId}_short`],
        ['not a token', 'Bearer x'],
        ['empty', ''],
      ];
      for (const [what, presented] of cases) assert.is(await s.tokens.verify(presented), null, what);
      assert.ok(await s.tokens.verify(token), 'the right one still works');
    });
  });

  test(`${kind} tokens: a revoked token is refused at once and no longer listed; revoking twice says so`, async () => {
    await withStores([openAccessStore(await target.fresh())], async ([s]) => {
      assert.ok(s);
      const keep = await s.tokens.issue({ name: 'keep', role: 'readonly' });
      const gone = await s.tokens.issue({ name: 'gone', role: 'dispatcher' });
      assert.ok(await s.tokens.verify(gone.token));
      assert.is(await s.tokens.revoke(gone.principal.tokenId, 'admin'), true);
      assert.is(await s.tokens.verify(gone.token), null);
      assert.is(await s.tokens.revoke(gone.principal.tokenId), false, 'already revoked');
      assert.is(await s.tokens.revoke('ffffffffffffffff'), false, 'unknown');
      assert.equal((await s.tokens.list()).map((p) => p.tokenId), [keep.principal.tokenId]);
    });
  });

  test(`${kind} tokens: an expired token is refused and not listed; an expiry in the past is refused at issue`, async () => {
    const clock = testClock();
    await withStores([openAccessStore(await target.fresh(), { now: clock.now })], async ([s]) => {
      assert.ok(s);
      const day = await s.tokens.issue({ name: 'visitor', role: 'readonly', expiresAt: T0 + 86_400_000 });
      assert.is(day.principal.expiresAt, T0 + 86_400_000);
      assert.is((await s.tokens.verify(day.token))?.expiresAt, T0 + 86_400_000);
      clock.advance(86_400_000 - 1);
      assert.ok(await s.tokens.verify(day.token), 'valid until its last millisecond');
      assert.equal((await s.tokens.list()).map((p) => p.name), ['visitor']);
      clock.advance(1);
      assert.is(await s.tokens.verify(day.token), null, 'expired');
      assert.equal(await s.tokens.list(), []);
      for (const expiresAt of [clock.now(), clock.now() - 1, 1.5]) {
        try {
          await s.tokens.issue({ name: 'late', role: 'readonly', expiresAt });
          assert.unreachable(`expiresAt ${expiresAt} was accepted`);
        } catch (err) {
          assert.ok(isTzError(err, 'TZ_REQUEST_INVALID'), String(err));
        }
      }
    });
  });

  test(`${kind} tokens: bad names, roles, crews and areas are refused with TZ_REQUEST_INVALID`, async () => {
    await withStores([openAccessStore(await target.fresh())], async ([s]) => {
      assert.ok(s);
      const bad = [
        { name: '', role: 'operator' as const },
        { name: 'x;drop', role: 'operator' as const },
        { name: 'crew without crew', role: 'crew' as const },
        { name: 'bad crew', role: 'crew' as const, crewId: '../x' },
        { name: 'bad area', role: 'inspector' as const, area: 'a b' },
      ];
      for (const input of bad) {
        try {
          await s.tokens.issue(input);
          assert.unreachable(JSON.stringify(input));
        } catch (err) {
          assert.ok(isTzError(err, 'TZ_REQUEST_INVALID'), String(err));
        }
      }
      assert.equal(await s.tokens.list(), [], 'nothing stored');
    });
  });

  test(`${kind} tokens: neither the list nor the stored data ever hold a secret; issue and revoke are audited without it`, async () => {
    const file = await target.fresh();
    const audit: AuditEntry[] = [];
    await withStores([openAccessStore(file, { audit: (e) => { audit.push(e); } })], async ([s]) => {
      assert.ok(s);
      const issued = await Promise.all(['a', 'b', 'c'].map((name) => s.tokens.issue({ name, role: 'operator', by: 'admin' })));
      await s.tokens.revoke(issued[2]?.principal.tokenId ?? '', 'admin');
      const listed = JSON.stringify(await s.tokens.list());
      const stored = await target.dump(file);
      assert.ok(stored.includes(issued[0]?.principal.tokenId ?? '-'), 'the dump does show the rows');
      for (const { token, principal } of issued) {
        const secret = token.slice(`tz_${principal.tokenId}_`.length);
        assert.not.ok(listed.includes(secret), 'list shows no secret');
        assert.not.ok(stored.includes(secret), 'the secret is not stored in clear');
        assert.not.ok(stored.includes(Buffer.from(secret, 'base64url').toString('hex')), 'nor as its bytes');
        assert.not.ok(JSON.stringify(audit).includes(secret), 'nor audited');
      }
      assert.equal(audit.map((e) => [e.action, e.actor, e.result ?? 'ok']), [
        ['token.issue', 'admin', 'ok'], ['token.issue', 'admin', 'ok'], ['token.issue', 'admin', 'ok'], ['token.revoke', 'admin', 'ok'],
      ]);
    });
  });

  test(`${kind} tokens: two stores (two processes) on one place see each other's issues and revocations at once`, async () => {
    const place = await target.fresh();
    await withStores([openAccessStore(place), openAccessStore(place)], async ([a, b]) => {
      assert.ok(a && b);
      const fromA = await a.tokens.issue({ name: 'desk on a', role: 'operator' });
      const fromB = await b.tokens.issue({ name: 'desk on b', role: 'dispatcher' });
      assert.is((await b.tokens.verify(fromA.token))?.name, 'desk on a');
      assert.is((await a.tokens.verify(fromB.token))?.name, 'desk on b');
      assert.ok(await b.tokens.revoke(fromA.principal.tokenId));
      assert.is(await a.tokens.verify(fromA.token), null, "b's revocation holds on a at its next request");
      assert.is(await a.tokens.revoke(fromA.principal.tokenId), false, 'already revoked, by b');
      assert.ok(await a.tokens.revoke(fromB.principal.tokenId));
      assert.is(await b.tokens.verify(fromB.token), null);
      assert.equal(await b.tokens.list(), []);
    });
    // Reopened later (a restart): the revocations stand.
    await withStores([openAccessStore(place)], async ([c]) => {
      assert.ok(c);
      assert.equal(await c.tokens.list(), []);
    });
  });
}
