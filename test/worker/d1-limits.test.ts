// The test-time D1 wrapper refuses what production D1 refuses, and lets through what it accepts.
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { D1LimitError, strictD1 } from "../d1-limits/strict-d1";
import { BASE } from "./helpers";

const d1 = strictD1(env.DB);
const params = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
const inList = (n: number) =>
  `SELECT 1 FROM users WHERE id IN (${params(n)
    .map(() => "?")
    .join(", ")})`;

describe("the test-time D1 wrapper enforces production D1's limits", () => {
  it("refuses more than 100 bound parameters and accepts 100", async () => {
    expect(() => d1.prepare(inList(101)).bind(...params(101))).toThrow(D1LimitError);
    await expect(
      d1
        .prepare(inList(100))
        .bind(...params(100))
        .all(),
    ).resolves.toMatchObject({ success: true });
  });

  it("refuses a LIKE pattern over 50 bytes, escapes counted", async () => {
    const sql = "SELECT 1 FROM messages WHERE text LIKE ? ESCAPE '\\'";
    expect(() => d1.prepare(sql).bind(`%${"\\%".repeat(25)}%`)).toThrow(/LIKE or GLOB pattern too complex/);
    await expect(
      d1
        .prepare(sql)
        .bind(`%${"a".repeat(48)}%`)
        .all(),
    ).resolves.toMatchObject({ success: true });
  });

  it("counts a pattern built in SQL: numbered, wrapped and concatenated placeholders", () => {
    const long = "a".repeat(49);
    expect(() => d1.prepare("SELECT 1 FROM messages WHERE text LIKE ?1").bind(`${long}bc`)).toThrow(/LIKE or GLOB/);
    expect(() => d1.prepare("SELECT 1 FROM messages WHERE lower(text) LIKE lower(?)").bind(`${long}bc`)).toThrow(/LIKE or GLOB/);
    expect(() => d1.prepare("SELECT 1 FROM messages WHERE text LIKE '%' || ? || '%' AND channel_id = ?").bind(long, "c")).toThrow(/LIKE or GLOB/);
    expect(() => d1.prepare("SELECT 1 FROM messages WHERE channel_id = ? AND text GLOB ?2").bind("c".repeat(60), "*a*")).not.toThrow();
    expect(() => d1.prepare("SELECT 1 FROM messages WHERE text LIKE '%' || ? || '%' AND channel_id = ?").bind("short", "c".repeat(60))).not.toThrow();
  });

  it("wraps the Worker under test: its requests' statements go through the wrapper", async () => {
    const checked = async () => ((await (await exports.default.fetch(`${BASE}/__test/d1-statements-checked`)).json()) as { statements: number }).statements;
    const before = await checked();
    expect((await exports.default.fetch(`${BASE}/api/auth/setup`)).status).toBe(200);
    expect(await checked()).toBeGreaterThan(before);
  });

  it("refuses a statement over 100 KB", () => {
    expect(() => d1.prepare(`SELECT '${"x".repeat(100_001)}'`)).toThrow(/statement longer/);
  });

  it("refuses a value or a row over 2 MB", () => {
    const sql = "INSERT INTO settings (key, value) VALUES (?, ?)";
    expect(() => d1.prepare(sql).bind("k", "x".repeat(2_000_001))).toThrow(/bound value/);
    expect(() => d1.prepare("UPDATE settings SET key = ?, value = ?").bind("y".repeat(1_000_001), "x".repeat(1_000_001))).toThrow(/a row of/);
  });

  it("refuses more than 32 arguments to a SQL function", () => {
    expect(() =>
      d1.prepare(
        `SELECT json_array(${params(33)
          .map(() => "1")
          .join(", ")})`,
      ),
    ).toThrow(/arguments to a SQL function/);
    expect(() =>
      d1.prepare(
        `SELECT json_array(${params(32)
          .map(() => "1")
          .join(", ")})`,
      ),
    ).not.toThrow();
  });

  it("passes batches of wrapped statements to the real binding", async () => {
    const [a, b] = await d1.batch([d1.prepare("SELECT ? AS n").bind(1), d1.prepare("SELECT ? AS n").bind(2)]);
    expect([a!.results[0], b!.results[0]]).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
