import { join } from 'node:path';

export interface TestCertificates {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate signed by the CA with the given CN. */
  client(cn: string): { cert: string; key: string };
  /** A client certificate signed by a CA the broker does not trust. */
  rogueClient(cn: string): { cert: string; key: string };
}

/** A CA, a server certificate for 127.0.0.1/localhost, and client certificates on demand, made with the `openssl` CLI. */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const makeCa = (name: string) => {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  };
  const sign = (name: string, cn: string, ca: string, ext?: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    const extArgs = ext ? (writeFileSync(join(dir, `${name}.ext`), ext), ['-extfile', `${name}.ext`]) : [];
    ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...extArgs);
    return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  makeCa('test-ca');
  makeCa('rogue-ca');
  const server = sign('server', 'localhost', 'test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  return {
    dir,
    caCert: join(dir, 'test-ca.crt'),
    serverCert: server.cert,
    serverKey: server.key,
    client: (cn) => sign(`client-${cn}`, cn, 'test-ca'),
    rogueClient: (cn) => sign(`rogue-${cn}`, cn, 'rogue-ca'),
  };
}
