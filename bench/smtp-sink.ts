import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * The mail bench's SMTP sink: npm `smtp-server` on loopback, in a process of its own (started by
 * bench/mail.ts with `fork`), so the process that sends does not share its CPU time with the one
 * that receives. It accepts everything (no TLS, no auth, no reverse DNS lookup) and keeps only
 * counts: messages, bytes, distinct `X-Kesher-Message-Id` values (so a message sent twice shows).
 *
 * IPC: sends `{ type: 'ready', port }` once listening; answers `{ type: 'stats' }` with
 * `{ type: 'stats', messages, bytes, distinctKeys, connections }` and `{ type: 'reset' }` by
 * clearing the counts. Alone: `node --import tsx bench/smtp-sink.ts [port]` prints its port and
 * the counts every 5 s.
 */
let messages = 0;
let bytes = 0;
let connections = 0;
const keys = new Set<string>();
const KEY_HEADER = /^x-kesher-message-id:[ \t]*([^\r\n]+)/im;

const server = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS', 'AUTH'],
  authOptional: true,
  disableReverseLookup: true,
  logger: false,
  size: 50 * 1024 * 1024,
  onConnect: (_session, callback) => {
    connections++;
    callback();
  },
  onData: (stream, _session, callback) => {
    let head = '';
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (head.length < 8192 && !head.includes('\r\n\r\n')) head += chunk.toString('latin1', 0, Math.min(chunk.length, 8192));
    });
    stream.on('end', () => {
      messages++;
      bytes += size;
      const end = head.indexOf('\r\n\r\n');
      const key = KEY_HEADER.exec((end < 0 ? head : head.slice(0, end)).replace(/\r\n[ \t]+/g, ' '))?.[1]?.trim();
      if (key) keys.add(key);
      callback();
    });
  },
});

const stats = () => ({ type: 'stats', messages, bytes, distinctKeys: keys.size, connections });

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const port = (server.server.address() as AddressInfo).port;
  if (process.send) {
    process.send({ type: 'ready', port });
    process.on('message', (m: { type?: string }) => {
      if (m?.type === 'stats') process.send!(stats());
      else if (m?.type === 'reset') {
        messages = bytes = connections = 0;
        keys.clear();
        process.send!({ type: 'reset' });
      }
    });
    process.on('disconnect', () => process.exit(0));
  } else {
    console.log(`smtp sink listening on smtp://127.0.0.1:${port}`);
    setInterval(() => console.log(JSON.stringify(stats())), 5000).unref();
  }
});
