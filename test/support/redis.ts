import { Redis } from 'ioredis';

/**
 * Redis for the suites that need it, at TOKENGATE_TEST_REDIS (default redis://127.0.0.1:6379/15).
 * Missing locally: skip with a message. Missing under CI=true: fail.
 */
export const REDIS_URL = process.env.TOKENGATE_TEST_REDIS ?? 'redis://127.0.0.1:6379/15';

export async function redisProblem(): Promise<string | null> {
  const r = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    r.disconnect();
  }
}

export async function requireRedis(): Promise<{ url: string } | { skip: string }> {
  const problem = await redisProblem();
  if (problem === null) return { url: REDIS_URL };
  if (process.env.CI === 'true')
    throw new Error(`CI=true and Redis at ${REDIS_URL} is unreachable (${problem})`);
  return { skip: `Redis unreachable at ${REDIS_URL}: ${problem}` };
}
