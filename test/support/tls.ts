import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary } from './processes.js';

/**
 * Throwaway certificates made with the `openssl` command (Debian's openssl package): a CA, server
 * certificates for 127.0.0.1 and client certificates it signs. openssl is required: a suite that needs
 * it fails, never skips, when it is missing (TOKENGATE_TEST_OPENSSL names it when not on PATH).
 */

export function requireOpenssl(): string {
  const found = findBinary('openssl', 'TOKENGATE_TEST_OPENSSL', ['/usr/bin/openssl']);
  if (found === null)
    throw new Error(
      'openssl is required for the TLS tests (apt-get install openssl, or set TOKENGATE_TEST_OPENSSL)',
    );
  return found;
}

function openssl(args: string[]): void {
  const r = spawnSync(requireOpenssl(), args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0)
    throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}${r.error?.message ?? ''}`);
}

/** PEM files on disk. */
export interface Pem {
  cert: string;
  key: string;
}

/** A self-signed CA named `name`, written to `<dir>/<name>.crt` and `.key`. */
export function makeCa(dir: string, name: string): Pem {
  const pem = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem.key, '-out', pem.cert].concat([
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]),
  );
  return pem;
}

/**
 * A certificate signed by `ca` with serial `serial` (hex): for a server, valid for 127.0.0.1 and
 * localhost; for a client, for TLS client authentication.
 */
export function issue(dir: string, ca: Pem, name: string, serial: string, kind: 'server' | 'client'): Pem {
  const pem = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem.key, '-out', csr, '-subj', `/CN=${name}`]);
  const extensions =
    kind === 'server'
      ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'
      : 'extendedKeyUsage=clientAuth\n';
  writeFileSync(ext, extensions);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${serial}`].concat([
      '-days',
      '2',
      '-extfile',
      ext,
      '-out',
      pem.cert,
    ]),
  );
  return pem;
}
