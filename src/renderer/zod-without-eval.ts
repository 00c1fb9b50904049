import { z } from 'zod'

/**
 * zod 4 compiles object parsers with `new Function` when eval is allowed, and probes for that
 * once. The renderer's CSP forbids eval (script-src 'self'), so the probe fails, is caught, and
 * still files a CSP violation report. Without eval zod parses the same, interpreted; saying so
 * before any schema is made skips the probe. Imported first by main.tsx for that reason: object
 * schemas read the setting when they are constructed, at import time.
 */
z.config({ jitless: true })
