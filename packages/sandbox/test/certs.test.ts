import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCertificates } from '../src/certs.ts';

test('the server certificate is issued by the sandbox CA for 127.0.0.1 and localhost', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'certs-'));
  try {
    const c = await ensureCertificates(dir);
    const ca = new X509Certificate(c.caCert);
    const server = new X509Certificate(c.serverCert);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    const again = await ensureCertificates(dir);
    expect(again.serverCert).toBe(c.serverCert);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
