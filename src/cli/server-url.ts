import { invalidField } from '../domain/errors.js';
import { CliError } from './exit-codes.js';
import { API_PATH } from './remote-client.js';

/** Loopback hosts, where http:// carries the token no further than this machine. */
function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * The server's base URL, `https://host[:port]`, from what the user typed: a trailing `/` or the API's
 * own path is dropped. http:// is refused for a host other than loopback unless `allowHttp`, as gh
 * does: the token would cross the network in clear text.
 */
export function serverUrl(text: string, allowHttp: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidField('--server', `"${text}" is not a URL such as https://tokengate.example.com:8443`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw invalidField('--server', 'must be an https:// (or http:// on loopback) URL');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '')
    throw invalidField('--server', 'must not carry credentials, a query or a fragment');
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !allowHttp)
    throw new CliError(
      'usage',
      'usage',
      `refusing to send a token to ${url.origin} over plain http; use https://, or --allow-http if the network in between is trusted`,
    );
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith(API_PATH)) path = path.slice(0, -API_PATH.length);
  return `${url.origin}${path}`;
}
