/**
 * What a teacher's link can hide, by stable id. The ids are the contract with
 * old links, so they never change; the selectors are the page's own and may.
 * A link only ever picks ids from this list (the codec refuses others), and
 * the CSS is built from these constant selectors, never from link text.
 */
export interface HideTarget {
  id: string;
  /** What the teacher sees next to the checkbox. */
  label: string;
  /** Every element this id hides. */
  selector: string;
}

export const HIDE_TARGETS: readonly HideTarget[] = [
  { id: 'task-panel', label: 'Task & data panel', selector: 'section[aria-labelledby="task-title"]' },
  { id: 'grader-panel', label: 'Grader panel', selector: 'section[aria-labelledby="grader-title"]' },
  { id: 'shared-knobs', label: 'Shared knobs', selector: 'section[aria-labelledby="shared-title"]' },
  { id: 'lane-knobs', label: 'Knobs inside the lane cards', selector: 'section[aria-labelledby^="lane-"] > details' },
  { id: 'lane-rft', label: 'RFT lane', selector: 'section[aria-labelledby="lane-rft-title"]' },
  { id: 'lane-dpo', label: 'DPO lane', selector: 'section[aria-labelledby="lane-dpo-title"]' },
  { id: 'lane-sft', label: 'SFT lane', selector: 'section[aria-labelledby="lane-sft-title"]' },
  { id: 'speed', label: 'Speed control', selector: '[data-classroom="speed"], .transport .speed' },
  { id: 'lessons', label: 'Lessons button', selector: '[data-classroom="lessons"]' },
  { id: 'export', label: 'Export menu', selector: '[data-classroom="export"]' },
];

export const HIDE_IDS: readonly string[] = HIDE_TARGETS.map((t) => t.id);

/** The style sheet that hides the chosen ids (unknown ids are skipped: the codec already reported them). */
export function hideCss(ids: readonly string[]): string {
  const selectors = HIDE_TARGETS.filter((t) => ids.includes(t.id)).map((t) => t.selector);
  return selectors.length ? `${selectors.join(',\n')} { display: none !important; }\n` : '';
}
