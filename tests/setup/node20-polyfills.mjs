// vitest 5 prints failures with Map.groupBy, which Node 20 (the machines' Node) lacks.
// Loaded through NODE_OPTIONS by `npm test`; harmless on newer Node.
function groupBy(items, key) {
  const groups = new Map();
  let i = 0;
  for (const item of items) {
    const k = key(item, i++);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(item);
  }
  return groups;
}
if (typeof Map.groupBy !== 'function') Map.groupBy = groupBy;
if (typeof Object.groupBy !== 'function') Object.groupBy = (items, key) => Object.fromEntries(groupBy(items, key));
