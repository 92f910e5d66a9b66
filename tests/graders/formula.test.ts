/**
 * The multi grader's formula language (src/graders/formula.ts): the precedence and
 * values expr-eval gave (the parser it replaced; each expected value below is what
 * expr-eval computed), and a refusal naming the field for everything outside it.
 */
import { describe, expect, it } from 'vitest';
import { compileFormula, parseFormula } from '../../src/graders/formula.ts';
import { GraderConfigError } from '../../src/graders/index.ts';

const NAMES = ['a', 'b', 'true', 'this', 'and'];
const PATH = 'grader.calculate_output';
const value = (f: string, scores: Record<string, number> = { a: 4, b: 0.5, true: 1, this: 2, and: 3 }) => compileFormula(f, NAMES, PATH)(scores);
const refusal = (f: string): string => {
  try {
    parseFormula(f, NAMES, PATH);
  } catch (e) {
    expect(e).toBeInstanceOf(GraderConfigError);
    expect((e as GraderConfigError).path).toBe(PATH);
    expect((e as Error).message.startsWith(`${PATH} = ${JSON.stringify(f)}: `)).toBe(true);
    return (e as Error).message;
  }
  throw new Error(`${f} was accepted`);
};

describe('formula values and precedence', () => {
  it.each([
    ['-a^2', -16], // unary minus applies to the power
    ['(-a)^2', 16],
    ['- -a^2', 16],
    ['2^3^2', 512], // ^ is right-associative
    ['2^-1', 0.5],
    ['a^-b^2', 4 ** -0.25],
    ['2*-3^2', -18],
    ['-abs(a)^2', -16],
    ['abs(-a)^2', 16],
    ['-(a)^2', -16],
    ['10 - 4 - 3', 3],
    ['8 / 4 / 2', 1],
    ['2 + 3 * 4', 14],
    ['(2 + 3) * 4', 20],
    ['a - -b', 4.5],
    ['+a', 4],
    ['a * +b', 2],
    ['2^a*3', 48],
    ['min(a, b, 3) + max(a) + max(1, b)', 5.5],
    ['floor(1.7) + ceil(0.2) + sqrt(a) + exp(0) + log(E)', 6],
    ['PI - PI + E / E', 1],
    ['.5 + 5. + 1e1 + 1.5E-1', 15.65],
    ['true + this + and', 6], // words JavaScript reserves are names like any other
    ['\n a\t+\r1', 5],
  ])('%s = %d', (f, expected) => {
    expect(value(f)).toBeCloseTo(expected, 12);
  });
  it('division by zero and log 0 give the IEEE values (the grader counts them as failures)', () => {
    expect(value('a / 0')).toBe(Infinity);
    expect(value('0 / 0')).toBeNaN();
    expect(value('log(0)')).toBe(-Infinity);
    expect(value('sqrt(-1)')).toBeNaN();
    expect(value('1e999')).toBe(Infinity);
  });
});

describe('formula refusals', () => {
  it('names unknown names and functions', () => {
    expect(refusal('a * weight')).toBe(`${PATH} = "a * weight": "weight" is neither a sub-grader (a, b, true, this, and) nor an allowed function (min, max, abs, floor, ceil, exp, sqrt, log)`);
    expect(refusal('sin(a)')).toContain('"sin" is neither a sub-grader');
    expect(refusal('random()')).toContain('"random" is neither a sub-grader');
    expect(refusal('Infinity')).toContain('"Infinity" is neither a sub-grader');
  });
  it('refuses member access, calls of anything but a function, and JavaScript beyond arithmetic', () => {
    for (const f of ['min.call(0, a)', 'this.constructor', 'a .b', 'a[0]', '[a][0]']) expect(refusal(f)).toContain('member access (".") is not allowed');
    expect(refusal('a(1)')).toContain('"a" is a sub-grader, not a function');
    expect(refusal('min(a)(b)')).toContain('only the functions can be called, by name');
    expect(refusal('(min)(a)')).toContain('"min" is a function: call it with parentheses');
    expect(refusal('sqrt')).toContain('"sqrt" is a function: call it with parentheses, e.g. sqrt(x)');
    expect(refusal('sqrt a')).toContain('"sqrt" is a function: call it with parentheses');
    expect(refusal('max([a, b])')).toContain('[ ] lists are not allowed');
    expect(refusal('"1"')).toContain('text in quotes is not allowed');
    expect(refusal('a ? b : 1')).toContain('the conditional "? :" is not allowed');
    for (const f of ['a > 1', 'a == b', 'a && b', 'a || b', '!a', '~a', 'a % 2', 'a = 1', 'a ** 2', 'a & b']) {
      expect(refusal(f)).toMatch(/(Unexpected|Expected expression after) .* \(allowed: numbers, grader names, \+ - \* \/ \^, \( \), min max abs floor ceil exp sqrt log\)$/);
    }
  });
  it('refuses syntax errors, missing operators, stray commas and wrong argument counts', () => {
    expect(refusal('a +')).toContain('Expected expression after +');
    expect(refusal('')).toContain('the formula is empty');
    expect(refusal('()')).toContain('empty ( )');
    expect(refusal('(a')).toContain('expected ")"');
    expect(refusal('(a, b)')).toContain('a "," belongs in a function call only');
    expect(refusal('a b')).toContain('an operator is missing');
    expect(refusal('a; b')).toContain('an operator is missing');
    for (const f of ['a,', ',a', 'a;', '(a,)']) expect(refusal(f)).toMatch(/","/);
    expect(refusal('min()')).toContain('min() takes one or more arguments, not 0');
    expect(refusal('sqrt(a, b)')).toContain('sqrt() takes one argument, not 2');
    expect(refusal('abs()')).toContain('abs() takes one argument, not 0');
    expect(refusal('min(a,)')).toContain('Unexpected token )');
    expect(refusal('2a')).toContain('Variable names cannot start with a number');
  });
});
