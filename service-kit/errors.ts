// One catalogue of error codes for every room. Codes are strings because
// `instanceof` does not cross processes (or MQTT, or HTTP): a code survives
// being logged, sent and parsed back.
export const ERROR_CATALOGUE = {
  TZ_CONFIG_INVALID: 'configuration is invalid',
  TZ_PROFILE_INVALID: 'device profile file is invalid',
  TZ_PROFILE_UNKNOWN: 'no device profile with that class id',
  TZ_PROTO_DECODE: 'payload is not a valid protobuf message',
  TZ_TOPIC_INVALID: 'MQTT topic is outside the tz/v1 tree',
  TZ_READING_INVALID: 'reading does not match its device profile',
  TZ_BROKER_AUTH: 'MQTT credentials were rejected',
  TZ_BROKER_UNREACHABLE: 'MQTT broker cannot be reached',
  TZ_INFLUX_UNREACHABLE: 'InfluxDB cannot be reached',
  TZ_INFLUX_WRITE: 'InfluxDB rejected a write',
  TZ_INFLUX_QUERY: 'InfluxDB rejected a query',
  TZ_INFLUXD_MISSING: 'the influxd binary is not installed',
  TZ_MODBUS_TIMEOUT: 'Modbus device did not answer in time',
  TZ_MODBUS_EXCEPTION: 'Modbus device answered with an exception',
  TZ_CASE_NOT_FOUND: 'no case with that id',
  TZ_ALARM_NOT_FOUND: 'no alarm with that id',
  TZ_REQUEST_INVALID: 'HTTP request parameters are invalid',
  TZ_INTERNAL: 'unexpected internal error (see the service log)',
  TZ_NOT_READY: 'the service is still starting; try again shortly',
  TZ_USERS_FILE: 'broker users file is invalid',
  TZ_DEVICE_UNKNOWN: 'no device with that id',
  TZ_DEVICE_REGISTRY: 'the device registry (ingest /api/v1/devices) cannot be reached or answered badly',
  TZ_SIM_FAULT_UNSUPPORTED: 'the simulated device class does not support that fault',
  TZ_SCENARIO_INVALID: 'a simulation scenario file is invalid or does not fit the simulated district',
  TZ_CODEC_INVALID: 'a LoRa payload codec cannot be loaded or run',
  TZ_QUEUE_STORE: 'the edge store-and-forward queue cannot be opened or written',
  TZ_LORA_FRAME: 'a LoRaWAN frame was rejected (MIC, replay, unknown device)',
  TZ_AUTH_REQUIRED: 'an API token is required (Authorization: Bearer <token>) or the token is unknown or revoked',
  TZ_FORBIDDEN: 'the role of the API token may not do this',
  TZ_CASE_TRANSITION: 'the case cannot move to that state from its current state',
  TZ_CASE_CONFIG: 'case categories, departments, SLA or crews configuration is invalid',
  TZ_CREW_NOT_FOUND: 'no crew with that id',
  TZ_PHOTO_INVALID: 'the uploaded photo is empty or not a JPEG, PNG or WebP image',
  TZ_PHOTO_TOO_LARGE: 'the uploaded photo is larger than the configured limit',
  TZ_OPEN311_SERVICE: 'no Open311 service with that code',
  TZ_RULE_INVALID: 'an alarm rule is invalid (the message names the path and the problem)',
  TZ_RULE_NOT_FOUND: 'no alarm rule with that id',
  TZ_RULE_CONFLICT: 'the rule already exists, or changed since the version given',
  TZ_ALARM_STATE: 'the alarm is not in a state that allows this',
  TZ_ALERT_DELIVERY: 'an alert channel (WeCom, DingTalk, Feishu, e-mail, SMS) refused or could not take a message',
  TZ_SUBSCRIPTION_NOT_FOUND: 'no alert subscription with that id',
  TZ_SILENCE_NOT_FOUND: 'no silence or maintenance window with that id',
  TZ_REGISTRY_INVALID: 'a registry record (device, asset, gateway) is invalid (the message names the field and the problem)',
  TZ_REGISTRY_NOT_FOUND: 'no device, asset or gateway with that id in the registry',
  TZ_REGISTRY_TRANSITION: 'the device cannot move to that lifecycle state from its current state',
  TZ_REGISTRY_KEY: 'LoRa keys cannot be stored or read: no registry key (TZ_REGISTRY_KEY) or the wrong one',
  TZ_REGISTRY_IMPORT: 'an import file has problems; nothing was applied (the report lists row, column and problem)',
  TZ_COMMAND_INVALID: 'the device command does not fit the device profile (name, params, ranges)',
  TZ_COMMAND_NOT_FOUND: 'no device command with that id',
  TZ_BACKUP_INVALID: 'a backup is incomplete or damaged, or cannot be restored over existing data',
  TZ_AUDIT_APPEND_ONLY: 'the audit log is append-only: records cannot be changed or removed',
  TZ_STORE_UNAVAILABLE: 'a database the service keeps its records in (PostgreSQL) cannot be reached or is busy; try again shortly',
  TZ_CLOCK_MISMATCH: "a store was created with the other kind of clock (wall vs simulated): a compressed run never opens a production store, nor production a simulated run's store",
  TZ_PAYLOAD_TOO_LARGE: 'a device message is larger than the configured limit',
  TZ_RATE_LIMITED: 'too many messages from this device in the last minute; slow down',
} as const;

