import { UsageError } from './command'

/** A value as typed: JSON when it parses (1e-4, true, null, ["q_proj","v_proj"]), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/**
 * `--set learning_rate=1e-4 --set lora.r=8` → {learning_rate: 0.0001, lora: {r: 8}}. Names are the
 * params of run.json (dots for nesting); the run's schema checks them and names any that is wrong.
 */
export function parseSetFlags(flags: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {}
  for (const flag of flags) {
    const at = flag.indexOf('=')
    if (at <= 0) throw new UsageError(`--set takes KEY=VALUE, like learning_rate=1e-4; "${flag}" is not one.`)
    const keys = flag.slice(0, at).trim().replace(/^params\./, '').split('.')
    if (keys.some((key) => !/^[a-z_][a-z0-9_]*$/.test(key))) throw new UsageError(`--set: "${flag.slice(0, at)}" is not a param name (letters, digits and _ joined by dots).`)
    let target = params
    for (const key of keys.slice(0, -1)) {
      const next = target[key]
      if (typeof next === 'object' && next !== null && !Array.isArray(next)) target = next as Record<string, unknown>
      else target = target[key] = {}
    }
    target[keys.at(-1)!] = parseValue(flag.slice(at + 1).trim())
  }
  return params
}
