import { readFileSync } from 'node:fs';
import { bool, ConfigError, field, filePath, type SectionOf } from './readers.js';

/**
 * TLS on the listeners (`tls:` for the gateway's, `adminTls:` for the admin listener's): a PEM
 * certificate (chain) and its private key, paths relative to the config file. Both or neither: without
 * them the listener speaks plain HTTP, as behind a TLS-terminating proxy. The files are read at
 * start-up (an unreadable one stops the node with a configuration error) and again on SIGHUP, so a
 * renewed certificate is taken without a restart (docs/tls.md).
 */

/** The gateway's listener (`tls:`); on it also the management plane addressed by `adminHostName`. */
export const TLS = {
  /** PEM certificate, followed by its intermediate certificates. null: plain HTTP. */
  certFile: field<string | null>(filePath, null),
  /** PEM private key of the certificate (unencrypted). null: plain HTTP. */
  keyFile: field<string | null>(filePath, null),
};

/** The admin listener (`adminTls:`): the web UI, the management API, metrics. */
export const ADMIN_TLS = {
  ...TLS,
  /** PEM certificates of the CAs whose client certificates the admin listener accepts. */
  clientCaFile: field<string | null>(filePath, null),
  /**
   * Refuse, at the TLS handshake, every client without a certificate signed by `clientCaFile`.
   * Default false.
   */
  requireClientCert: field(bool, false),
};

export type TlsConfig = SectionOf<typeof TLS>;
export type AdminTlsConfig = SectionOf<typeof ADMIN_TLS>;

/** What a `node:https` listener is given: PEM contents, never paths. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Client CAs; present only when client certificates are required. */
  ca?: Buffer;
}

function readPem(path: string, name: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * The files a TLS section names, read now; null when the section has no certificate. `name` is the
 * section's key (`tls`, `adminTls`), for the messages. A missing pair member, a client CA without
 * requireClientCert (which would verify nothing) and an unreadable file are ConfigErrors naming the key.
 */
export function readTlsMaterial(
  section: TlsConfig & Partial<Pick<AdminTlsConfig, 'clientCaFile' | 'requireClientCert'>>,
  name: string,
): TlsMaterial | null {
  const clientCaFile = section.clientCaFile ?? null;
  const requireClientCert = section.requireClientCert ?? false;
  if ((section.certFile === null) !== (section.keyFile === null))
    throw new ConfigError(`${name}.certFile and ${name}.keyFile go together: give both or neither`);
  if (requireClientCert && clientCaFile === null)
    throw new ConfigError(`${name}.requireClientCert needs ${name}.clientCaFile`);
  if (clientCaFile !== null && !requireClientCert)
    throw new ConfigError(
      `${name}.clientCaFile is used only with ${name}.requireClientCert: true; set it, or remove clientCaFile`,
    );
  if (section.certFile === null || section.keyFile === null) {
    if (requireClientCert)
      throw new ConfigError(`${name}.requireClientCert needs ${name}.certFile and ${name}.keyFile`);
    return null;
  }
  const cert = readPem(section.certFile, `${name}.certFile`);
  const key = readPem(section.keyFile, `${name}.keyFile`);
  if (clientCaFile === null) return { cert, key };
  return { cert, key, ca: readPem(clientCaFile, `${name}.clientCaFile`) };
}
