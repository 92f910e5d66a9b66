/**
 * The `multi` grader's `calculate_output` formula language, shared by the grader
 * (evaluated here) and the Python export (printed from the same tree):
 *
 *   numbers, sub-grader names, PI, E, + - * / ^, unary - and +, ( ),
 *   min(…) max(…) (one or more arguments), abs floor ceil exp sqrt log (one; log is natural)
 *
 * Precedence, tightest first: calls and ( ); ^ (right-associative, so 2^3^2 = 2^9);
 * unary - and + (so -2^2 = -4 but 2^-1 = 0.5); * /; + - (both left-associative).
 * These are the rules of expr-eval, the parser the playground used before, so every
 * formula that parsed there means the same here. Arithmetic is JavaScript's: 1/0 is
 * Infinity and 0/0 NaN, which the multi grader counts as a failed sample.
 *
 * Parsing is jsep's (a ~2.5 kB gzipped expression parser, against ~8 kB for expr-eval,
 * which every chunk with a formula carried: the training worker, the grading worker
 * and the export). jsep parses JavaScript-like expressions, so this module narrows it
 * to the language above and turns its tree into a small one of its own: member access,
 * calls of anything but the listed functions by name, strings, arrays, `?:`, stray commas
 * and every other kind of node are refused with a message naming the field (`this`, `true`,
 * `false` and `null` are plain names, which a sub-grader may have). Nothing is eval'd.
 */
import jsep from 'jsep';
import { GraderConfigError } from './types.ts';

/** Functions a formula may call; "log" is the natural logarithm. */
export const FORMULA_FUNCTIONS = ['min', 'max', 'abs', 'floor', 'ceil', 'exp', 'sqrt', 'log'] as const;
export type FormulaFunction = (typeof FORMULA_FUNCTIONS)[number];
export type FormulaOp = '+' | '-' | '*' | '/' | '^';

/** A checked formula: every name is a sub-grader, every call an allowed function with a valid argument count. */
export type FormulaNode =
  | { kind: 'number'; value: number }
  | { kind: 'constant'; name: 'PI' | 'E' }
  | { kind: 'name'; name: string }
  | { kind: 'negate'; arg: FormulaNode }
  | { kind: 'binary'; op: FormulaOp; left: FormulaNode; right: FormulaNode }
  | { kind: 'call'; fn: FormulaFunction; args: FormulaNode[] };

const GROUP = 'FormulaGroup';
const ALLOWED = `numbers, grader names, + - * / ^, ( ), ${FORMULA_FUNCTIONS.join(' ')}`;
const VARIADIC = new Set<string>(['min', 'max']);

// jsep's operator tables are global; this module is its only user. Keep exactly the formula
// operators: ^ is power here (jsep's default is bitwise xor), binding tighter than * and /.
jsep.removeAllBinaryOps();
jsep.removeAllUnaryOps();
jsep.removeAllLiterals(); // true/false/null are plain names (a sub-grader may be called "true")
for (const op of ['+', '-']) {
  jsep.addBinaryOp(op, 9);
  jsep.addUnaryOp(op);
}
jsep.addBinaryOp('*', 10);
jsep.addBinaryOp('/', 10);
jsep.addBinaryOp('^', 11, true);
// Parentheses are kept in the tree (jsep drops them), so that -a^b, which is -(a^b) as in
// expr-eval, can be told apart from (-a)^b: jsep binds a unary minus tighter than any operator.
// A group holds one expression: jsep's own would take "(a, b)" and "(a,)" as well.
jsep.hooks.add('gobble-token', function group(env) {
  if (this.code !== 40) return; // (
  this.index++;
  const inner = this.gobbleExpression();
  this.gobbleSpaces();
  if ((this.code as number) !== 41) this.throwError(inner ? 'expected ")" (a "," belongs in a function call only)' : 'expected an expression');
  if (!inner) this.throwError('empty ( )');
  this.index++;
  env.node = { type: GROUP, expression: inner };
});

type Node = jsep.Expression;

