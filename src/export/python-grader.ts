/**
 * A playground grader spec as Python source with `grade(sample, item) -> float`,
 * OpenAI's python-grader signature, built on PYTHON_LIB. The spec has already
 * passed createGrader, so its fields are known to be valid. What cannot be
 * translated faithfully (custom JS, the simulated judge, some regexes) comes
 * back as a refusal with the reason; it is never approximated.
 */
import type { GraderSpec } from '../engine/task.ts';
import { parseFormula, type FormulaNode } from '../graders/formula.ts';
import { PYTHON_LIB } from './python-lib.ts';
import { regexToPython } from './regex-to-python.ts';

export type PythonGrader = { ok: true; source: string } | { ok: false; path: string; reason: string };

class Untranslatable extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(reason);
  }
}

const pyString = (s: string) => JSON.stringify(s).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/** A `{{sample.output_text}}` / `{{item.x}}` template as a Python expression (as src/graders/template.ts renders it). */
function templateExpr(template: string): string {
  const parts: string[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{\{\s*([^{}]*?)\s*\}\}/g)) {
    const [, scope, field] = /^(sample|item)\.([A-Za-z0-9_]+)$/.exec(m[1])!;
    if (m.index > last) parts.push(pyString(template.slice(last, m.index)));
    parts.push(scope === 'sample' ? 'output_text(sample)' : `text(item.get(${pyString(field)}))`);
    last = m.index + m[0].length;
  }
  if (last < template.length || parts.length === 0) parts.push(pyString(template.slice(last)));
  return parts.join(' + ');
}

const str = (spec: GraderSpec, field: string, fallback: string) => (typeof spec[field] === 'string' ? (spec[field] as string) : fallback);
const num = (spec: GraderSpec, field: string, fallback: number) => (typeof spec[field] === 'number' ? (spec[field] as number) : fallback);
/** A JS number as a Python float literal ("1e+21" and "0.5" already are; "3" becomes "3.0"). */
const pyNumber = (x: number) => (/[.e]/.test(String(x)) ? String(x) : `${x}.0`);

/**
 * A formula (src/graders/formula.ts, the tree the multi grader evaluates) as a Python expression:
 * every operation parenthesised, / and ^ and the functions as the IEEE helpers of PYTHON_LIB
 * (f_div, f_pow, f_log, …) where Python would raise instead of giving JavaScript's Infinity or NaN.
 */
function formulaExpr(formula: string, names: string[], path: string): string {
  const py = (n: FormulaNode): string => {
    switch (n.kind) {
      case 'number':
        return Number.isFinite(n.value) ? pyNumber(n.value) : 'math.inf'; // 1e999 reads as Infinity
      case 'constant':
        return n.name === 'PI' ? 'math.pi' : 'math.e';
      case 'name':
        return `scores[${pyString(n.name)}]`;
      case 'negate':
        return `(-${py(n.arg)})`;
      case 'binary':
        return n.op === '/' ? `f_div(${py(n.left)}, ${py(n.right)})` : n.op === '^' ? `f_pow(${py(n.left)}, ${py(n.right)})` : `(${py(n.left)} ${n.op} ${py(n.right)})`;
      case 'call':
        return `f_${n.fn}(${n.args.map(py).join(', ')})`;
    }
  };
  return py(parseFormula(formula, names, path));
}

let counter = 0;

