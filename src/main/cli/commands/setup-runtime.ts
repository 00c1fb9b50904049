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
    'localtune setup-runtime [--cpu|--cuda] [--with-tests] [--wheelhouse DIR] [--index-url URL] [--extra-index-url URL]',
    '                        [--fresh] [--system-site-packages] [--python PYTHON] [--in-home]',
    '',
    '  --cuda / --cpu            which requirements to install (default: cuda when nvidia-smi exists)',
    '  --with-tests              also install requirements-test.txt (pytest), for the runtime\'s tests',
    '  --wheelhouse DIR          install offline from a folder of wheels (also LOCALTUNE_WHEELHOUSE)',
    '  --index-url URL           passed to pip: the package index to use instead of the configured one',
    '  --extra-index-url URL     passed to pip: one more index (repeatable), e.g. https://download.pytorch.org/whl/cpu',
    '  --fresh                   build a new venv even when the current one matches its lock (the old one',
    '                            comes back if the build fails)',
    '  --system-site-packages    let the venv use packages the base Python already has',
    '  --python PYTHON           the Python that creates the venv (default python3)',
    '  --in-home                 create it in <home>/runtime/venv instead of python-runtime/.venv',
    '',
    'pip runs as it is configured (pip.conf, PIP_* variables). Unless you set them, PIP_RETRIES=0 and',
    'PIP_DEFAULT_TIMEOUT=10 make an unreachable index fail in seconds. The exact versions installed',
    'are written to <venv>/localtune-runtime.lock.json; a venv that already matches it is left alone.'
  ].join('\n'),
  async run(args, io, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        cpu: { type: 'boolean', default: false },
        cuda: { type: 'boolean', default: false },
        'with-tests': { type: 'boolean', default: false },
        wheelhouse: { type: 'string' },
        'index-url': { type: 'string' },
        'extra-index-url': { type: 'string', multiple: true },
        fresh: { type: 'boolean', default: false },
        'system-site-packages': { type: 'boolean', default: false },
        python: { type: 'string' },
        'in-home': { type: 'boolean', default: false }
      },
      strict: true
    })
    if (values.cpu && values.cuda) throw new UsageError('Choose one of --cpu and --cuda.')
    const wheelhouse = values.wheelhouse ?? ctx.env.LOCALTUNE_WHEELHOUSE ?? null
    const indexes = [...(values['index-url'] ? ['--index-url', values['index-url']] : []), ...(values['extra-index-url'] ?? []).flatMap((url) => ['--extra-index-url', url])]
    if (wheelhouse && indexes.length) throw new UsageError('--wheelhouse installs offline; it cannot be combined with --index-url or --extra-index-url.')
    if (wheelhouse && !isDirectory(wheelhouse)) throw new UsageError(`The wheelhouse ${wheelhouse} is not a folder.`)
    const runtimeDir = pythonRuntimeDir(ctx.env)
    const hasNvidiaSmi = (ctx.env.PATH ?? '').split(path.delimiter).some((dir) => dir && fileExists(path.join(dir, 'nvidia-smi')))
    const flavour = values.cpu ? 'cpu' : values.cuda ? 'cuda' : hasNvidiaSmi ? 'cuda' : 'cpu'
    const venvDir = values['in-home'] ? path.join(ctx.home, 'runtime', 'venv') : path.join(runtimeDir, '.venv')
    io.err(`Setting up the ${flavour} runtime${values['with-tests'] ? ' with its test requirements' : ''} in ${venvDir}`)
    const started = Date.now()
    const result = await setUpRuntime({
      basePython: values.python ?? 'python3',
      runtimeDir,
      venvDir,
      flavour,
      withTests: values['with-tests'],
      wheelhouse,
      pipOptions: indexes,
      fresh: values.fresh,
      systemSitePackages: values['system-site-packages'],
      env: ctx.env,
      onOutput: (text) => io.err(text)
    })
    if (!result.ok) {
      io.err(`\nThe runtime is not set up.\n${result.problem}`)
      return 1
    }
    const seconds = Math.round((Date.now() - started) / 1000)
    io.out(`The runtime is ready${result.changed ? ` (${seconds} s)` : ''}: ${result.python}, versions in ${result.lockPath}. Check it with \`localtune doctor\`.`)
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

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory()
  } catch {
    return false
  }
}
