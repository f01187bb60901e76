// The reviews of the channel as this room last wrote or read them. The room is the only writer of a
// review (posts, answers, votes, expiry, retraction and retention all run in its write queue), so what it
// holds is what D1 holds: a wait parks, and an answer is checked, without a read first (issue 19).
// Only the fields that decide a review are kept (ReviewState): a response's message is always built from
// D1's row, since other fields (delivery status, iteration) move with other writes.
import type { MessageRow } from "../services/messages";

export type ReviewState = Pick<
  MessageRow,
  "id" | "channelId" | "userId" | "createdAt" | "reviewType" | "reviewStatus" | "reviewExpiresAt" | "reviewPayload" | "reviewPolicy" | "reviewVotes"
>;

/** Reviews kept, at most (the oldest goes first; a review no longer kept is read from D1 when next needed). */
const MAX_REVIEWS = 1000;

export class KnownReviews {
  private readonly reviews = new Map<string, ReviewState>();

  get(messageId: string): ReviewState | undefined {
    return this.reviews.get(messageId);
  }

  /** A review as just written or read (a message without one is not kept). */
  set(row: ReviewState) {
    if (!row.reviewType) return;
    this.reviews.delete(row.id); // re-inserted last: the newest stays longest
    if (this.reviews.size >= MAX_REVIEWS) this.reviews.delete(this.reviews.keys().next().value!);
    const { id, channelId, userId, createdAt, reviewType, reviewStatus, reviewExpiresAt, reviewPayload, reviewPolicy, reviewVotes } = row;
    this.reviews.set(id, { id, channelId, userId, createdAt, reviewType, reviewStatus, reviewExpiresAt, reviewPayload, reviewPolicy, reviewVotes });
  }

  delete(messageId: string) {
    this.reviews.delete(messageId);
  }

  clear() {
    this.reviews.clear();
  }
}
