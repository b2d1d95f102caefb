import type { Clock, Logger } from '../../service-kit/index.ts';
import { cityCalendar, toError } from '../../service-kit/index.ts';
import type { CaseApi, CaseSummaryView } from './case-api.ts';
import { DISTRIBUTIONS as D, citizenRatePerHour, hotlineRatePerHour, inspectorRatePerHour, streamFor } from './delays.ts';

// The city's people for a compressed month, acting through the real case API
// on the simulated clock: citizens file requests through Open311 and rate
// them, the 12345 hotline files calls, inspectors (监督员) report what they
// find on patrol and verify handled cases with a photo, crews accept, travel,
// repair (the simulated device too) and sometimes fail verification or run
// late, the command centre registers and closes. Everything they do is a
// timed task on an agenda in simulated time; what the city asks of them is
// read from GET /api/v1/cases.

const HOUR = 3_600_000;

export interface PeopleTokens {
  operator: string;
  dispatcher: string;
  inspectors: string[];
  crews: Map<string, string>;
}

export interface StreetPlace {
  lat: number;
  long: number;
  district: string;
  address: string;
}

/** What the crews do to a simulated device when they repair it: every repair event its class knows. */
export type RepairDevice = (deviceId: string) => void;

export interface PeopleOptions {
  api: CaseApi;
  clock: Clock;
  seed: number;
  tokens: PeopleTokens;
  places: readonly StreetPlace[];
  repair: RepairDevice;
  /** Rain makes citizens report more (waterlogged roads). */
  raining: (simMs: number) => boolean;
  timeZone: string;
  log: Logger;
  /** Wall ms between looks at the case list (default 150). */
  pollWallMs?: number;
}

export interface PeopleCounts {
  citizenRequests: number;
  hotlineCalls: number;
  inspectorReports: number;
  registered: number;
  rejected: number;
  accepted: number;
  arrived: number;
  handled: number;
  lateRepairs: number;
  sensorRepairs: number;
  verified: number;
  failedVerifications: number;
  closed: number;
  ratings: number;
  actionErrors: number;
}

interface Task {
  at: number;
  what: string;
  run: () => Promise<void>;
}

const CITIZEN_CATEGORIES: Array<[string, number, string]> = [
  ['exposed-rubbish', 0.3, '小区门口垃圾堆放 rubbish piled at the gate'],
  ['illegal-advertising', 0.14, '电线杆上小广告 flyers on the poles'],
  ['street-vending', 0.14, '占道经营 vendors on the pavement'],
  ['road-waterlogging', 0.08, '路面积水 water standing on the road'],
  ['street-light', 0.12, '路灯不亮 the street light is out'],
  ['manhole-cover', 0.1, '井盖松动 a cover rattles when cars pass'],
  ['public-toilet', 0.12, '公厕缺纸 the public toilet has no paper'],
];
const PATROL_CATEGORIES = ['exposed-rubbish', 'illegal-advertising', 'street-vending', 'other-event', 'manhole-cover'] as const;

export class CityPeople {
  readonly counts: PeopleCounts = {
    citizenRequests: 0, hotlineCalls: 0, inspectorReports: 0, registered: 0, rejected: 0, accepted: 0, arrived: 0, handled: 0, lateRepairs: 0,
    sensorRepairs: 0, verified: 0, failedVerifications: 0, closed: 0, ratings: 0, actionErrors: 0,
  };
  private readonly agenda: Task[] = [];
  private readonly planned = new Set<string>();
  /** Cases whose repair will not hold (drawn at handling, found at verification). */
  private readonly badFix = new Set<number>();
  private readonly round = new Map<number, number>();
  private readonly open311Tokens = new Map<number, string>();
  private readonly hotlineCases = new Set<number>();
  private nextHour: number | null = null;
  private lastPoll = 0;

  constructor(private readonly o: PeopleOptions) {}

