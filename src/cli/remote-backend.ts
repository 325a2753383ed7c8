import type { AuditRecordView } from '../audit/export.js';
import type { PublicToken } from '../domain/token/token.js';
import type { PublicUser } from '../domain/user.js';
import type { AuditFilter } from '../store/audit-repo.js';
import type { Backend, CreatedToken } from './backend.js';
import type { ApiClient } from './remote-client.js';

const seg = encodeURIComponent;

/** The audit filter as the API's query: times as ISO 8601, the rest by the same names. */
function auditQuery(f: AuditFilter): Record<string, string | undefined> {
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
  return {
    from: iso(f.from),
    to: iso(f.to),
    author: f.author,
    category: f.category,
    action: f.action,
    affectedUser: f.affectedUser,
    tokenId: f.tokenId,
    ip: f.ip,
    nodeId: f.nodeId,
    q: f.q,
  };
}

/**
 * The commands through a server's management REST API, as the token's user: the server decides what
 * that user may do (the token manager needs manageAllTokens; settings, users and log levels the admin
 * group). Lists follow every page. Answers are the API's public shapes, which the local backend
 * returns too.
 */
export function remoteBackend(api: ApiClient): Backend {
  return {
    kind: 'remote',
    createToken(user, req) {
      return api.call<CreatedToken>({ method: 'POST', path: `/admin/users/${seg(user)}/tokens`, body: req });
    },
    listTokens(filter) {
      return api.all<PublicToken>('/admin/tokens', { user: filter.user, status: filter.status });
    },
    rotateToken(id, grace) {
      return api.call<CreatedToken>({
        method: 'POST',
        path: `/admin/tokens/${seg(id)}/rotate`,
        body: grace === undefined ? {} : { graceSeconds: grace },
      });
    },
    async revokeToken(id) {
      // DELETE answers 204 with no body; the token's record after the revocation is read back.
      await api.call({ method: 'DELETE', path: `/admin/tokens/${seg(id)}` });
      return api.call<PublicToken>({ method: 'GET', path: `/admin/tokens/${seg(id)}` });
    },
    listUsers() {
      return api.all<PublicUser>('/admin/users');
    },
    createUser(user) {
      return api.call<PublicUser>({ method: 'POST', path: '/admin/users', body: user });
    },
    updateUser(username, change) {
      return api.call<PublicUser>({ method: 'PATCH', path: `/admin/users/${seg(username)}`, body: change });
    },
    async deleteUser(username) {
      await api.call({ method: 'DELETE', path: `/admin/users/${seg(username)}` });
    },
    settings() {
      return api.call<Record<string, unknown>>({ method: 'GET', path: '/admin/settings' });
    },
    async setSetting(key, value) {
      const read = await api.exchange({ method: 'GET', path: '/admin/settings' });
      const before = read.body as Record<string, unknown>;
      const after = await api.call<Record<string, unknown>>({
        method: 'PATCH',
        path: '/admin/settings',
        body: { [key]: value },
        ...(read.etag !== null ? { ifMatch: read.etag } : {}),
      });
      return { old: before[key], new: after[key] };
    },
    async logLevels() {
      return (
        await api.call<{ levels: Record<string, string> }>({ method: 'GET', path: '/admin/log-levels' })
      ).levels;
    },
    async setLogLevel(logger, level) {
      const r = await api.call<{ levels: Record<string, string> }>({
        method: 'PUT',
        path: `/admin/log-levels/${seg(logger)}`,
        body: { level },
      });
      return r.levels;
    },
    auditSearch(filter, limit) {
      return api.all<AuditRecordView>('/admin/audit', auditQuery(filter), limit);
    },
  };
}