export type TzErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The HTTP status every service answers for each code (docs/errors.md lists
 * the same table; a test holds the two together). A `Record`, so a new code
 * without a status does not type-check. Codes that never reach HTTP (broker,
 * Modbus, queue) still get the status a proxying API would use.
 */
export const ERROR_HTTP_STATUS: Record<TzErrorCode, number> = {
  TZ_CONFIG_INVALID: 500,
  TZ_PROFILE_INVALID: 500,
  TZ_PROFILE_UNKNOWN: 404,
  TZ_PROTO_DECODE: 400,
  TZ_TOPIC_INVALID: 400,
  TZ_READING_INVALID: 422,
  TZ_BROKER_AUTH: 502,
  TZ_BROKER_UNREACHABLE: 503,
  TZ_INFLUX_UNREACHABLE: 503,
  TZ_INFLUX_WRITE: 502,
  TZ_INFLUX_QUERY: 502,
  TZ_INFLUXD_MISSING: 500,
  TZ_MODBUS_TIMEOUT: 504,
  TZ_MODBUS_EXCEPTION: 502,
  TZ_CASE_NOT_FOUND: 404,
  TZ_ALARM_NOT_FOUND: 404,
  TZ_REQUEST_INVALID: 400,
  TZ_INTERNAL: 500,
  TZ_NOT_READY: 503,
  TZ_USERS_FILE: 500,
  TZ_DEVICE_UNKNOWN: 404,
  TZ_DEVICE_REGISTRY: 502,
  TZ_SIM_FAULT_UNSUPPORTED: 400,
  TZ_SCENARIO_INVALID: 400,
  TZ_CODEC_INVALID: 500,
  TZ_QUEUE_STORE: 500,
  TZ_LORA_FRAME: 400,
  TZ_AUTH_REQUIRED: 401,
  TZ_FORBIDDEN: 403,
  TZ_CASE_TRANSITION: 409,
  TZ_CASE_CONFIG: 500,
  TZ_CREW_NOT_FOUND: 404,
  TZ_PHOTO_INVALID: 415,
  TZ_PHOTO_TOO_LARGE: 413,
  TZ_OPEN311_SERVICE: 404,
  TZ_RULE_INVALID: 400,
  TZ_RULE_NOT_FOUND: 404,
  TZ_RULE_CONFLICT: 409,
  TZ_ALARM_STATE: 409,
  TZ_ALERT_DELIVERY: 502,
  TZ_SUBSCRIPTION_NOT_FOUND: 404,
  TZ_SILENCE_NOT_FOUND: 404,
  TZ_REGISTRY_INVALID: 400,
  TZ_REGISTRY_NOT_FOUND: 404,
  TZ_REGISTRY_TRANSITION: 409,
  TZ_REGISTRY_KEY: 422,
  TZ_REGISTRY_IMPORT: 422,
  TZ_COMMAND_INVALID: 400,
  TZ_COMMAND_NOT_FOUND: 404,
  TZ_BACKUP_INVALID: 500,
  TZ_AUDIT_APPEND_ONLY: 409,
  TZ_STORE_UNAVAILABLE: 503,
  TZ_CLOCK_MISMATCH: 500,
  TZ_PAYLOAD_TOO_LARGE: 413,
  TZ_RATE_LIMITED: 429,
};

/** The HTTP status of an error: its code's, or 500 for anything that is not a TzError. */
export function httpStatusOf(err: unknown): number {
  return err instanceof TzError ? ERROR_HTTP_STATUS[err.code] : 500;
}

export interface TzErrorOptions {
  cause?: unknown;
  /** Whether trying the same operation again may succeed (link down, server busy). */
  retryable?: boolean;
  /** Structured context for logs and API answers. */
  details?: Record<string, unknown>;
}

/** The one error class of the platform: a stable code plus a human message. */
export class TzError extends Error {
  readonly code: TzErrorCode;
  readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: TzErrorCode, message: string, options: TzErrorOptions = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TzError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }

  /** Retry policy lives in the error (as influxdb-client-js `canRetry()`). */
  canRetry(): boolean {
    return this.retryable;
  }

  toJSON(): { code: TzErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isTzError(err: unknown, code?: TzErrorCode): err is TzError {
  return err instanceof TzError && (code === undefined || err.code === code);
}

/** Turns anything thrown (modbus-serial rejects with plain objects) into an Error. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'object' && value !== null) {
    const message = (value as { message?: unknown }).message;
    return new Error(typeof message === 'string' ? message : JSON.stringify(value));
  }
  return new Error(String(value));
}