  /** Acts until simulated time `untilMs`; resolves then (tasks still due later are left undone). */
  async run(untilMs: number, signal?: AbortSignal): Promise<void> {
    const pollWallMs = this.o.pollWallMs ?? 150;
    while (!signal?.aborted) {
      const now = this.o.clock.now();
      if (now >= untilMs) return;
      this.planArrivals(now);
      if (Date.now() - this.lastPoll >= pollWallMs) {
        this.lastPoll = Date.now();
        await this.look().catch((err: unknown) => this.o.log.warn({ err: toError(err) }, 'could not read the case list'));
      }
      let ran = 0;
      for (let task = this.agenda[0]; task && task.at <= this.o.clock.now() && ran < 50; task = this.agenda[0]) {
        this.agenda.shift();
        ran++;
        await task.run().catch((err: unknown) => {
          this.counts.actionErrors++;
          this.o.log.warn({ what: task.what, err: toError(err).message }, 'a person could not do what they meant to (the case moved on)');
        });
      }
      if (ran === 0) await new Promise((resolve) => setTimeout(resolve, 15));
    }
  }

  private schedule(at: number, what: string, run: () => Promise<void>): void {
    let i = this.agenda.length;
    while (i > 0 && (this.agenda[i - 1]?.at ?? -Infinity) > at) i--;
    this.agenda.splice(i, 0, { at, what, run });
  }

  /** Each simulated hour: how many citizens, hotline callers and patrol finds (Poisson, a stream per hour). */
  private planArrivals(now: number): void {
    const hourStart = Math.floor(now / HOUR) * HOUR;
    if (this.nextHour === null) this.nextHour = hourStart;
    while (this.nextHour <= hourStart) {
      const h = this.nextHour;
      this.nextHour += HOUR;
      const localHour = cityCalendar(this.o.timeZone).cityTime(h).hour;
      const rng = streamFor(this.o.seed, `arrivals:${h}`);
      const raining = this.o.raining(h);
      const placeOf = () => pick(this.o.places, rng);
      for (let k = rng.poisson(citizenRatePerHour(localHour, raining)); k > 0; k--) {
        const at = h + rng.float() * HOUR;
        const place = placeOf();
        const category = pickCategory(rng.float(), raining);
        if (place) this.schedule(at, 'citizen request', () => this.citizenRequest(category, place));
      }
      for (let k = rng.poisson(hotlineRatePerHour(localHour)); k > 0; k--) {
        const at = h + rng.float() * HOUR;
        const place = placeOf();
        const phone = `139${String(rng.int(0, 99_999_999)).padStart(8, '0')}`;
        const category = pickCategory(rng.float(), raining);
        if (place) this.schedule(at, 'hotline call', () => this.hotlineCall(category, place, phone));
      }
      for (let k = rng.poisson(inspectorRatePerHour(localHour)); k > 0; k--) {
        const at = h + rng.float() * HOUR;
        const place = placeOf();
        const category = pick(PATROL_CATEGORIES, rng);
        const token = pick(this.o.tokens.inspectors, rng);
        if (place && category && token) this.schedule(at, 'patrol find', () => this.patrolFind(category, place, token));
      }
    }
  }

  private async citizenRequest(category: string, place: StreetPlace): Promise<void> {
    const text = CITIZEN_CATEGORIES.find(([c]) => c === category)?.[2] ?? category;
    const r = await this.o.api.open311Request(this.o.tokens.operator, {
      service_code: category, lat: place.lat.toFixed(6), long: place.long.toFixed(6), address_string: place.address, description: text,
    });
    this.counts.citizenRequests++;
    this.open311Tokens.set(r.id, r.token);
  }

  private async hotlineCall(category: string, place: StreetPlace, phone: string): Promise<void> {
    const c = await this.o.api.ok('POST', '/api/v1/cases', this.o.tokens.dispatcher, {
      category, source: 'hotline', callerPhone: phone, title: `12345 来电 ${category}`, lat: place.lat, long: place.long, address: place.address,
    }) as { id: number };
    this.counts.hotlineCalls++;
    this.hotlineCases.add(c.id);
  }

