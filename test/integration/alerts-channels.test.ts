// People's alerts through the real channels' wire formats: local HTTP
// receivers on 127.0.0.1 that check WeCom's, DingTalk's (signed), Feishu's
// (signed) and an SMS provider's request format and recompute the HMACs, and
// a real SMTP server (smtp-server, STARTTLS + AUTH) whose mail is parsed.
// Retried after a 500; not retried on a non-retryable errcode; one message
// per event × subscription; secrets never in API answers or logs; an SLA
// escalation goes out through a subscribed channel (manual clock).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { createRegistry, createServiceHttp, listenService, ManualClock, openAccessTokens } from '../../service-kit/index.ts';
import { DEFAULT_CASE_CONFIG, openCaseSystem, type CaseSystem } from '../../cases/index.ts';
import { tempDir, waitFor } from './helpers.ts';

const SECRETS = {
  TZ_T_WECOM_KEY: 'wecom-key-3f9a1c77',
  TZ_T_DING_TOKEN: 'ding-token-55aa01',
  TZ_T_DING_SECRET: 'SECding-secret-0b1c2d3e',
  TZ_T_FEISHU_HOOK: 'feishu-hook-7e7e7e',
  TZ_T_FEISHU_SECRET: 'feishu-secret-9d9d9d',
  TZ_T_SMTP_PASSWORD: 'smtp-pass-4242',
  TZ_T_SMS_KEY: 'sms-api-key-1a2b3c',
};

interface Got { method: string; rawUrl: string; path: string; query: URLSearchParams; headers: IncomingMessage['headers']; body: string; json: any }
type Answer = { status: number; json: unknown };

interface Receiver { url: string; got: Got[]; answer: (g: Got) => Answer; close(): Promise<void> }

/** A provider stand-in: records every request and answers what `answer` says. */
async function receiver(answer: (g: Got) => Answer): Promise<Receiver> {
  const r: Receiver = { url: '', got: [], answer, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => { body += d; });
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      let json: unknown = null;
      try { json = JSON.parse(body); } catch { json = null; }
      const g: Got = { method: req.method ?? '', rawUrl: req.url ?? '', path: u.pathname, query: u.searchParams, headers: req.headers, body, json };
      r.got.push(g);
      const a = r.answer(g);
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.json));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  r.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  r.close = () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); });
  return r;
}

interface Mail { raw: string; secure: boolean; user: string | undefined; rcpt: string[] }

/** RFC 2047 encoded-words (B and Q) back to text. */
function decodeWords(header: string): string {
  return header.replace(/\s*=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) => enc.toLowerCase() === 'b'
    ? Buffer.from(data, 'base64').toString('utf8')
    : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9a-f]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8'));
}

