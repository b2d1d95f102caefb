import { defaultTimeZone, serviceClock, SimulatedClock, type Clock } from '../service-kit/index.ts';

// `npm start -- --sim-clock <start>@<speed>` (or TZ_SIM_CLOCK): the whole
// start stack on one simulated clock. The stack lets time flow once every
// part listens (a spec without a wall anchor); stores it opens are marked
// simulated, and a --var folder made by a wall-clock run is refused with
// TZ_CLOCK_MISMATCH (the reverse too), which a person reads as the lines below.

/** The flag, else TZ_SIM_CLOCK, else the wall clock; a simulated clock is not released here (startStack does). */
export function startClock(flag: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): Clock {
  return serviceClock(flag, env);
}

function cityFormat(timeZone: string, what: 'full' | 'time'): Intl.DateTimeFormat {
  return what === 'time'
    ? new Intl.DateTimeFormat('sv-SE', { timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    : new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
}

/** City time now for a person: the banner's clock line ('full') or the counters' stamp ('time'). */
export function cityClockLine(clock: SimulatedClock, what: 'full' | 'time' = 'full', timeZone: string = defaultTimeZone()): string {
  const at = cityFormat(timeZone, what).format(new Date(clock.now()));
  if (what === 'time') return at;
  return `模拟时钟 simulated: city time ${at} (${timeZone}), ${clock.speed}× wall time; other processes of this run: TZ_SIM_CLOCK=${clock.toSpec()}`;
}

/** What a person must do when the stores of `varDir` were made with the other kind of clock (zh-CN first). */
export function clockMismatchLines(clock: Clock, varDir: string, externalInflux: boolean): string[] {
  const database = externalInflux ? ' (with INFLUX_URL also a fresh INFLUX_DB)' : '';
  if (clock instanceof SimulatedClock) {
    return [
      `tianzhong: ${varDir} 里的数据是按真实时钟运行留下的，模拟时钟（--sim-clock / TZ_SIM_CLOCK）的运行不能打开它。请换一个新的 --var 文件夹${externalInflux ? '，并换一个新的 INFLUX_DB' : ''}。`,
      `tianzhong: the stores in ${varDir} were made by a wall-clock run; a --sim-clock run never opens them. Start it on a fresh folder${database}, e.g.`,
      `  npm start -- --sim-clock ${clock.toSpec().split('@').slice(0, 2).join('@')} --var var-sim`,
    ];
  }
  return [
    `tianzhong: ${varDir} 里的数据是模拟时钟（压缩时间）运行留下的，按真实时钟运行不能打开它。请换一个新的 --var 文件夹${externalInflux ? '，并换一个新的 INFLUX_DB' : ''}，或加上同样的 --sim-clock。`,
    `tianzhong: the stores in ${varDir} hold a simulated (--sim-clock) run; a wall-clock run never opens them. Use a fresh --var folder${database}, or start with --sim-clock again (TZ_SIM_CLOCK is unset).`,
  ];
}
