import { stringify } from 'yaml';

// The Prometheus scrape configuration for a running stack: one job per
// component, each scraping its /metrics. `npm start` writes it next to its
// data (var/prometheus.yml) so `prometheus --config.file=var/prometheus.yml`
// watches the stack as it runs; the Prometheus test scrapes with it.

/** Component name → the component's base URL (its /metrics is under it). */
export type ScrapeTargets = Record<string, string>;

export function prometheusScrapeConfig(targets: ScrapeTargets, scrapeIntervalS = 15): string {
  const config = {
    global: { scrape_interval: `${scrapeIntervalS}s`, scrape_timeout: `${Math.min(10, scrapeIntervalS)}s` },
    scrape_configs: Object.entries(targets).map(([component, url]) => {
      const u = new URL(url);
      return {
        job_name: `tianzhong-${component}`,
        metrics_path: `${u.pathname.replace(/\/$/, '')}/metrics`,
        scheme: u.protocol.replace(':', ''),
        static_configs: [{ targets: [u.host], labels: { stack: 'tianzhong' } }],
      };
    }),
  };
  return `# Prometheus scrape configuration for this Tianzhong stack (generated; the ports change every run).\n${stringify(config)}`;
}
