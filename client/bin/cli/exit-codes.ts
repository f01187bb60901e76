// The exit codes of `nod`, one meaning each, so a CI job can tell "the person said no" from "nobody answered"
// from "the job is misconfigured" (README, "The CLI").
export const EXIT = {
  /** Answered: approved, or any answer that is not a rejecting option. */
  ok: 0,
  /** The person picked a rejecting option (one styled `danger`; `--approve`'s Reject). */
  rejected: 1,
  /** The review expired without an answer. */
  expired: 2,
  /** Bad usage or bad input: an unknown flag, a missing value, a file that is not JSON, a 400 from the server. */
  usage: 3,
  /** The server refused: the key is wrong (401) or may not do this (403), the channel or message is unknown (404), … */
  refused: 4,
  /** The server could not be reached (or kept failing) after retrying, or something unexpected went wrong. */
  failed: 5,
  /** Interrupted (Ctrl-C): the review stays open. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake of the caller's, found before or by the server's validation: exits 3 with this message. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(
    message: string,
    /** The command whose help to point at. */
    readonly command?: string,
  ) {
    super(message);
  }
}
