import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

// The foundation SDK ships no InfluxDB query type, so this is the small
// builder its README describes for "custom query types": a raw InfluxQL
// target as Grafana's InfluxDB datasource stores it in dashboard JSON.

export type InfluxResultFormat = 'time_series' | 'table' | 'logs';

export interface InfluxQLQuery extends Dataquery {
  refId: string;
  datasource?: DataSourceRef;
  /** Raw InfluxQL; Grafana substitutes `$timeFilter`, `$__interval` and template variables. */
  query: string;
  rawQuery: true;
  resultFormat: InfluxResultFormat;
  alias?: string;
  hide?: boolean;
}

export class InfluxQLQueryBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string, refId = 'A') {
    this.internal = { refId, query, rawQuery: true, resultFormat: 'time_series', _implementsDataqueryVariant() {} };
  }

  build(): InfluxQLQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  resultFormat(format: InfluxResultFormat): this {
    this.internal.resultFormat = format;
    return this;
  }

  /** Series name pattern, e.g. `$tag_district` or `$col`. */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }
}

/** A double-quoted InfluxQL identifier (measurement, field, tag key). */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
