// Which Python runs the runtime's tests: LOCALTUNE_PYTHON, else the first python3 that has
// torch and pytest (Debian's /usr/bin/python3 on CI, which a pyenv shim may shadow on PATH).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export function pythonHas(executable, modules) {
  const probe = spawnSync(executable, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8', timeout: 60_000 })
  return probe.status === 0
}

export function findTestPython(env = process.env) {
  const candidates = []
  if (env.LOCALTUNE_PYTHON) candidates.push(env.LOCALTUNE_PYTHON)
  for (const dir of (env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(path.join(dir, 'python3'))
  candidates.push('/usr/bin/python3')
  const seen = new Set()
  for (const candidate of candidates) {
    let real
    try {
      real = fs.realpathSync(candidate)
    } catch {
      continue
    }
    if (seen.has(real)) continue
    seen.add(real)
    if (pythonHas(candidate, ['torch', 'pytest'])) return candidate
  }
  return null
}
