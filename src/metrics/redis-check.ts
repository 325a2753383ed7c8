import type { Redis } from 'ioredis';
import type { ReadinessCheck } from './readiness.js';

/**
 * Redis answers PING, on a connection of the readiness check's own: the rate limiter's connection
 * only learns of an outage when a request uses it, and an idle node must still report one.
 * ioredis keeps reconnecting in the background; a PING while it is away fails at once.
 */
export async function redisCheck(url: string): Promise<ReadinessCheck & { close(): void }> {
  // Loaded only in cluster mode, as src/cluster/redis.ts does.
  const { Redis: Client } = await import('ioredis');
  const client: Redis = new Client(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
  // The last connection error, for the probe's answer: ioredis's own refusal while offline says only
  // that its queue is off.
  let lastError = '';
  client.on('error', (err: Error) => {
    lastError = err.message;
  });
  client.on('ready', () => {
    lastError = '';
  });
  client.connect().catch(() => undefined);
  return {
    name: 'redis',
    check: async () => {
      if (client.status === 'end' || client.status === 'wait') await client.connect();
      if (client.status !== 'ready')
        throw new Error(`not connected (${client.status})${lastError ? `: ${lastError}` : ''}`);
      await client.ping();
    },
    close: () => client.disconnect(),
  };
}
