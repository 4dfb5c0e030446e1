import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Db } from '../db/client.js';
import type { DataDirLock, LockHolder } from '../db/data-dir-lock.js';
import { commands, isCommandName, type CommandContext } from './commands.js';

/**
 * The local admin channel (ADR 0015): while the server owns an embedded data directory, the CLI's
 * data commands (`demo`, `import`, `user create`, `tenant create`) run inside it instead of opening
 * the database a second time. It listens on 127.0.0.1 only, on a port written into the lock file,
 * and answers only a caller that read the token file in the data directory (mode 0600): whoever
 * may read the database's files may run these commands, nobody else.
 *
 * Protocol: POST /commands/<name> with the arguments as base64url JSON in `x-kesher-args` and the
 * file (import) as the body; the answer streams NDJSON lines {print} / {progress}, then {done} or {error}.
 */
export const tokenPath = (dataDir: string): string => join(dataDir, 'admin.token');

interface ChannelLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export async function openAdminChannel(opts: { dataDir: string; lock: DataDirLock; db: Db; background: boolean; log: ChannelLog }): Promise<{ close(): Promise<void> }> {
  const token = randomBytes(32).toString('base64url');
  const file = tokenPath(opts.dataDir);
  rmSync(file, { force: true }); // written anew with mode 0600 (writeFile keeps an existing file's mode)
  writeFileSync(file, token, { mode: 0o600, flag: 'wx' });
  const expected = Buffer.from(`Bearer ${token}`);
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return void res.writeHead(401).end('unauthorized\n');
    const name = decodeURIComponent(/^\/commands\/([^?]+)$/.exec(req.url ?? '')?.[1] ?? '');
    if (req.method !== 'POST' || !isCommandName(name)) return void res.writeHead(404).end('no such command\n');
    const command = commands[name];
    let args: unknown;
    try {
      args = command.args.parse(JSON.parse(Buffer.from(String(req.headers['x-kesher-args'] ?? ''), 'base64url').toString('utf8') || '{}'));
    } catch (err) {
      return void res.writeHead(400).end(`bad arguments: ${(err as Error).message}\n`);
    }
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const send = (line: object) => res.write(`${JSON.stringify(line)}\n`);
    const ctx: CommandContext = { db: opts.db, background: opts.background, print: (print) => send({ print }), progress: (progress) => send({ progress }) };
    opts.log.info({ command: name }, 'admin channel: command');
    try {
      // The command's arguments were parsed by its own schema above.
      await (command.run as (c: CommandContext, a: unknown, f?: AsyncIterable<Buffer>) => Promise<void>)(ctx, args, command.takesFile ? req : undefined);
      send({ done: true });
    } catch (err) {
      opts.log.warn({ command: name, err }, 'admin channel: command failed');
      send({ error: err instanceof Error ? err.message : String(err) });
    }
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  opts.lock.update({ adminPort: (server.address() as AddressInfo).port });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(file, { force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs a data command in the server that holds the data directory; its output goes to this terminal. */
export async function sendToServer(dataDir: string, holder: LockHolder, name: string, args: object, filePath?: string): Promise<void> {
  let token: string;
  try {
    token = readFileSync(tokenPath(dataDir), 'utf8').trim();
  } catch {
    throw new Error(`The server (pid ${holder.pid}) holds ${dataDir}, but its admin token cannot be read: run this command as the user that runs the server.`);
  }
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: holder.adminPort,
      method: 'POST',
      path: `/commands/${encodeURIComponent(name)}`,
      headers: { authorization: `Bearer ${token}`, 'x-kesher-args': Buffer.from(JSON.stringify(args)).toString('base64url') },
    });
    req.on('response', resolve).on('error', reject);
    if (filePath) createReadStream(filePath).on('error', reject).pipe(req);
    else req.end();
  });
  if (res.statusCode !== 200) {
    let text = '';
    for await (const chunk of res) text += String(chunk);
    throw new Error(`The running server refused the command (${res.statusCode}): ${text.trim()}`);
  }
  let rest = '';
  let finished = false;
  for await (const chunk of res) {
    rest += String(chunk);
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = JSON.parse(rest.slice(0, nl)) as { print?: string; progress?: string; done?: true; error?: string };
      rest = rest.slice(nl + 1);
      if (line.print !== undefined) console.log(line.print);
      if (line.progress !== undefined) process.stdout.write(`\r${line.progress}`);
      if (line.error !== undefined) throw new Error(line.error);
      if (line.done) finished = true;
    }
  }
  if (!finished) throw new Error('The server stopped before the command finished: check its log, then run the command again.');
}
