// `tianzhong report monthly --month 2026-11 --format csv|html|pdf|json --out file`:
// the urban-management office's monthly report from the rules service's case
// API (--api or TZ_RULES_URL, token in TZ_API_TOKEN, role readonly or above).
// PDF: the HTML page rendered here by headless Chromium (playwright-core,
// /usr/bin/chromium or TZ_CHROMIUM), so the service need not run a browser.
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../command-kit.ts';

const FORMATS = ['csv', 'html', 'pdf', 'json'] as const;

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('reports for the urban-management office (城市管理月报)');
  report
    .command('monthly')
    .description('KPIs by district, department and category, worst overdue cases, trend against the previous month')
    .requiredOption('--month <YYYY-MM>', 'the month, in the city time zone')
    .option('--format <format>', FORMATS.join(' | '), 'html')
    .requiredOption('--out <file>', 'where to write it')
    .option('--api <url>', 'rules API base URL (env TZ_RULES_URL)', process.env.TZ_RULES_URL ?? 'http://127.0.0.1:9103')
    .action(async (o: { month: string; format: string; out: string; api: string }) => {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month)) throw new CliError(`--month must be YYYY-MM, e.g. 2026-11, not "${o.month}"`);
      if (!(FORMATS as readonly string[]).includes(o.format)) throw new CliError(`--format must be one of ${FORMATS.join(', ')}, not "${o.format}"`);
      const body = await fetchReport(o.api, o.month, o.format === 'pdf' ? 'html' : o.format);
      let bytes: Buffer = body;
      if (o.format === 'pdf') {
        const { htmlToPdf } = await import('../../cases/report-pdf.ts');
        bytes = await htmlToPdf(body.toString('utf8'));
      }
      await writeFile(o.out, bytes);
      console.log(`wrote ${o.out} (${o.format}, ${bytes.length} bytes) — monthly report ${o.month}`);
    });
}

async function fetchReport(api: string, month: string, format: string): Promise<Buffer> {
  const token = process.env.TZ_API_TOKEN;
  let res: Response;
  try {
    res = await fetch(`${api.replace(/\/+$/, '')}/api/v1/reports/monthly?month=${month}&format=${format}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (err) {
    throw new CliError(`cannot reach the rules API at ${api} (${(err as Error).message}); pass --api or TZ_RULES_URL`);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (!res.ok) {
    let message = bytes.toString('utf8');
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch { /* not JSON: keep the text */ }
    throw new CliError(`${res.status}: ${message}${res.status === 401 ? ' (set TZ_API_TOKEN)' : ''}`);
  }
  return bytes;
}