function headerOf(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

let wecom: Receiver, ding: Receiver, feishu: Receiver, sms: Receiver;
let smtp: SMTPServer;
let smtpPort = 0;
const mails: Mail[] = [];
let system: CaseSystem;
let base = '';
let adminToken = '';
let logText = '';
let stopAll: () => Promise<void>;
let wecomFailures = 1;
let dingErrcode = 0;

const ok = { status: 200, json: { errcode: 0, errmsg: 'ok' } };

function alertsConfig(urls: { wecom: string; ding: string; feishu: string; sms: string }) {
  return {
    caseLink: 'https://tz.example/console/#/cases/{caseId}',
    endpoints: [
      { id: 'ops-wecom', kind: 'wecom', url: `${urls.wecom}/cgi-bin/webhook/send?key=\${TZ_T_WECOM_KEY}` },
      { id: 'ops-dingtalk', kind: 'dingtalk', url: `${urls.ding}/robot/send?access_token=\${TZ_T_DING_TOKEN}`, secret: '${TZ_T_DING_SECRET}' },
      { id: 'ops-feishu', kind: 'feishu', url: `${urls.feishu}/open-apis/bot/v2/hook/\${TZ_T_FEISHU_HOOK}`, secret: '${TZ_T_FEISHU_SECRET}' },
      { id: 'ops-mail', kind: 'email', host: '127.0.0.1', port: smtpPort, starttls: 'required', tlsRejectUnauthorized: false, user: 'tz-alerts', password: '${TZ_T_SMTP_PASSWORD}', from: '天中平台 <alerts@tz.example>' },
      { id: 'ops-sms', kind: 'sms', url: `${urls.sms}/v1/sms/send`, headers: { authorization: 'Bearer ${TZ_T_SMS_KEY}' },
        body: '{"mobile":"{phone}","content":"{text}","sign":"天中"}', codePath: 'result.code', okCodes: ['OK'], retryableCodes: ['BUSY'] },
    ],
    subscriptions: [
      { id: 'desk-wecom', name: '调度台企业微信群', audience: { role: 'dispatcher' }, endpoint: 'ops-wecom', events: ['case.opened', 'case.escalated'] },
      { id: 'desk-dingtalk', name: '调度台钉钉群', audience: { role: 'dispatcher' }, endpoint: 'ops-dingtalk', to: '13800138000', events: ['case.opened'] },
      { id: 'desk-feishu', name: '飞书群', audience: { department: 'municipal-facilities' }, endpoint: 'ops-feishu', events: ['case.opened'] },
      { id: 'chief-mail', name: '科长邮件', audience: { role: 'admin' }, endpoint: 'ops-mail', to: 'chief@tz.example', severities: ['urgent'], events: ['case.opened'] },
      { id: 'chief-sms', name: '科长短信', audience: { role: 'admin' }, endpoint: 'ops-sms', to: '+8613900139000', severities: ['urgent', 'high'], events: ['case.opened'] },
    ],
  };
}

test.before(async () => {
  wecom = await receiver(() => {
    if (wecomFailures > 0) { wecomFailures -= 1; return { status: 500, json: { errcode: -1, errmsg: 'system busy' } }; }
    return ok;
  });
  ding = await receiver(() => (dingErrcode === 0 ? ok : { status: 200, json: { errcode: dingErrcode, errmsg: 'sign not match' } }));
  feishu = await receiver(() => ({ status: 200, json: { code: 0, msg: 'success', data: {} } }));
  sms = await receiver(() => ({ status: 200, json: { result: { code: 'OK', id: 'm-1' } } }));
  smtp = new SMTPServer({
    logger: false, authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'tz-alerts' && auth.password === SECRETS.TZ_T_SMTP_PASSWORD) return cb(null, { user: auth.username });
      return cb(new Error('535 bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ raw: Buffer.concat(chunks).toString('utf8'), secure: session.secure, user: session.user as string | undefined, rcpt: session.envelope.rcptTo.map((r) => r.address) });
        cb();
      });
    },
  });
  await new Promise<void>((ok2) => smtp.listen(0, '127.0.0.1', () => ok2()));
  smtpPort = (smtp.server.address() as { port: number }).port;

  const dir = tempDir('tz-alerts-');
  const db = new Database(join(dir.path, 'access.sqlite'));
  const access = openAccessTokens(db);
  adminToken = access.issue({ name: 'admin', role: 'admin' }).token;
  const registry = createRegistry('cases');
  const sink = new Writable({ write(chunk, _enc, done) { logText += String(chunk); done(); } });
  const log = pino({ level: 'debug' }, sink);
  system = await openCaseSystem({
    dbPath: join(dir.path, 'cases.sqlite'), access, registry, log, photoDir: join(dir.path, 'photos'), slaCheckMs: 0, outboxPollMs: 25,
    retry: { baseDelayMs: 30, maxDelayMs: 100, maxAttempts: 5 }, env: SECRETS,
    config: { ...(DEFAULT_CASE_CONFIG as object), alerts: alertsConfig({ wecom: wecom.url, ding: ding.url, feishu: feishu.url, sms: sms.url }) },
  });
  const app = createServiceHttp({ component: 'cases', registry, log, health: () => ({ ok: true }) });
  await system.registerRoutes(app);
  base = await listenService(app);
  stopAll = async () => {
    await app.close();
    await system.stop();
    db.close();
    await Promise.all([wecom.close(), ding.close(), feishu.close(), sms.close(), new Promise<void>((ok2) => smtp.close(() => ok2()))]);
    dir.remove();
  };
});

test.after(async () => stopAll());

const get = async (path: string) => (await fetch(base + path, { headers: { authorization: `Bearer ${adminToken}` } })).json() as Promise<any>;

let firstCase = 0;

