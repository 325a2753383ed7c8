// Layering and cycle rules, checked by `npm run lint` (depcruise src web/src). docs/architecture.md,
// "Layering rules", says the same in prose. Every rule is an error unless it names a known violation
// still to be fixed: those are `warn` rules listing the exact files, so lint passes and they stay
// visible, while any new file breaking the same rule is an error.

/** Tests beside the code (src/**\/*.test.ts) are test code: they may use node:test, fixtures, fs. */
const TEST_FILE = '\\.test\\.ts$';

/** The folders below the edges: none of them may import an edge or start-up. */
const INNER = '^src/(domain|ports|store|log|services|auth|audit|cluster|notify|metrics|config)/';
/** The edges (HTTP servers, the proxy, the embeddable middleware, the CLI) and start-up. */
const EDGES_AND_STARTUP = ['^src/(http|cli|middleware|main)/', '^src/(node|app)\\.ts$'];

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'No import cycles, type-only ones included: a cycle makes load order matter (a value read ' +
        'before its module ran is undefined) and hides which module is the lower one. Move the shared ' +
        'piece down (http/api/context.ts, store/dialect.ts, audit/output.ts are examples).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      comment:
        'src/domain holds the decisions shared by the proxy, forward-auth, the middleware and the API, ' +
        'and the web client may import it: it imports only src/domain and pure libraries (ipaddr.js, typebox; ' +
        'node:crypto for hashing, which is computation, not I/O). No fs/net/http, no fastify, kysely, ' +
        'pg, ioredis, no logging, no store.',
      severity: 'error',
      from: { path: '^src/domain/', pathNot: TEST_FILE },
      to: {
        pathNot: ['^src/domain/', '^node_modules/ipaddr\\.js/', '^node_modules/typebox/', '^(node:)?crypto$'],
      },
    },
    {
      name: 'store-only-store-and-domain',
      comment:
        'The store is the bottom I/O layer: it imports only src/store, src/domain and libraries; never ' +
        'http, cli, gateway, services, audit or start-up (they call the store, not the other way).',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/', pathNot: ['^src/store/', '^src/domain/'] },
    },
    {
      name: 'ports-only-ports-and-domain',
      comment:
        'src/ports holds the interfaces that have more than one implementation (memory and Redis, …) ' +
        'and their in-process defaults: it imports only ports and domain, so every adapter can import it.',
      severity: 'error',
      from: { path: '^src/ports/', pathNot: TEST_FILE },
      to: { path: '^src/', pathNot: ['^src/ports/', '^src/domain/'] },
    },
    {
      name: 'log-only-log-and-domain',
      comment:
        'Logging is used by every layer, so it imports only src/log and src/domain (the level list): ' +
        'never services, store, http or start-up.',
      severity: 'error',
      from: { path: '^src/log/', pathNot: TEST_FILE },
      to: { path: '^src/', pathNot: ['^src/log/', '^src/domain/'] },
    },
    {
      name: 'no-test-code-in-src',
      comment:
        'What ships (dist/ is built from src/) never imports test/ or bench/: fixtures and harnesses ' +
        'are not in the package. Tests beside the code may.',
      severity: 'error',
      from: { path: '^src/', pathNot: TEST_FILE },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'web-only-web-and-domain',
      comment:
        'The browser bundle imports only web/src and the pure src/domain (e.g. ip-rules), never the ' +
        'server: anything else would pull Node-only code into the bundle.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { path: '^(src|test|bench|scripts)/', pathNot: '^src/domain/' },
    },
    {
      name: 'web-no-node-builtins',
      comment: 'The browser has no node: modules.',
      severity: 'error',
      from: { path: '^web/src/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'inner-not-to-edges',
      comment:
        'Layering: edges (src/http, src/cli, src/middleware) and start-up (src/node.ts, src/app.ts) ' +
        'import the layers below them (auth: src/auth; services, audit, cluster, store, domain), ' +
        'never the other way.',
      severity: 'error',
      from: { path: INNER, pathNot: TEST_FILE },
      to: { path: EDGES_AND_STARTUP },
    },
    {
      name: 'below-auth-not-to-auth',
      comment:
        'Layering: the authentication step (src/auth) uses services, audit, store and domain; the ' +
        'layers below it do not import it back.',
      severity: 'error',
      from: {
        path: '^src/(domain|ports|store|log|services|audit|cluster|notify|metrics|config)/',
        pathNot: TEST_FILE,
      },
      to: { path: '^src/auth/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves, or the rules above would not see the edge at all.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports are edges too: a cycle or a layering breach through types is still one.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    // ESM packages whose exports have only an `import` condition (typebox) must resolve.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
