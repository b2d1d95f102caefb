import { Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { TzError, toError } from '../../service-kit/index.ts';
import type { SerialLineConfig } from '../config.ts';

/**
 * A half-duplex byte pipe to a meter bus: an RS-485 line on a local serial
 * port, or a transparent serial server (TCP) in front of one. Bytes in are
 * handed to `onData`; `closed` resolves when the link dies.
 */
export interface ByteLink {
  readonly name: string;
  write(bytes: Buffer): Promise<void>;
  onData(listener: (chunk: Buffer) => void): void;
  readonly open: boolean;
  close(): Promise<void>;
}

export type LinkEndpoint = { kind: 'serial'; line: SerialLineConfig } | { kind: 'tcp'; host: string; port: number };

export const endpointName = (e: LinkEndpoint): string => (e.kind === 'tcp' ? `tcp://${e.host}:${e.port}` : `serial://${e.line.path}`);

export async function openByteLink(e: LinkEndpoint, timeoutMs: number): Promise<ByteLink> {
  return e.kind === 'tcp' ? openTcp(e.host, e.port, timeoutMs) : openSerial(e.line);
}

async function openSerial(line: SerialLineConfig): Promise<ByteLink> {
  const port = new SerialPort({ path: line.path, baudRate: line.baudRate, parity: line.parity, dataBits: line.dataBits, stopBits: line.stopBits, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new TzError('TZ_CONFIG_INVALID', `cannot open serial port ${line.path}: ${err.message}`, { cause: err })) : resolve())));
  // An error after open (unplugged adapter) closes the port; the owner sees `open` false and reopens.
  port.on('error', () => undefined);
  return {
    name: `serial://${line.path}`,
    write: (bytes) => new Promise<void>((resolve, reject) => port.write(bytes, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))))),
    onData: (listener) => void port.on('data', listener),
    get open() {
      return port.isOpen;
    },
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}

async function openTcp(host: string, port: number, timeoutMs: number): Promise<ByteLink> {
  const socket = new Socket();
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TzError('TZ_CONFIG_INVALID', `connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.connect(port, host, () => {
      clearTimeout(timer);
      resolve();
    });
  });
  let open = true;
  socket.on('error', () => undefined); // 'close' follows; the owner reconnects
  socket.on('close', () => (open = false));
  return {
    name: `tcp://${host}:${port}`,
    write: (bytes) => new Promise<void>((resolve, reject) => socket.write(bytes, (err) => (err ? reject(toError(err)) : resolve()))),
    onData: (listener) => void socket.on('data', listener),
    get open() {
      return open && !socket.destroyed;
    },
    close: () => new Promise<void>((resolve) => {
      if (socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      socket.destroy();
    }),
  };
}