test('a new urgent case reaches WeCom (after one 500), DingTalk, Feishu, SMS and e-mail in each provider\'s documented format', async () => {
  const c = await system.workflow.create({ category: 'manhole-cover', priority: 'urgent', title: '井盖缺失 "Cover gone"', source: 'inspector', district: 'yicheng', address: '解放大道 12 号', lat: 32.98, long: 114.02, register: true }, { who: 'operator:o', role: 'operator', crewId: null });
  firstCase = c.id;
  await waitFor('all five channels', () => (wecom.got.length >= 2 && ding.got.length && feishu.got.length && sms.got.length && mails.length ? true : undefined), 15_000, 20);

  // WeCom: the first POST got a 500; the outbox retried; markdown with the key in the query.
  assert.is(wecom.got.length, 2, 'one failure, one retry');
  const w = wecom.got[1]!;
  assert.is(w.method, 'POST');
  assert.is(w.path, '/cgi-bin/webhook/send');
  assert.is(w.query.get('key'), SECRETS.TZ_T_WECOM_KEY);
  assert.match(String(w.headers['content-type']), /application\/json/);
  assert.is(w.json.msgtype, 'markdown');
  const md: string = w.json.markdown.content;
  assert.ok(Buffer.byteLength(md) <= 4096);
  assert.match(md, new RegExp(`### 【紧急】案件 #${c.id} 新案件\\n\\[URGENT\\] Case #${c.id} new case`), 'Chinese first, English second');
  for (const part of ['级别 Severity**: 紧急 urgent', '类别 Category**: Manhole cover (井盖)', '位置 Location**: 解放大道 12 号 yicheng 32.98000,114.02000', '期限 Deadline**: ', `(https://tz.example/console/#/cases/${c.id})`]) {
    assert.ok(md.includes(part), `markdown has "${part}"`);
  }
  const outbox = (await get(`/api/v1/outbox?caseId=${c.id}&channel=wecom`)).messages;
  assert.is(outbox.length, 1);
  assert.is(outbox[0].attempts, 2);
  assert.is(outbox[0].state, 'delivered');
  assert.is(outbox[0].subscriptionId, 'desk-wecom');

  // DingTalk: timestamp + sign (HMAC-SHA256 over "timestamp\nsecret", base64) as query parameters; the mobile is @-mentioned.
  const d = ding.got[0]!;
  assert.is(d.path, '/robot/send');
  assert.is(d.query.get('access_token'), SECRETS.TZ_T_DING_TOKEN);
  const ts = d.query.get('timestamp')!;
  assert.match(ts, /^\d{13}$/, 'milliseconds');
  const expected = createHmac('sha256', SECRETS.TZ_T_DING_SECRET).update(`${ts}\n${SECRETS.TZ_T_DING_SECRET}`).digest('base64');
  assert.is(d.query.get('sign'), expected, 'the signature recomputes');
  assert.ok(d.rawUrl.includes(`&sign=${encodeURIComponent(expected)}`), 'sign is URL-encoded on the wire');
  assert.ok(d.rawUrl.includes(`&timestamp=${ts}`));
  assert.is(d.json.msgtype, 'markdown');
  assert.is(d.json.markdown.title, `【紧急】案件 #${c.id} 新案件`);
  assert.ok(d.json.markdown.text.includes('@13800138000'));
  assert.equal(d.json.at, { atMobiles: ['13800138000'], isAtAll: false });

  // Feishu: {timestamp, sign, msg_type, content}; sign = base64(HMAC-SHA256(key "timestamp\nsecret", message "")).
  const f = feishu.got[0]!;
  assert.is(f.path, `/open-apis/bot/v2/hook/${SECRETS.TZ_T_FEISHU_HOOK}`);
  assert.match(f.json.timestamp, /^\d{10}$/, 'seconds, as a string');
  assert.is(f.json.sign, createHmac('sha256', `${f.json.timestamp}\n${SECRETS.TZ_T_FEISHU_SECRET}`).update('').digest('base64'));
  assert.is(f.json.msg_type, 'post');
  assert.is(f.json.content.post.zh_cn.title, `【紧急】案件 #${c.id} 新案件`);
  assert.ok(JSON.stringify(f.json.content.post.zh_cn.content).includes('[URGENT] Case'));

  // SMS: the template filled, values escaped as JSON strings (the title has quotes), API key in the header.
  const s = sms.got[0]!;
  assert.is(s.path, '/v1/sms/send');
  assert.is(s.headers.authorization, `Bearer ${SECRETS.TZ_T_SMS_KEY}`);
  assert.ok(s.json, 'the body is valid JSON although the text has quotes');
  assert.is(s.json.mobile, '+8613900139000');
  assert.is(s.json.sign, '天中');
  assert.ok(s.json.content.startsWith(`【天中】【紧急】案件 #${c.id} 新案件：`));
  assert.ok(s.json.content.includes('"Cover gone"'));
  assert.ok([...s.json.content].length <= 134, 'cut to maxLength');

  // E-mail: STARTTLS, AUTH, Chinese subject as an RFC 2047 encoded word, Message-ID from the outbox id.
  const m = mails[0]!;
  assert.ok(m.secure, 'STARTTLS was used');
  assert.is(m.user, 'tz-alerts');
  assert.equal(m.rcpt, ['chief@tz.example']);
  const rawSubject = headerOf(m.raw, 'Subject');
  assert.match(rawSubject, /=\?UTF-8\?[BQ]\?/i, 'encoded on the wire');
  assert.is(decodeWords(rawSubject), `【紧急】案件 #${c.id} 新案件`);
  assert.match(headerOf(m.raw, 'Message-ID'), /^<tz-alert-\d+@tianzhong>$/);
  assert.is(headerOf(m.raw, 'X-Tz-Case'), String(c.id));
  assert.match(decodeWords(headerOf(m.raw, 'From')), /天中平台/);
});

