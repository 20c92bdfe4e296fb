/**
 * Certificate operations (SPEC 3): add_certificate, list_certificates, remove_certificate with
 * HarperDB's request and response shapes. Private keys go to 0600 files and never come back.
 */
import { z } from 'zod';
import { defineOperation } from '../registry.ts';

const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._@:-]*$/, { message: 'may contain letters, digits, spaces and . _ @ : - (starting with a letter or digit)' });

const pem = (kind: string) =>
  z
    .string()
    .max(256 * 1024)
    .refine((text) => /-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/.test(text), { message: `must be a PEM ${kind} (-----BEGIN ...-----)` });

export const certificateOperations = [
  defineOperation({
    name: 'add_certificate',
    permission: 'super_user',
    writes: true,
    schema: z.object({
      name,
      certificate: pem('certificate'),
      is_authority: z.boolean().default(false),
      private_key: pem('private key').optional(),
      uses: z.array(z.string().min(1).max(64)).max(20).optional(),
      hosts: z.array(z.string().min(1).max(253)).max(100).optional(),
    }),
    handler: async (request, context) => {
      await context.node.certificates.add(request, context.user?.username ?? null);
      return { message: `Successfully added certificate: ${request.name}` };
    },
  }),
  defineOperation({
    name: 'list_certificates',
    permission: 'super_user',
    schema: z.object({}),
    handler: (_request, context) =>
      context.node.certificates
        .list()
        .map(({ details: { names: _names, fingerprint256: _fingerprint, is_authority: _ca, is_self_signed: _self, common_name: _cn, ...details }, ...row }) => ({
          ...row,
          details,
        })),
  }),
  defineOperation({
    name: 'remove_certificate',
    permission: 'super_user',
    writes: true,
    schema: z.object({ name }),
    handler: async (request, context) => {
      await context.node.certificates.remove(request.name, context.user?.username ?? null);
      return { message: `Successfully removed ${request.name}` };
    },
  }),
];
