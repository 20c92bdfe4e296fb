// Zod compiles fast parsers with `new Function` unless told not to, and probes for it on the
// first parse. The window's Content-Security-Policy (and the one the node serves) forbids eval,
// so the probe alone is reported as a CSP violation: run zod without it. Imported first by
// main.tsx, before any schema parses.
import { z } from 'zod';

z.config({ jitless: true });
