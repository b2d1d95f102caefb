import type { Clock } from '../service-kit/index.ts';

/**
 * `--sim-clock` / TZ_SIM_CLOCK for a service command, through the one
 * function every service takes its clock from (service-kit serviceClock):
 * the wall clock in production. A spec without a wall anchor starts flowing
 * now; processes of one compressed run share the anchored spec
 * (`<start>@<speed>@<wallAnchorMs>`, SimulatedClock.toSpec()).
 */
export async function simulatedOrWallClock(flag: string | undefined): Promise<Clock> {
  const { serviceClock, SimulatedClock, createLogger } = await import('../service-kit/index.ts');
  const clock = serviceClock(flag);
  if (clock instanceof SimulatedClock) {
    clock.release();
    createLogger('clock').warn({ clock: clock.toSpec() }, 'running on a simulated clock (a compressed run, not production)');
  }
  return clock;
}