  private async patrolFind(category: string, place: StreetPlace, token: string): Promise<void> {
    const c = await this.o.api.ok('POST', '/api/v1/cases', token, {
      category, title: `巡查发现 patrol find: ${category}`, lat: place.lat, long: place.long, address: place.address,
      // An inspector reports (上报); the command centre registers (立案).
      register: false,
    }) as { id: number };
    await this.o.api.photo(c.id, token, '巡查照片 patrol photo');
    this.counts.inspectorReports++;
  }

  /** What the city asks of its people now: cases waiting on a person. */
  private async look(): Promise<void> {
    const { api, tokens } = this.o;
    const now = this.o.clock.now();
    for (const c of await api.list('status=reported', tokens.dispatcher)) this.once(c, 'register', () => this.planRegister(c, now));
    for (const c of await api.list('status=registered', tokens.dispatcher)) this.once(c, 'dispatch', () => this.planDispatch(c, now));
    for (const c of await api.list('status=dispatched', tokens.dispatcher)) this.once(c, `crew:${c.crewId ?? ''}`, () => this.planCrew(c, now));
    for (const c of await api.list('status=handled', tokens.dispatcher)) this.once(c, `verify:${this.round.get(c.id) ?? 0}`, () => this.planVerify(c, now));
    for (const c of await api.list('status=verified', tokens.dispatcher)) this.once(c, 'close', () => this.planClose(c, now));
  }

  private once(c: CaseSummaryView, step: string, plan: () => void): void {
    const key = `${c.id}:${step}`;
    if (this.planned.has(key)) return;
    this.planned.add(key);
    plan();
  }

  private planRegister(c: CaseSummaryView, now: number): void {
    const rng = streamFor(this.o.seed, `register:${c.id}`);
    const at = now + D.register(rng);
    if (rng.chance(D.rejectChance)) {
      this.schedule(at, `reject ${c.id}`, async () => {
        await this.o.api.act(c.id, 'reject', this.o.tokens.dispatcher, { note: '重复上报 duplicate of an open case' });
        this.counts.rejected++;
      });
    } else {
      this.schedule(at, `register ${c.id}`, async () => {
        await this.o.api.act(c.id, 'register', this.o.tokens.dispatcher);
        this.counts.registered++;
      });
    }
  }

  /** A registered case no crew was found for: the dispatcher sends the first crew that has a token. */
  private planDispatch(c: CaseSummaryView, now: number): void {
    const crewId = [...this.o.tokens.crews.keys()][0];
    if (!crewId) return;
    this.schedule(now + 10 * 60_000, `dispatch ${c.id}`, () => this.o.api.act(c.id, 'dispatch', this.o.tokens.dispatcher, { crewId }));
  }

  private planCrew(c: CaseSummaryView, now: number): void {
    const token = c.crewId ? this.o.tokens.crews.get(c.crewId) : undefined;
    if (!token) return;
    const rng = streamFor(this.o.seed, `crew:${c.id}`);
    const accept = now + D.accept(rng);
    const arrive = accept + D.travel(rng);
    const late = rng.chance(D.lateChance);
    const handle = arrive + D.fix(rng) + (late ? D.late(rng) : 0);
    const bad = rng.chance(D.badFixChance);
    this.schedule(accept, `accept ${c.id}`, async () => {
      await this.o.api.act(c.id, 'accept', token);
      this.counts.accepted++;
      this.schedule(arrive, `arrive ${c.id}`, async () => {
        await this.o.api.act(c.id, 'arrive', token, { note: '到达现场 on site' });
        this.counts.arrived++;
      });
      this.schedule(handle, `handle ${c.id}`, () => this.handle(c, token, bad, late));
    });
  }

