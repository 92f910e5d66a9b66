/**
 * How deeply a parsed JSON value nests, found without recursion. JSON.parse
 * itself takes any depth, but every later walk (validation, freezing, a copy
 * to a worker) recurses, and 100,000 levels overflow the stack there with a
 * raw RangeError. So values from outside are measured once, right after
 * parsing, and refused with a message when they nest past a limit no real
 * config, item or message needs.
 */

/** Deeper than this is not data anyone wrote by hand or by a tool. */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests arrays/objects more than `limit` levels deep. */
export function nestsDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
