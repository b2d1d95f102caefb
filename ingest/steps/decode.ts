import { decodeUplinkBatch, parseGatewayTopic, type UplinkBatch } from '../../proto/index.ts';
import type { DeadLetter } from '../dead-letter-store.ts';
import type { RejectReason } from '../reject-reasons.ts';

export type DecodeResult = { ok: true; batch: UplinkBatch; gatewayId: string } | { ok: false; letter: DeadLetter };

/** Step 1: topic and bytes → UplinkBatch whose gateway id matches the topic's, or a dead letter for the whole message. */
export function decodeStep(topic: string, payload: Uint8Array): DecodeResult {
  const parsed = parseGatewayTopic(topic);
  const refuse = (reason: RejectReason, detail: string, gatewayId: string | null): DecodeResult => ({ ok: false, letter: { topic, gatewayId, deviceId: null, reason, detail, payload } });
  if (!parsed || parsed.kind !== 'batch') return refuse('bad-topic', `not an uplink batch topic: ${topic}`, null);
  let batch: UplinkBatch;
  try {
    batch = decodeUplinkBatch(payload);
  } catch (err) {
    return refuse('malformed-protobuf', (err as Error).message, parsed.gatewayId);
  }
  // UplinkBatch.gateway_id "must equal the {gatewayId} in the topic" (proto/tianzhong/v1/telemetry.proto).
  if (batch.gatewayId !== parsed.gatewayId) return refuse('gateway-mismatch', `topic says ${parsed.gatewayId}, batch says "${batch.gatewayId}"`, parsed.gatewayId);
  return { ok: true, batch, gatewayId: parsed.gatewayId };
}
