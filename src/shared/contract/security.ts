/**
 * The Content-Security-Policy of the renderer in both hosts: scripts only from the app itself,
 * no eval, no remote anything. Styles allow inline because the terminal and charts set them.
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
