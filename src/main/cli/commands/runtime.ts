import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { pythonRuntimeDir } from '../../core/app-root'
import { hasNvidiaSmi } from '../../core/runtime/nvidia-driver'
import { describeCapabilities, installRuntimeFromFolder } from '../../core/runtime/runtime-install'
import { formatBytes, packRuntime } from '../../core/runtime/runtime-pack'
import { UsageError, type CliCommand, type CliIo } from '../command'

/** A one-line progress bar on a terminal; every 10% as a line otherwise (logs, tests). */
function progressPrinter(io: CliIo): (done: number, total: number | null) => void {
  let lastTenth = -1
  return (done, total) => {
    const fraction = total ? Math.min(1, done / total) : null
    const text = fraction !== null ? `${formatBytes(done)} / ${formatBytes(total as number)}` : formatBytes(done)
    if (io.isTty) {
      const width = 30
      const bar = fraction !== null ? `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${Math.floor(fraction * 100)}% ` : ''
      process.stderr.write(`\r${bar}${text}   `)
      return
    }
    const tenth = fraction !== null ? Math.floor(fraction * 10) : -1
    if (tenth > lastTenth) {
      lastTenth = tenth
      io.err(`downloaded ${text}`)
    }
  }
}

export const runtimeCommand: CliCommand = {
  name: 'runtime',
  summary: 'Pack the training runtime into a folder on a connected machine, install it offline from one',
  usage: [
    'localtune runtime pack --out DIR [--cpu|--cuda] [--with-tests] [--python 3.11] [--platform TAG]',
    'localtune runtime install --from DIR [--python PYTHON] [--in-home]',
    '',
    'pack     downloads every wheel the runtime needs for the target machine (not only this one) into',
    '         DIR, with manifest.json (package, version, file, sha256, bytes, target) and README.txt.',
    '  --cpu / --cuda     which runtime (default: cuda when nvidia-smi exists here)',
    '  --python 3.11      the target\'s Python version (default: this machine\'s)',
    '  --platform TAG     the target\'s platform tag: manylinux_2_28_x86_64, win_amd64, macosx_11_0_arm64, ...',
    '                     (default: this machine\'s)',
    '  --with-tests       also pack requirements-test.txt (pytest)',
    '  --pip-python PY    the Python whose pip downloads (default: the runtime venv\'s, else python3)',
    '  pip runs as configured (its index, proxy, certificates).',
    '',
    'install  creates the runtime venv from DIR only: no index is consulted, every file is checked',
    '         against the manifest, a folder for another Python/platform/flavour is refused before',
    '         anything is installed, and the previous runtime comes back if the install fails.',
    '  --python PYTHON    the Python that creates the venv (default python3)',
    '  --in-home          create it in <home>/runtime/venv instead of python-runtime/.venv'
  ].join('\n'),
  async run(args, io, ctx) {
    const [sub, ...rest] = args
    const runtimeDir = pythonRuntimeDir(ctx.env)
    if (sub === 'pack') {
      const { values } = parseArgs({
        args: rest,
        options: {
          out: { type: 'string' },
          cpu: { type: 'boolean', default: false },
          cuda: { type: 'boolean', default: false },
          'with-tests': { type: 'boolean', default: false },
          python: { type: 'string' },
          platform: { type: 'string' },
          'pip-python': { type: 'string' }
        },
        strict: true
      })
      if (!values.out) throw new UsageError('pack needs --out DIR.')
      if (values.cpu && values.cuda) throw new UsageError('Choose one of --cpu and --cuda.')
      const flavour = values.cpu ? 'cpu' : values.cuda ? 'cuda' : hasNvidiaSmi(ctx.env) ? 'cuda' : 'cpu'
      const venvPython = path.join(runtimeDir, '.venv', process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python')
      const pipPython = values['pip-python'] ?? (fs.existsSync(venvPython) ? venvPython : 'python3')
      const outDir = path.resolve(ctx.cwd, values.out)
      const started = Date.now()
      const packed = await packRuntime({
        pipPython,
        runtimeDir,
        outDir,
        flavour,
        withTests: values['with-tests'],
        python: values.python ?? null,
        platform: values.platform ?? null,
        env: ctx.env,
        onOutput: (text) => io.err(text),
        onProgress: progressPrinter(io)
      })
      if (io.isTty) process.stderr.write('\n')
      const { target } = packed.manifest
      io.out(
        `Packed the ${target.flavour} runtime for Python ${target.python} on ${target.platform}: ${packed.manifest.packages.length} wheels, ` +
          `${formatBytes(packed.manifest.total_bytes)}, in ${Math.round((Date.now() - started) / 1000)} s.\n` +
          `Manifest: ${packed.manifestPath}\nOn the offline machine: localtune runtime install --from ${outDir}`
      )
      return 0
    }
    if (sub === 'install') {
      const { values } = parseArgs({ args: rest, options: { from: { type: 'string' }, python: { type: 'string' }, 'in-home': { type: 'boolean', default: false } }, strict: true })
      if (!values.from) throw new UsageError('install needs --from DIR (a folder made by `localtune runtime pack`).')
      const venvDir = values['in-home'] ? path.join(ctx.home, 'runtime', 'venv') : path.join(runtimeDir, '.venv')
      io.err(`Installing the runtime from ${values.from} into ${venvDir}, with no package index`)
      const result = await installRuntimeFromFolder({
        from: path.resolve(ctx.cwd, values.from),
        basePython: values.python ?? 'python3',
        runtimeDir,
        venvDir,
        hasNvidiaGpu: hasNvidiaSmi(ctx.env),
        env: ctx.env,
        onOutput: (text) => io.err(text)
      })
      if (!result.ok || !result.capabilities) {
        io.err(`\nThe runtime is not installed.\n${result.problem}`)
        return 1
      }
      io.out(`The runtime is ready (${Math.round(result.seconds)} s): ${result.python}, versions in ${result.lockPath}.\n${describeCapabilities(result.capabilities)}`)
      return 0
    }
    throw new UsageError(sub ? `Unknown subcommand "${sub}": use pack or install.` : 'Name a subcommand: pack or install.')
  }
}