/** Parses and checks a formula against the sub-grader names; throws GraderConfigError naming `path`. */
export function parseFormula(formula: string, names: readonly string[], path: string): FormulaNode {
  const shown = JSON.stringify(formula.length > 60 ? `${formula.slice(0, 57)}...` : formula);
  const fail = (message: string): never => {
    throw new GraderConfigError(`${path} = ${shown}: ${message}`, path);
  };
  const refuse = (what: string): never => fail(`${what} (allowed: ${ALLOWED})`);
  const memberAccess = () => fail(`member access (".") is not allowed; use ${ALLOWED}`);
  // A dot after a name (min.call, a.constructor) is member access, which a formula never needs.
  if (/[A-Za-z_$][\w$]*\s*\.\s*[A-Za-z_$]|\]\s*\./.test(formula)) memberAccess();
  let tree: Node;
  try {
    tree = jsep(formula);
  } catch (e) {
    return refuse((e as Error).message);
  }
  const graders = new Set(names);
  const unknown = (name: string) =>
    fail(`"${name}" is neither a sub-grader (${names.join(', ') || 'none'}) nor an allowed function (${FORMULA_FUNCTIONS.join(', ')})`);

  const convert = (node: Node): FormulaNode => {
    switch (node.type) {
      case GROUP:
        return convert(node.expression as Node);
      case 'Literal':
        return typeof node.value === 'number' ? { kind: 'number', value: node.value } : refuse('text in quotes is not allowed, a formula computes a number');
      case 'ThisExpression': // the word "this" is a name like any other
      case 'Identifier': {
        const name = node.type === 'Identifier' ? (node.name as string) : 'this';
        if (graders.has(name)) return { kind: 'name', name };
        if (name === 'PI' || name === 'E') return { kind: 'constant', name };
        if ((FORMULA_FUNCTIONS as readonly string[]).includes(name)) return refuse(`"${name}" is a function: call it with parentheses, e.g. ${name}(x)`);
        return unknown(name);
      }
      case 'UnaryExpression': {
        const arg = convert(node.argument as Node);
        return node.operator === '-' ? { kind: 'negate', arg } : arg; // unary + is the number itself
      }
      case 'BinaryExpression': {
        const op = node.operator as FormulaOp;
        let left = node.left as Node;
        // -a^b: jsep made (-a)^b; the unary minus (or plus, or several) applies to the power.
        const unaries: Node[] = [];
        if (op === '^') {
          while (left.type === 'UnaryExpression') {
            unaries.push(left);
            left = left.argument as Node;
          }
        }
        let out: FormulaNode = { kind: 'binary', op, left: convert(left), right: convert(node.right as Node) };
        for (let i = unaries.length - 1; i >= 0; i--) if (unaries[i].operator === '-') out = { kind: 'negate', arg: out };
        return out;
      }
      case 'CallExpression': {
        const callee = node.callee as Node;
        const args = node.arguments as Node[];
        if (callee.type !== 'Identifier') return refuse('only the functions can be called, by name');
        const fn = callee.name as string;
        if (graders.has(fn)) return refuse(`"${fn}" is a sub-grader, not a function`);
        if (!(FORMULA_FUNCTIONS as readonly string[]).includes(fn)) return unknown(fn);
        if (VARIADIC.has(fn) ? args.length === 0 : args.length !== 1) {
          return refuse(`${fn}() takes ${VARIADIC.has(fn) ? 'one or more arguments' : 'one argument'}, not ${args.length}`);
        }
        return { kind: 'call', fn: fn as FormulaFunction, args: args.map(convert) };
      }
      case 'MemberExpression':
        return memberAccess();
      case 'Compound': {
        const parts = node.body as Node[];
        if (parts.length === 0) return refuse('the formula is empty');
        parts.forEach(convert); // "sqrt a": the bare "sqrt" is the mistake to name
        return refuse('an operator is missing between two parts, or a "," or ";" is out of place');
      }
      case 'ArrayExpression':
        return refuse('[ ] lists are not allowed');
      case 'ConditionalExpression':
        return refuse('the conditional "? :" is not allowed');
      default:
        return refuse(`${node.type} is not allowed`);
    }
  };
  const out = convert(tree);
  // jsep skips a "," or ";" between top-level expressions: one left over with a single expression ("a,", ";a") is a typo.
  let commas = 0;
  const count = (n: FormulaNode): void => {
    if (n.kind === 'call') commas += n.args.length - 1;
    if (n.kind === 'negate') count(n.arg);
    else if (n.kind === 'binary') [n.left, n.right].forEach(count);
    else if (n.kind === 'call') n.args.forEach(count);
  };
  count(out);
  if (formula.includes(';') || formula.split(',').length - 1 !== commas) refuse('a "," or ";" is out of place (a "," belongs in a function call only)');
  return out;
}

export type Formula = (scores: Readonly<Record<string, number>>) => number;

const FUNCTIONS: Record<FormulaFunction, (...xs: number[]) => number> = {
  min: Math.min, max: Math.max, abs: Math.abs, floor: Math.floor, ceil: Math.ceil, exp: Math.exp, sqrt: Math.sqrt, log: Math.log,
};

/** The formula as a function of the sub-graders' scores (closures over the tree; never eval). */
export function compileFormula(formula: string, names: readonly string[], path: string): Formula {
  const build = (n: FormulaNode): Formula => {
    switch (n.kind) {
      case 'number': {
        const value = n.value;
        return () => value;
      }
      case 'constant': {
        const value = n.name === 'PI' ? Math.PI : Math.E;
        return () => value;
      }
      case 'name': {
        const name = n.name;
        return (s) => s[name];
      }
      case 'negate': {
        const a = build(n.arg);
        return (s) => -a(s);
      }
      case 'binary': {
        const a = build(n.left);
        const b = build(n.right);
        switch (n.op) {
          case '+': return (s) => a(s) + b(s);
          case '-': return (s) => a(s) - b(s);
          case '*': return (s) => a(s) * b(s);
          case '/': return (s) => a(s) / b(s);
          case '^': return (s) => Math.pow(a(s), b(s));
        }
        break;
      }
      case 'call': {
        const f = FUNCTIONS[n.fn];
        const args = n.args.map(build);
        return args.length === 1 ? (s) => f(args[0](s)) : (s) => f(...args.map((a) => a(s)));
      }
    }
    throw new Error(`unreachable formula node ${JSON.stringify(n)}`);
  };
  return build(parseFormula(formula, names, path));
}
