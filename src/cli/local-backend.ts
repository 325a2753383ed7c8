import type { AppContext } from '../app.js';
import { auditRecordView } from '../audit/export.js';
import { CLI_PRINCIPAL } from '../domain/auth/permissions.js';
import { toPublicToken, type PublicToken, type TokenRecord } from '../domain/token/token.js';
import { toPublicUser } from '../domain/user.js';
import { systemContext } from '../services/context.js';
import type { Backend } from './backend.js';

/** Large enough for every token of a deployment: the local list is one query, not pages. */
const ALL_TOKENS = 100_000;

/** A token as the API shows it; `expiresSoon` follows tokens.expiryWarningDays. */
function publicToken(ctx: AppContext, t: TokenRecord): PublicToken {
  return toPublicToken(t, ctx.now(), ctx.settings.current['tokens.expiryWarningDays']);
}

/**
 * The commands on the database itself, as the CLI principal (`@cli`, every permission): the mode of
 * the service account on the server. Changes are audited with the author `@cli`.
 */
export function localBackend(ctx: AppContext): Backend {
  const audit = () => systemContext(CLI_PRINCIPAL.username);
  const settings = () => ({ ...ctx.settings.current }) as unknown as Record<string, unknown>;
  return {
    kind: 'local',
    async createToken(user, req) {
      const created = await ctx.tokens.create(CLI_PRINCIPAL, audit(), user, req);
      return { token: created.token, record: publicToken(ctx, created.record) };
    },
    async listTokens(filter) {
      const page = await ctx.tokens.search(CLI_PRINCIPAL, filter, ALL_TOKENS);
      return page.items.map((t) => publicToken(ctx, t));
    },
    async rotateToken(id, grace) {
      const rotated = await ctx.tokens.rotate(CLI_PRINCIPAL, audit(), id, grace, true);
      return { token: rotated.token, record: publicToken(ctx, rotated.record) };
    },
    async revokeToken(id) {
      return publicToken(ctx, await ctx.tokens.revoke(CLI_PRINCIPAL, audit(), id, true));
    },
    async listUsers() {
      return (await ctx.users.list(CLI_PRINCIPAL)).map(toPublicUser);
    },
    async createUser(user) {
      return toPublicUser(await ctx.users.create(CLI_PRINCIPAL, audit(), user));
    },
    async updateUser(username, change) {
      return toPublicUser(await ctx.users.update(CLI_PRINCIPAL, audit(), username, change));
    },
    async deleteUser(username) {
      await ctx.users.delete(CLI_PRINCIPAL, audit(), username);
    },
    async settings() {
      return settings();
    },
    async setSetting(key, value) {
      const old = settings()[key];
      await ctx.settings.update(CLI_PRINCIPAL, audit(), { [key]: value });
      return { old, new: settings()[key] };
    },
    async logLevels() {
      return { ...ctx.settings.current['log.levels'] };
    },
    async setLogLevel(logger, level) {
      const next: Record<string, string> = { ...ctx.settings.current['log.levels'] };
      if (level === null) Reflect.deleteProperty(next, logger);
      else next[logger] = level;
      const after = await ctx.settings.update(CLI_PRINCIPAL, audit(), { 'log.levels': next });
      return { ...after['log.levels'] };
    },
    async auditSearch(filter, limit) {
      return (await ctx.store.audit.search(filter, limit)).map(auditRecordView);
    },
  };
}
