/**
 * A lesson's claims checked against what the page has actually run: the same
 * `checkClaim` the headless tests use, but a claim whose run has not been
 * loaded or not finished yet is "waiting", with what to do, instead of failing.
 */
import { checkClaim, MissingSeriesError, type RunRecords } from '../../lessons/claims.ts';
import type { Claim, Lesson, MetricRef } from '../../lessons/types.ts';

export interface LiveVerdict {
  statement: string;
  status: 'shown' | 'not-shown' | 'waiting';
  detail: string;
}

function refsOf(claim: Claim): MetricRef[] {
  if (claim.kind === 'greater') return [claim.of, claim.than];
  if (claim.kind === 'reaches-sooner') return [claim.first, claim.second];
  return [claim.of];
}

/**
 * `records[runId][lane]` as recorded on the page; `requiredSteps[runId]` is the
 * step count the run was loaded with (claims are made about complete runs).
 */
export function liveVerdicts(lesson: Lesson, records: RunRecords, requiredSteps: Readonly<Record<string, number>>): LiveVerdict[] {
  return lesson.claims.map((claim) => {
    for (const ref of refsOf(claim)) {
      const label = lesson.runs.find((r) => r.id === ref.run)?.label ?? ref.run;
      // Steps trained: a step-0 record (the starting policy's held-out evaluation) is not one.
      const done = records[ref.run]?.[ref.lane]?.filter((r) => r.step > 0).length ?? 0;
      const needed = requiredSteps[ref.run];
      if (needed === undefined) return { statement: claim.statement, status: 'waiting', detail: `Load “${label}” and run it to check this.` };
      if (done < needed) return { statement: claim.statement, status: 'waiting', detail: `“${label}”: ${ref.lane.toUpperCase()} has run ${done} of ${needed} steps.` };
    }
    try {
      const v = checkClaim(claim, records);
      return { statement: claim.statement, status: v.holds ? 'shown' : 'not-shown', detail: v.detail };
    } catch (e) {
      // A metric the run did not record (e.g. a lane switched off by hand): say which, do not break the view.
      if (e instanceof MissingSeriesError) return { statement: claim.statement, status: 'waiting', detail: e.message };
      throw e;
    }
  });
}
