import { config } from 'zod';

// Before any schema is built (main.tsx imports this first): zod's object parsers would otherwise
// probe `new Function` once, which the server's Content-Security-Policy (no 'unsafe-eval')
// blocks and Chromium reports as a violation. Without eval zod parses the same, a little slower.
config({ jitless: true });
