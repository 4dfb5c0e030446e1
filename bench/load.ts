import http from 'node:http';

/**
 * A load generator in its own process (so the server under test has the machine's other core to
 * itself): POSTs form-urlencoded leads to a Web Data Port channel at a fixed concurrency for a
 * while, over keep-alive connections, and prints one JSON line with the throughput and latency.
 *
 *   node --import tsx bench/load.ts <url> <token> <concurrency> <seconds> <phones-file|->
 *
 * A fifth of the leads carry a phone of an existing customer (read from the file, one per line),
 * so the duplicate path (fill empty fields, alert, Hot Lead) is measured with the new-lead path.
 */
const [url, token, concurrencyArg, secondsArg, phonesFile] = process.argv.slice(2);
if (!url || !token) throw new Error('usage: load.ts <url> <token> <concurrency> <seconds> <phones-file>');
const concurrency = Number(concurrencyArg ?? 32);
const seconds = Number(secondsArg ?? 10);
const known: string[] = phonesFile && phonesFile !== '-' ? (await import('node:fs')).readFileSync(phonesFile, 'utf8').split('\n').filter(Boolean) : [];

const target = new URL(url);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const FIRST = ['דנה', 'משה', 'יעל', 'אבי', 'נועה', 'Dana', 'Moshe', 'Noa'];
const LAST = ['לוי', 'כהן', 'מזרחי', 'פרץ', 'ביטון', 'Levi', 'Cohen'];
// New leads must be new on every run: numbers from a random start (a few collide with the base, as in life).
const start = Math.floor(Math.random() * 9_000_000);
let seq = 0;

function lead(): string {
  const n = seq++;
  const existing = known.length && n % 5 === 0 ? known[n % known.length]! : null;
  const phone = existing ?? `05${2 + (n % 7)}-${String(1_000_000 + ((start + n * 7919) % 9_000_000)).slice(0, 7)}`;
  const params = new URLSearchParams({
    name: `${FIRST[n % FIRST.length]} ${LAST[(n >> 3) % LAST.length]} ${n}`,
    phone,
    email: `lead${n}.${process.pid}@example.com`,
    message: `פנייה מדף הנחיתה מספר ${n}`,
  });
  return params.toString();
}

function post(body: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), 'x-kesher-token': token },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }));
    req.end(body);
  });
}

const latencies: number[] = [];
const statuses: Record<string, number> = {};
const end = Date.now() + seconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (Date.now() < end) {
      const r = await post(lead());
      latencies.push(r.ms);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
  }),
);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
console.log(JSON.stringify({ requests: latencies.length, seconds: elapsed, perSecond: latencies.length / elapsed, p50: at(50), p95: at(95), p99: at(99), max: latencies.at(-1) ?? 0, statuses }));
agent.destroy();
