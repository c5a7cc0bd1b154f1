// CPU counters from /proc (Linux; null elsewhere): the whole machine, and the local PostgreSQL
// server. The bench, the receiver, every callhook process and the database share the same cores,
// so "where the time goes" starts with who used the CPU during the run.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const TICKS_PER_S = 100; // USER_HZ on Linux

export interface MachineCpu {
  /** Busy seconds summed over all cores (everything but idle and iowait). */
  busyS: number;
  totalS: number;
}

export function machineCpu(): MachineCpu | null {
  try {
    const first = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const ticks = first.trim().split(/\s+/).slice(1, 9).map(Number); // user nice system idle iowait irq softirq steal
    const total = ticks.reduce((a, b) => a + b, 0);
    const idle = ticks[3]! + ticks[4]!;
    return { busyS: (total - idle) / TICKS_PER_S, totalS: total / TICKS_PER_S };
  } catch {
    return null;
  }
}

export const cores = availableParallelism();

/** The fields of a /proc stat line after the command name (which may hold spaces): [0] is state (field 3). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime in seconds from a process's or a thread's stat file, or null (no /proc, or gone). */
export function statCpuSeconds(path: string): number | null {
  try {
    // utime and stime are fields 14 and 15.
    const fields = statFields(readFileSync(path, 'utf8'));
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return null;
  }
}

/**
 * CPU seconds used by every process named `postgres` (the postmaster, its background processes and
 * backends), plus what the ones that exited left in their parent's cutime/cstime: a backend that
 * closed during the run still counts. Covers the whole server, not one database; null without /proc
 * or when no such process is visible (PostgreSQL on another host or in another container).
 */
export function postgresCpuSeconds(): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  let seen = 0;
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
    // utime, stime, cutime, cstime are fields 14–17.
    const fields = statFields(stat);
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    seen++;
  }
  return seen === 0 ? null : ticks / TICKS_PER_S;
}

/** Busy percent (of one core) of the whole machine over `ms`: is something else running? */
export async function machineBusyPct(ms: number): Promise<number | null> {
  const before = machineCpu();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = machineCpu();
  return before && after ? Math.round((100 * (after.busyS - before.busyS) * 1_000) / ms) : null;
}
