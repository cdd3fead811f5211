// Services the whole suite shares, started once by test/run.ts. Each test file
// isolates itself inside them (own Redis key prefix, own database, own IMAP
// user), so files can run side by side and leave nothing behind.
import { ensureRedis } from './redis.ts';
import { startSharedMongo } from './mongo.ts';
import { startDovecot } from './dovecot.ts';
import { ensureChromium } from './chromium.ts';

export interface TestServices {
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestServices(
  scratchDir: string,
  /** The run includes browser tests: chromium must be there. */
  options: { browser?: boolean } = {},
): Promise<TestServices> {
  const stops: Array<() => Promise<void>> = [];
  const env: Record<string, string> = {};
  try {
    const redis = await ensureRedis(scratchDir);
    stops.push(redis.stop);
    env.POSTROOM_TEST_REDIS_URL = redis.url;

    const mongo = await startSharedMongo();
    stops.push(mongo.stop);
    env.POSTROOM_TEST_MONGODB_URI = mongo.uri;

    const dovecot = await startDovecot();
    stops.push(dovecot.stop);
    env.POSTROOM_TEST_IMAP_HOST = dovecot.host;
    env.POSTROOM_TEST_IMAP_PORT = String(dovecot.port);
    env.POSTROOM_TEST_IMAP_PASSWORD = dovecot.password;

    if (options.browser) env.POSTROOM_TEST_CHROMIUM = ensureChromium();
  } catch (error) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw error;
  }
  return {
    env,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
