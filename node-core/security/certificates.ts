/**
 * The node's certificates (SPEC 3): rows of `system.hdb_certificate` (PEM and details, never
 * replicated) with private keys as 0600 files under `<root>/keys/`, never in a table or a
 * response. Creates the node's CA and certificate on first start, loads `tls.*` files, and
 * answers which certificate to present and which CAs to trust, live as rows change.
 */
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { badRequest, notFound } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Database } from '../storage/database.ts';
import type { DataRecord } from '../storage/types.ts';
import { deleteRecords, writeRecords } from '../storage/writes.ts';
import {
  CA_KEY_BITS,
  certificateDetails,
  createCertificateAuthority,
  issueNodeCertificate,
  keyMatchesCertificate,
  newKeyPair,
  NODE_KEY_BITS,
  type CertificateDetails,
} from './pki.ts';

export const CERTIFICATE_TABLE = 'hdb_certificate';

export interface CertificateRow {
  name: string;
  certificate: string;
  is_authority: boolean;
  /** file name under <root>/keys/ of the private key, when this node holds it */
  private_key_name: string | null;
  uses: string[];
  details: Omit<CertificateDetails, 'names'> & { names: string[] };
  is_self_signed: boolean;
}

export interface AddCertificateInput {
  name: string;
  certificate: string;
  is_authority: boolean;
  private_key?: string | undefined;
  uses?: string[] | undefined;
}

export interface TlsFiles {
  certificate: string | null;
  privateKey: string | null;
  certificateAuthority: string | null;
}

/** Names of the rows created on first start. */
export const caName = (nodeName: string) => `Peerdesk-Certificate-Authority-${nodeName}`;

export class CertificateStore {
  readonly #events = new EventEmitter();

  constructor(
    private readonly system: Database,
    private readonly keysDir: string,
    readonly nodeName: string,
    private readonly logger: Logger,
  ) {
    fs.mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  }

  /** First start: this node's CA and a certificate it signs for the node name and `hosts`. */
  async initialize(hosts: readonly string[], files: TlsFiles): Promise<void> {
    if (!this.ownAuthority()) {
      const started = Date.now();
      const [caKeys, nodeKeys] = await Promise.all([newKeyPair(CA_KEY_BITS), newKeyPair(NODE_KEY_BITS)]);
      const caPem = createCertificateAuthority(caKeys, caName(this.nodeName));
      const nodePem = issueNodeCertificate({
        caCertificatePem: caPem,
        caPrivateKeyPem: caKeys.privateKeyPem,
        publicKeyPem: nodeKeys.publicKeyPem,
        commonName: this.nodeName,
        hosts,
      });
      await this.add({ name: caName(this.nodeName), certificate: caPem, is_authority: true, private_key: caKeys.privateKeyPem, uses: ['ca'] }, null);
      await this.add({ name: this.nodeName, certificate: nodePem, is_authority: false, private_key: nodeKeys.privateKeyPem, uses: ['wss', 'https'] }, null);
      this.logger.info('Created the node certificate authority and certificate', { ms: Date.now() - started });
    }
    await this.#loadFiles(files);
  }

  list(): CertificateRow[] {
    return [...this.system.requireTable(CERTIFICATE_TABLE).scan()].map(({ stored }) => stored.r as unknown as CertificateRow);
  }

  get(name: string): CertificateRow | undefined {
    return this.system.requireTable(CERTIFICATE_TABLE).get(name) as unknown as CertificateRow | undefined;
  }

  /** Add or replace a certificate (and its private key). Checks everything before writing. */
  async add(input: AddCertificateInput, actor: string | null): Promise<CertificateRow> {
    let details: CertificateDetails;
    try {
      details = certificateDetails(input.certificate);
    } catch (error) {
      throw badRequest(`'certificate': ${(error as Error).message}`);
    }
    if (input.private_key !== undefined && !keyMatchesCertificate(input.certificate, input.private_key)) {
      throw badRequest(`'private_key' is not the private key of certificate '${input.name}' (or is not a PEM private key)`);
    }
    if (input.is_authority && !details.is_authority) {
      throw badRequest(`'is_authority' is true but certificate '${input.name}' is not a CA certificate (basicConstraints CA:false)`);
    }
    const heldKey = input.private_key === undefined ? (this.get(input.name)?.private_key_name ?? null) : null;
    if (heldKey !== null && !keyMatchesCertificate(input.certificate, this.#readKey(heldKey))) {
      // Replacing a certificate without its key keeps the key held for the name: only if it fits.
      throw badRequest(`certificate '${input.name}' does not match the private key held for that name: give its 'private_key'`);
    }
    const previousKey = this.get(input.name)?.private_key_name ?? null;
    const keyName = input.private_key !== undefined ? keyFileName(input.name) : heldKey;
    if (input.private_key !== undefined) {
      const file = path.join(this.keysDir, keyName!);
      const temporary = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, input.private_key, { mode: 0o600 });
      fs.renameSync(temporary, file);
    }
    const row: CertificateRow = {
      name: input.name,
      certificate: input.certificate.replace(/\r\n/g, '\n').trim() + '\n',
      is_authority: input.is_authority,
      private_key_name: keyName,
      uses: input.uses ?? (input.is_authority ? ['ca'] : ['wss', 'https']),
      details,
      is_self_signed: details.is_self_signed,
    };
    const table = this.system.requireTable(CERTIFICATE_TABLE);
    await this.system.transact((tx) => writeRecords(tx, table, [row as unknown as DataRecord], [row.name], 'upsert'), { user: actor });
    // A key file the replaced row used (another file name) goes, unless another row uses it.
    if (previousKey && previousKey !== keyName && !this.list().some((r) => r.private_key_name === previousKey)) {
      fs.rmSync(path.join(this.keysDir, previousKey), { force: true });
    }
    this.#events.emit('change');
    return row;
  }

