// A review's policy as its room applies it (docs/api.md, "Review policy"): who may answer, how votes
// decide a quorum review, and the words people see. Pure functions: the room reads and writes, these decide.
import type { PersonDto, VoteDto } from "../../contract/dto";
import type { ReviewType } from "../../contract/enums";
import type { StoredReviewPolicy } from "../db/schema";

type Quorum = NonNullable<StoredReviewPolicy["quorum"]>;

/**
 * What a vote chooses, as a key that identical choices share: an approval's option; a selection's set of
 * items, in sorted order (["b", "a"] and ["a", "b"] are the same vote). `ids`: the ids it names, for vetoes.
 */
export function choiceOf(type: ReviewType, response: Record<string, unknown>): { key: string; ids: string[] } {
  if (type === "approval") {
    const id = String(response.selectedOption);
    return { key: id, ids: [id] };
  }
  const ids = [...((response.selectedIds as string[] | undefined) ?? [])].sort();
  return { key: JSON.stringify(ids), ids };
}

export type QuorumOutcome =
  | { done: false }
  | {
      done: true;
      /** The review's response: the deciding vote's, or the leading option's first vote's when the quorum failed. */
      response: Record<string, unknown>;
      /** A veto option was chosen: it decides at once. */
      veto: boolean;
      /** No option can reach the count any more: the leading one wins. */
      quorumFailed: boolean;
    };

/**
 * Whether `votes` (in order, the newest last, one per person) decide the review. The newest vote decides
 * when it names a veto option or brings its choice to `count`; when no choice can reach `count` any more
 * (`stillToVote`: the people who could still vote), the leading choice wins (on a tie, the one that got
 * there first) and the quorum has failed.
 */
export function decideQuorum(type: ReviewType, quorum: Quorum, votes: VoteDto[], stillToVote: number): QuorumOutcome {
  const last = votes.at(-1);
  if (!last) return { done: false };
  const lastChoice = choiceOf(type, last.response);
  if (quorum.veto?.some((v) => lastChoice.ids.includes(v))) return { done: true, response: last.response, veto: true, quorumFailed: false };
  const tally = new Map<string, { n: number; first: VoteDto }>();
  let leader: { n: number; first: VoteDto } | undefined;
  for (const vote of votes) {
    const { key } = choiceOf(type, vote.response);
    const entry = tally.get(key) ?? { n: 0, first: vote };
    entry.n++;
    tally.set(key, entry);
    if (!leader || entry.n > leader.n) leader = entry;
  }
  if (tally.get(lastChoice.key)!.n >= quorum.count) return { done: true, response: last.response, veto: false, quorumFailed: false };
  if (leader!.n + stillToVote < quorum.count) return { done: true, response: leader!.first.response, veto: false, quorumFailed: true };
  return { done: false };
}

/** "Ann", "Ann and Bob", "Ann, Bob and Carol". */
export function names(people: readonly PersonDto[]): string {
  const all = people.map((p) => p.displayName || p.id);
  if (all.length <= 1) return all[0] ?? "nobody";
  return `${all.slice(0, -1).join(", ")} and ${all.at(-1)}`;
}

/** A wait as people say it: "45 s", "30 min", "1 h", "1 h 30 min", "2 d". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds >= 86_400 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  const h = Math.floor(seconds / 3600);
  const min = Math.round((seconds % 3600) / 60);
  return min ? `${h} h ${min} min` : `${h} h`;
}

/** The people in `a`, then those of `b` not already there (by id). */
export function union(a: readonly PersonDto[], b: readonly PersonDto[]): PersonDto[] {
  return [...a, ...b.filter((p) => !a.some((q) => q.id === p.id))];
}
