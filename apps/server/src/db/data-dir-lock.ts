import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * One process owns an embedded data directory (ADR 0015). Two processes on one PGlite directory
 * each keep their own copy of the database in memory and overwrite each other's files: rows are
 * lost and references dangle. The owner writes `kesher.lock` (created exclusively) with its pid;
 * a lock whose process is gone is stale and taken over.
 */
export interface LockHolder {
  pid: number;
  /** The kernel's start time of the process (Linux), so that a reused pid is not taken for the owner. */
  pidStart: string | null;
  host: string;
  /** What holds it: `start`, `serve`, `demo`, `import`, … */
  command: string;
  startedAt: string;
  /** The port of the running server's local admin channel (127.0.0.1), once it listens. */
  adminPort?: number;
}

export class DataDirBusy extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `The data directory ${dataDir} is in use by another Kesher process: \`kesher ${holder.command}\` (pid ${holder.pid}` +
        `${holder.host === hostname() ? '' : ` on ${holder.host}`}, since ${holder.startedAt}).`,
    );
    this.name = 'DataDirBusy';
  }
}

export interface DataDirLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Records more about the owner (the admin channel's port). */
  update(extra: Partial<Pick<LockHolder, 'adminPort'>>): void;
  release(): void;
}

export const lockPath = (dataDir: string): string => join(dataDir, 'kesher.lock');

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or null off Linux. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // another machine's process: cannot tell, assume it runs
  if (holder.pid === process.pid) return owned.has(holder.startedAt); // a former life of this pid (a container restart)
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid runs: is it still the same process?
  const start = processStart(holder.pid);
  return !(holder.pidStart && start && start !== holder.pidStart);
}

/** Reads the lock file; null when there is none, a holder that cannot be parsed counts as stale. */
export function readHolder(dataDir: string): LockHolder | null {
  let text: string;
  try {
    text = readFileSync(lockPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return parseHolder(text);
}

/** A lock file that cannot be read as one (cut short by a crash while written) has no owner. */
function parseHolder(text: string): LockHolder {
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (typeof holder.pid === 'number') return holder;
  } catch {
    /* below */
  }
  return { pid: -1, pidStart: null, host: hostname(), command: '?', startedAt: text.slice(0, 40) };
}

/** The live holder of the directory's lock, or null when it is free or stale. */
export function liveHolder(dataDir: string): LockHolder | null {
  const holder = readHolder(dataDir);
  return holder && holder.pid > 0 && isAlive(holder) ? holder : null;
}

const owned = new Set<string>();

/**
 * Takes the data directory for this process, or throws DataDirBusy naming the holder. A stale
 * lock is moved aside (rename is atomic: of two processes taking over one stale lock, one moves
 * it and the other finds it gone) and the exclusive create is tried again.
 */
export function lockDataDir(dataDir: string, command: string): DataDirLock {
  const path = lockPath(dataDir);
  const holder: LockHolder = { pid: process.pid, pidStart: processStart(process.pid), host: hostname(), command, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const current = readHolder(dataDir);
      if (!current) continue; // released meanwhile
      if (current.pid > 0 && isAlive(current)) throw new DataDirBusy(dataDir, current);
      takeOverStale(path, current);
      continue;
    }
    writeSync(fd, JSON.stringify(holder));
    closeSync(fd);
    owned.add(holder.startedAt);
    return ownLock(path, holder);
  }
  throw new Error(`Could not take the lock ${path}: it keeps changing hands.`);
}

function takeOverStale(path: string, stale: LockHolder): void {
  const aside = `${path}.stale-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another process took it over first
    throw err;
  }
  // Between our read and the rename another process may have taken the stale lock over and made
  // its own: if what we moved is not the stale lock, put it back (link fails if a third one exists).
  const moved = parseHolder(readFileSync(aside, 'utf8'));
  if (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt) {
    try {
      linkSync(aside, path);
    } catch {
      /* someone holds it now: the exclusive create will say so */
    }
  }
  unlinkSync(aside);
}

function ownLock(path: string, holder: LockHolder): DataDirLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    owned.delete(holder.startedAt);
    process.off('exit', release);
    try {
      const current = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
      if (current.pid === holder.pid && current.startedAt === holder.startedAt) unlinkSync(path);
    } catch {
      /* gone already */
    }
  };
  process.on('exit', release);
  return {
    path,
    holder,
    update(extra) {
      Object.assign(holder, extra);
      // Written to a temporary file and renamed over: a reader never sees half a lock file.
      writeFileSync(`${path}.${process.pid}.tmp`, JSON.stringify(holder));
      renameSync(`${path}.${process.pid}.tmp`, path);
    },
    release,
  };
}
