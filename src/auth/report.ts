import type { LogStyle } from '../domain/settings.js';
import type { LogContext } from '../log/layout.js';
import type { NamedLogger } from '../log/log-manager.js';
import type { SettingsService } from '../services/settings-service.js';
import type { AuthEvent } from './gateway.js';
import {
  AUTHENTICATED_MESSAGE,
  effectiveLogStyle,
  blockRefusedMessage,
  deniedMessage,
  foundTokenMessage,
  passedOnMessage,
  passwordFailedMessage,
  rateLimitedMessage,
  sessionMessage,
} from './messages.js';

export interface GatewayLoggers {
  auth: NamedLogger;
  filter: NamedLogger;
  ratelimit: NamedLogger;
}

export interface AuthReporterDeps {
  log: GatewayLoggers;
  settings: SettingsService;
  /** The config file's `log.style`, which pins this node's style; null: the `log.style` setting decides. */
  style?: LogStyle | null;
  /** Hears every outcome after its lines are written: the audit log, metrics and reuse detection. */
  onEvent?: (event: AuthEvent) => void;
}

/**
 * Writes the log lines of an authentication outcome and hands the event on. One place for the
 * gateway, forward-auth, the middleware, the management API and the compatibility API, so that each
 * outcome reads the same wherever it happened (the seed's examples are calls to its own REST API).
 *
 * The user column names a user only once a token authenticated them, and in the `seed` style only on
 * the filter's "User successfully authenticated" line, as in the seed's lines. A claimed Basic user
 * name is the client's word: it is in the message only.
 */
export class AuthReporter {
  constructor(private readonly deps: AuthReporterDeps) {}

  /** The style lines are written in now. */
  style(): LogStyle {
    return effectiveLogStyle(this.deps.style, this.deps.settings.current);
  }

  report(e: AuthEvent): void {
    this.write(e);
    this.deps.onEvent?.(e);
  }

  private write(e: AuthEvent): void {
    const { auth, filter, ratelimit } = this.deps.log;
    const o = e.result.outcome;
    if (o.kind === 'anonymous') return;
    const path = e.request.path;
    const ctx = (username: string | null): LogContext => ({
      username: username ?? 'anonymous',
      requestId: e.request.requestId,
      ip: e.result.client.clientIp,
      url: path,
    });
    switch (o.kind) {
      case 'passed-on':
        if (auth.isEnabled('INFO')) auth.info(passedOnMessage(o.username, path, this.style()), ctx(null));
        return;
      case 'blocked':
        if (auth.isEnabled('INFO')) auth.info(blockRefusedMessage(null, o.block, path), ctx(null));
        return;
      case 'denied':
        if (auth.isEnabled('INFO')) {
          const passwordsOn = this.deps.settings.current['auth.basicPasswords'];
          auth.info(
            deniedMessage(o, e.request.method, path, e.result.client.clientIp, passwordsOn, this.style()),
            ctx(null),
          );
        }
        return;
      case 'rate-limited':
        if (ratelimit.isEnabled('INFO')) {
          const seed = this.style() === 'seed';
          ratelimit.info(rateLimitedMessage(o.user.username, o.decision), ctx(seed ? null : o.user.username));
        }
        return;
      case 'authenticated':
        if (auth.isEnabled('INFO')) {
          const style = this.style();
          auth.info(foundTokenMessage(o, path, style), ctx(style === 'seed' ? null : o.user.username));
        }
        if (filter.isEnabled('INFO')) filter.info(AUTHENTICATED_MESSAGE, ctx(o.user.username));
        return;
      case 'session':
        if (auth.isEnabled('INFO')) auth.info(sessionMessage(o.user.username, path), ctx(o.user.username));
        if (filter.isEnabled('INFO')) filter.info(AUTHENTICATED_MESSAGE, ctx(o.user.username));
        return;
      // The management and compatibility APIs check directory passwords themselves: the token filter
      // passes the request to that default authenticator, which then decides.
      case 'password':
        if (auth.isEnabled('INFO'))
          auth.info(passedOnMessage(o.user.username, path, this.style()), ctx(null));
        if (filter.isEnabled('INFO')) filter.info(AUTHENTICATED_MESSAGE, ctx(o.user.username));
        return;
      case 'password-failed':
        if (auth.isEnabled('INFO')) {
          auth.info(passedOnMessage(o.username, path, this.style()), ctx(null));
          auth.info(passwordFailedMessage(o.username, path), ctx(null));
        }
        return;
    }
  }
}
