// The month of 驻马店 (issue 17): 30 simulated days through the real stack
// on one simulated clock (3600×: a city hour per wall second) — simulated
// street → edge agent → broker → ingest (managed influxd) / rules → cases,
// with citizens, the 12345 hotline, inspectors and crews acting through the
// case API. Reports the wall time, the month's KPIs from the audit trail and
// CPU per simulated day. `--quick`: 2 days.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markdownTable, type Bench } from '../../service-kit/index.ts';
import { runCityMonth, monthSummary } from '../city-month/month-run.ts';

const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)} %`);

export const bench: Bench = {
  name: 'city-month',
  title: 'A month of the city: 30 simulated days of 驻马店 through the real stack',
  async run({ quick, progress }) {
    const dir = mkdtempSync(join(tmpdir(), 'tz-city-month-bench-'));
    try {
      const days = quick ? 2 : 30;
      const r = await runCityMonth({ varDir: join(dir, 'var'), days, speed: 3600, seed: 17, devices: 80, progress });
      for (const line of monthSummary(r)) progress(line);
      const k = r.kpis;
      const meets = (ok: boolean | null): string => (ok === null ? '—' : ok ? 'met' : 'not met');
      return [
        `${r.days} simulated days from ${r.start} (September 2027, city time Asia/Shanghai) at ${r.speed}× on one process plus a managed influxd: 80 devices`,
        'polled every 500 ms wall (half an hour of city time), the `city-month` scenario, seed 17. CPU is this process (sim, agent, broker, ingest,',
        'rules, cases, the simulated people), not influxd. The machine is shared by 9 agents (2 cores): wall time and CPU are noisy.',
        '',
        markdownTable(['measure', 'value'], [
          ['wall time', `${r.wallSeconds.toFixed(0)} s (${(r.wallSeconds / 60).toFixed(1)} min; target < 15 min)`],
          ['CPU (this process)', `${r.cpuSeconds.toFixed(0)} s`],
          ['CPU per simulated day', `${(r.cpuSeconds / r.days).toFixed(1)} s`],
          ['readings written / rejected', `${r.pipeline.readingsWritten} / ${r.pipeline.readingsRejected}`],
          ['alarms raised', String(r.pipeline.alarmsRaised)],
          ['case API calls (refused)', `${r.apiCalls.calls} (${r.apiCalls.refused})`],
        ]),
        '',
        'KPIs from the audit trail alone (`GET /api/v1/kpis`, the month\'s window, as of its end); the monthly report\'s figures are the same',
        `(${JSON.stringify(r.report.overall) === JSON.stringify(r.reportWindowKpis) ? 'checked equal in this run' : 'NOT equal in this run'}):`,
        '',
        markdownTable(['KPI', 'value', 'target', ''], [
          ['按时核查率 on-time verification', pct(k.onTimeVerificationRate), pct(k.targets.onTimeVerificationRate), meets(k.meetsTargets.onTimeVerificationRate)],
          ['结案率 closure', pct(k.closureRate), pct(k.targets.closureRate), meets(k.meetsTargets.closureRate)],
          ['自动发现率 found by sensors', pct(k.autoDiscoveryRate), `≥ ${pct(k.targets.sensorShare)}`, meets(k.meetsTargets.sensorShare)],
          ['按期结案率 on-time closure', pct(k.onTimeClosureRate), '', ''],
          ['满意率 satisfaction (平均评价)', `${pct(k.satisfactionRate)} (${k.averageRating ?? '—'})`, '', ''],
        ]),
        '',
        `Cases: ${k.counts.reported} reported, ${k.counts.registered} registered (${k.counts.bySensor} by sensors), ${k.counts.closed} closed, ${k.counts.open} open at the end,`,
        `${k.counts.rejected} rejected, ${k.counts.reworks} reworks (failed verifications and reopened cases), ${k.counts.escalatedCases} escalated, ${k.counts.ratings} ratings.`,
        `People: ${JSON.stringify(r.people)}.`,
        `Alarms by rule: ${JSON.stringify(r.alarmsByRule)}.`,
      ].join('\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
