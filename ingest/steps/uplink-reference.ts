// The reference path of uplink-lines.ts: protobufjs decode → validateStep →
// bindStep → toLine, the plain pipeline the fast parser is held byte-equal
// to. It judges every reading the fast path is not sure of, and whole
// messages the fast path cannot read, so refusal reasons are always its own.
import type protobuf from 'protobufjs/minimal.js';
import { tz, type IReading } from '../../proto/index.ts';
import { bindStep } from './bind.ts';
import { decodeStep } from './decode.ts';
import { toLine } from './to-lines.ts';
import { validateStep, type AcceptedReading, type RejectedReading, type ValidationContext } from './validate.ts';
import type { UplinkLines, UplinkLinesSink, UplinkStepResult } from './uplink-lines.ts';

/**
 * One reading (bytes [start, end) under `r`) the reference way: its line, or
 * null when refused (the refusal pushed onto `rejected`). An accepted reading
 * is pushed onto `accepted` for the sink.
 */
export function referenceLine(r: protobuf.Reader, start: number, end: number, gateway: string, context: ValidationContext, rejected: RejectedReading[], accepted: AcceptedReading[]): string | null {
  r.pos = start;
  const reading: IReading = tz.Reading.decode(r, end - start);
  const result = bindStep(validateStep([reading], context), gateway, context.binding);
  for (const x of result.rejected) rejected.push(x);
  const first = result.accepted[0];
  if (first === undefined) return null;
  accepted.push(first);
  return toLine(first, gateway);
}

/** A whole message the reference way (a dead letter when it does not decode); accepted readings are told to the sink. */
export function referenceLines(topic: string, payload: Uint8Array, context: ValidationContext, sink: UplinkLinesSink): UplinkStepResult {
  const decoded = decodeStep(topic, payload);
  if (!decoded.ok) return decoded;
  const { batch, gatewayId } = decoded;
  const lines: string[] = [];
  const { accepted, rejected } = bindStep(validateStep(batch.readings, context), gatewayId, context.binding);
  const spans = new Uint32Array(2 * accepted.length);
  for (const a of accepted) lines.push(toLine(a, gatewayId));
  for (const a of accepted) sink.observeAccepted(a, gatewayId);
  // The readings are re-encoded for `source`, so readingAt works the same on both paths.
  const reencoded = accepted.map((a) => tz.Reading.encode(a.reading).finish());
  let offset = 0;
  const joined = new Uint8Array(reencoded.reduce((n, b) => n + b.length, 0));
  for (const [i, bytes] of reencoded.entries()) {
    joined.set(bytes, offset);
    spans[2 * i] = offset;
    spans[2 * i + 1] = offset + bytes.length;
    offset += bytes.length;
  }
  return {
    ok: true,
    lines: { gatewayId, batchSeq: Number(batch.batchSeq ?? 0), sentAtMs: Number(batch.sentAtMs ?? 0), body: Buffer.from(lines.join('\n'), 'utf8'), accepted: lines.length, received: batch.readings.length, rejected, statuses: batch.statuses, spans, source: joined },
  };
}

/** The reading behind an accepted line (`position` in `spans`), decoded again: for the rare line InfluxDB refuses. */
export function readingAt(payload: Uint8Array, lines: Pick<UplinkLines, 'spans' | 'source'>, position: number): IReading {
  const bytes = lines.source ?? payload;
  const start = lines.spans[2 * position];
  const end = lines.spans[2 * position + 1];
  if (start === undefined || end === undefined) throw new RangeError(`no accepted line ${position} in this message`);
  return tz.Reading.decode(new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start));
}
