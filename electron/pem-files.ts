/**
 * Reading a PEM file the user picked (certificates, private keys, CAs for add_certificate and
 * for a connection's TLS trust): a size limit, UTF-8 text, and a block of the expected kind.
 */
import fs from 'node:fs/promises';
import { PeerdeskError, type PemFile, type PemKind } from './ipc/contract.ts';

/** PEM files larger than this are not read (a long chain is a few tens of KiB). */
export const PEM_FILE_MAX_BYTES = 1024 * 1024;

export const PEM_KINDS: readonly PemKind[] = ['certificate', 'privateKey', 'certificateAuthority'];

const EXPECTED_BLOCK: Record<PemKind, { pattern: RegExp; label: string }> = {
  certificate: { pattern: /-----BEGIN CERTIFICATE-----/, label: '-----BEGIN CERTIFICATE----- block' },
  certificateAuthority: { pattern: /-----BEGIN CERTIFICATE-----/, label: '-----BEGIN CERTIFICATE----- block' },
  privateKey: { pattern: /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/, label: '-----BEGIN PRIVATE KEY----- block' },
};

/** Dialog title and file filters for each kind. */
export const PEM_DIALOG: Record<PemKind, { title: string; extensions: string[] }> = {
  certificate: { title: 'Choose a certificate (PEM)', extensions: ['pem', 'crt', 'cer'] },
  certificateAuthority: { title: 'Choose a CA certificate (PEM)', extensions: ['pem', 'crt', 'cer'] },
  privateKey: { title: 'Choose a private key (PEM)', extensions: ['pem', 'key'] },
};

export async function readPemFile(filePath: string, kind: PemKind): Promise<PemFile> {
  let contents: string;
  try {
    const stat = await fs.stat(filePath);
    if (!stat.isFile()) throw new PeerdeskError('INVALID_FILE', `${filePath} is not a file`);
    if (stat.size > PEM_FILE_MAX_BYTES) {
      throw new PeerdeskError('INVALID_FILE', `${filePath} is ${stat.size} bytes, more than a PEM file of ${PEM_FILE_MAX_BYTES} bytes`);
    }
    contents = await fs.readFile(filePath, 'utf8');
  } catch (error) {
    if (error instanceof PeerdeskError) throw error;
    throw new PeerdeskError('INVALID_FILE', `Reading ${filePath} failed: ${(error as Error).message}`);
  }
  const expected = EXPECTED_BLOCK[kind];
  if (!expected.pattern.test(contents)) {
    throw new PeerdeskError('INVALID_FILE', `${filePath} is not a PEM ${kind === 'privateKey' ? 'private key' : 'certificate'}: it has no ${expected.label}`);
  }
  return { path: filePath, contents };
}
