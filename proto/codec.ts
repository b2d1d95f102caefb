import protobuf from 'protobufjs/minimal.js';
import { tianzhong as generated } from './generated/tianzhong.js';
import { TzError } from '../service-kit/index.ts';

// 64-bit fields (timestamps in ms, sequence counters) decode as JS numbers,
// exact up to 2^53, instead of Long objects.
protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

// protobufjs static code (proto/generated, made by `npm run proto:gen`).
export const tz = generated.v1;
export type IUplinkBatch = generated.v1.IUplinkBatch;
export type IReading = generated.v1.IReading;
export type IMetricValue = generated.v1.IMetricValue;
export type IDeviceStatus = generated.v1.IDeviceStatus;
export type IGatewayStatus = generated.v1.IGatewayStatus;
export type ICommand = generated.v1.ICommand;
export type ICommandAck = generated.v1.ICommandAck;
export type ICommandParam = generated.v1.ICommandParam;
export type IGatewayConfig = generated.v1.IGatewayConfig;
export type IConfigDevice = generated.v1.IConfigDevice;
export type GatewayConfig = generated.v1.GatewayConfig;
export type UplinkBatch = generated.v1.UplinkBatch;
export type Reading = generated.v1.Reading;
export type GatewayStatus = generated.v1.GatewayStatus;

interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(bytes: Uint8Array): T;
  verify(message: { [k: string]: unknown }): string | null;
}

function encoder<I extends object, T>(type: MessageType<I>) {
  return (message: I): Uint8Array => {
    const problem = type.verify(message as { [k: string]: unknown });
    if (problem) throw new TzError('TZ_PROTO_DECODE', `cannot encode: ${problem}`);
    return type.encode(message).finish();
  };
}

function decoder<T>(type: { decode(bytes: Uint8Array): T }, name: string) {
  return (bytes: Uint8Array): T => {
    try {
      // A plain Uint8Array view, not a Buffer (MQTT hands out Buffers):
      // protobufjs' BufferReader clamps a truncated string instead of failing,
      // so a cut-off message would decode into nonsense.
      return type.decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (err) {
      throw new TzError('TZ_PROTO_DECODE', `not a valid ${name} (${bytes.length} bytes): ${(err as Error).message}`, { cause: err });
    }
  };
}

export const encodeUplinkBatch = encoder<IUplinkBatch, UplinkBatch>(tz.UplinkBatch as unknown as MessageType<IUplinkBatch>);
export const decodeUplinkBatch = decoder<UplinkBatch>(tz.UplinkBatch, 'UplinkBatch');
export const encodeGatewayStatus = encoder<IGatewayStatus, GatewayStatus>(tz.GatewayStatus as unknown as MessageType<IGatewayStatus>);
export const decodeGatewayStatus = decoder<GatewayStatus>(tz.GatewayStatus, 'GatewayStatus');
export const encodeCommand = encoder<ICommand, generated.v1.Command>(tz.Command as unknown as MessageType<ICommand>);
export const decodeCommand = decoder(tz.Command, 'Command');
export const encodeCommandAck = encoder<ICommandAck, generated.v1.CommandAck>(tz.CommandAck as unknown as MessageType<ICommandAck>);
export const decodeCommandAck = decoder(tz.CommandAck, 'CommandAck');
export const encodeGatewayConfig = encoder<IGatewayConfig, GatewayConfig>(tz.GatewayConfig as unknown as MessageType<IGatewayConfig>);
export const decodeGatewayConfig = decoder<GatewayConfig>(tz.GatewayConfig, 'GatewayConfig');

/** The metric value carried by a MetricValue, whichever oneof arm is set. */
export function metricValueOf(metric: IMetricValue): number | boolean | null {
  if (metric.number !== undefined && metric.number !== null) return metric.number;
  if (metric.flag !== undefined && metric.flag !== null) return metric.flag;
  if (metric.integer !== undefined && metric.integer !== null) return Number(metric.integer);
  return null;
}
