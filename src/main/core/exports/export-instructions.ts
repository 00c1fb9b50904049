import type { ExportRecord } from '../../../shared/contract/exports'

/** How to use an export in the tools it is for: the commands and code shown beside it. */

type Instructions = ExportRecord['instructions']

/** Ollama (when a Modelfile was written), LM Studio and llama.cpp for a GGUF file. */
export function ggufInstructions(options: { ggufPath: string; outDir: string; ollamaName: string; withModelfile: boolean }): Instructions {
  const { ggufPath, outDir, ollamaName } = options
  return [
    ...(options.withModelfile
      ? [
          {
            tool: 'Ollama',
            code: `cd ${shellQuote(outDir)}\nollama create ${ollamaName} -f Modelfile\nollama run ${ollamaName}`,
            note: 'The Modelfile\'s TEMPLATE writes prompts the way the training examples were written, and its stop lines end answers where the model learned to.'
          }
        ]
      : []),
    {
      tool: 'LM Studio',
      code: `lms import ${shellQuote(ggufPath)}`,
      note: 'Or copy the file into LM Studio\'s models folder (~/.lmstudio/models/localtune/<name>/). Its chat formats messages with the chat template stored in the file, which writes the training format.'
    },
    {
      tool: 'llama.cpp',
      code: `llama-server -m ${shellQuote(ggufPath)} --jinja\n# or one prompt, written in the training format:\nllama-cli -m ${shellQuote(ggufPath)} --temp 0 -n 128 -f prompt.txt`,
      note: '--jinja makes the server format chat messages with the chat template stored in the file.'
    }
  ]
}

/** transformers for a merged model, peft for an adapter (which names its base model). */
export function folderInstructions(options: { format: ExportRecord['format']; dir: string; baseModel: string }): Instructions {
  const dir = JSON.stringify(options.dir)
  if (options.format === 'merged') {
    return [
      {
        tool: 'transformers',
        code: `from transformers import AutoModelForCausalLM, AutoTokenizer\n\nmodel = AutoModelForCausalLM.from_pretrained(${dir}, dtype="auto")\ntokenizer = AutoTokenizer.from_pretrained(${dir})`,
        note: 'generation_config.json ends answers at the EOS the run trained the model to write.'
      }
    ]
  }
  return [
    {
      tool: 'peft',
      code: `from peft import AutoPeftModelForCausalLM\nfrom transformers import AutoTokenizer\n\nmodel = AutoPeftModelForCausalLM.from_pretrained(${dir}, dtype="auto")\ntokenizer = AutoTokenizer.from_pretrained(${dir})`,
      note: `The adapter needs its base model (${options.baseModel}); peft finds it through adapter_config.json.`
    }
  ]
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`
}
