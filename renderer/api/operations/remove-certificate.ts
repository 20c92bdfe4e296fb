/** remove_certificate (SPEC 3): deletes a certificate by name, and its private key file; 404 when unknown. */
import { mutationOptions } from '@tanstack/react-query';
import type { OpsClient } from '../ops-client.ts';
import { opsKey } from './keys.ts';

export interface RemoveCertificateRequest {
  name: string;
}
export interface RemoveCertificateResponse {
  message: string;
}

export function removeCertificate(client: OpsClient, request: RemoveCertificateRequest): Promise<RemoveCertificateResponse> {
  return client.call<RemoveCertificateResponse>('remove_certificate', request);
}

export function removeCertificateMutation(client: OpsClient) {
  return mutationOptions({
    mutationKey: opsKey(client, 'remove_certificate'),
    mutationFn: (request: RemoveCertificateRequest) => removeCertificate(client, request),
  });
}