  private async handle(c: CaseSummaryView, token: string, bad: boolean, late: boolean): Promise<void> {
    // A repair that holds fixes the device in the street too; a bad one leaves it broken for the inspector to find.
    if (!bad && c.assetId) {
      this.o.repair(c.assetId);
      this.counts.sensorRepairs++;
    }
    if (bad) this.badFix.add(c.id);
    else this.badFix.delete(c.id);
    await this.o.api.act(c.id, 'handle', token, { note: late ? '等待配件，已修复 repaired after waiting for parts' : '已修复 repaired' });
    this.counts.handled++;
    if (late) this.counts.lateRepairs++;
  }

  private planVerify(c: CaseSummaryView, now: number): void {
    const round = this.round.get(c.id) ?? 0;
    const rng = streamFor(this.o.seed, `verify:${c.id}:${round}`);
    const at = now + D.verify(rng) + (rng.chance(D.verifyLateChance) ? D.verifyLate(rng) : 0);
    const inspector = this.o.tokens.inspectors[c.id % this.o.tokens.inspectors.length];
    if (!inspector) return;
    this.schedule(at, `verify ${c.id}`, async () => {
      const photoId = await this.o.api.photo(c.id, inspector, '核查照片 verification photo');
      if (this.badFix.has(c.id)) {
        await this.o.api.act(c.id, 'rework', inspector, { note: '核查未通过，问题仍在 not fixed on inspection', photoId });
        this.counts.failedVerifications++;
        this.round.set(c.id, round + 1);
        this.planRework(c, this.o.clock.now());
        return;
      }
      await this.o.api.act(c.id, 'verify', inspector, { photoId });
      this.counts.verified++;
    });
  }

  /** Back to the same crew after a failed verification: travel, repair properly, handle again. */
  private planRework(c: CaseSummaryView, now: number): void {
    const token = c.crewId ? this.o.tokens.crews.get(c.crewId) : undefined;
    if (!token) return;
    const rng = streamFor(this.o.seed, `rework:${c.id}`);
    const arrive = now + D.travel(rng);
    this.schedule(arrive, `arrive ${c.id}`, () => this.o.api.act(c.id, 'arrive', token, { note: '返工 back for rework' }));
    this.schedule(arrive + D.fix(rng), `handle ${c.id}`, () => this.handle(c, token, false, false));
  }

  private planClose(c: CaseSummaryView, now: number): void {
    const rng = streamFor(this.o.seed, `close:${c.id}`);
    this.schedule(now + D.close(rng), `close ${c.id}`, async () => {
      await this.o.api.act(c.id, 'close', this.o.tokens.dispatcher);
      this.counts.closed++;
      this.planRating(c.id, this.o.clock.now());
    });
  }

  private planRating(id: number, now: number): void {
    const citizen = this.open311Tokens.get(id);
    if (!citizen && !this.hotlineCases.has(id)) return;
    const rng = streamFor(this.o.seed, `rating:${id}`);
    if (!rng.chance(D.rateChance)) return;
    const stars = D.stars(rng);
    this.schedule(now + D.rateAfter(rng), `rate ${id}`, async () => {
      if (citizen) await this.o.api.open311Rating(id, citizen, stars, stars >= 4 ? '处理及时 quick' : '有待改进 could be better');
      else await this.o.api.ok('POST', `/api/v1/cases/${id}/rating`, this.o.tokens.dispatcher, { stars, comment: '电话回访 call-back' });
      this.counts.ratings++;
    });
  }
}

function pickCategory(x: number, raining: boolean): string {
  const weights = CITIZEN_CATEGORIES.map(([c, w]) => (c === 'road-waterlogging' && raining ? w * 4 : w));
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (const [i, w] of weights.entries()) {
    acc += w / total;
    const entry = CITIZEN_CATEGORIES[i];
    if (entry && x < acc) return entry[0];
  }
  return 'exposed-rubbish';
}

function pick<T>(list: readonly T[], rng: { int(lo: number, hi: number): number }): T | undefined {
  return list.length === 0 ? undefined : list[rng.int(0, list.length - 1)];
}
