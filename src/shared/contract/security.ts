/**
 * The Content-Security-Policy of the renderer in both hosts: scripts only from the app itself,
 * no eval, no remote anything. Styles allow inline for one reason: xterm.js 6 (the run's
 * terminal) creates <style> elements whose text it computes at run time (theme, font, cell size)
 * and offers no nonce for them, so neither a nonce nor a hash can admit them (docs/ARCHITECTURE.md,
 * "Security of the desktop host"). React style props and uPlot go through the CSSOM, which CSP
 * does not block.
 */
export const rendererContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')
