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
  TZ_USERS_FILE: 'broker users file is invalid',
  TZ_DEVICE_UNKNOWN: 'no device with that id',
  TZ_SIM_FAULT_UNSUPPORTED: 'the simulated device class does not support that fault',
} as const;

export type TzErrorCode = keyof typeof ERROR_CATALOGUE;

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
