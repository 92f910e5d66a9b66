/**
 * Sharing and saving, done in the worker: the link codec and the saved-work
 * validation use the engine's zod schema, which the page's main thread must
 * not load (its JS budget). Every function takes and returns plain data, so
 * comlink passes the results over as they are.
 */
import { acceptPendingCode, decodeShareHash, linkLimitations, shareUrl, type DecodedShare, type HashOptions } from '../share/hash-codec.ts';
import type { ShareState } from '../share/run-state.ts';
import { fromRead, type LoadResult } from '../share/saved-work.ts';
import type { ReadResult } from '../share/storage.ts';
import type { PendingCode } from '../share/validate-run.ts';

export interface ShareLink {
  url: string;
  /** What the link will not carry (imported data, code needing consent, length); say it next to the link. */
  notes: string[];
}

export const shareService = {
  /** The state a `location.hash` asks for, with the problems of every refused field; never throws. */
  decodeShare(hash: string, options: HashOptions): DecodedShare {
    return decodeShareHash(hash, options);
  },
  /** The state with the grader code the user agreed to run put in place. */
  acceptShareCode(state: ShareState, pending: PendingCode[]): { state: ShareState; problems: string[] } {
    return acceptPendingCode(state, pending);
  },
  shareLink(pageUrl: string, state: ShareState): ShareLink {
    return { url: shareUrl(pageUrl, state), notes: linkLimitations(state) };
  },
  /** Field-by-field validation of what the page read from localStorage. */
  loadSaved(read: ReadResult): LoadResult {
    return fromRead(read);
  },
};