/** Python function definitions for `spec`, returning the name of the function that scores it. */
function emit(spec: GraderSpec, path: string, out: string[]): string {
  const fn = `grade_${++counter}`;
  const input = templateExpr(str(spec, 'input', '{{sample.output_text}}'));
  const reference = templateExpr(str(spec, 'reference', '{{item.reference}}'));
  const def = (body: string[]) => out.push(`def ${fn}(sample, item):  # ${path}: ${spec.type}`, ...body.map((l) => `    ${l}`), '', '');
  switch (spec.type) {
    case 'string_check': {
      const op = str(spec, 'operation', 'eq');
      const test = { eq: 'a == b', ne: 'a != b', like: 'b in a', ilike: 'b.lower() in a.lower()' }[op];
      def([`a, b = ${input}, ${reference}`, `return 1.0 if ${test} else 0.0`]);
      return fn;
    }
    case 'text_similarity': {
      const metric = str(spec, 'evaluation_metric', 'fuzzy_match');
      const mode = pyString(str(spec, 'tokens', 'words'));
      const call =
        metric === 'fuzzy_match'
          ? 'fuzzy_match(a, b)'
          : metric === 'bleu'
            ? `bleu(a, b, ${mode})`
            : metric === 'rouge_l'
              ? `rouge_l(a, b, ${mode})`
              : `rouge_n(a, b, ${metric.slice(-1)}, ${mode})`;
      const threshold = spec.pass_threshold;
      def([
        `a, b = ${input}, ${reference}`,
        `v = ${call}`,
        typeof threshold === 'number' ? `return 1.0 if v >= ${pyNumber(threshold)} else 0.0` : 'return v',
      ]);
      return fn;
    }
    case 'numeric': {
      const relative = spec.relative === true;
      def([
        `ref_text = ${reference}`,
        'ref = parse_number(ref_text)',
        'if ref is None:',
        '    raise GradeError("reference " + json.dumps(ref_text, ensure_ascii=False) + " is not a number")',
        `got = parse_number(${input})`,
        'if got is None:',
        '    return 0.0  # a non-number answer is a wrong answer, not a grader failure',
        'd = abs(got - ref)',
        // Number.MIN_VALUE: the smallest subnormal, so a zero reference divides without failing.
        ...(relative ? ['d = d / max(abs(ref), 5e-324)'] : []),
        `return finite_score(numeric_credit(d, ${pyNumber(num(spec, 'tolerance', 0))}, ${pyNumber(num(spec, 'partial_credit', 0))}), "numeric credit")`,
      ]);
      return fn;
    }
    case 'regex': {
      const t = regexToPython(str(spec, 'pattern', ''), str(spec, 'flags', 'u'));
      if (!t.ok) throw new Untranslatable(`${path}.pattern`, `the regular expression cannot be carried over to Python exactly: ${t.reason}`);
      const negate = spec.negate === true;
      const re = `_re_${counter}`;
      out.push(`${re} = re.compile(${pyString(t.pattern)}${t.ignoreCase ? ', re.IGNORECASE' : ''})`, '');
      def([`return 1.0 if (${re}.search(${input}) is not None) != ${negate ? 'True' : 'False'} else 0.0`]);
      return fn;
    }
    case 'multi': {
      const graders = spec.graders as Record<string, GraderSpec>;
      const names = Object.keys(graders);
      const subs = names.map((n) => [n, emit(graders[n], `${path}.graders.${n}`, out)] as const);
      const formula = str(spec, 'calculate_output', '');
      def([
        `scores = {${subs.map(([n, f]) => `${pyString(n)}: ${f}(sample, item)`).join(', ')}}`,
        `return finite_score(${formulaExpr(formula, names, `${path}.calculate_output`)}, "calculate_output")`,
      ]);
      return fn;
    }
    case 'simulated_judge':
      throw new Untranslatable(
        path,
        'the simulated judge imitates a biased, noisy LLM judge inside the playground; on a real model use a real judge (OpenAI score_model) or port its rubric by hand',
      );
    case 'js':
      throw new Untranslatable(
        path,
        'custom JavaScript has no faithful automatic Python translation (numbers, strings, regular expressions and errors behave differently); port it by hand into the stub, keeping grade(sample, item)',
      );
    default:
      throw new Untranslatable(path, `a ${String(spec.type)} grader has no Python port`);
  }
}

/** Every custom JS source inside a grader spec, with where it sits (for the refusal's side-by-side files). */
export function jsSources(spec: GraderSpec, path = 'grader'): { path: string; source: string }[] {
  if (spec.type === 'js') return [{ path, source: String(spec.source ?? '') }];
  const children = (spec.type === 'multi' ? spec.graders : spec.type === 'simulated_judge' ? spec.rubric : undefined) as Record<string, GraderSpec> | undefined;
  if (!children) return [];
  const sub = spec.type === 'multi' ? 'graders' : 'rubric';
  return Object.entries(children).flatMap(([n, s]) => jsSources(s, `${path}.${sub}.${n}`));
}

export function pythonGrader(spec: GraderSpec, path = 'grader'): PythonGrader {
  counter = 0;
  const defs: string[] = [];
  let top: string;
  try {
    top = emit(spec, path, defs);
  } catch (e) {
    if (e instanceof Untranslatable) return { ok: false, path: e.path, reason: e.message };
    throw e;
  }
  const header = `# Generated by RFT Playground from the run's grader (${path}): the same scores as the playground's grader.\n`;
  const needsRe = defs.some((l) => l.includes('re.compile('));
  return {
    ok: true,
    source: [
      header + (needsRe ? 'import re\n' : '') + PYTHON_LIB,
      '',
      ...defs,
      'def grade(sample, item):',
      `    return ${top}(sample, item)`,
      '',
    ].join('\n'),
  };
}

/** A stub with the python grader's signature, for a grader the export will not translate itself. */
export function pythonStub(reason: string, jsFile: string): string {
  return [
    '# A stub: the run\'s grader could not be translated to Python faithfully, so it is left to you.',
    `# Why: ${reason}`,
    `# Port the JavaScript in ${jsFile} into grade() below; the signature is OpenAI's python grader and the`,
    '# playground\'s: sample["output_text"] is the model\'s answer, item holds the data row\'s fields.',
    '',
    '',
    'class GradeError(Exception):',
    '    "Raise it for a sample that cannot be graded (bad data); the reward function then scores 0."',
    '',
    '',
    'def grade(sample, item) -> float:',
    `    raise NotImplementedError(${pyString(`port the grader in ${jsFile} first (see README.md)`)})`,
    '',
  ].join('\n');
}
