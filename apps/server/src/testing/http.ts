import type { FastifyInstance } from 'fastify';
import { PASSWORD } from './fixtures.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/**
 * A logged-in (or anonymous) caller of the app, through Fastify's inject (the full HTTP stack, no
 * socket). Keeps the cookies it is given, like a browser (staff session, portal session).
 */
export class TestClient {
  private readonly jar = new Map<string, string>();
  constructor(
    protected readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** The Cookie header this client sends, or undefined. */
  get cookie(): string | undefined {
    return this.jar.size ? [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  static async login(app: FastifyInstance, email: string, password = PASSWORD): Promise<TestClient> {
    const client = new TestClient(app);
    const r = await client.post('/api/v1/auth/login', { email, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${JSON.stringify(r.body)}`);
    return client;
  }

  withApiKey(key: string): TestClient {
    return new TestClient(this.app, { authorization: `Bearer ${key}` });
  }

  async request<T = any>(method: string, url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      headers: { ...this.headers, ...(this.cookie ? { cookie: this.cookie } : {}), ...headers },
      ...(payload !== undefined && { payload: payload as string }),
    });
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, pair.slice(eq + 1));
    }
    const text = res.body;
    return { status: res.statusCode, body: text && res.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text, headers: res.headers };
  }

  get = <T = any>(url: string, headers?: Record<string, string>) => this.request<T>('GET', url, undefined, headers);
  post = <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => this.request<T>('POST', url, body ?? {}, headers);
  patch = <T = any>(url: string, body: unknown, headers?: Record<string, string>) => this.request<T>('PATCH', url, body, headers);
  delete = <T = any>(url: string, headers?: Record<string, string>) => this.request<T>('DELETE', url, undefined, headers);
}
