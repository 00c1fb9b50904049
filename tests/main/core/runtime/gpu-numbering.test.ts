import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { GpuMemorySample } from '../../../../src/shared/hardware/types'
import { createCore } from '../../../../src/main/core/create-core'
import { demoRunSettings, prepareDemoData } from '../../../../src/main/core/runs/demo-run'
import { makeTempHome } from '../../../helpers/temp-home'
import { testPython, waitUntil } from '../../../helpers/training-home'
import { fakeNvidiaSmi, nvidiaSmiFixtures } from '../hardware/fake-nvidia-smi'

const cardsFixture = 'several-gpus.csv'

/**
 * A stand-in for a CUDA machine's Python with the cards of the nvidia-smi fixture. It numbers
 * them as the CUDA runtime does: by PCI bus (nvidia-smi's order) only under
 * CUDA_DEVICE_ORDER=PCI_BUS_ID, else fastest first (here: highest compute capability first),
 * then keeps those CUDA_VISIBLE_DEVICES names. `probe` answers like the real probe; `train`
 * writes which card it got into the run folder.
 */
const standInPython = (cardsCsv: string) => `#!${testPython}
import json, os, sys
cards = []
for line in open(${JSON.stringify(cardsCsv)}):
    cells = [cell.strip() for cell in line.split(",")]
    if len(cells) >= 7:
        cards.append({"name": cells[1], "total_mib": int(cells[2]), "free_mib": int(cells[4]), "cc": cells[6]})
order = os.environ.get("CUDA_DEVICE_ORDER", "FASTEST_FIRST")
ordered = cards if order == "PCI_BUS_ID" else sorted(cards, key=lambda card: tuple(map(int, card["cc"].split("."))), reverse=True)
visible = os.environ.get("CUDA_VISIBLE_DEVICES")
if visible is not None:
    ordered = [ordered[int(index)] for index in visible.split(",") if index.strip() != ""]
command = sys.argv[3]
if command == "probe":
    gpus = [{"index": index, "name": card["name"], "total_memory_bytes": card["total_mib"] * 2**20, "free_memory_bytes": card["free_mib"] * 2**20,
             "bf16_supported": card["cc"] >= "8.0", "compute_capability": card["cc"]} for index, card in enumerate(ordered)]
    print(json.dumps({"python": "3.12.0", "executable": sys.argv[0], "torch": "2.13.0+cu128", "cuda_available": True, "cuda_version": "12.8",
                      "gpus": gpus, "packages": {}, "error": None}))
elif command == "train":
    run_dir = sys.argv[sys.argv.index("--run-dir") + 1]
    seen = {"order": os.environ.get("CUDA_DEVICE_ORDER"), "visible": visible, "card": ordered[0] if ordered else None}
    with open(os.path.join(run_dir, "device-seen.json"), "w") as out:
        json.dump(seen, out)
`

describe('one GPU numbering: nvidia-smi, the runtime and CUDA_VISIBLE_DEVICES name the same card', () => {
  const cleanups: Array<() => void> = []
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup()
  })

  it('trains on the second card nvidia-smi lists when the app chooses it, and watches that card’s memory', async () => {
    const temp = makeTempHome()
    cleanups.push(temp.cleanup)
    // The full query prints the fixture; the memory watcher's query (index, memory.used,
    // memory.total) gets those columns of the same cards.
    const cards = path.join(nvidiaSmiFixtures, cardsFixture)
    const smi = fakeNvidiaSmi({
      script: `case "$*" in *index,memory.used,memory.total*) awk -F', ' '{print $1", "$4", "$3}' '${cards}';; *) cat '${cards}';; esac`
    })
    cleanups.push(smi.cleanup)
    const python = path.join(temp.home, 'cuda-python')
    fs.writeFileSync(python, standInPython(cards), { mode: 0o755 })
    // The user's own CUDA_VISIBLE_DEVICES (a subset, renumbered from 0 by CUDA) must not shift the numbering.
    const env = { ...smi.env, LOCALTUNE_HOME: temp.home, LOCALTUNE_PYTHON: python, CUDA_VISIBLE_DEVICES: '2' }
    const core = createCore({ env, home: temp.home, runs: { warn: () => {} }, hardware: { lease: { intervalMs: 50 } } })
    cleanups.push(() => core.close())

    // The app lists the cards as nvidia-smi numbers them; the user picks the second.
    const snapshot = await core.handlers['hardware.snapshot']({ refresh: true })
    const chosen = snapshot.gpus[1]!
    expect(snapshot.gpus[0]!.name).not.toBe(chosen.name)
    expect(chosen).toMatchObject({ index: 1, name: 'NVIDIA RTX A6000' })
    // The runtime's torch numbers it the same.
    expect((await core.pythonRuntime()).gpus[chosen.index]).toMatchObject({ name: chosen.name, totalMemoryBytes: chosen.memoryTotalBytes })

    const data = await prepareDemoData(core.appRoot, fs.mkdtempSync(path.join(temp.home, 'data-')))
    const run = await core.runs.startRun({ settings: demoRunSettings(2), trainJsonl: data.trainJsonl, validJsonl: data.validJsonl, device: { kind: 'gpu', index: chosen.index } })
    await core.runs.waitForRun(run.id, { timeoutMs: 30_000 })
    const seen = JSON.parse(fs.readFileSync(path.join(run.runDir, 'device-seen.json'), 'utf8')) as { order: string; visible: string; card: { name: string; total_mib: number } }
    expect(seen.order).toBe('PCI_BUS_ID')
    expect(seen.visible).toBe(String(chosen.index))
    expect(seen.card.name).toBe(chosen.name)

    // The memory readings the app shows for the run's GPU are the card the runtime trained on.
    const samples: GpuMemorySample[] = []
    core.events.subscribe((name, payload) => {
      if (name === 'hardware.vram') samples.push(payload as GpuMemorySample)
    })
    await core.handlers['hardware.watch']({ on: true, watcherId: 'gpu-numbering' })
    await waitUntil(() => samples.length > 0, 'a GPU memory reading', 10_000)
    await core.handlers['hardware.watch']({ on: false, watcherId: 'gpu-numbering' })
    const device = core.runs.summary(run.id).device
    expect(device).toBe(`cuda:${chosen.index}`)
    const watched = samples[0]!.gpus.find((gpu) => `cuda:${gpu.index}` === device)
    expect(watched?.memoryTotalBytes).toBe(seen.card.total_mib * 2 ** 20)
  })
})
