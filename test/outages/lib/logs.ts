import { expect } from "vitest";
import type { Line, ServiceProcess } from "./processes.js";

/**
 * The log guarantees, as the tests read them.
 *
 * 1. Every line a process prints, on stdout or stderr, at any LOG_LEVEL, parses as one JSON object.
 *
 * 2. Dependency reports. A line is a report about `redis` or `postgres` if its JSON has
 *    `dependency: "redis" | "postgres"` (the preferred form), or else if its `msg` names the dependency
 *    (/\bredis\b/i, /\bpostgres(ql)?\b/i). Its direction is its `state` (or `status`) field when that is
 *    "down" or "up"; otherwise it is read from `msg`: "up" if it says back / again / restored /
 *    recovered / reconnected (or a bare "up"), "down" if it says down / unreachable / unavailable /
 *    lost / disconnected / cannot reach / not reachable. For example `{"dependency":"redis",
 *    "state":"down","msg":"redis is unreachable at 127.0.0.1:6390 (REDIS_URL)"}` and
 *    `{"dependency":"redis","state":"up","msg":"redis is back"}`. A dependency that stays down is
 *    reported once when it goes (at most again every 30 s) and once when it comes back, per process.
 */

export function parseJsonLine(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Every captured line that is not one JSON object. */
export function nonJsonLines(processes: ServiceProcess[], since = 0): Line[] {
  return processes.flatMap((proc) => proc.lines.filter((line) => line.at >= since && parseJsonLine(line.text) === null));
}

/**
 * A failure message for the lines that are not JSON: how many, per process and stream, and the most
 * frequent texts with when each first appeared.
 */
export function describeNonJson(processes: ServiceProcess[], since = 0): string {
  const groups = new Map<string, { count: number; first: number; proc: ServiceProcess; line: Line }>();
  for (const proc of processes) {
    for (const line of proc.lines) {
      if (line.at < since || parseJsonLine(line.text) !== null) continue;
      const id = `${proc.name} ${line.stream} ${line.text}`;
      const group = groups.get(id) ?? { count: 0, first: line.at, proc, line };
      group.count++;
      groups.set(id, group);
    }
  }
  const total = [...groups.values()].reduce((sum, group) => sum + group.count, 0);
  const top = [...groups.values()]
    .sort((a, b) => b.count - a.count)
    .slice(0, 10)
    .map((g) => `${g.count} × ${g.proc.name} ${g.line.stream} (first at +${((g.first - g.proc.startedAt) / 1000).toFixed(1)} s): ${JSON.stringify(g.line.text.slice(0, 200))}`);
  return `${total} line(s) printed that are not one JSON object (${groups.size} distinct):\n  ${top.join("\n  ")}`;
}

/** Soft-asserts that every line these processes printed (since `since`) is one JSON object. */
export function expectAllJson(processes: ServiceProcess[], since = 0): void {
  expect.soft(nonJsonLines(processes, since).length, describeNonJson(processes, since)).toBe(0);
}

export type Dependency = "redis" | "postgres";
const NAMES: Record<Dependency, RegExp> = { redis: /\bredis\b/i, postgres: /\bpostgres(ql)?\b/i };
const UP = /\b(back|again|restored|recovered|reconnected)\b/i;
const DOWN = /\b(down|unreachable|unavailable|lost|disconnected|cannot reach|can't reach|not reachable)\b/i;

export function reportDirection(line: Line, dependency: Dependency): "down" | "up" | null {
  const json = parseJsonLine(line.text);
  if (!json) return null;
  const msg = typeof json.msg === "string" ? json.msg : "";
  const about = json.dependency === undefined ? NAMES[dependency].test(msg) : json.dependency === dependency;
  if (!about) return null;
  const state = json.state ?? json.status;
  if (state === "down" || state === "up") return state;
  if (UP.test(msg)) return "up";
  if (DOWN.test(msg)) return "down";
  if (/\bup\b/i.test(msg)) return "up";
  return null;
}

export function dependencyReports(lines: Line[], dependency: Dependency): { down: Line[]; up: Line[] } {
  const down: Line[] = [];
  const up: Line[] = [];
  for (const line of lines) {
    const direction = reportDirection(line, dependency);
    if (direction === "down") down.push(line);
    else if (direction === "up") up.push(line);
  }
  return { down, up };
}

export const excerpt = (lines: Line[], max = 8) =>
  lines
    .slice(0, max)
    .map((line) => `${line.process}: ${line.text.slice(0, 240)}`)
    .join("\n  ") + (lines.length > max ? `\n  … and ${lines.length - max} more` : "");

/** The most frequent messages among the lines, for a failure message about log volume. */
export function topMessages(lines: Line[], max = 6): string {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const json = parseJsonLine(line.text);
    const key = json ? String(json.msg ?? "(no msg)") : `(not JSON) ${line.text.slice(0, 80)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([msg, n]) => `${n} × ${JSON.stringify(msg)}`)
    .join(", ");
}
