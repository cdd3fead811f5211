// Secrets kept in MongoDB (model API keys given to agents through the API)
// are sealed with AES-256-GCM. The key comes from POSTROOM_SECRET_KEY, or a
// random one kept in the settings collection (README, Security, says what
// each protects against). Each sealed value is bound to a context (the
// agent's id): copied onto another agent's document, it does not open.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws SecretBoxError when the value was sealed with another key, or altered. */
  open(sealed: string, context: string): string;
}

export class SecretBoxError extends Error {
  override readonly name = 'SecretBoxError';
}

const VERSION = 'v1';
const IV_BYTES = 12;

export function createSecretBox(keyMaterial: string): SecretBox {
  // HKDF turns any long random string (or the stored base64url key) into the
  // 32 bytes AES-256 needs; the label keeps this key apart from other uses.
  const key = Buffer.from(
    hkdfSync('sha256', keyMaterial, 'postroom', 'postroom secret box v1', 32),
  );
  // Names the key without revealing it: tells "another key" from "altered".
  const keyId = createHash('sha256').update(key).digest('base64url').slice(0, 8);

  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, keyId, iv, tag, data]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },

    open(sealed, context) {
      const [version, sealedKeyId, iv, tag, data, ...rest] = sealed.split('.');
      if (version !== VERSION || !sealedKeyId || !iv || !tag || data === undefined || rest.length) {
        throw new SecretBoxError('the stored secret is not in a format this version reads');
      }
      if (sealedKeyId !== keyId) {
        throw new SecretBoxError(
          'the stored secret was encrypted with another key (did POSTROOM_SECRET_KEY change?)',
        );
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([
          decipher.update(Buffer.from(data, 'base64url')),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new SecretBoxError(
          "the stored secret does not decrypt (altered, or not this record's)",
        );
      }
    },
  };
}
