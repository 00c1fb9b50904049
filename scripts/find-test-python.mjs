// Which Python runs the runtime's tests: LOCALTUNE_PYTHON when set, else the runtime venv that
// `npm run runtime:setup -- --cpu --with-tests` makes (python-runtime/.venv). Never a system
// Python found on PATH: the tests need the versions the requirements pin down, which only the
// venv is known to have (its lock records them).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** What the Python suite imports: the HF backend tests fail, never skip, without these. */
export const TEST_MODULES = ['torch', 'transformers', 'peft', 'tokenizers', 'safetensors', 'pytest']

export const SETUP_COMMAND = 'npm run runtime:setup -- --cpu --with-tests'

export function venvPython(root) {
  return path.join(root, 'python-runtime', '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
}

/** The modules of `modules` that `executable` cannot import (all of them if it does not run). */
export function missingModules(executable, modules) {
  const script = `import importlib.util, json; print(json.dumps([m for m in ${JSON.stringify(modules)} if importlib.util.find_spec(m) is None]))`
  const probe = spawnSync(executable, ['-c', script], { encoding: 'utf8', timeout: 60_000 })
  if (probe.status !== 0) return modules
  try {
    return JSON.parse(probe.stdout.trim().split('\n').pop())
  } catch {
    return modules
  }
}

/** { python, problem }: the test Python, or null and a sentence that names the fix. */
export function findTestPython(root, env = process.env) {
  const chosen = env.LOCALTUNE_PYTHON?.trim()
  const python = chosen || venvPython(root)
  const where = chosen ? `LOCALTUNE_PYTHON=${chosen}` : `The runtime venv (${path.relative(root, python)})`
  if (!chosen && !fs.existsSync(python)) {
    return { python: null, problem: `the runtime venv python-runtime/.venv is missing. Create it: \`${SETUP_COMMAND}\` (or set LOCALTUNE_PYTHON to a Python with ${TEST_MODULES.join(', ')}).` }
  }
  const missing = missingModules(python, TEST_MODULES)
  if (missing.length === TEST_MODULES.length) {
    return { python: null, problem: `${where} does not run or has none of ${TEST_MODULES.join(', ')}. ${chosen ? 'Point LOCALTUNE_PYTHON at a working Python, or unset it' : `Rebuild it: \`${SETUP_COMMAND} --fresh\``}.` }
  }
  if (missing.length) {
    return { python: null, problem: `${where} lacks ${missing.join(', ')}. ${chosen ? `Install them into it, or unset LOCALTUNE_PYTHON and run \`${SETUP_COMMAND}\`` : `Bring it up to the requirements: \`${SETUP_COMMAND}\``}.` }
  }
  return { python, problem: null }
}
