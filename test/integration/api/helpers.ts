// The HTTP app over a real store on a database of the test file's own, with
// two accounts and API keys of different permissions applied through the
// bootstrap (the same path as the running process), driven by inject().
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../../src/api/app.ts';
import { storeAuthenticator } from '../../../src/api/principal.ts';
import { createMetrics } from '../../../src/platform/metrics.ts';
import { signedAttachmentRoutes } from '../../../src/api/routes/attachments.ts';
import { messagingRoutes } from '../../../src/api/routes/messaging.ts';
import { createUrlSigner, type UrlSigner } from '../../../src/api/signed-urls.ts';
import { parseBootstrap } from '../../../src/config/load-bootstrap.ts';
import { createLogger } from '../../../src/platform/logger.ts';
import { dropDatabase } from '../../../src/store/admin.ts';
import { applyBootstrap, connectStore, type Store } from '../../../src/store/index.ts';
import { testMongoUri, uniqueName } from '../../support/env.ts';
// Shared with the other integration folders.
export { createActor, createCase } from '../../support/helpers.ts';

const KEYS = {
  admin: 'pk_acme_admin_000000001',
  reader: 'pk_acme_reader_00000001',
  writer: 'pk_acme_writer_00000001',
  deleter: 'pk_acme_deleter_0000001',
  approver: 'pk_acme_approver_000001',
  other: 'pk_globex_admin_0000001',
} as const;

export const ACME = 'acme';
export const GLOBEX = 'globex';

export interface ApiHarness {
  app: FastifyInstance;
  store: Store;
  /** The signer of the app's attachment URLs (a fixed test key, one hour). */
  signer: UrlSigner;
  /** inject() with the named key's Authorization header. */
  call(key: keyof typeof KEYS, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export async function openApi(
  label: string,
  extraRoutes: Array<(v1: FastifyInstance) => void> = [],
  /** More of acme's bootstrap settings (agents, mailboxes), merged into its account. */
  acmeExtras: Record<string, unknown> = {},
  globexExtras: Record<string, unknown> = {},
): Promise<ApiHarness> {
  const logger = createLogger('silent');
  const store = await connectStore(testMongoUri(uniqueName(label)), logger);
  const config = parseBootstrap(
    {
      accounts: [
        {
          id: ACME,
          name: 'Acme',
          ...acmeExtras,
          api_keys: [
            {
              name: 'admin',
              key: KEYS.admin,
              permissions: ['messaging:read', 'messaging:write', 'admin'],
            },
            { name: 'reader', key: KEYS.reader, permissions: ['messaging:read'] },
            {
              name: 'writer',
              key: KEYS.writer,
              permissions: ['messaging:read', 'messaging:write'],
            },
            {
              name: 'deleter',
              key: KEYS.deleter,
              permissions: ['messaging:read', 'messaging:delete'],
            },
            { name: 'approver', key: KEYS.approver, permissions: ['messaging:approve'] },
          ],
        },
        {
          id: GLOBEX,
          name: 'Globex',
          ...globexExtras,
          api_keys: [{ name: 'admin', key: KEYS.other, permissions: ['admin'] }],
        },
      ],
    },
    {},
    'test-bootstrap.json',
  );
  await applyBootstrap(store, config, logger);
  const signer = createUrlSigner('test-url-signing-key-0123456789abcdef', 3600);
  const app = await buildApp({
    logger,
    urlSigner: signer,
    publicRoutes: [signedAttachmentRoutes(store, signer)],
    metrics: createMetrics(),
    // As src/runtime/api-role.ts: the key record becomes the principal.
    authenticate: storeAuthenticator(store),
    readiness: { mongodb: () => store.ping() },
    routes: [...messagingRoutes(store), ...extraRoutes],
  });
  return {
    app,
    store,
    signer,
    call: (key, options) =>
      app.inject({
        ...options,
        headers: { authorization: `Bearer ${KEYS[key]}`, ...options.headers },
      }),
    async close() {
      await app.close();
      await dropDatabase(store);
      await store.close();
    },
  };
}
