import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { bindServer, listenerUrl } from './listening.js';
import type { Registry } from 'prom-client';
import { readyStatus, type Readiness } from '../metrics/readiness.js';

/**
 * The metrics listener (config `metrics.enabled`, off by default; `metrics.port`, 9464): `/metrics` in Prometheus's text
 * format, `/livez` and `/readyz`, without credentials, and nothing else. A port of its own, as
 * Traefik's metrics entry point, Kong's Status API and oauth2-proxy's metrics address do: scraping
 * needs no admin credential that could also read users and the audit log, and a firewall or a
 * Kubernetes NetworkPolicy decides who reaches it. It binds to loopback unless `metrics.host` says
 * otherwise: the numbers tell an outsider how busy the node is and which version it runs.
 */

export interface MetricsListenerOptions {
  port: number;
  host: string;
  registry: Registry;
  readiness: Readiness;
}

export interface MetricsListener {
  server: Server;
  /** `http://host:port`, with a loopback address for a wildcard bind. */
  url: string;
  close(): Promise<void>;
}

/** The JSON body of `/livez`, and `/readyz`'s from a report. */
function json(res: ServerResponse, status: number, body: unknown, head: boolean): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : text);
}

function handler(opts: MetricsListenerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    const known = path === '/metrics' || path === '/livez' || path === '/readyz';
    if (!known) {
      json(
        res,
        404,
        { error: { code: 'not_found', message: 'only /metrics, /livez and /readyz are served here' } },
        head,
      );
      return;
    }
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      json(
        res,
        405,
        { error: { code: 'method_not_allowed', message: `${path} answers GET and HEAD` } },
        false,
      );
      return;
    }
    if (path === '/livez') {
      json(res, 200, { status: 'ok' }, head);
      return;
    }
    if (path === '/readyz') {
      void opts.readiness.run().then((report) => json(res, readyStatus(report), report, head));
      return;
    }
    opts.registry.metrics().then(
      (text) => {
        res.writeHead(200, {
          'content-type': opts.registry.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        res.end(head ? undefined : text);
      },
      () => json(res, 500, { error: { code: 'internal', message: 'collecting the metrics failed' } }, head),
    );
  };
}

export async function startMetricsListener(opts: MetricsListenerOptions): Promise<MetricsListener> {
  const server = createServer(handler(opts));
  await bindServer(server, opts.port, opts.host).catch((err: unknown) => {
    // The CLI reports listen errors as they are (`cannot listen: …`): say which key chose the port.
    if (err instanceof Error)
      err.message = `${err.message} (the metrics listener: metrics.host, metrics.port)`;
    throw err;
  });
  return {
    server,
    url: listenerUrl(server, 'http'),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