test('a non-retryable provider error (DingTalk 310000) is dead after one attempt and counted as dropped', async () => {
  dingErrcode = 310000;
  const before = ding.got.length;
  const c = await system.workflow.create({ category: 'drainage', priority: 'normal', title: 'Drain blocked', source: 'inspector', district: 'yicheng', register: true }, { who: 'operator:o', role: 'operator', crewId: null });
  const row = await waitFor('dingtalk message dead', async () => {
    const rows = (await get(`/api/v1/outbox?caseId=${c.id}&channel=dingtalk`)).messages;
    return rows[0]?.state === 'dead' ? rows[0] : undefined;
  }, 10_000, 20);
  assert.is(row.attempts, 1, 'not retried');
  assert.match(row.lastError, /errcode 310000/);
  assert.is(ding.got.length, before + 1);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /tz_alerts_messages_total\{channel="dingtalk",result="dropped"[^}]*\} 1\n/);
  assert.match(metrics, /tz_alerts_messages_total\{channel="wecom",result="retried"[^}]*\} 1\n/);
  assert.match(metrics, /tz_alerts_messages_total\{channel="wecom",result="sent"[^}]*\} [1-9]/);
  dingErrcode = 0;
});

test('de-duplicated: the same event queued twice is one message per subscription', async () => {
  const c = await system.store.atomically(async (tx) => tx.getCase(firstCase));
  const before = wecom.got.length;
  const queued = await system.store.atomically(async (tx) => {
    await system.alerts.queue(tx, c!, 'case.opened', { crewId: null });
    await system.alerts.queue(tx, c!, 'case.opened', { crewId: null });
    return tx.listOutbox({ caseId: firstCase, limit: 100 });
  });
  assert.is(queued.filter((m) => m.subscriptionId === 'desk-wecom').length, 1, 'still one WeCom message for this event');
  await system.deliverOutbox();
  assert.is(wecom.got.length, before, 'nothing more was sent');
});

test('secrets: never in API answers (masked) nor in the logs', async () => {
  const endpoints = await get('/api/v1/alert-endpoints');
  const texts = [JSON.stringify(endpoints), JSON.stringify(await get('/api/v1/outbox?limit=1000')), JSON.stringify(await get('/api/v1/subscriptions')), logText];
  for (const [name, secret] of Object.entries(SECRETS)) {
    texts.forEach((t, i) => assert.not.ok(t.includes(secret), `${name} leaked in ${['alert-endpoints', 'outbox', 'subscriptions', 'logs'][i]}`));
  }
  const w = endpoints.endpoints.find((e: { id: string }) => e.id === 'ops-wecom');
  assert.is(w.url, `${wecom.url}/cgi-bin/webhook/send?key=****`);
  assert.ok(logText.includes('notification delivery failed'), 'the failures were logged (without secrets)');
});

