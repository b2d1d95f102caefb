import { TzError } from '../../service-kit/index.ts';

// The simulated people reach the city only through the real case HTTP API
// (and Open311), with their own tokens, like the crews' phones would.

export interface CaseSummaryView {
  id: number;
  status: string;
  category: string;
  priority: string;
  assetId: string | null;
  district: string | null;
  crewId: string | null;
}

/** A tiny PNG: the site photo an inspector or crew uploads (the API sniffs magic bytes). */
const SITE_PHOTO = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(48, 9)]);

export class CaseApi {
  /** Calls made and refused (a refused call is logged by the caller and counted here). */
  readonly counts = { calls: 0, refused: 0 };

  constructor(private readonly base: string) {}

  async json(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    this.counts.calls++;
    const res = await fetch(this.base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status >= 400) this.counts.refused++;
    return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) as unknown : text };
  }

  /** A 2xx answer's body, else TZ_REQUEST_INVALID naming the call. */
  async ok(method: string, path: string, token: string, body?: unknown): Promise<unknown> {
    const r = await this.json(method, path, token, body);
    if (r.status >= 300) throw new TzError('TZ_REQUEST_INVALID', `${method} ${path} answered ${r.status}: ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body;
  }

  async list(query: string, token: string): Promise<CaseSummaryView[]> {
    const body = await this.ok('GET', `/api/v1/cases?${query}&limit=1000`, token) as { cases?: CaseSummaryView[] };
    return body.cases ?? [];
  }

  async act(id: number, action: string, token: string, body: Record<string, unknown> = {}): Promise<void> {
    await this.ok('POST', `/api/v1/cases/${id}/actions/${action}`, token, body);
  }

  /** Uploads the site photo; its id is the verification's evidence. */
  async photo(caseId: number, token: string, caption: string): Promise<string> {
    this.counts.calls++;
    const form = new FormData();
    form.append('photo', new Blob([new Uint8Array(SITE_PHOTO)], { type: 'image/png' }), 'site.png');
    form.append('caption', caption);
    const res = await fetch(`${this.base}/api/v1/cases/${caseId}/photos`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form, signal: AbortSignal.timeout(30_000) });
    const body = await res.json() as { id?: string };
    if (res.status !== 201 || !body.id) {
      this.counts.refused++;
      throw new TzError('TZ_REQUEST_INVALID', `photo upload to case ${caseId} answered ${res.status}`);
    }
    return body.id;
  }

  /** A citizen's request through Open311 GeoReport v2 (form-encoded, as the city's app sends it). */
  async open311Request(apiKey: string, fields: Record<string, string>): Promise<{ id: number; token: string }> {
    this.counts.calls++;
    const res = await fetch(`${this.base}/open311/v2/requests.json`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ api_key: apiKey, ...fields }), signal: AbortSignal.timeout(30_000),
    });
    const body = await res.json() as Array<{ service_request_id?: string; token?: string }>;
    const first = body[0];
    if (res.status !== 201 || !first?.service_request_id || !first.token) {
      this.counts.refused++;
      throw new TzError('TZ_REQUEST_INVALID', `Open311 request answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
    }
    return { id: Number(first.service_request_id), token: first.token };
  }

  async open311Rating(id: number, token: string, stars: number, comment: string): Promise<void> {
    this.counts.calls++;
    const res = await fetch(`${this.base}/open311/v2/requests/${id}/rating.json`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, stars: String(stars), comment }), signal: AbortSignal.timeout(30_000),
    });
    await res.text();
    if (res.status >= 300) {
      this.counts.refused++;
      throw new TzError('TZ_REQUEST_INVALID', `Open311 rating of ${id} answered ${res.status}`);
    }
  }
}
