// Runs a seed script from test/e2e/seeds/ against the real server. The files there are the seeds'
// examples verbatim, placeholders included; only the placeholder literals are replaced here (in a
// runnable copy inside a fresh temp dir, which is also the script's cwd).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const seedsDir = join(dirname(fileURLToPath(import.meta.url)), "seeds");

/** The placeholder literals the seeds use, mapped to this server, key and channel. */
export function placeholders(url: string, apiKey: string, channelId: string): Record<string, string> {
  return {
    "https://your-placet-instance.com": url,
    "http://localhost:3001": url,
    "hp_your-api-key": apiKey,
    "your-agent-id": channelId,
  };
}

interface SeedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface Running {
  result: Promise<SeedRun>;
  kill(): void;
}

export interface Workspace {
  dir: string;
  /** Writes a runnable copy of seeds/<name> with the literals replaced; returns its path. */
  prepare(name: string, subs: Record<string, string>): string;
  /** Starts a script with this dir as cwd; `kill` ends it and anything it started (its process group). */
  run(command: string, args: string[], opts?: { env?: Record<string, string>; timeoutMs?: number }): Running;
  cleanup(): void;
}

export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), "nod-seed-"));
  const started: Running[] = [];
  return {
    dir,
    prepare(name, subs) {
      let text = readFileSync(join(seedsDir, name), "utf8");
      for (const [from, to] of Object.entries(subs)) text = text.split(from).join(to);
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    run(command, args, opts = {}) {
      let kill = () => {};
      const result = new Promise<SeedRun>((resolve, reject) => {
        const child = spawn(command, args, {
          cwd: dir,
          env: {
            ...process.env,
            // Stock tools first (Debian python3 with requests, curl, jq), and never a proxy for loopback.
            PATH: `/usr/bin:/bin:${process.env.PATH ?? ""}`,
            NO_PROXY: "127.0.0.1,localhost",
            no_proxy: "127.0.0.1,localhost",
            PYTHONDONTWRITEBYTECODE: "1",
            ...opts.env,
          },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true, // its own process group, so a kill also reaches a curl the bash loop is running
        });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        let closed = false;
        kill = () => {
          if (closed || child.pid === undefined) return;
          try {
            process.kill(-child.pid, "SIGKILL");
          } catch {
            // already gone
          }
        };
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const timer = setTimeout(() => {
          timedOut = true;
          kill();
        }, opts.timeoutMs ?? 40_000);
        child.on("error", (err) => {
          clearTimeout(timer);
          reject(err);
        });
        child.on("close", (code, signal) => {
          closed = true;
          clearTimeout(timer);
          resolve({ code, signal, timedOut, stdout, stderr });
        });
      });
      const running = { result, kill: () => kill() };
      started.push(running);
      return running;
    },
    cleanup() {
      for (const r of started) r.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** For assertion messages: everything a failing script said. */
export const describeRun = (r: SeedRun) => `exit=${r.code} signal=${r.signal} timedOut=${r.timedOut}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
