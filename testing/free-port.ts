import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port nobody listens on right now, picked below the kernel's ephemeral
 * range: a port the OS hands out for bind(0) can be taken by any outgoing
 * connection's local end before our child process binds it (a real flake when
 * several pipelines start side by side), a port below that range cannot.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  if (low - floor >= 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      if (handedOut.has(port)) continue;
      if (await canBind(port)) {
        handedOut.add(port);
        return port;
      }
    }
  }
  return bindAndRelease(0);
}

/** Ports this process already handed out: never twice, even if still unbound. */
const handedOut = new Set<number>();

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high)) return [low, high];
  } catch {
    // not Linux: fall through to the IANA dynamic range
  }
  return [49_152, 65_535];
}

function canBind(port: number): Promise<boolean> {
  return bindAndRelease(port).then(() => true, () => false);
}

function bindAndRelease(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
