// Counts of a pytest run from its JUnit XML report, for npm test's summary line.
//
// pytest reports a module skipped at import (`pytest.skip(..., allow_module_level=True)`) as ONE
// skipped test, however many tests the module holds, so a whole missing area would read as "1
// skipped". Here each such module counts as the tests it defines, read from its source (a module
// that skipped at import cannot be collected), and is named so the skip is seen.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'

// Test functions (module level and in Test* classes), times the values of each literal
// @pytest.mark.parametrize list, as pytest would collect them.
const countScript = `
import ast, json, sys

def values(decorator):
    if not (isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "parametrize"):
        return 1
    argvalues = decorator.args[1] if len(decorator.args) > 1 else next((k.value for k in decorator.keywords if k.arg == "argvalues"), None)
    return len(argvalues.elts) if isinstance(argvalues, (ast.List, ast.Tuple)) else 1

def tests(body):
    total = 0
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            count = 1
            for decorator in node.decorator_list:
                count *= values(decorator)
            total += count
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            total += tests(node.body)
    return total

print(json.dumps({path: tests(ast.parse(open(path, encoding="utf-8").read()).body) for path in sys.argv[1:]}))
`

/** How many tests each module defines, by reading its source with `python`. */
export function countModuleTests(python, files) {
  if (!files.length) return {}
  const counted = spawnSync(python, ['-c', countScript, ...files], { encoding: 'utf8', timeout: 60_000 })
  if (counted.status !== 0) throw new Error(`could not count the tests of ${files.join(', ')}: ${counted.stderr}`)
  return JSON.parse(counted.stdout)
}

function unescapeXml(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&')
}

/**
 * { passed, failed, skipped, skippedModules: [{ file, reason, tests }] } from a pytest JUnit XML
 * report. `countTests(files)` gives the number of tests each module-level-skipped file defines.
 */
export function summarisePytestReport(xml, countTests) {
  const totals = { passed: 0, failed: 0, skipped: 0 }
  for (const [suite] of xml.matchAll(/<testsuite [^>]*>/g)) {
    const attr = (name) => Number(suite.match(new RegExp(` ${name}="(\\d+)"`))?.[1] ?? 0)
    const failed = attr('failures') + attr('errors')
    totals.passed += attr('tests') - failed - attr('skipped')
    totals.failed += failed
    totals.skipped += attr('skipped')
  }
  const skippedModules = []
  for (const match of xml.matchAll(/<skipped message="collection skipped">([^<]*)<\/skipped>/g)) {
    // The text is Python's repr of (path, line, reason).
    const where = /^\(\s*(['"])(.+?)\1,\s*\d+,\s*(['"])(.*)\3\s*\)$/s.exec(unescapeXml(match[1]).trim())
    if (where) skippedModules.push({ file: where[2], reason: where[4].replace(/^Skipped: /, '') })
  }
  const counts = countTests(skippedModules.map((module) => module.file))
  for (const module of skippedModules) {
    module.tests = counts[module.file] ?? 1
    totals.skipped += module.tests - 1 // the report counted the module as one test
  }
  return { ...totals, skippedModules }
}

/** The summary of the report at `file`, counting module-level skips with `python`. */
export function readPytestReport(file, python) {
  return summarisePytestReport(fs.readFileSync(file, 'utf8'), (files) => countModuleTests(python, files))
}
