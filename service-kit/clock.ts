import { cityCalendar, defaultTimeZone } from './city-time.ts';
import { TzError } from './errors.ts';

/** Time seam: SLA, debounce and no-data logic can be tested without sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
  set(ms: number): void {
    this.current = ms;
  }
}

/** Which clock a store was created with: production runs on the wall clock, compressed runs on a simulated one. */
export type ClockKind = 'wall' | 'simulated';

/**
 * Simulated city time for a compressed run (a month in minutes): `speed`
 * simulated ms pass per wall ms from the wall instant `wallAnchorMs`, when
 * simulated time was `startMs`. Before the anchor (or before `release()`)
 * time stands at `startMs`, so a stack can start its services first and let
 * time flow once everything listens. Derived from the wall clock alone:
 * separate processes given the same spec (`toSpec()`, TZ_SIM_CLOCK) read the
 * same time.
 */
export class SimulatedClock implements Clock {
  readonly kind = 'simulated' as const;
  private anchor: number | null;
  private heldAt: number | null = null;

  constructor(
    readonly startMs: number,
    readonly speed: number,
    wallAnchorMs: number | null = null,
    private readonly wall: Clock = systemClock,
  ) {
    if (!Number.isFinite(startMs)) throw new TzError('TZ_CONFIG_INVALID', 'simulated clock: the start is not a time');
    if (!(speed > 0 && speed <= 100_000)) throw new TzError('TZ_CONFIG_INVALID', `simulated clock: speed must be in (0, 100000], got ${speed}`);
    this.anchor = wallAnchorMs;
  }

  now(): number {
    if (this.heldAt !== null) return this.heldAt;
    if (this.anchor === null) return this.startMs;
    return this.startMs + Math.max(0, this.wall.now() - this.anchor) * this.speed;
  }

  /** Whether simulated time flows yet. */
  get running(): boolean {
    return this.anchor !== null && this.wall.now() >= this.anchor;
  }

  /** Lets time flow from now (or from wall instant `atWallMs`); a clock already anchored keeps its anchor. */
  release(atWallMs = this.wall.now()): this {
    if (this.anchor === null) this.anchor = atWallMs;
    return this;
  }

  /** Stops time where it is (end of a compressed run: the month's figures are read with nothing moving). For this process only. */
  hold(): void {
    if (this.heldAt === null) this.heldAt = this.now();
  }

  /** Wall ms until simulated time `simMs` (0 once it has passed; Infinity while time stands still). */
  wallMsUntil(simMs: number): number {
    const left = simMs - this.now();
    if (left <= 0) return 0;
    return this.anchor === null || this.heldAt !== null ? Infinity : left / this.speed;
  }

  /** `<startISO>@<speed>@<wallAnchorMs>`: what another process needs to read the same time (TZ_SIM_CLOCK). */
  toSpec(): string {
    return `${new Date(this.startMs).toISOString()}@${this.speed}${this.anchor === null ? '' : `@${this.anchor}`}`;
  }
}

/**
 * Parses `--sim-clock` / TZ_SIM_CLOCK: `<start>@<speed>[@<wallAnchorMs>]`.
 * The start is a city-local date-time (`2026-11-01T00:00`, in `timeZone`) or
 * ISO 8601 with an offset. Without an anchor, time starts flowing when the
 * process calls `release()` (the CLI does, once its services listen).
 */
export function parseSimulatedClock(spec: string, timeZone: string = defaultTimeZone(), wall: Clock = systemClock): SimulatedClock {
  const parts = spec.trim().split('@');
  const [start, speedText, anchorText] = parts;
  if (parts.length < 2 || parts.length > 3 || !start || !speedText) {
    throw new TzError('TZ_CONFIG_INVALID', `simulated clock "${spec}": use <start>@<speed>[@<wallAnchorMs>], e.g. 2026-11-01T00:00@3600`);
  }
  const speed = Number(speedText);
  if (!Number.isFinite(speed)) throw new TzError('TZ_CONFIG_INVALID', `simulated clock "${spec}": speed "${speedText}" is not a number`);
  const anchor = anchorText === undefined ? null : Number(anchorText);
  if (anchor !== null && !Number.isSafeInteger(anchor)) throw new TzError('TZ_CONFIG_INVALID', `simulated clock "${spec}": the wall anchor must be epoch ms`);
  return new SimulatedClock(cityCalendar(timeZone).parse(start), speed, anchor, wall);
}

/**
 * The one place a service takes its clock from: `--sim-clock` (the flag),
 * else TZ_SIM_CLOCK, else the wall clock. Production never sets either.
 */
export function serviceClock(flag?: string, env: Readonly<Record<string, string | undefined>> = process.env): Clock {
  const spec = flag ?? env.TZ_SIM_CLOCK;
  return spec ? parseSimulatedClock(spec, defaultTimeZone(env)) : systemClock;
}

/** `simulated` for a SimulatedClock, else `wall` (a test's ManualClock stands in for the wall clock). */
export function clockKind(clock: Clock): ClockKind {
  return clock instanceof SimulatedClock ? 'simulated' : 'wall';
}
