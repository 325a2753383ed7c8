import { CliError } from './exit-codes.js';

/** Longest token line read: tokens are far shorter; this bounds what a wrong pipe can make us hold. */
const MAX_SECRET_BYTES = 4096;

/** The first line of standard input (a pipe or a file): `echo "$TOKEN" | tokengate login --token-stdin`. */
export async function readSecretLine(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size > MAX_SECRET_BYTES || b.includes(0x0a)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  return line.trim();
}

/**
 * Asks for a secret on the terminal without echoing it: the terminal in raw mode, the typed
 * characters collected until Enter. Ctrl-C and Ctrl-D cancel (exit 1, as a declined confirmation).
 */
export async function promptSecret(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (data: Buffer): void => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            resolve(typed.trim());
            return;
          }
          if (ch === '\u0003' || ch === '\u0004') {
            stdin.off('data', onData);
            reject(new CliError('failed', 'cancelled', 'cancelled: no token given'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}
