/**
 * The sandbox's own certificate authority and a server certificate for 127.0.0.1/localhost,
 * made with the openssl binary (Debian's openssl). The API server and the SMTP sink's
 * STARTTLS use the server certificate; clients trust the CA through the kubeconfig,
 * DescribeCluster's certificateAuthority, or SANDBOX_CA_FILE.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec } from '@tripo04os/common';

export interface Certificates {
  caCert: string;
  serverCert: string;
  serverKey: string;
  caFile: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await exec('openssl', args, { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim()}`);
}

/** Creates (once) and loads the CA and server certificate in DIR/pki. */
export async function ensureCertificates(dir: string): Promise<Certificates> {
  const pki = join(dir, 'pki');
  await mkdir(pki, { recursive: true });
  const caFile = join(pki, 'ca.crt');
  try {
    return await load(pki, caFile);
  } catch {}
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], pki);
  await openssl(
    ['req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '30', '-subj', '/CN=tripo04os-sandbox-ca', '-out', 'ca.crt'],
    pki,
  );
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'server.key'], pki);
  await openssl(['req', '-new', '-key', 'server.key', '-subj', '/CN=sandbox', '-out', 'server.csr'], pki);
  const ext = join(pki, 'server.ext');
  await (await import('node:fs/promises')).writeFile(
    ext,
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n',
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '30',
      '-sha256',
      '-extfile',
      ext,
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