test('subscriptions API: create, validate, list, change, delete (dispatcher/admin only)', async () => {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const bad = await call('POST', '/api/v1/subscriptions', { name: 'x', audience: { role: 'dispatcher' }, endpoint: 'ops-sms', to: 'not-a-phone' });
  assert.is(bad.status, 400);
  assert.match(bad.json.message, /mobile number/);
  assert.is((await call('POST', '/api/v1/subscriptions', { name: 'x', audience: { department: 'nope' }, endpoint: 'ops-wecom' })).status, 400);
  const made = await call('POST', '/api/v1/subscriptions', { id: 'night-sms', name: '夜班短信', audience: { department: 'water-drainage' }, endpoint: 'ops-sms', to: '13700137000', quietHours: { from: '22:00', to: '07:00' } });
  assert.is(made.status, 201);
  assert.is(made.json.source, 'api');
  assert.is(made.json.urgentOverridesQuiet, true);
  const changed = await call('PUT', '/api/v1/subscriptions/night-sms', { name: '夜班短信', audience: { department: 'water-drainage' }, endpoint: 'ops-sms', to: '13700137000', active: false });
  assert.is(changed.json.active, false);
  const listed = await call('GET', '/api/v1/subscriptions?audience=department:water-drainage');
  assert.equal(listed.json.subscriptions.map((s: { id: string }) => s.id), ['night-sms']);
  assert.is((await call('DELETE', '/api/v1/subscriptions/night-sms')).status, 204);

  // A chat robot can @-mention a mobile: WeCom then gets a text message; /test sends one through the outbox now.
  const mention = await call('POST', '/api/v1/subscriptions', { id: 'crew-lead', name: '班长', audience: { role: 'operator' }, endpoint: 'ops-wecom', to: '13600136000' });
  assert.is(mention.status, 201);
  const before = wecom.got.length;
  const sent = await call('POST', '/api/v1/subscriptions/crew-lead/test');
  assert.is(sent.status, 202);
  assert.ok(sent.json.outboxId > 0);
  await waitFor('test message', () => (wecom.got.length > before ? true : undefined), 10_000, 20);
  const t = wecom.got[before]!.json;
  assert.is(t.msgtype, 'text');
  assert.equal(t.text.mentioned_mobile_list, ['13600136000']);
  assert.match(t.text.content, /^案件 #0 测试消息\nCase #0 test message\n/);
  assert.is((await call('DELETE', '/api/v1/subscriptions/crew-lead')).status, 204);
  assert.is((await call('GET', '/api/v1/subscriptions/night-sms')).status, 404);
});

test('an SLA escalation goes out through a subscribed channel (manual clock, no sleeps)', async () => {
  const clock = new ManualClock(Date.parse('2026-03-02T02:00:00Z'));
  const dir = tempDir('tz-alerts-sla-');
  const db = new Database(':memory:');
  const esc = await receiver(() => ok);
  const sys = await openCaseSystem({
    dbPath: ':memory:', clock, access: openAccessTokens(db), photoDir: join(dir.path, 'photos'), slaCheckMs: 0, outboxPollMs: 60_000, env: SECRETS,
    log: pino({ level: 'silent' }),
    config: { ...(DEFAULT_CASE_CONFIG as object), alerts: {
      endpoints: [{ id: 'duty-wecom', kind: 'wecom', url: `${esc.url}/cgi-bin/webhook/send?key=\${TZ_T_WECOM_KEY}` }],
      subscriptions: [{ id: 'duty-escalations', name: '值班长', audience: { department: 'municipal-facilities' }, endpoint: 'duty-wecom', events: ['case.escalated'] }],
    } },
  });
  try {
    // No crew serves it: it waits for dispatch; urgent allows 0.5 h.
    const c = await sys.workflow.create({ category: 'manhole-cover', priority: 'urgent', title: 'Cover open', source: 'sensor', district: 'xiping', register: true }, { who: 'rules:cover-open', role: 'system', crewId: null });
    assert.is(c.status, 'registered');
    await sys.deliverOutbox();
    assert.is(esc.got.length, 0, 'not subscribed to case.opened');
    clock.advance(31 * 60_000);
    assert.is(await sys.runSlaCheck(), 1);
    await sys.deliverOutbox();
    assert.is(esc.got.length, 1);
    const md: string = esc.got[0]!.json.markdown.content;
    assert.ok(md.includes(`【紧急】案件 #${c.id} 超时升级（派遣超时，第 1 级）`), md);
    assert.ok(md.includes(`Case #${c.id} escalated (overdue) (dispatch overdue, level 1)`));
    assert.ok(md.includes('期限 Deadline**: 2026-03-02 10:30 GMT+8 派遣 dispatch'), 'deadline in city time');
    assert.is(await sys.runSlaCheck(), 0, 'idempotent');
    await sys.deliverOutbox();
    assert.is(esc.got.length, 1, 'one message per escalation');
  } finally {
    await sys.stop();
    db.close();
    await esc.close();
    dir.remove();
  }
});

test.run();
