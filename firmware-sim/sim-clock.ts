import type { Clock } from '../service-kit/index.ts';

/**
 * Simulated time: `speed` simulated seconds pass per wall second (time
 * compression, `--speed K`). It starts at `startMs` (simulated epoch ms) when
 * the wall clock reads `wallStartMs`. A re-anchor keeps the simulation
 * continuous when a scenario moves the city to its own start time.
 */
export class SimClock implements Clock {
  private simAnchor: number;
  private wallAnchor: number;

  constructor(
    private readonly wall: Clock,
    startMs: number,
    private speedFactor = 1,
  ) {
    this.simAnchor = startMs;
    this.wallAnchor = wall.now();
  }

  get speed(): number {
    return this.speedFactor;
  }

  now(): number {
    return this.simAnchor + (this.wall.now() - this.wallAnchor) * this.speedFactor;
  }

  /** Simulated time `simMs` is now, and time runs at `speed` from here. */
  reanchor(simMs: number, speed = this.speedFactor): void {
    this.simAnchor = simMs;
    this.wallAnchor = this.wall.now();
    this.speedFactor = speed;
  }

  /** Wall ms until simulated time `simMs` (0 when it has passed). */
  wallMsUntil(simMs: number): number {
    return Math.max(0, (simMs - this.now()) / this.speedFactor);
  }
}