  async remove(name: string, actor: string | null): Promise<void> {
    const row = this.get(name);
    if (!row) throw notFound(`Certificate '${name}' does not exist`);
    const table = this.system.requireTable(CERTIFICATE_TABLE);
    await this.system.transact((tx) => deleteRecords(tx, table, [name]), { user: actor });
    const stillUsed = row.private_key_name && this.list().some((r) => r.private_key_name === row.private_key_name);
    if (row.private_key_name && !stillUsed) fs.rmSync(path.join(this.keysDir, row.private_key_name), { force: true });
    this.#events.emit('change');
  }

  onChange(listener: () => void): () => void {
    this.#events.on('change', listener);
    return () => this.#events.off('change', listener);
  }

  privateKey(row: CertificateRow): string {
    if (!row.private_key_name) throw new Error(`no private key for certificate '${row.name}'`);
    return fs.readFileSync(path.join(this.keysDir, row.private_key_name), 'utf8');
  }

  #readKey(keyName: string): string {
    try {
      return fs.readFileSync(path.join(this.keysDir, keyName), 'utf8');
    } catch {
      return '';
    }
  }

  /** This node's own CA (with its private key), which signs peers' requests. */
  ownAuthority(): CertificateRow | undefined {
    const own = this.get(caName(this.nodeName));
    return own?.private_key_name ? own : undefined;
  }

  /**
   * The certificate this node presents: valid now, naming the node, with a private key here.
   * Prefers one issued by a CA `preferIssuer` trusts (the peer's CA), then one not issued by the
   * CA this node generated for itself (a certificate from `tls.*`, add_certificate or a peer's
   * CA was given for a reason: the generated one is the fallback), then CA-signed over
   * self-signed, then the latest expiry.
   */
  bestCertificate(preferIssuerSubject?: string): { row: CertificateRow; key: string } | undefined {
    const now = Date.now();
    const generatedIssuer = this.get(caName(this.nodeName))?.details.subject;
    const candidates = this.list().filter(
      (row) =>
        !row.is_authority &&
        row.private_key_name &&
        Date.parse(row.details.valid_from) <= now &&
        Date.parse(row.details.valid_to) > now &&
        namesInclude(row.details.names, this.nodeName),
    );
    candidates.sort((a, b) => {
      const preferred = Number(b.details.issuer === preferIssuerSubject) - Number(a.details.issuer === preferIssuerSubject);
      if (preferred) return preferred;
      const given = Number(b.details.issuer !== generatedIssuer) - Number(a.details.issuer !== generatedIssuer);
      if (given) return given;
      const signed = Number(!b.is_self_signed) - Number(!a.is_self_signed);
      if (signed) return signed;
      return Date.parse(b.details.valid_to) - Date.parse(a.details.valid_to);
    });
    const row = candidates[0];
    if (!row) return undefined;
    try {
      return { row, key: this.privateKey(row) };
    } catch {
      return undefined;
    }
  }

  /** PEMs of every CA this node trusts: its own rows, `extra` (hdb_nodes.ca), the Node.js roots. */
  trustedAuthorities(extra: readonly string[], includeRoots: boolean): string[] {
    const own = this.list().filter((row) => row.is_authority).map((row) => row.certificate);
    return [...new Set([...own, ...extra, ...(includeRoots ? tls.rootCertificates : [])])];
  }

  async #loadFiles(files: TlsFiles): Promise<void> {
    const read = (file: string, key: string) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (error) {
        throw badRequest(`tls.${key}: cannot read ${file}: ${(error as Error).message}`);
      }
    };
    if (files.certificateAuthority) {
      await this.add({ name: 'tls-certificateAuthority', certificate: read(files.certificateAuthority, 'certificateAuthority'), is_authority: true }, null);
    }
    if (files.certificate) {
      if (!files.privateKey) throw badRequest('tls.certificate is set but tls.privateKey is not');
      await this.add(
        { name: 'tls-certificate', certificate: read(files.certificate, 'certificate'), private_key: read(files.privateKey, 'privateKey'), is_authority: false },
        null,
      );
    }
  }
}

/** Whether a certificate's names cover `name` (IPv6 compared in canonical form). */
export function namesInclude(names: readonly string[], name: string): boolean {
  const canonical = (value: string) => (net.isIPv6(value) ? new URL(`http://[${value}]`).hostname : value.toLowerCase());
  const wanted = canonical(name);
  return names.some((candidate) => canonical(candidate) === wanted);
}

/**
 * The key file of certificate `name`: readable, and distinct for distinct names (names that
 * differ only in characters a file name cannot hold, such as 'a b' and 'a_b', must not share one).
 */
function keyFileName(name: string): string {
  return `${safeFileName(name)}-${crypto.createHash('sha256').update(name).digest('hex').slice(0, 12)}.pem`;
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
}
