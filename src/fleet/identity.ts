// Who a fleet daemon is, and where it runs. A hostname is not an identity (containers, cloned VMs and CI
// runners share them), and a pid means something only inside the PID namespace of the kernel boot that
// issued it. So a daemon's id ends with a random instance id chosen at start, and its row in the database
// says where it runs: the machine id, the kernel's boot id and its PID namespace. Another daemon may check
// a holder's process locally only when all three are known and equal to its own; anywhere else a holder is
// dead only once it stops heartbeating.
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';

/** Where a process runs: null fields are unknown (not Linux, no /proc, an older swarm's row). */
export interface Place {
  machine_id: string | null;
  boot_id: string | null;
  pid_ns: string | null;
}

/** A daemon's id in the fleet: host and pid for people, then a tag that makes it unique (its instance id). */
export function daemonId(host: string, pid: number, tag: string | null): string {
  return `${host}:${pid}:${tag ?? '-'}`;
}

/** A random id for this daemon's run, so two daemons never share an id, whatever their host and pid. */
export function newInstanceId(): string {
  return randomBytes(6).toString('hex');
}

/** This process's place, read once: /etc/machine-id (or dbus's copy), the boot id, the PID namespace inode. */
export function placeOfThisProcess(): Place {
  return {
    machine_id: firstLine(['/etc/machine-id', '/var/lib/dbus/machine-id']),
    boot_id: firstLine(['/proc/sys/kernel/random/boot_id']),
    pid_ns: pidNamespace(),
  };
}

/**
 * Whether a pid recorded at `there` means the same process table as one here: same machine, same boot,
 * same PID namespace, every one of them known. A cloned VM keeps its machine id but has its own boot id;
 * two containers on one kernel share the boot id but not the namespace.
 */
export function samePidSpace(here: Place, there: Partial<Place> | null | undefined): boolean {
  if (!there) return false;
  const keys: (keyof Place)[] = ['machine_id', 'boot_id', 'pid_ns'];
  return keys.every((k) => here[k] !== null && there[k] !== null && there[k] !== undefined && here[k] === there[k]);
}

function firstLine(files: string[]): string | null {
  for (const f of files) {
    try {
      const v = readFileSync(f, 'utf8').trim();
      if (v !== '') return v;
    } catch {
      // next
    }
  }
  return null;
}

function pidNamespace(): string | null {
  try {
    const m = /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'));
    return m ? m[1]! : null;
  } catch {
    return null;
  }
}
