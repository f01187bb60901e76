// What `nod` says while it waits, on stderr so stdout stays the answer's JSON: a spinner with the elapsed time
// on a terminal; on anything else (a CI log) plain lines, a reminder every few minutes instead of a redraw.
import { formatElapsed } from "./duration";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const PLAIN_REMINDER_MS = 5 * 60_000;

export interface Progress {
  /** A line of its own (the spinner, if any, redraws below it). */
  say(line: string): void;
  /** Starts showing that `what` is going on, with the time since it started. */
  waiting(what: string): void;
  stop(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  return stream.isTTY ? spinner(stream) : plain(stream);
}

function spinner(stream: NodeJS.WriteStream): Progress {
  let timer: NodeJS.Timeout | undefined;
  let label = "";
  let started = 0;
  let frame = 0;
  const clear = () => stream.write("\r\x1b[2K");
  const draw = () => {
    clear();
    stream.write(`${FRAMES[frame++ % FRAMES.length]} ${label} ${formatElapsed(Date.now() - started)}`);
  };
  return {
    say(line) {
      if (timer) clear();
      stream.write(`${line}\n`);
      if (timer) draw();
    },
    waiting(what) {
      label = what;
      started = Date.now();
      clearInterval(timer);
      timer = setInterval(draw, 100);
      timer.unref();
      draw();
    },
    stop() {
      if (!timer) return;
      clearInterval(timer);
      timer = undefined;
      clear();
    },
  };
}

function plain(stream: NodeJS.WriteStream): Progress {
  let timer: NodeJS.Timeout | undefined;
  return {
    say: (line) => stream.write(`${line}\n`),
    waiting(what) {
      const started = Date.now();
      stream.write(`${what}\n`);
      clearInterval(timer);
      timer = setInterval(() => stream.write(`still waiting (${formatElapsed(Date.now() - started)})\n`), PLAIN_REMINDER_MS);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
