import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config/config.js';
import { PROXY_BODY_DEFAULTS } from './proxy-options.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-proxy-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fromFile(name: string, yaml: string): ReturnType<typeof loadConfig> {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, yaml);
  return loadConfig({ config: path }, {});
}

describe('config file section proxy: request bodies', () => {
  it("defaults to the Proxy's own defaults, so an unwired option behaves the same", () => {
    const proxy = loadConfig({}, {}).proxy;
    for (const [key, value] of Object.entries(PROXY_BODY_DEFAULTS)) {
      assert.equal(proxy[key as keyof typeof proxy], value, key);
    }
  });

  it('reads each key', () => {
    const proxy = fromFile(
      'all',
      [
        'proxy:',
        '  bufferBodyBytes: 0',
        '  bufferTotalBytes: 1000',
        '  clientBodyTimeoutMs: 5000',
        '  streamingPercent: 100',
        '  streamsPerClient: 2',
        '  streamWaitMs: 0',
        '  clientSendTimeoutMs: 2500',
      ].join('\n'),
    ).proxy;
    assert.deepEqual(
      {
        bufferBodyBytes: proxy.bufferBodyBytes,
        bufferTotalBytes: proxy.bufferTotalBytes,
        clientBodyTimeoutMs: proxy.clientBodyTimeoutMs,
        streamingPercent: proxy.streamingPercent,
        streamsPerClient: proxy.streamsPerClient,
        streamWaitMs: proxy.streamWaitMs,
        clientSendTimeoutMs: proxy.clientSendTimeoutMs,
      },
      {
        bufferBodyBytes: 0,
        bufferTotalBytes: 1000,
        clientBodyTimeoutMs: 5000,
        streamingPercent: 100,
        streamsPerClient: 2,
        streamWaitMs: 0,
        clientSendTimeoutMs: 2500,
      },
    );
  });

  for (const [key, bad] of [
    ['streamingPercent', 0],
    ['streamingPercent', 101],
    ['clientBodyTimeoutMs', 10],
    ['clientSendTimeoutMs', 99],
    ['streamsPerClient', 0],
    ['bufferBodyBytes', -1],
  ] as const) {
    it(`refuses proxy.${key}: ${bad}, naming the key`, () => {
      assert.throws(
        () => fromFile(`${key}-${bad}`, `proxy:\n  ${key}: ${bad}\n`),
        (err: unknown) => err instanceof ConfigError && err.message.includes(`proxy.${key}`),
      );
    });
  }
});
