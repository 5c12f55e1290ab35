/**
 * The sandbox's own certificate authority and a server certificate for 127.0.0.1/localhost,
 * made with the openssl binary (Debian's openssl). The API server and the SMTP sink's
 * STARTTLS use the server certificate; clients trust the CA through the kubeconfig,
 * DescribeCluster's certificateAuthority, or SANDBOX_CA_FILE.
 */

import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Certificates {
  caCert: string;
  serverCert: string;
  serverKey: string;
  caFile: string;
}

function openssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`openssl ${args[0]} failed: ${String(stderr).trim() || err.message}`));
      else resolve();
    });
  });
}

/** Creates (once) and loads the CA and server certificate in DIR/pki. */
export async function ensureCertificates(dir: string): Promise<Certificates> {
  const pki = join(dir, 'pki');
  await mkdir(pki, { recursive: true });
  const caFile = join(pki, 'ca.crt');
  try {
    return await load(pki, caFile);
  } catch {}
  // Two openssl runs (OpenSSL 3 signs with -CA in `req -x509`): the CA, then the server certificate.
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256', '-days', '30'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-subj', '/CN=tripo04os-sandbox-ca', '-out', 'ca.crt'], pki);
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'server.key',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-subj',
      '/CN=sandbox',
      '-addext',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default',
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-addext',
      'keyUsage=digitalSignature,keyEncipherment',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-out',
      'server.crt',
    ],
    pki,
  );
  return load(pki, caFile);
}

async function load(pki: string, caFile: string): Promise<Certificates> {
  const [caCert, serverCert, serverKey] = await Promise.all([
    readFile(caFile, 'utf8'),
    readFile(join(pki, 'server.crt'), 'utf8'),
    readFile(join(pki, 'server.key'), 'utf8'),
  ]);
  return { caCert, serverCert, serverKey, caFile };
}
