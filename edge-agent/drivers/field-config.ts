import { z } from 'zod';

// Agent config for the China field protocols (issue 19): a device with
// `field: {transport: cjt188 | dlt645 | hj212, …}` and the gateway-wide
// `fieldProtocols` settings. Parsed with the rest of config.ts.

const endpoint = {
  /** Name of an entry in `serialLines` (RS-485 on a local serial port)… */
  line: z.string().min(1).optional(),
  /** …or a transparent serial server (TCP) in front of the RS-485 line. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
};

export const fieldDeviceSchema = z.discriminatedUnion('transport', [
  z.strictObject({
    transport: z.literal('cjt188'),
    /** Meter address as printed, 14 digits (A6..A0; the last four are the maker code). */
    address: z.string().regex(/^\d{14}$/, '14 digits as printed on the meter'),
    ...endpoint,
  }),
  z.strictObject({
    transport: z.literal('dlt645'),
    /** Meter address as printed on the nameplate, 12 digits. */
    address: z.string().regex(/^\d{12}$/, '12 digits as printed on the nameplate'),
    ...endpoint,
  }),
  z.strictObject({
    transport: z.literal('hj212'),
    /** Station code MN (HJ 212-2017 §6.3.2: up to 24 letters and digits). */
    mn: z.string().regex(/^[A-Za-z0-9]{1,24}$/, 'letters and digits, at most 24'),
    /** Access password PW the station sends; packets with another one are refused. Omit to accept any. */
    password: z.string().min(1).max(32).optional(),
  }),
]);

export type FieldDeviceConfig = z.output<typeof fieldDeviceSchema>;
export type FieldProtocol = FieldDeviceConfig['transport'];

export const fieldProtocolsSchema = z.strictObject({
  /** Reply timeout of one CJ/T 188 / DL/T 645 request (a 2400-baud meter needs ~150 ms for a 35-byte reply). */
  requestTimeoutMs: z.number().int().min(10).default(1000),
  /** Silence between frames on a serial meter line. */
  interFrameDelayMs: z.number().int().min(0).default(20),
  hj212: z.strictObject({
    /** TCP address the stations connect to (their "platform" address). */
    host: z.string().min(1).default('0.0.0.0'),
    port: z.number().int().min(0).max(65535).default(9212),
    /** Connections at once; more are refused (counted, reason "connections"). */
    maxConnections: z.number().int().min(1).default(5000),
    /** Largest data segment accepted (HJ 212-2017 §6.3.1: 1024). */
    maxDataBytes: z.number().int().min(64).max(9999).default(1024),
    /** A connection silent this long is closed (stations reconnect). */
    idleTimeoutMs: z.number().int().min(1000).default(600_000),
    /** Packets per station per minute before the rest are dropped (counted, reason "flood"). */
    framesPerMinute: z.number().int().min(1).default(60),
    /** A burst a station may send at once (reconnect backlog). */
    burst: z.number().int().min(1).default(20),
    /** Malformed or dropped packets in a row before the connection is closed. */
    maxBadInARow: z.number().int().min(1).default(50),
  }).prefault({}),
}).prefault({});

export type FieldProtocolsConfig = z.output<typeof fieldProtocolsSchema>;

/** Cross-checks for config.ts's superRefine: an endpoint for polled meters, one protocol per serial line, unique addresses. */
export function fieldConfigProblems(devices: ReadonlyArray<{ field?: FieldDeviceConfig; modbus?: unknown }>, serialLines: ReadonlySet<string>): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  const lineProtocol = new Map<string, string>();
  const addresses = new Set<string>();
  devices.forEach((d, i) => {
    if (d.modbus && typeof d.modbus === 'object' && 'line' in d.modbus) lineProtocol.set(String((d.modbus as { line: string }).line), 'modbus');
  });
  devices.forEach((d, i) => {
    const f = d.field;
    if (!f) return;
    const key = f.transport === 'hj212' ? `hj212:${f.mn}` : `${f.transport}:${f.address}`;
    if (addresses.has(key)) problems.push({ path: ['devices', i, 'field'], message: `duplicate ${f.transport === 'hj212' ? `MN ${f.mn}` : `${f.transport} address ${f.address}`}` });
    addresses.add(key);
    if (f.transport === 'hj212') return;
    const viaTcp = f.host !== undefined || f.port !== undefined;
    if (viaTcp === (f.line !== undefined) || (viaTcp && (f.host === undefined || f.port === undefined))) {
      problems.push({ path: ['devices', i, 'field'], message: 'a polled meter needs exactly one of `line` or `host` + `port`' });
      return;
    }
    if (f.line !== undefined) {
      if (!serialLines.has(f.line)) problems.push({ path: ['devices', i, 'field', 'line'], message: `unknown serial line "${f.line}"` });
      const other = lineProtocol.get(f.line);
      if (other && other !== f.transport) problems.push({ path: ['devices', i, 'field', 'line'], message: `serial line "${f.line}" is already used by ${other}; one protocol per line` });
      lineProtocol.set(f.line, f.transport);
    }
  });
  return problems;
}
