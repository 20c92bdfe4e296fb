/**
 * A real AES-256-GCM SecretCipher from node:crypto for tests of saved connections (the app uses
 * Electron's safeStorage): random 12-byte IV per message, output iv | tag | ciphertext.
 */
import crypto from 'node:crypto';
import type { SecretCipher } from '../../electron/profiles.ts';

export function aesGcmCipher(key: Buffer = crypto.randomBytes(32), available = true): SecretCipher & { key: Buffer } {
  return {
    key,
    isAvailable: () => available,
    encrypt(plaintext) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    decrypt(ciphertext) {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, ciphertext.subarray(0, 12));
      decipher.setAuthTag(ciphertext.subarray(12, 28));
      return Buffer.concat([decipher.update(ciphertext.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
