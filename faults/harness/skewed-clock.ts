// Preload (`node --import ./faults/harness/skewed-clock.ts …`) that sets this
// process's wall clock off by TZ_FAULT_CLOCK_SKEW_MS, like libfaketime: a
// gateway whose RTC drifted or was never set. Timers (monotonic) are untouched.
const skewMs = Number(process.env.TZ_FAULT_CLOCK_SKEW_MS ?? 0);

if (skewMs !== 0 && Number.isFinite(skewMs)) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + skewMs);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return realNow() + skewMs;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}
