/**
 * add_certificate (SPEC 3): adds, or replaces by name, a certificate and optionally its private
 * key (which the node keeps in a 0600 file and never returns). The zod schema beside it checks
 * what can be checked without parsing X.509 (a name the node accepts, PEM blocks of the right
 * kind); the node checks the rest (a certificate that parses, a key that matches, a real CA)
 * and answers 400 with a message the form shows as it is.
 */
import { mutationOptions } from '@tanstack/react-query';
import { z } from 'zod';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

/** The node's own limits (node-core/ops/handlers/certificates.ts). */
export const CERTIFICATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@:-]*$/;
export const CERTIFICATE_NAME_MAX = 200;
export const PEM_MAX_CHARS = 256 * 1024;
export const USES_MAX = 20;
export const USE_MAX_CHARS = 64;

export type PemBlockKind = 'certificate' | 'privateKey';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY_BLOCK = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/;
const ENCRYPTED_KEY = /-----BEGIN (?:ENCRYPTED PRIVATE KEY|RSA PRIVATE KEY-----[\s\S]*Proc-Type: 4,ENCRYPTED)/;
const ANY_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** Why `text` cannot be sent as a PEM of `kind`, or null when it looks right. */
export function pemProblem(kind: PemBlockKind, text: string): string | null {
  const trimmed = text.trim();
  if (!trimmed) return kind === 'certificate' ? 'Paste the certificate or choose its file' : 'Paste the private key or choose its file';
  if (trimmed.length > PEM_MAX_CHARS) return `This is ${trimmed.length.toLocaleString('en-US')} characters; the node takes at most ${PEM_MAX_CHARS.toLocaleString('en-US')}`;
  if (kind === 'certificate') {
    if (ANY_KEY.test(trimmed)) return 'This holds a private key: put it in the Private key field, never in a certificate field';
    if (!CERTIFICATE_BLOCK.test(trimmed)) return 'Not a PEM certificate: it needs a -----BEGIN CERTIFICATE----- … -----END CERTIFICATE----- block';
    return null;
  }
  if (ENCRYPTED_KEY.test(trimmed)) return 'This private key is encrypted: the node needs it unencrypted (e.g. openssl pkey -in key.pem -out plain-key.pem)';
  if (!PRIVATE_KEY_BLOCK.test(trimmed)) return 'Not a PEM private key: it needs a -----BEGIN PRIVATE KEY----- … -----END PRIVATE KEY----- block';
  if (CERTIFICATE_BLOCK.test(trimmed)) return 'This also holds a certificate: give the key alone here';
  return null;
}

const pem = (kind: PemBlockKind) =>
  z.string().superRefine((text, ctx) => {
    const problem = pemProblem(kind, text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const certificateNameSchema = z
  .string()
  .trim()
  .min(1, { error: 'Give the certificate a name' })
  .max(CERTIFICATE_NAME_MAX, { error: `At most ${CERTIFICATE_NAME_MAX} characters` })
  .regex(CERTIFICATE_NAME_PATTERN, { error: 'Use letters, digits, spaces and . _ @ : - (starting with a letter or digit)' });

export const addCertificateSchema = z.object({
  name: certificateNameSchema,
  certificate: pem('certificate'),
  is_authority: z.boolean(),
  private_key: pem('privateKey').optional(),
  uses: z
    .array(z.string().trim().min(1).max(USE_MAX_CHARS, { error: `A use is at most ${USE_MAX_CHARS} characters` }))
    .max(USES_MAX, { error: `At most ${USES_MAX} uses` })
    .optional(),
});

export type AddCertificateRequest = z.output<typeof addCertificateSchema>;

export interface AddCertificateResponse {
  message: string;
}

export function addCertificate(client: OpsClient, request: AddCertificateRequest): Promise<AddCertificateResponse> {
  return client.call<AddCertificateResponse>('add_certificate', request);
}

export function addCertificateMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'add_certificate'),
    mutationFn: (request: AddCertificateRequest) => addCertificate(client, request),
  });
}
