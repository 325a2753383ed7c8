import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../app.js';

/** Where the seed's app serves its REST API; scripts written against it call these paths. */
export const COMPAT_RESOLUTION_PATH = '/rest/de.resolution.apitokenauth/latest';

/** A compatible subset of the seed app's token REST API (docs/migration.md). Not yet implemented: no route. */
export function compatResolutionRoutes(_deps: ApiDeps): FastifyPluginAsyncTypebox {
  return async () => undefined;
}
