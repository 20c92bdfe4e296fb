/**
 * Unit tests of node-core/config: file creation and reading, env and flag overrides, validation
 * messages (key, value, expectation, source) and the derived values, against real temp files.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import YAML from 'yaml';
import {
  bindHost,
  CONFIG_FILE_NAME,
  ConfigError,
  defaultConfig,
  loadConfig,
  nodeName,
  normalizeRoutes,
  parseCliFlags,
  parseDuration,
  replicationUrl,
  resolveRootPath,
  type Config,
} from '../../node-core/config/index.ts';

const tempDirs: string[] = [];
after(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tempRoot(fileText?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'peerdesk-config-'));
  tempDirs.push(dir);
  if (fileText !== undefined) fs.writeFileSync(path.join(dir, CONFIG_FILE_NAME), fileText);
  return dir;
}

/** Loads and expects a ConfigError whose message contains every fragment. */
function expectConfigError(
  options: { file?: string; env?: Record<string, string>; argv?: string[] },
  fragments: string[],
): ConfigError {
  const rootPath = tempRoot(options.file);
  let caught: unknown;
  try {
    loadConfig({ rootPath, env: options.env ?? {}, argv: options.argv ?? [] });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  for (const fragment of fragments) {
    assert.ok(caught.message.includes(fragment), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(fragment)}`);
  }
  return caught;
}

function withReplication(replication: Partial<Config['replication']>, network: Partial<Config['operationsApi']['network']> = {}): Config {
  const config = defaultConfig('/tmp/unused');
  return {
    ...config,
    replication: { ...config.replication, ...replication },
    operationsApi: { ...config.operationsApi, network: { ...config.operationsApi.network, ...network } },
  };
}

describe('loadConfig: the file', () => {
  it('creates a commented file with the defaults on first load, and reads it back unchanged', () => {
    const root = path.join(tempRoot(), 'nested', 'node');
    const first = loadConfig({ rootPath: root, env: {} });
    assert.equal(first.created, true);
    assert.equal(first.configPath, path.join(root, CONFIG_FILE_NAME));
    assert.deepEqual(first.config, defaultConfig(root));
    assert.equal(first.config.operationsApi.network.port, 9925);
    assert.equal(first.config.operationsApi.network.maxBodySize, 10 * 1024 * 1024);
    assert.equal(first.config.replication.securePort, 9933);
    assert.equal(first.config.replication.databases, '*');
    assert.deepEqual(first.config.replication.routes, []);
    assert.equal(first.config.logging.level, 'warn');
    assert.equal(first.config.logging.auditRetention, '3d');
    assert.equal(first.config.authentication.refreshTokenTimeout, '30d');

    const text = fs.readFileSync(first.configPath, 'utf8');
    assert.match(text, /^# /m, 'the default file has comments');
    assert.match(text, /OPERATIONSAPI_NETWORK_PORT/);
    assert.deepEqual(YAML.parse(text), defaultConfig(root));

    const second = loadConfig({ rootPath: root, env: {} });
    assert.equal(second.created, false);
    assert.deepEqual(second.config, first.config);
  });

  it('reads the values in the file and keeps unknown keys', () => {
    const root = tempRoot(
      [
        'operationsApi:',
        '  network:',
        '    port: 9930',
        '    cors: false',
        '    someFutureOption: 12',
        'replication:',
        '  hostname: 127.0.0.3',
        '  routes:',
        '    - 127.0.0.2',
        '    - {hostname: 127.0.0.4, port: 9940}',
        '  databases: [data, {name: metrics, sharded: true}]',
        'logging:',
        '  level: debug',
        '  auditRetention: 12h',
        'clustering:',
        '  enabled: false',
        '',
      ].join('\n'),
    );
    const { config, created } = loadConfig({ rootPath: root, env: {} });
    assert.equal(created, false);
    assert.equal(config.operationsApi.network.port, 9930);
    assert.equal(config.operationsApi.network.cors, false);
    assert.deepEqual(config.operationsApi.network.corsAccessList, ['*'], 'keys missing from the file get defaults');
    assert.equal(config.replication.hostname, '127.0.0.3');
    assert.deepEqual(config.replication.routes, ['127.0.0.2', { hostname: '127.0.0.4', port: 9940 }]);
    assert.deepEqual(config.replication.databases, ['data', { name: 'metrics', sharded: true }]);
    assert.equal(config.logging.level, 'debug');
    assert.equal(config.logging.auditRetention, '12h');
    assert.equal(config.rootPath, root);
    assert.equal(config.operationsApi.network.someFutureOption, 12);
    assert.deepEqual(config.clustering, { enabled: false });
  });

  it('treats an empty file as all defaults', () => {
    const root = tempRoot('');
    const { config, created } = loadConfig({ rootPath: root, env: {} });
    assert.equal(created, false);
    assert.deepEqual(config, defaultConfig(root));
  });
});

describe('loadConfig: overrides', () => {
  it('applies environment overrides for nested keys, arrays and nulls, without writing them back', () => {
    const root = tempRoot('replication:\n  port: 9932\n  hostname: node-a\n');
    const before = fs.readFileSync(path.join(root, CONFIG_FILE_NAME), 'utf8');
    const { config } = loadConfig({
      rootPath: root,
      env: {
        OPERATIONSAPI_NETWORK_PORT: '9926',
        OPERATIONSAPI_NETWORK_CORS: 'false',
        OPERATIONSAPI_NETWORK_CORSACCESSLIST: '[https://a.example, https://b.example]',
        REPLICATION_HOSTNAME: '127.0.0.2',
        REPLICATION_PORT: 'null',
        REPLICATION_ROUTES: '[127.0.0.3, "127.0.0.4:9934", {hostname: 127.0.0.5, port: 9935}]',
        REPLICATION_DATABASES: '[data]',
        LOGGING_AUDITRETENTION: '30m',
        TLS_CERTIFICATE: '/etc/peerdesk/node.pem',
        UNRELATED: 'x',
        LOGGING_LEVEL: '', // empty means "not set"
      },
    });
    assert.equal(config.operationsApi.network.port, 9926);
    assert.equal(config.operationsApi.network.cors, false);
    assert.deepEqual(config.operationsApi.network.corsAccessList, ['https://a.example', 'https://b.example']);
    assert.equal(config.replication.hostname, '127.0.0.2');
    assert.equal(config.replication.port, null);
    assert.deepEqual(config.replication.routes, ['127.0.0.3', '127.0.0.4:9934', { hostname: '127.0.0.5', port: 9935 }]);
    assert.deepEqual(config.replication.databases, ['data']);
    assert.equal(config.logging.auditRetention, '30m');
    assert.equal(config.logging.level, 'warn');
    assert.equal(config.tls.certificate, '/etc/peerdesk/node.pem');
    assert.equal(fs.readFileSync(path.join(root, CONFIG_FILE_NAME), 'utf8'), before, 'overrides are not written back');
  });

  it('overrides unknown leaf keys present in the file, and ignores env vars for keys it does not know', () => {
    const root = tempRoot('custom:\n  nested:\n    value: 1\n');
    const { config } = loadConfig({ rootPath: root, env: { CUSTOM_NESTED_VALUE: '2', OTHER_THING: '3' } });
    assert.deepEqual(config.custom, { nested: { value: 2 } });
    assert.equal(config.other, undefined);
  });

  it('applies flags in both forms (--k v, --k=v, UPPER_SNAKE and dotted), and flags beat env', () => {
    const root = tempRoot('logging:\n  level: info\n');
    const { config } = loadConfig({
      rootPath: root,
      env: { OPERATIONSAPI_NETWORK_PORT: '9926', REPLICATION_ROUTES: '[10.0.0.1]', LOGGING_LEVEL: 'error', REPLICATION_SHARD: '1' },
      argv: [
        '--OPERATIONSAPI_NETWORK_PORT',
        '9927',
        '--replication.routes',
        '["127.0.0.2", "wss://127.0.0.3:9933"]',
        '--logging.level=trace',
        '--REPLICATION_SHARD=2',
        '--replication.enableRootCAs=false',
        '--admin-username',
        'admin',
        '--admin-password=secret',
        '--verbose',
      ],
    });
    assert.equal(config.operationsApi.network.port, 9927);
    assert.deepEqual(config.replication.routes, ['127.0.0.2', 'wss://127.0.0.3:9933']);
    assert.equal(config.logging.level, 'trace');
    assert.equal(config.replication.shard, 2);
    assert.equal(config.replication.enableRootCAs, false);
    assert.equal(config['admin-username'], undefined, 'flags that are not config keys are ignored');
  });

  it('resolves the root path: --root > --ROOTPATH > env ROOTPATH > option > ~/.peerdesk/node', () => {
    const [a, b, c, d] = [tempRoot(), tempRoot(), tempRoot(), tempRoot()];
    const env = { ROOTPATH: c };
    assert.equal(resolveRootPath({ rootPath: d, env, argv: ['--root', a, '--ROOTPATH', b] }), a);
    assert.equal(resolveRootPath({ rootPath: d, env, argv: ['--rootPath=' + b] }), b);
    assert.equal(resolveRootPath({ rootPath: d, env, argv: [] }), c);
    assert.equal(resolveRootPath({ rootPath: d, env: {} }), d);
    assert.equal(resolveRootPath({ env: {} }), path.join(os.homedir(), '.peerdesk', 'node'));
    const loaded = loadConfig({ rootPath: d, env, argv: ['--root', a] });
    assert.equal(loaded.configPath, path.join(a, CONFIG_FILE_NAME));
    assert.equal(loaded.config.rootPath, a);
    assert.equal(fs.existsSync(path.join(d, CONFIG_FILE_NAME)), false);
  });

  it('parseCliFlags reads --k v, --k=v and bare flags', () => {
    assert.deepEqual(parseCliFlags(['serve', '--a', '1', '--b=x=y', '--c', '--d', '--e', 'two words', '--', '--f', '3']), {
      a: '1',
      b: 'x=y',
      c: true,
      d: true,
      e: 'two words',
    });
  });
});

describe('loadConfig: invalid values name the key, the value, the expectation and the source', () => {
  it('port "abc" from the environment', () => {
    const error = expectConfigError({ env: { OPERATIONSAPI_NETWORK_PORT: 'abc' } }, [
      'Invalid configuration: operationsApi.network.port = "abc" (from environment OPERATIONSAPI_NETWORK_PORT): expected an integer port 0-65535',
    ]);
    assert.equal(error.issues[0]?.key, 'operationsApi.network.port');
    assert.equal(error.issues[0]?.value, 'abc');
  });

  it('port 70000 in the file, with its line', () => {
    const error = expectConfigError({ file: 'operationsApi:\n  network:\n    port: 70000\n' }, [
      'operationsApi.network.port = 70000',
      'expected an integer port 0-65535',
      `${CONFIG_FILE_NAME} line 3`,
    ]);
    assert.ok(error.configPath?.endsWith(CONFIG_FILE_NAME));
  });

  it('port from a flag', () => {
    expectConfigError({ env: { OPERATIONSAPI_NETWORK_PORT: '1' }, argv: ['--operationsApi.network.port=x'] }, [
      'operationsApi.network.port = "x" (from flag --operationsApi.network.port)',
      'expected an integer port',
    ]);
  });

  it('logging.level "loud"', () => {
    expectConfigError({ file: 'logging:\n  level: loud\n' }, [
      'logging.level = "loud"',
      'expected one of trace, debug, info, warn, error, fatal, notify',
      'line 2',
    ]);
  });

  it('auditRetention "3 fortnights"', () => {
    expectConfigError({ env: { LOGGING_AUDITRETENTION: '3 fortnights' } }, [
      'logging.auditRetention = "3 fortnights" (from environment LOGGING_AUDITRETENTION)',
      'expected a duration',
      '"3d"',
    ]);
  });

  it('routes [42]', () => {
    expectConfigError({ env: { REPLICATION_ROUTES: '[42]' } }, [
      'replication.routes[0] = 42 (from environment REPLICATION_ROUTES)',
      'expected a route: "host", "host:port", "ws(s)://host:port" or {hostname, port?}',
    ]);
    expectConfigError({ file: 'replication:\n  routes:\n    - ok.example\n    - 42\n' }, ['replication.routes[1] = 42', 'line 4', 'expected a route']);
    expectConfigError({ env: { REPLICATION_ROUTES: '["h:99999"]' } }, ['replication.routes[0] = "h:99999"', 'invalid port']);
  });

  it('databases 5', () => {
    expectConfigError({ file: 'replication:\n  databases: 5\n' }, [
      'replication.databases = 5',
      "expected '*' or a list of database names or {name, sharded?, replicateTo?}",
      'line 2',
    ]);
  });

  it('a YAML syntax error names the file and the line', () => {
    const error = expectConfigError({ file: 'replication:\n  routes: [a, b\nlogging:\n  level: warn\n' }, [
      'YAML syntax error',
      CONFIG_FILE_NAME,
      'line 3',
    ]);
    assert.ok(error.configPath?.endsWith(CONFIG_FILE_NAME));
  });

  it('a file that is not a mapping', () => {
    expectConfigError({ file: '- a\n- b\n' }, [CONFIG_FILE_NAME, 'expected a mapping']);
  });

  it('reports every bad value, one per line', () => {
    const error = expectConfigError({ env: { OPERATIONSAPI_NETWORK_PORT: 'abc', LOGGING_LEVEL: 'loud' } }, [
      'operationsApi.network.port',
      'logging.level',
    ]);
    assert.equal(error.issues.length, 2);
    assert.equal(error.message.split('\n').length, 2);
  });
});

describe('parseDuration', () => {
  it('reads units, compounds and plain milliseconds', () => {
    assert.equal(parseDuration('3d'), 3 * 86_400_000);
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('30m'), 30 * 60_000);
    assert.equal(parseDuration('45s'), 45_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1h30m'), 90 * 60_000);
    assert.equal(parseDuration('2500'), 2500);
    assert.equal(parseDuration(1234), 1234);
  });

  it('rejects bad input with a clear error', () => {
    for (const bad of ['3 fortnights', '', 'd', '3x', '-1s']) {
      assert.throws(() => parseDuration(bad), (error: Error) => error.message.includes(JSON.stringify(bad)) && error.message.includes('expected a duration'));
    }
    assert.throws(() => parseDuration(-5), /expected a duration/);
    assert.throws(() => parseDuration(Number.NaN), /expected a duration/);
  });
});

describe('derived values', () => {
  it('nodeName: hostname, else the host of url, else 127.0.0.1', () => {
    assert.equal(nodeName(withReplication({ hostname: 'node-a', url: 'wss://other:1' })), 'node-a');
    assert.equal(nodeName(withReplication({ url: 'wss://node-b.example:9933' })), 'node-b.example');
    assert.equal(nodeName(withReplication({ url: 'wss://[::1]:9933' })), '::1');
    assert.equal(nodeName(withReplication({})), '127.0.0.1');
  });

  it('replicationUrl: url, else wss with securePort, else ws with port', () => {
    assert.equal(replicationUrl(withReplication({ url: 'wss://given:1' })), 'wss://given:1');
    assert.equal(replicationUrl(withReplication({ hostname: '127.0.0.2' })), 'wss://127.0.0.2:9933');
    assert.equal(replicationUrl(withReplication({ hostname: 'n', securePort: null, port: 9932 })), 'ws://n:9932');
    assert.equal(replicationUrl(withReplication({ hostname: '::1', securePort: 9000 })), 'wss://[::1]:9000');
    // Neither replication port: replication is on the operations API port (issue 11).
    assert.equal(replicationUrl(withReplication({ securePort: null, port: null })), 'ws://127.0.0.1:9925');
  });

  it('bindHost: loopback IPs bind to themselves, localhost to 127.0.0.1, names to all interfaces, host overrides', () => {
    assert.equal(bindHost(withReplication({})), '127.0.0.1');
    assert.equal(bindHost(withReplication({ hostname: '127.0.0.3' })), '127.0.0.3');
    assert.equal(bindHost(withReplication({ hostname: '::1' })), '::1');
    assert.equal(bindHost(withReplication({ hostname: 'localhost' })), '127.0.0.1');
    assert.equal(bindHost(withReplication({ hostname: 'node-a.example' })), '0.0.0.0');
    assert.equal(bindHost(withReplication({ hostname: '10.1.2.3' })), '0.0.0.0');
    assert.equal(bindHost(withReplication({ url: 'ws://127.0.0.4:9932' })), '127.0.0.4');
    assert.equal(bindHost(withReplication({ hostname: '127.0.0.3' }, { host: '192.168.1.5' })), '192.168.1.5');
  });

  it('normalizeRoutes: host, host:port, ws(s) URL and object forms', () => {
    const config = withReplication({
      routes: ['127.0.0.2', 'node-c:9934', 'wss://node-d.example:9933', 'ws://[::1]:9932', { hostname: 'node-e', port: 9936 }, { hostname: 'node-f' }, '[::2]:9937'],
    });
    assert.deepEqual(normalizeRoutes(config), [
      { hostname: '127.0.0.2' },
      { hostname: 'node-c', port: 9934 },
      { hostname: 'node-d.example', port: 9933, url: 'wss://node-d.example:9933' },
      { hostname: '::1', port: 9932, url: 'ws://[::1]:9932' },
      { hostname: 'node-e', port: 9936 },
      { hostname: 'node-f' },
      { hostname: '::2', port: 9937 },
    ]);
  });
});
