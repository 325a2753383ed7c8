import type { Command } from 'commander';
import { invalidField } from '../../domain/errors.js';
import { MAX_GRACE_SECONDS } from '../../domain/settings.js';
import type { PublicToken, TokenStatus } from '../../domain/token/token.js';
import type { TokenRequest } from '../../domain/token/policy.js';
import { confirmDestructive, terminalAsker, yesOption } from '../confirm.js';
import { withBackend, type GlobalOptions } from '../context.js';
import { deprecatedJsonOption, emit, outputFormat, printTable, shortDate, type Io } from '../output.js';

/** `--expires 30d`, `--expires 2027-01-31`, `--expires never`. */
export function parseExpires(value: string): Pick<TokenRequest, 'expiresAt' | 'validityDays'> {
  const days = /^(\d+)d$/.exec(value);
  if (days) return { validityDays: Number(days[1]) };
  if (value === 'never') return { expiresAt: null };
  return { expiresAt: value };
}

/** `--rate-limit 100/60`: 100 requests per 60 seconds. */
export function parseRateLimit(value: string): { requests: number; windowSeconds: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const requests = Number(m?.[1]);
  const windowSeconds = Number(m?.[2]);
  if (!m || requests < 1 || requests > 1_000_000 || windowSeconds < 1 || windowSeconds > 86_400) {
    throw invalidField(
      '--rate-limit',
      'must be REQUESTS/SECONDS, e.g. 100/60 (1-1000000 requests, 1-86400 seconds)',
    );
  }
  return { requests, windowSeconds };
}

/** The EXPIRES column: the date, `never`, or the date with `(expires soon)`. */
function expiresColumn(t: PublicToken): string {
  if (t.expiresAt === null) return 'never';
  return t.expiresSoon ? `${shortDate(t.expiresAt)} (expires soon)` : shortDate(t.expiresAt);
}

function isStatus(s: string): s is TokenStatus {
  return s === 'active' || s === 'expired' || s === 'revoked';
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `token create`: a token for a user, printed once. */
function createCommand(token: Command, io: Io, globals: () => GlobalOptions): void {
  token
    .command('create')
    .description('create a token and print it (shown this once)')
    .requiredOption('-u, --user <user>', 'owner of the token')
    .requiredOption('-d, --description <text>', 'what the token is for (at most 255 characters)')
    .option('-s, --scope <scope>', 'read (GET, HEAD, OPTIONS) or write', 'read')
    .option('-e, --expires <when>', 'an ISO date, a number of days such as 30d, or never')
    .option('--allow-ip <cidr>', 'allow only this IP or CIDR range (repeatable)', collect, [])
    .option('--rate-limit <n/s>', 'own rate limit: REQUESTS/SECONDS, e.g. 100/60')
    .addOption(deprecatedJsonOption())
    .action(
      async (o: {
        user: string;
        description: string;
        scope: string;
        expires?: string;
        allowIp: string[];
        rateLimit?: string;
        json?: boolean;
      }) => {
        const format = outputFormat(io, globals().output, o.json);
        if (o.scope !== 'read' && o.scope !== 'write') throw invalidField('--scope', 'must be read or write');
        const req: TokenRequest = {
          description: o.description,
          scope: o.scope,
          ...(o.expires !== undefined ? parseExpires(o.expires) : {}),
          ...(o.allowIp.length > 0 ? { allowedIps: o.allowIp } : {}),
          ...(o.rateLimit !== undefined ? { rateLimit: parseRateLimit(o.rateLimit) } : {}),
        };
        await withBackend(io, globals(), async (backend) => {
          const created = await backend.createToken(o.user, req);
          // Only the token goes to stdout in table form, so that a script can capture it alone.
          emit(io, format, created, () => io.out(created.token));
        });
      },
    );
}

/** `token list`: tokens as a table or JSON, filtered by user and status. */
function listCommand(token: Command, io: Io, globals: () => GlobalOptions): void {
  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('-u, --user <user>', 'only this user')
    .option('-s, --status <status>', 'active, expired or revoked')
    .addOption(deprecatedJsonOption())
    .action(async (o: { user?: string; status?: string; json?: boolean }) => {
      const format = outputFormat(io, globals().output, o.json);
      if (o.status !== undefined && !isStatus(o.status))
        throw invalidField('--status', 'must be active, expired or revoked');
      const status = o.status;
      await withBackend(io, globals(), async (backend) => {
        const items = await backend.listTokens({
          ...(o.user ? { user: o.user } : {}),
          ...(status !== undefined ? { status } : {}),
        });
        emit(io, format, items, () =>
          printTable(
            io,
            ['ID', 'USER', 'SCOPE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED', 'DESCRIPTION'],
            items.map((t) => [
              t.id,
              t.user,
              t.scope,
              t.status,
              shortDate(t.createdAt),
              expiresColumn(t),
              shortDate(t.lastUsedAt),
              t.description,
            ]),
          ),
        );
      });
    });
}

/** `token rotate` and `token revoke`. */
function rotateAndRevokeCommands(token: Command, io: Io, globals: () => GlobalOptions): void {
  token
    .command('rotate')
    .description(
      'give a token a new secret and print it (shown this once); the old one stops after a grace period',
    )
    .argument('<id>', 'the token id (tok_…)')
    .option(
      '--grace <seconds>',
      'how long the old secret keeps working (default tokens.rotationGraceSeconds)',
    )
    .addOption(deprecatedJsonOption())
    .action(async (id: string, o: { grace?: string; json?: boolean }) => {
      const format = outputFormat(io, globals().output, o.json);
      let grace: number | undefined;
      if (o.grace !== undefined) {
        grace = /^\d+$/.test(o.grace) ? Number(o.grace) : Number.NaN;
        if (!Number.isInteger(grace) || grace > MAX_GRACE_SECONDS)
          throw invalidField(
            '--grace',
            `must be a number of seconds from 0 to ${MAX_GRACE_SECONDS} (30 days)`,
          );
      }
      await withBackend(io, globals(), async (backend) => {
        const rotated = await backend.rotateToken(id, grace);
        emit(io, format, rotated, () => io.out(rotated.token));
      });
    });

  token
    .command('revoke')
    .description('revoke a token; it stops working at once')
    .argument('<id>', 'the token id (tok_…)')
    .addOption(yesOption())
    .action(async (id: string, o: { yes?: boolean }) => {
      const destruction = { action: `revoke token ${id}`, consequence: 'It stops working at once' };
      await confirmDestructive(destruction, o.yes, terminalAsker(io));
      await withBackend(io, globals(), async (backend) => {
        const t = await backend.revokeToken(id);
        emit(io, outputFormat(io, globals().output), t, () =>
          io.out(`revoked ${t.id} (${t.user}: ${t.description})`),
        );
      });
    });
}

export function tokenCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const token = program.command('token').description('create, list and revoke API tokens');
  createCommand(token, io, globals);
  listCommand(token, io, globals);
  rotateAndRevokeCommands(token, io, globals);
}
