import { describe, expect, it } from 'vitest';
import { redactUrl } from '../app.js';

describe('request log', () => {
  it('never holds a link token: set-password in the query, unsubscribe in the path', () => {
    expect(redactUrl('/portal/password/set?token=abc123&lang=he')).toBe('/portal/password/set?token=[redacted]&lang=he');
    expect(redactUrl('/portal/api/password/token?lang=en&token=abc')).toBe('/portal/api/password/token?lang=en&token=[redacted]');
    expect(redactUrl('/u/eyJ0IjoiYWJjIn0.c2ln?l=he')).toBe('/u/[redacted]?l=he');
    expect(redactUrl('/api/v1/customers?q=user')).toBe('/api/v1/customers?q=user');
  });
});
