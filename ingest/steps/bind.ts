import type { ValidationResult } from './validate.ts';
import type { BindingRejectReason } from '../reject-reasons.ts';

// Step 2b, only when ingest runs with a registry (--registry-db): a reading
// whose device is not registered, or is registered to another gateway, is
// refused (dead-lettered as unknown-device / wrong-gateway, or
// retired-device). An unregistered device is noted in the registry as
// "discovered" for an operator to accept. Without a registry this step is
// skipped and every device with a known profile is accepted, as before.

export interface BindProblem {
  /** Dead-letter reason and metric label. */
  reason: BindingRejectReason;
  detail: string;
}

/** The registry's answer for one device, from memory (the hot path asks once per device and binding change). */
export interface DeviceBinding {
  /** Changes whenever the binding's map does: a cached answer older than this must be asked again. */
  readonly epoch: number;
  check(deviceId: string, gatewayId: string): BindProblem | null;
  /** A device the registry does not know reported through this gateway (noted once, then remembered). */
  noteUnregistered(gatewayId: string, deviceId: string, profile: string): void;
}

/** Moves the accepted readings the binding refuses to `rejected`. */
export function bindStep(result: ValidationResult, gatewayId: string, binding: DeviceBinding | undefined): ValidationResult {
  if (binding === undefined || result.accepted.length === 0) return result;
  const accepted = [];
  for (const a of result.accepted) {
    const deviceId = a.reading.deviceId as string;
    const problem = binding.check(deviceId, gatewayId);
    if (problem === null) {
      accepted.push(a);
      continue;
    }
    if (problem.reason === 'unknown-device') binding.noteUnregistered(gatewayId, deviceId, a.profile.class);
    result.rejected.push({ reading: a.reading, reason: problem.reason, detail: problem.detail });
  }
  result.accepted = accepted;
  return result;
}
