import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The admin UI: a static bundle served by tokengate under /_tokengate/. Everything it loads comes from
 * that origin (no CDN, no web fonts), and nothing is inlined into index.html, so it runs under a strict
 * Content-Security-Policy (`script-src 'self'; style-src 'self'`).
 *
 * `npx vite --config web/vite.config.ts` serves it for development and proxies the API to a running
 * `tokengate serve` (TOKENGATE_DEV_SERVER, default http://127.0.0.1:18686).
 */
const root = fileURLToPath(new URL('.', import.meta.url));
const devServer = process.env.TOKENGATE_DEV_SERVER ?? 'http://127.0.0.1:18686';

export default defineConfig({
  root,
  base: '/_tokengate/',
  publicDir: false,
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Inlined assets would become data: URLs; keep every asset a file of its own.
    assetsInlineLimit: 0,
    // The preload polyfill is not needed by the browsers we target, and keeps the entry minimal.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/_tokengate/api': { target: devServer, changeOrigin: false },
      '/_tokengate/health': { target: devServer, changeOrigin: false },
    },
  },
});
