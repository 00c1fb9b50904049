import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pythonRuntimeDir } from '../../core/app-root'
import { setUpRuntime } from '../../core/runtime/runtime-setup'
import { UsageError, type CliCommand } from '../command'

export const setupRuntimeCommand: CliCommand = {
  name: 'setup-runtime',
  summary: 'Create the Python training runtime (a venv with torch, transformers, peft)',
  usage: [
    'localtune setup-runtime [--cpu|--cuda] [--wheelhouse DIR] [--system-site-packages] [--python PYTHON] [--in-home]',
    '',
    '  --cuda / --cpu            which pinned requirements to install (default: cuda when nvidia-smi exists)',
    '  --wheelhouse DIR          install offline from a folder of wheels (also LOCALTUNE_WHEELHOUSE)',
    '  --system-site-packages    let the venv use packages the system already has (e.g. Debian python3-torch)',
    '  --python PYTHON           the Python that creates the venv (default python3)',
    '  --in-home                 create it in <home>/runtime/venv instead of python-runtime/.venv'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        cpu: { type: 'boolean', default: false },
        cuda: { type: 'boolean', default: false },
        wheelhouse: { type: 'string' },
        'system-site-packages': { type: 'boolean', default: false },
        python: { type: 'string' },
        'in-home': { type: 'boolean', default: false }
      },
      strict: true
    })
    if (values.cpu && values.cuda) throw new UsageError('Choose one of --cpu and --cuda.')
    const runtimeDir = pythonRuntimeDir(ctx.env)
    const hasNvidiaSmi = (ctx.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fileExists(path.join(dir, 'nvidia-smi')))
    const flavour = values.cpu ? 'cpu' : values.cuda ? 'cuda' : hasNvidiaSmi ? 'cuda' : 'cpu'
    const venvDir = values['in-home'] ? path.join(ctx.home, 'runtime', 'venv') : path.join(runtimeDir, '.venv')
    io.err(`Setting up the ${flavour} runtime in ${venvDir}`)
    const result = await setUpRuntime({
      basePython: values.python ?? 'python3',
      runtimeDir,
      venvDir,
      flavour,
      wheelhouse: values.wheelhouse ?? ctx.env.LOCALTUNE_WHEELHOUSE ?? null,
      systemSitePackages: values['system-site-packages'],
      env: ctx.env,
      onOutput: (text) => io.err(text)
    })
    if (!result.ok) {
      io.err(`\nThe runtime is not set up.\n${result.problem}`)
      return 1
    }
    io.out(`The runtime is ready: ${result.python}. Check it with \`localtune doctor\`.`)
    return 0
  }
}

function fileExists(file: string): boolean {
  try {
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}
