import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../domain/errors.js';

/** The built web UI: `web/dist`, next to `src/` and `dist/`. */
export const UI_DIR = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Asset {
  body: Buffer;
  type: string;
}

/** Reads the whole (small) build into memory once: serving a file is then a map lookup. */
function loadAssets(dir: string): Map<string, Asset> {
  const out = new Map<string, Asset>();
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        out.set(`/${relative(dir, path).split('\\').join('/')}`, {
          body: readFileSync(path),
          type: TYPES[extname(name)] ?? 'application/octet-stream',
        });
    }
  };
  walk(dir);
  return out;
}

/**
 * The web UI at /_tokengate/: index.html and its hashed assets. Everything it does goes through
 * the same REST API as the CLI and scripts. Hashed assets are cached for a year; index.html never.
 */
export function uiRoutes(dir: string = UI_DIR): FastifyPluginAsyncTypebox {
  const assets = loadAssets(dir);
  return async (app) => {
    app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
      const index = assets.get('/index.html');
      if (!index) throw new AppError('not_found', 'the web UI is not built: run npm run build:web');
      return reply.header('cache-control', 'no-cache').type(index.type).send(index.body);
    });
    app.get('/assets/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
      const asset = assets.get(req.url.split('?')[0]?.slice('/_tokengate'.length) ?? '');
      if (!asset) throw new AppError('not_found', 'no such file');
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .type(asset.type)
        .send(asset.body);
    });
  };
}
