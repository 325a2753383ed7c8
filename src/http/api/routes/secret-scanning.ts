import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../app.js';

/**
 * `POST /_tokengate/api/v1/secret-scanning`: alerts from a secret scanner in the format of GitHub's
 * secret scanning partner program (docs/secret-scanning.md). Not yet implemented: no route.
 */
export function secretScanningRoutes(_deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async () => undefined;
}
