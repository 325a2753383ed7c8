import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/config.js';

/** The `audit` section of the configuration: what it accepts and what it refuses, and why. */

describe('audit config section', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tg-audit-cfg-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(yaml: string): Promise<ReturnType<typeof loadConfig>> {
    const path = join(dir, 'tokengate.yaml');
    await writeFile(path, `dataDir: ./data\n${yaml}`);
    return loadConfig({ config: path }, {});
  }

  it('has defaults for every key', async () => {
    const config = await load('');
    assert.deepEqual(config.audit, {
      file: { enabled: false, dir: join(dir, 'data', 'audit'), maxSizeMb: 100, maxFiles: 100 },
      syslog: {
        enabled: false,
        transport: 'udp',
        host: '127.0.0.1',
        port: 514,
        facility: 10,
        appName: 'tokengate',
      },
      queueSize: 10_000,
      flushIntervalMs: 250,
      retentionFloorDays: 90,
      anchorIntervalSeconds: 60,
      anchorFile: join(dir, 'data', 'audit', 'anchors.jsonl'),
    });
    assert.deepEqual((await load('audit:\n  file:\n  syslog:\n')).audit, config.audit);
  });

  it('reads every key, with the directory relative to the config file', async () => {
    const config = await load(
      [
        'audit:',
        '  file: { enabled: true, dir: ./siem, maxSizeMb: 5, maxFiles: 0 }',
        '  syslog: { enabled: true, transport: tcp, host: siem.example.test, port: 6514, facility: 23, appName: tg-prod }',
        '  queueSize: 100',
        '  flushIntervalMs: 10000',
        '  retentionFloorDays: 0',
        '  anchorIntervalSeconds: 86400',
        '  anchorFile: ./anchors/head.jsonl',
      ].join('\n'),
    );
    assert.deepEqual(config.audit, {
      file: { enabled: true, dir: join(dir, 'siem'), maxSizeMb: 5, maxFiles: 0 },
      syslog: {
        enabled: true,
        transport: 'tcp',
        host: 'siem.example.test',
        port: 6514,
        facility: 23,
        appName: 'tg-prod',
      },
      queueSize: 100,
      flushIntervalMs: 10_000,
      retentionFloorDays: 0,
      anchorIntervalSeconds: 86_400,
      anchorFile: join(dir, 'anchors', 'head.jsonl'),
    });
  });

  const BAD: Array<[string, RegExp]> = [
    ['audit: 3', /config file key audit must be a mapping/],
    ['audit: { retentionFloorDays: -1 }', /audit\.retentionFloorDays must be an integer from 0 to 36500/],
    [
      'audit: { anchorIntervalSeconds: 0 }',
      /audit\.anchorIntervalSeconds must be an integer from 1 to 86400/,
    ],
    ['audit: { anchorFile: "" }', /audit\.anchorFile must be a non-empty string/],
    ['audit: { files: {} }', /unknown key "audit\.files"/],
    ['audit: { file: [] }', /config file key audit\.file must be a mapping/],
    ['audit: { file: { enable: true } }', /unknown key "audit\.file\.enable"/],
    ['audit: { file: { enabled: "yes" } }', /audit\.file\.enabled must be true or false/],
    ['audit: { file: { dir: "" } }', /audit\.file\.dir must be a non-empty string/],
    ['audit: { file: { maxSizeMb: 0 } }', /audit\.file\.maxSizeMb must be an integer from 1 to 10000/],
    ['audit: { file: { maxFiles: -1 } }', /audit\.file\.maxFiles must be an integer from 0 to 10000/],
    ['audit: { syslog: { transport: quic } }', /audit\.syslog\.transport must be udp or tcp/],
    ['audit: { syslog: { host: 5 } }', /audit\.syslog\.host must be a non-empty string/],
    ['audit: { syslog: { port: 0 } }', /audit\.syslog\.port must be an integer from 1 to 65535/],
    ['audit: { syslog: { facility: 24 } }', /audit\.syslog\.facility must be an integer from 0 to 23/],
    ['audit: { syslog: { facility: 1.5 } }', /audit\.syslog\.facility must be an integer from 0 to 23/],
    ['audit: { syslog: { appName: "has space" } }', /audit\.syslog\.appName must be 1 to 48 printable ASCII/],
    [`audit: { syslog: { appName: ${'a'.repeat(49)} } }`, /audit\.syslog\.appName must be 1 to 48/],
    ['audit: { queueSize: 99 }', /audit\.queueSize must be an integer from 100 to 1000000/],
    ['audit: { queueSize: 1000001 }', /audit\.queueSize must be an integer from 100 to 1000000/],
    ['audit: { flushIntervalMs: 9 }', /audit\.flushIntervalMs must be an integer from 10 to 10000/],
  ];
  for (const [yaml, message] of BAD) {
    it(`refuses ${yaml}`, async () => {
      await assert.rejects(
        load(yaml),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }
});
